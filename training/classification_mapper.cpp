#include "training/classification_mapper.h"

namespace training {

void ClassificationMapper::beginTargets(Batch &batch, std::size_t n) const { batch.labels = torch::empty({static_cast<long>(n)}, torch::kLong); }

void ClassificationMapper::addTargets(Batch &batch, std::size_t slot, std::size_t index, const SampleTransform &) const
{
    batch.labels.data_ptr<std::int64_t>()[slot] = m_cache.record(index).label;
}

} // namespace training
