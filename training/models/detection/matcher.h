#pragma once
// torchvision's Matcher: assigns each prediction (anchor, proposal) the ground
// truth it overlaps most, or kBelowLow / kBetween when that overlap is below the
// thresholds; with low-quality matches, every ground truth also keeps the
// predictions it overlaps most, however little (ties included).
#include <torch/torch.h>

namespace training::detection {

class Matcher {
public:
    static constexpr int64_t kBelowLow = -1;
    static constexpr int64_t kBetween = -2;

    // Throws std::invalid_argument when lowThreshold > highThreshold.
    Matcher(double highThreshold, double lowThreshold, bool allowLowQualityMatches);

    // quality: M x N (ground truth x predictions, e.g. IoU), M and N > 0.
    // Returns N int64: a ground-truth index in [0, M), kBelowLow or kBetween.
    // Throws c10::Error when M or N is 0, as torchvision does.
    torch::Tensor operator()(const torch::Tensor &quality) const;

private:
    double m_high, m_low;
    bool m_lowQuality;
};

} // namespace training::detection
