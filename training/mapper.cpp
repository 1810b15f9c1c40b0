#include "training/mapper.h"

#include <algorithm>
#include <cmath>

namespace training {

namespace {

// The bounding box of the picture's corners moved by t, in whole canvas pixels; across
// the picture's longer side the whole canvas.
std::array<int, 4> contentBox(const SampleTransform &t, int w, int h, int S)
{
    double x0 = S, y0 = S, x1 = 0, y1 = 0;
    for (const core::Point c : {core::Point{0, 0}, core::Point{double(w), 0}, core::Point{0, double(h)}, core::Point{double(w), double(h)}}) {
        const core::Point q = t.forward(c);
        x0 = std::min(x0, q.x), y0 = std::min(y0, q.y), x1 = std::max(x1, q.x), y1 = std::max(y1, q.y);
    }
    std::array<int, 4> box{std::clamp(static_cast<int>(std::floor(x0)), 0, S - 1), std::clamp(static_cast<int>(std::floor(y0)), 0, S - 1),
                           std::clamp(static_cast<int>(std::ceil(x1)), 1, S), std::clamp(static_cast<int>(std::ceil(y1)), 1, S)};
    if (box[2] <= box[0]) box[0] = 0, box[2] = S; // moved off the canvas: keep it all
    if (box[3] <= box[1]) box[1] = 0, box[3] = S;
    if (w >= h) box[0] = 0, box[2] = S;
    else box[1] = 0, box[3] = S;
    return box;
}

} // namespace

Batch Mapper::map(const std::vector<std::size_t> &indices, const Augment &aug, std::uint64_t seed) const
{
    const int C = m_cache.channels(), S = m_cache.size();
    const std::size_t n = indices.size(), per = m_cache.perImage();
    Batch batch;
    batch.indices = indices;
    batch.images = torch::empty({static_cast<long>(n), C, S, S});
    beginTargets(batch, n);
    float *out = batch.images.data_ptr<float>();
    core::SplitMix64 rng{seed};
    for (std::size_t b = 0; b < n; ++b) {
        const SampleTransform t = SampleTransform::draw(aug, S, rng);
        float *dst = out + b * per;
        t.warpImage(m_cache.image(indices[b]), C, dst);
        addTargets(batch, b, indices[b], t);
        batch.content.push_back(contentBox(t, m_cache.contentWidth(indices[b]), m_cache.contentHeight(indices[b]), S));
        applyPhotometric(aug, dst, C, S, rng);
    }
    return batch;
}

} // namespace training
