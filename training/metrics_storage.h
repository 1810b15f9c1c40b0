#pragma once
// Where a run's metrics go (detectron2's EventStorage, reduced): the loop and its
// hooks put each MetricsSample here once; it is appended to RUN_DIR/metrics.jsonl
// and handed to the callbacks, which feed the CLI's progress and the GUI's charts.
#include "core/result.h"
#include "training/trainer.h"

#include <string>

namespace training {

class MetricsStorage {
public:
    // Opens metrics.jsonl without following a symlink (a run folder someone sent
    // cannot make the trainer write into another file); truncate: a new run.
    static core::Result<MetricsStorage> open(const std::string &path, bool truncate, TrainCallbacks &callbacks);
    MetricsStorage(MetricsStorage &&o) noexcept;
    MetricsStorage(const MetricsStorage &) = delete;
    ~MetricsStorage();

    void put(const MetricsSample &m);
    // Throughput of the training steps so far (images and seconds of the steps alone).
    void addSteps(double images, double seconds);
    double imagesPerS() const { return m_seconds > 0 ? m_images / m_seconds : 0; }
    TrainCallbacks &callbacks() { return m_cb; }

private:
    MetricsStorage(int fd, TrainCallbacks &cb) : m_fd(fd), m_cb(cb) {}
    int m_fd = -1;
    TrainCallbacks &m_cb;
    double m_images = 0, m_seconds = 0;
};

// One metrics.jsonl line: epoch, step, loss, lr, images_per_s, losses {term: value};
// at epoch ends epoch_end, val_<metric> for every validation metric, and val_accuracy
// (segmentation: the pixel accuracy, as MetricsSample::valAccuracy).
nlohmann::json metricsJson(const MetricsSample &m);

} // namespace training
