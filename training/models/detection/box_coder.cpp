#include "training/models/detection/box_coder.h"

namespace training::detection {

using torch::indexing::None;
using torch::indexing::Slice;

BoxCoder::BoxCoder(std::array<double, 4> weights, double bboxXformClip) : m_weights(weights), m_clip(bboxXformClip) {}

torch::Tensor BoxCoder::encode(const torch::Tensor &boxes, const torch::Tensor &reference) const
{
    TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "boxes to encode must be N x 4, got ", boxes.sizes());
    TORCH_CHECK(reference.dim() == 2 && reference.size(1) == 4 && reference.size(0) == boxes.size(0),
                "reference boxes must be N x 4 like the boxes, got ", reference.sizes(), " for ", boxes.sizes());
    auto col = [](const torch::Tensor &t, int64_t i) { return t.select(1, i).unsqueeze(1); };
    // torchvision computes with the weights as a tensor of the boxes' dtype.
    const torch::Tensor w = torch::tensor(std::vector<double>(m_weights.begin(), m_weights.end()), boxes.options());
    const torch::Tensor exW = col(reference, 2) - col(reference, 0), exH = col(reference, 3) - col(reference, 1);
    const torch::Tensor exX = col(reference, 0) + 0.5 * exW, exY = col(reference, 1) + 0.5 * exH;
    const torch::Tensor gtW = col(boxes, 2) - col(boxes, 0), gtH = col(boxes, 3) - col(boxes, 1);
    const torch::Tensor gtX = col(boxes, 0) + 0.5 * gtW, gtY = col(boxes, 1) + 0.5 * gtH;
    const torch::Tensor dx = w[0] * (gtX - exX) / exW;
    const torch::Tensor dy = w[1] * (gtY - exY) / exH;
    const torch::Tensor dw = w[2] * torch::log(gtW / exW);
    const torch::Tensor dh = w[3] * torch::log(gtH / exH);
    return torch::cat({dx, dy, dw, dh}, 1);
}

torch::Tensor BoxCoder::decode(const torch::Tensor &relCodes, const torch::Tensor &reference) const
{
    TORCH_CHECK(relCodes.dim() == 2 && relCodes.size(1) % 4 == 0, "box offsets must be N x 4K, got ", relCodes.sizes());
    TORCH_CHECK(reference.dim() == 2 && reference.size(1) == 4 && reference.size(0) == relCodes.size(0),
                "reference boxes must be N x 4 with N like the offsets, got ", reference.sizes(), " for ", relCodes.sizes());
    const torch::Tensor boxes = reference.to(relCodes.scalar_type());
    const torch::Tensor widths = boxes.select(1, 2) - boxes.select(1, 0), heights = boxes.select(1, 3) - boxes.select(1, 1);
    const torch::Tensor ctrX = boxes.select(1, 0) + 0.5 * widths, ctrY = boxes.select(1, 1) + 0.5 * heights;
    auto every4 = [&](int64_t start) { return relCodes.index({Slice(), Slice(start, None, 4)}); };
    const torch::Tensor dx = every4(0) / m_weights[0], dy = every4(1) / m_weights[1];
    const torch::Tensor dw = (every4(2) / m_weights[2]).clamp_max(m_clip), dh = (every4(3) / m_weights[3]).clamp_max(m_clip);
    const torch::Tensor predX = dx * widths.unsqueeze(1) + ctrX.unsqueeze(1);
    const torch::Tensor predY = dy * heights.unsqueeze(1) + ctrY.unsqueeze(1);
    const torch::Tensor predW = torch::exp(dw) * widths.unsqueeze(1), predH = torch::exp(dh) * heights.unsqueeze(1);
    const torch::Tensor halfW = 0.5 * predW, halfH = 0.5 * predH;
    return torch::stack({predX - halfW, predY - halfH, predX + halfW, predY + halfH}, 2).flatten(1);
}

} // namespace training::detection
