#include "training/mapper.h"

namespace training {

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
        applyPhotometric(aug, dst, C, S, rng);
    }
    return batch;
}

} // namespace training
