#pragma once
// The Qt adapter around the trainer: a QObject that lives in its own QThread,
// runs training::train there and turns its callbacks into queued signals that
// carry value types. Stop and pause are atomic flags the trainer checks every step.
#include "training/trainer.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <atomic>

Q_DECLARE_METATYPE(training::MetricsSample)
Q_DECLARE_METATYPE(training::TrainConfig)

namespace ui {

class TrainWorker : public QObject {
    Q_OBJECT
public:
    void requestStop() { m_cancel = true; }
    void setPaused(bool paused) { m_pause = paused; }

public Q_SLOTS:
    void run(const training::TrainConfig &config);
    // K-fold cross-validation: `folds` runs in config.outDir/fold-1..K, then mean ± std.
    void runKFold(const training::TrainConfig &config, int folds);

Q_SIGNALS:
    void logLine(const QString &line);
    void metrics(const training::MetricsSample &m);
    void finished(bool ok, const QString &message);

private:
    std::atomic<bool> m_cancel{false}, m_pause{false};
};

} // namespace ui
