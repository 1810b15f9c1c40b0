#include "training/instance_mapper.h"

#include "core/rasterize.h"

#include <algorithm>

namespace training {

InstanceMapper::InstanceMapper(ImageCache cache, bool withMasks, double minBoxSide)
    : Mapper(std::move(cache)), m_withMasks(withMasks), m_minBoxSide(minBoxSide)
{
    m_outlines.resize(m_cache.count());
    for (std::size_t i = 0; i < m_cache.count(); ++i)
        for (const auto &r : m_cache.record(i).regions) m_outlines[i].push_back(m_cache.outline(i, r.shape));
    // The same rules as addTargets, unaugmented: what never becomes a target is named once.
    const int S = m_cache.size();
    std::vector<std::uint8_t> mask;
    for (std::size_t i = 0; i < m_cache.count(); ++i) {
        const auto &regions = m_cache.record(i).regions;
        for (std::size_t r = 0; r < regions.size(); ++r) {
            const auto &o = m_outlines[i][r];
            double x0 = S, y0 = S, x1 = 0, y1 = 0;
            for (const auto &p : o) {
                x0 = std::min(x0, std::max(p.x, 0.0));
                y0 = std::min(y0, std::max(p.y, 0.0));
                x1 = std::max(x1, std::min(p.x, static_cast<double>(S)));
                y1 = std::max(y1, std::min(p.y, static_cast<double>(S)));
            }
            const char *what = nullptr;
            if (o.empty() || x1 - x0 < m_minBoxSide || y1 - y0 < m_minBoxSide) {
                what = "box";
            } else if (m_withMasks) {
                mask.assign(m_cache.plane(), 0);
                core::fillPolygon(mask.data(), S, S, o, 1);
                if (std::none_of(mask.begin(), mask.end(), [](std::uint8_t v) { return v != 0; })) what = "mask";
            }
            if (what)
                m_warnings.push_back(m_cache.record(i).path + ": region " + std::to_string(r + 1) + " (" + core::shapeTypeName(regions[r].shape.type()) +
                                     ", class " + std::to_string(regions[r].classIndex + 1) + ") gives an empty " + what + " at " + std::to_string(S) +
                                     " px; skipped");
        }
    }
}

void InstanceMapper::beginTargets(Batch &batch, std::size_t n) const { batch.instances.assign(n, Instances{}); }

void InstanceMapper::addTargets(Batch &batch, std::size_t slot, std::size_t index, const SampleTransform &t) const
{
    const int S = m_cache.size();
    const auto &regions = m_cache.record(index).regions;
    std::vector<float> boxes;
    std::vector<std::int64_t> classes;
    std::vector<std::uint8_t> masks;
    std::vector<core::Point> moved;
    for (std::size_t r = 0; r < regions.size(); ++r) {
        moved.clear();
        for (const auto &p : m_outlines[index][r]) moved.push_back(t.forward(p));
        double x0 = moved.front().x, y0 = moved.front().y, x1 = x0, y1 = y0;
        for (const auto &p : moved) {
            x0 = std::min(x0, p.x);
            y0 = std::min(y0, p.y);
            x1 = std::max(x1, p.x);
            y1 = std::max(y1, p.y);
        }
        x0 = std::clamp(x0, 0.0, static_cast<double>(S));
        x1 = std::clamp(x1, 0.0, static_cast<double>(S));
        y0 = std::clamp(y0, 0.0, static_cast<double>(S));
        y1 = std::clamp(y1, 0.0, static_cast<double>(S));
        if (x1 - x0 < m_minBoxSide || y1 - y0 < m_minBoxSide) continue; // pushed out, or cut to a sliver
        if (m_withMasks) {
            const std::size_t at = masks.size();
            masks.resize(at + m_cache.plane(), 0);
            core::fillPolygon(masks.data() + at, S, S, moved, 1);
            if (std::none_of(masks.begin() + static_cast<long>(at), masks.end(), [](std::uint8_t v) { return v != 0; })) {
                masks.resize(at);
                continue;
            }
        }
        boxes.insert(boxes.end(), {static_cast<float>(x0), static_cast<float>(y0), static_cast<float>(x1), static_cast<float>(y1)});
        classes.push_back(regions[r].classIndex + 1);
    }
    const long n = static_cast<long>(classes.size());
    Instances &out = batch.instances[slot];
    out.boxes = n ? torch::from_blob(boxes.data(), {n, 4}, torch::kFloat).clone() : torch::zeros({0, 4});
    out.classes = n ? torch::from_blob(classes.data(), {n}, torch::kLong).clone() : torch::zeros({0}, torch::kLong);
    if (m_withMasks) out.masks = n ? torch::from_blob(masks.data(), {n, S, S}, torch::kUInt8).clone() : torch::zeros({0, S, S}, torch::kUInt8);
}

} // namespace training
