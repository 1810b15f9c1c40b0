#pragma once
// Detection and instance segmentation: per image the boxes, classes and (with masks)
// instance masks of its regions, moved with the image. Every shape gives its box:
// its outline (a circle's or an ellipse's sampled finely) is transformed point by
// point, so a rotation gives the rotated outline's tight box, and the instance mask
// is that outline rasterised at the canvas size with core's pixel-centre rule (no
// raster is warped). A box pushed entirely out of the canvas is dropped, one cut by
// the border is clipped to it, and one left thinner than `minBoxSide` pixels (or a
// mask left empty) is dropped too. An image without regions has no instances: a
// negative, not an error.
#include "training/mapper.h"

namespace training {

class InstanceMapper : public Mapper {
public:
    InstanceMapper(ImageCache cache, bool withMasks, double minBoxSide = 1.0);
    // "IMAGE: region N (SHAPE, class K) gives an empty box|mask at S px; skipped" for
    // each region that yields no target even unaugmented.
    std::vector<std::string> warnings() const override { return m_warnings; }

protected:
    void beginTargets(Batch &batch, std::size_t n) const override;
    void addTargets(Batch &batch, std::size_t slot, std::size_t index, const SampleTransform &t) const override;

private:
    bool m_withMasks;
    double m_minBoxSide;
    std::vector<std::vector<std::vector<core::Point>>> m_outlines; // per image, per region: canvas pixels
    std::vector<std::string> m_warnings;
};

} // namespace training
