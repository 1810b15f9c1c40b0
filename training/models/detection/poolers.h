#pragma once
// torchvision's MultiScaleRoIAlign over FPN levels: each box is pooled from the
// level k = floor(4 + log2(sqrt(area) / 224) + 1e-6), clamped to the levels
// present (the FPN paper's eq. 1), with torchvision's RoIAlign kernel.
#include <torch/torch.h>

#include <array>
#include <vector>

namespace training::detection {

// Height and width of each image of a batch before padding.
using ImageSizes = std::vector<std::array<int64_t, 2>>;

class LevelMapper {
public:
    LevelMapper(int64_t kMin, int64_t kMax, int64_t canonicalScale = 224, int64_t canonicalLevel = 4, double eps = 1e-6);
    // The level index (0 = kMin) of every box of every image, concatenated: int64.
    torch::Tensor operator()(const std::vector<torch::Tensor> &boxes) const;

private:
    int64_t m_kMin, m_kMax, m_s0, m_lvl0;
    double m_eps;
};

class MultiScaleRoIAlign {
public:
    // aligned = false, as torchvision's detection heads use it.
    MultiScaleRoIAlign(int64_t outputSize, int64_t samplingRatio, int64_t canonicalScale = 224, int64_t canonicalLevel = 4);

    // features: the pooled levels (N x C x H_l x W_l, finest first); boxes: per
    // image K_i x 4 XYXY in the pixels of the resized images; imageSizes: those
    // images' sizes. Returns sum(K_i) x C x S x S, boxes in image order.
    torch::Tensor operator()(const std::vector<torch::Tensor> &features, const std::vector<torch::Tensor> &boxes,
                             const ImageSizes &imageSizes) const;

    int64_t outputSize() const { return m_output; }

private:
    int64_t m_output, m_sampling, m_s0, m_lvl0;
};

// Scale of a feature map relative to the images, a power of two (torchvision's _infer_scale).
double inferScale(const torch::Tensor &feature, const std::array<int64_t, 2> &maxImageSize);
// K x 5 rois (batch index, x1, y1, x2, y2) from per-image boxes.
torch::Tensor toRoiFormat(const std::vector<torch::Tensor> &boxes);

} // namespace training::detection
