#pragma once
// Classification: an image and its class index.
#include "training/mapper.h"

namespace training {

class ClassificationMapper : public Mapper {
public:
    using Mapper::Mapper;

protected:
    void beginTargets(Batch &batch, std::size_t n) const override;
    void addTargets(Batch &batch, std::size_t slot, std::size_t index, const SampleTransform &t) const override;
};

} // namespace training
