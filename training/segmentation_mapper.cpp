#include "training/segmentation_mapper.h"

#include "core/rasterize.h"

namespace training {

SegmentationMapper::SegmentationMapper(ImageCache cache) : Mapper(std::move(cache))
{
    const int S = m_cache.size();
    m_masks.assign(m_cache.count() * m_cache.plane(), 0);
    for (std::size_t i = 0; i < m_cache.count(); ++i)
        for (const auto &r : m_cache.record(i).regions)
            core::fillPolygon(m_masks.data() + i * m_cache.plane(), S, S, m_cache.outline(i, r.shape), static_cast<std::uint8_t>(r.classIndex + 1));
}

void SegmentationMapper::beginTargets(Batch &batch, std::size_t n) const
{
    batch.masks = torch::empty({static_cast<long>(n), m_cache.size(), m_cache.size()}, torch::kLong);
}

void SegmentationMapper::addTargets(Batch &batch, std::size_t slot, std::size_t index, const SampleTransform &t) const
{
    t.warpLabels(m_masks.data() + index * m_cache.plane(), batch.masks.data_ptr<std::int64_t>() + slot * m_cache.plane(), kIgnore);
}

} // namespace training
