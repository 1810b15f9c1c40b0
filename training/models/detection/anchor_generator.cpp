#include "training/models/detection/anchor_generator.h"

#include <stdexcept>

namespace training::detection {

AnchorGenerator::AnchorGenerator(std::vector<std::vector<double>> sizes, std::vector<std::vector<double>> aspectRatios)
    : m_sizes(std::move(sizes)), m_ratios(std::move(aspectRatios))
{
    if (m_sizes.empty() || m_sizes.size() != m_ratios.size())
        throw std::invalid_argument("anchor generator: one list of sizes and one of aspect ratios per feature level");
    for (std::size_t l = 0; l < m_sizes.size(); ++l) {
        if (m_sizes[l].empty() || m_ratios[l].empty()) throw std::invalid_argument("anchor generator: empty sizes or aspect ratios");
        for (double v : m_sizes[l])
            if (!(v > 0)) throw std::invalid_argument("anchor generator: anchor sizes must be positive");
        for (double v : m_ratios[l])
            if (!(v > 0)) throw std::invalid_argument("anchor generator: aspect ratios must be positive");
        const torch::Tensor scales = torch::tensor(m_sizes[l], torch::kFloat);
        const torch::Tensor ratios = torch::tensor(m_ratios[l], torch::kFloat);
        const torch::Tensor hRatios = torch::sqrt(ratios);
        const torch::Tensor wRatios = 1 / hRatios;
        const torch::Tensor ws = (wRatios.unsqueeze(1) * scales.unsqueeze(0)).view(-1);
        const torch::Tensor hs = (hRatios.unsqueeze(1) * scales.unsqueeze(0)).view(-1);
        m_cellAnchors.push_back((torch::stack({-ws, -hs, ws, hs}, 1) / 2).round());
    }
}

std::vector<int64_t> AnchorGenerator::numAnchorsPerLocation() const
{
    std::vector<int64_t> n;
    for (std::size_t l = 0; l < m_sizes.size(); ++l) n.push_back(static_cast<int64_t>(m_sizes[l].size() * m_ratios[l].size()));
    return n;
}

torch::Tensor AnchorGenerator::operator()(int64_t batchHeight, int64_t batchWidth, const std::vector<torch::Tensor> &features) const
{
    TORCH_CHECK(features.size() == m_cellAnchors.size(), "anchor generator: ", m_cellAnchors.size(), " levels of sizes and aspect ratios, ",
                features.size(), " feature maps");
    const torch::Tensor &first = features.front();
    std::vector<int64_t> key{batchHeight, batchWidth, static_cast<int64_t>(first.scalar_type()), static_cast<int64_t>(first.device().type()),
                             first.device().index()};
    for (const auto &f : features) key.insert(key.end(), {f.size(-2), f.size(-1)});
    std::lock_guard<std::mutex> lock(m_cache->mutex);
    if (auto it = m_cache->anchors.find(key); it != m_cache->anchors.end()) return it->second;

    std::vector<torch::Tensor> all;
    for (std::size_t l = 0; l < features.size(); ++l) {
        const int64_t gh = features[l].size(-2), gw = features[l].size(-1);
        // Strides in whole pixels of the padded batch, as torchvision (integer division).
        const int64_t sh = batchHeight / gh, sw = batchWidth / gw;
        const auto ints = torch::TensorOptions().dtype(torch::kInt).device(first.device());
        const torch::Tensor shiftsX = torch::arange(0, gw, ints) * sw;
        const torch::Tensor shiftsY = torch::arange(0, gh, ints) * sh;
        const auto grid = torch::meshgrid({shiftsY, shiftsX}, "ij");
        const torch::Tensor sy = grid[0].reshape(-1), sx = grid[1].reshape(-1);
        const torch::Tensor shifts = torch::stack({sx, sy, sx, sy}, 1);
        const torch::Tensor base = m_cellAnchors[l].to(first.device(), first.scalar_type());
        all.push_back((shifts.view({-1, 1, 4}) + base.view({1, -1, 4})).reshape({-1, 4}));
    }
    torch::Tensor anchors = torch::cat(all);
    if (m_cache->anchors.size() > 64) m_cache->anchors.clear(); // sizes vary with the images; keep the cache small
    m_cache->anchors.emplace(std::move(key), anchors);
    return anchors;
}

} // namespace training::detection
