#include "training/models/detection/poolers.h"

#include "training/models/detection/box_ops.h"
#include "training/models/detection/torchvision_ops.h"

#include <cmath>

namespace training::detection {

LevelMapper::LevelMapper(int64_t kMin, int64_t kMax, int64_t canonicalScale, int64_t canonicalLevel, double eps)
    : m_kMin(kMin), m_kMax(kMax), m_s0(canonicalScale), m_lvl0(canonicalLevel), m_eps(eps)
{
}

torch::Tensor LevelMapper::operator()(const std::vector<torch::Tensor> &boxes) const
{
    std::vector<torch::Tensor> areas;
    for (const auto &b : boxes) areas.push_back(boxArea(b));
    const torch::Tensor s = torch::sqrt(torch::cat(areas));
    const torch::Tensor eps = torch::tensor(m_eps, s.options());
    const torch::Tensor levels = torch::floor(torch::log2(s / static_cast<double>(m_s0)) + static_cast<double>(m_lvl0) + eps);
    return levels.clamp(m_kMin, m_kMax).to(torch::kLong) - m_kMin;
}

double inferScale(const torch::Tensor &feature, const std::array<int64_t, 2> &maxImageSize)
{
    // torchvision takes the height's scale: 2 ** round(log2(feature_h / image_h)), computed in float32.
    const float approx = static_cast<float>(static_cast<double>(feature.size(-2)) / static_cast<double>(maxImageSize[0]));
    return std::pow(2.0, static_cast<double>(std::nearbyint(std::log2(approx))));
}

torch::Tensor toRoiFormat(const std::vector<torch::Tensor> &boxes)
{
    std::vector<torch::Tensor> rows;
    for (std::size_t i = 0; i < boxes.size(); ++i)
        rows.push_back(torch::cat({torch::full({boxes[i].size(0), 1}, static_cast<double>(i), boxes[i].options()), boxes[i]}, 1));
    return torch::cat(rows);
}

MultiScaleRoIAlign::MultiScaleRoIAlign(int64_t outputSize, int64_t samplingRatio, int64_t canonicalScale, int64_t canonicalLevel)
    : m_output(outputSize), m_sampling(samplingRatio), m_s0(canonicalScale), m_lvl0(canonicalLevel)
{
}

torch::Tensor MultiScaleRoIAlign::operator()(const std::vector<torch::Tensor> &features, const std::vector<torch::Tensor> &boxes,
                                             const ImageSizes &imageSizes) const
{
    TORCH_CHECK(!features.empty(), "MultiScaleRoIAlign needs at least one feature map");
    TORCH_CHECK(!imageSizes.empty(), "images list should not be empty");
    TORCH_CHECK(boxes.size() == imageSizes.size(), "MultiScaleRoIAlign: ", boxes.size(), " box lists for ", imageSizes.size(), " images");
    std::array<int64_t, 2> maxSize{0, 0};
    for (const auto &s : imageSizes) maxSize = {std::max(maxSize[0], s[0]), std::max(maxSize[1], s[1])};
    std::vector<double> scales;
    for (const auto &f : features) scales.push_back(inferScale(f, maxSize));
    const torch::Tensor rois = toRoiFormat(boxes);
    if (features.size() == 1) return roiAlign(features[0], rois, scales[0], m_output, m_output, m_sampling, false);

    const auto kMin = static_cast<int64_t>(-std::log2(static_cast<float>(scales.front())));
    const auto kMax = static_cast<int64_t>(-std::log2(static_cast<float>(scales.back())));
    const torch::Tensor levels = LevelMapper(kMin, kMax, m_s0, m_lvl0)(boxes);
    const torch::Tensor &f0 = features.front();
    torch::Tensor result = torch::zeros({rois.size(0), f0.size(1), m_output, m_output}, f0.options());
    for (std::size_t l = 0; l < features.size(); ++l) {
        const torch::Tensor idx = torch::where(levels == static_cast<int64_t>(l))[0];
        const torch::Tensor pooled = roiAlign(features[l], rois.index_select(0, idx), scales[l], m_output, m_output, m_sampling, false);
        result.index_put_({idx}, pooled.to(result.scalar_type()));
    }
    return result;
}

} // namespace training::detection
