#include "training/models/detection/sampler.h"

#include <algorithm>

namespace training::detection {

BalancedPositiveNegativeSampler::BalancedPositiveNegativeSampler(int64_t batchSizePerImage, double positiveFraction)
    : m_batch(batchSizePerImage), m_fraction(positiveFraction)
{
}

std::vector<BalancedPositiveNegativeSampler::Sample> BalancedPositiveNegativeSampler::operator()(const std::vector<torch::Tensor> &labels) const
{
    std::vector<Sample> out;
    out.reserve(labels.size());
    for (const torch::Tensor &l : labels) {
        TORCH_CHECK(l.dim() == 1, "sampler labels must be 1-D per image, got ", l.dim(), "-D");
        const torch::Tensor positive = torch::where(l >= 1)[0];
        const torch::Tensor negative = torch::where(l == 0)[0];
        const int64_t numPos = std::min(positive.numel(), static_cast<int64_t>(static_cast<double>(m_batch) * m_fraction));
        const int64_t numNeg = std::min(negative.numel(), m_batch - numPos);
        const auto longs = torch::TensorOptions().dtype(torch::kLong).device(l.device());
        const torch::Tensor perm1 = torch::randperm(positive.numel(), longs).slice(0, 0, numPos);
        const torch::Tensor perm2 = torch::randperm(negative.numel(), longs).slice(0, 0, numNeg);
        Sample s{torch::zeros_like(l, torch::TensorOptions().dtype(torch::kByte)), torch::zeros_like(l, torch::TensorOptions().dtype(torch::kByte))};
        s.positive.index_put_({positive.index_select(0, perm1)}, 1);
        s.negative.index_put_({negative.index_select(0, perm2)}, 1);
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace training::detection
