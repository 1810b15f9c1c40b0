#include "training/models/detection/matcher.h"

#include <stdexcept>

namespace training::detection {

Matcher::Matcher(double highThreshold, double lowThreshold, bool allowLowQualityMatches)
    : m_high(highThreshold), m_low(lowThreshold), m_lowQuality(allowLowQualityMatches)
{
    if (lowThreshold > highThreshold) throw std::invalid_argument("matcher: the low IoU threshold must not exceed the high one");
}

torch::Tensor Matcher::operator()(const torch::Tensor &quality) const
{
    TORCH_CHECK(quality.dim() == 2, "match quality must be a 2-D matrix (ground truth x predictions), got ", quality.dim(), "-D");
    TORCH_CHECK(quality.size(0) > 0, "No ground-truth boxes available for one of the images during training");
    TORCH_CHECK(quality.size(1) > 0, "No proposal boxes available for one of the images during training");
    auto [values, matches] = quality.max(0);
    const torch::Tensor all = m_lowQuality ? matches.clone() : torch::Tensor();
    const torch::Tensor below = values < m_low;
    const torch::Tensor between = (values >= m_low) & (values < m_high);
    matches.masked_fill_(below, kBelowLow);
    matches.masked_fill_(between, kBetween);
    if (m_lowQuality) {
        const torch::Tensor highest = std::get<0>(quality.max(1));
        const torch::Tensor preds = torch::where(quality == highest.unsqueeze(1))[1];
        matches.index_put_({preds}, all.index_select(0, preds));
    }
    return matches;
}

} // namespace training::detection
