#include "training/image_cache.h"

#include "training/image_file.h"
#include "training/models/torch_error.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <thread>

using core::ErrorCode;
using core::makeError;

namespace training {

core::Result<ImageCache> ImageCache::decode(const std::vector<Record> &records, int size, int channels, Fit fit, std::vector<core::Error> *skipped)
{
    const std::size_t n = records.size();
    std::vector<cv::Mat> mats(n);
    std::vector<std::pair<double, double>> scale(n);
    std::vector<std::optional<core::Error>> errors(n);
    std::atomic<std::size_t> next{0};
    // Runs on every core. Nothing may leave a worker thread as an exception (it would
    // end the process): each failure becomes the image's error.
    auto work = [&] {
        for (std::size_t i; (i = next++) < n;) {
            const std::string &path = records[i].path;
            try {
                auto decoded = decodeImageFile(path);
                if (!decoded) {
                    errors[i] = decoded.error();
                    continue;
                }
                cv::Mat m = std::move(*decoded);
                if (m.depth() != CV_8U) m.convertTo(m, CV_8U, m.depth() == CV_16U ? 1.0 / 256 : 1.0);
                if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
                if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
                if (m.channels() != 1 && m.channels() != 3) {
                    errors[i] = makeError(ErrorCode::Unsupported, path, {}, "an image with " + std::to_string(m.channels()) + " channels");
                    continue;
                }
                int w = size, h = size;
                if (fit == Fit::KeepAspect) {
                    const double f = static_cast<double>(size) / std::max(m.cols, m.rows);
                    w = std::clamp(static_cast<int>(std::lround(m.cols * f)), 1, size);
                    h = std::clamp(static_cast<int>(std::lround(m.rows * f)), 1, size);
                }
                scale[i] = {static_cast<double>(w) / m.cols, static_cast<double>(h) / m.rows};
                if (m.cols != w || m.rows != h) cv::resize(m, m, {w, h}, 0, 0, cv::INTER_AREA);
                mats[i] = m;
            } catch (const cv::Exception &e) {
                errors[i] = makeError(ErrorCode::Invalid, path, {}, "cannot decode the image (" + e.err.substr(0, 200) + ")");
            } catch (const std::exception &e) {
                errors[i] = makeError(ErrorCode::Invalid, path, {}, "cannot prepare the image (" + exceptionText(e) + ")");
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(work);
    work();
    for (auto &t : pool) t.join();

    ImageCache c;
    c.m_size = size;
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < n; ++i) {
        if (!errors[i]) {
            kept.push_back(i);
            continue;
        }
        if (!skipped) return *errors[i];
        skipped->push_back(*errors[i]);
    }
    c.m_channels = channels;
    if (c.m_channels == 0) {
        c.m_channels = 1;
        for (std::size_t i : kept)
            if (mats[i].channels() == 3) c.m_channels = 3;
    }
    const std::size_t per = c.perImage();
    c.m_pixels.assign(kept.size() * per, 0);
    for (std::size_t k = 0; k < kept.size(); ++k) {
        const std::size_t i = kept[k];
        cv::Mat m = mats[i];
        if (m.channels() != c.m_channels) cv::cvtColor(m, m, c.m_channels == 3 ? cv::COLOR_GRAY2RGB : cv::COLOR_RGB2GRAY);
        std::uint8_t *dst = c.m_pixels.data() + k * per;
        const int C = c.m_channels;
        for (int y = 0; y < m.rows; ++y) { // HWC -> CHW
            const std::uint8_t *row = m.ptr<std::uint8_t>(y);
            for (int x = 0; x < m.cols; ++x)
                for (int ch = 0; ch < C; ++ch) dst[(static_cast<std::size_t>(ch) * size + y) * size + x] = row[x * C + ch];
        }
        c.m_records.push_back(records[i]);
        c.m_scale.push_back(scale[i]);
        c.m_content.emplace_back(m.cols, m.rows);
    }
    return c;
}

ImageCache ImageCache::fromPixels(std::vector<Record> records, int size, int channels, std::vector<std::uint8_t> pixels)
{
    ImageCache c;
    c.m_size = size;
    c.m_channels = channels;
    c.m_scale.assign(records.size(), {1.0, 1.0});
    c.m_content.assign(records.size(), {size, size});
    c.m_records = std::move(records);
    c.m_pixels = std::move(pixels);
    c.m_pixels.resize(c.m_records.size() * c.perImage(), 0);
    return c;
}

std::vector<core::Point> ImageCache::outline(std::size_t i, const core::Shape &shape) const
{
    std::vector<core::Point> pts = shape.toPolygon(128);
    for (auto &p : pts) p = {p.x * scaleX(i), p.y * scaleY(i)};
    return pts;
}

int ImageCache::imageWidth(std::size_t i) const { return static_cast<int>(std::lround(m_content[i].first / m_scale[i].first)); }

int ImageCache::imageHeight(std::size_t i) const { return static_cast<int>(std::lround(m_content[i].second / m_scale[i].second)); }

} // namespace training
