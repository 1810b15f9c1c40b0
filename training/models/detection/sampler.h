#pragma once
// torchvision's BalancedPositiveNegativeSampler: per image, up to
// batchSizePerImage * positiveFraction positives (label >= 1) and the rest of the
// batch in negatives (label == 0), each drawn by torch::randperm from the global
// generator (same draws, in the same order, as torchvision for the same seed).
#include <torch/torch.h>

#include <vector>

namespace training::detection {

class BalancedPositiveNegativeSampler {
public:
    BalancedPositiveNegativeSampler(int64_t batchSizePerImage, double positiveFraction);

    struct Sample {
        torch::Tensor positive; // uint8 mask like the labels: 1 for each sampled positive
        torch::Tensor negative; // uint8 mask: 1 for each sampled negative
    };
    // labels per image: -1 ignored, 0 negative, >= 1 positive (any numeric dtype).
    std::vector<Sample> operator()(const std::vector<torch::Tensor> &labels) const;

private:
    int64_t m_batch;
    double m_fraction;
};

} // namespace training::detection
