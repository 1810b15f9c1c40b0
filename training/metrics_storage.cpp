#include "training/metrics_storage.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using core::ErrorCode;
using core::makeError;

namespace training {

core::Result<MetricsStorage> MetricsStorage::open(const std::string &path, bool truncate, TrainCallbacks &callbacks)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
    if (fd < 0)
        return makeError(ErrorCode::Io, path, {}, errno == ELOOP ? "is a symbolic link; the trainer writes only plain files in a run folder"
                                                                 : "cannot write: " + std::string(std::strerror(errno)));
    return MetricsStorage(fd, callbacks);
}

MetricsStorage::MetricsStorage(MetricsStorage &&o) noexcept : m_fd(o.m_fd), m_cb(o.m_cb), m_images(o.m_images), m_seconds(o.m_seconds) { o.m_fd = -1; }

MetricsStorage::~MetricsStorage()
{
    if (m_fd >= 0) ::close(m_fd);
}

nlohmann::json metricsJson(const MetricsSample &m)
{
    nlohmann::json j = {{"epoch", m.epoch}, {"step", m.step}, {"loss", m.loss}, {"lr", m.lr}, {"images_per_s", m.imagesPerS}};
    if (!m.losses.empty()) j["losses"] = m.losses;
    if (m.epochEnd) {
        j["epoch_end"] = true;
        for (const auto &[name, v] : m.val) j["val_" + name] = v;
        if (m.valAccuracy >= 0) j["val_accuracy"] = m.valAccuracy;
    }
    return j;
}

void MetricsStorage::put(const MetricsSample &m)
{
    const std::string line = metricsJson(m).dump() + "\n";
    // A full disk loses metric lines, not the run: the checkpoints report their own write errors.
    [[maybe_unused]] const ssize_t written = ::write(m_fd, line.data(), line.size());
    m_cb.metrics(m);
}

void MetricsStorage::addSteps(double images, double seconds)
{
    m_images += images;
    m_seconds += seconds;
}

} // namespace training
