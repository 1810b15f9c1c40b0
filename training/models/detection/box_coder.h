#pragma once
// torchvision's BoxCoder: boxes as (dx, dy, dw, dh) offsets from reference boxes,
// weighted; decoding clamps dw and dh at log(1000 / 16) so exp() cannot overflow.
#include <torch/torch.h>

#include <array>
#include <cmath>

namespace training::detection {

class BoxCoder {
public:
    explicit BoxCoder(std::array<double, 4> weights, double bboxXformClip = std::log(1000.0 / 16));

    // Offsets of `boxes` (N x 4, e.g. matched ground truth) from `reference` (N x 4,
    // anchors or proposals), N x 4.
    torch::Tensor encode(const torch::Tensor &boxes, const torch::Tensor &reference) const;
    // Boxes from offsets relCodes (N x 4K: K boxes per reference) applied to
    // reference (N x 4): N x 4K, XYXY.
    torch::Tensor decode(const torch::Tensor &relCodes, const torch::Tensor &reference) const;

    const std::array<double, 4> &weights() const { return m_weights; }

private:
    std::array<double, 4> m_weights;
    double m_clip;
};

} // namespace training::detection
