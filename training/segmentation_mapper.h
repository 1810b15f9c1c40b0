#pragma once
// Semantic segmentation: an image and its class mask (class index + 1 per pixel, 0
// background), rasterised once at the canvas size with core's pixel-centre rule and
// moved with the image (nearest); pixels the transform brings in from outside are kIgnore.
#include "training/mapper.h"

namespace training {

class SegmentationMapper : public Mapper {
public:
    explicit SegmentationMapper(ImageCache cache);

protected:
    void beginTargets(Batch &batch, std::size_t n) const override;
    void addTargets(Batch &batch, std::size_t slot, std::size_t index, const SampleTransform &t) const override;

private:
    std::vector<std::uint8_t> m_masks; // S x S per image
};

} // namespace training
