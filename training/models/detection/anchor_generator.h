#pragma once
// torchvision's AnchorGenerator: for feature level l, sizes[l] x aspectRatios[l]
// anchors (aspect = height / width) centred on every feature cell, in the
// pixels of the padded image batch, XYXY. Anchor order: level, then cell (row
// major), then aspect ratio, then size; the RPN head's outputs follow it.
#include <torch/torch.h>

#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace training::detection {

class AnchorGenerator {
public:
    // One list of sizes and one of aspect ratios per feature level. Throws
    // std::invalid_argument when the level counts differ or a list is empty.
    AnchorGenerator(std::vector<std::vector<double>> sizes, std::vector<std::vector<double>> aspectRatios);

    std::vector<int64_t> numAnchorsPerLocation() const;
    // The zero-centred, rounded anchors of one level: (sizes x ratios) x 4.
    const torch::Tensor &cellAnchors(std::size_t level) const { return m_cellAnchors[level]; }

    // Anchors for a batch padded to batchHeight x batchWidth with one feature map
    // per level (only their sizes, dtype and device matter): sum(H_l W_l A_l) x 4,
    // the same for every image of the batch.
    torch::Tensor operator()(int64_t batchHeight, int64_t batchWidth, const std::vector<torch::Tensor> &features) const;

private:
    std::vector<std::vector<double>> m_sizes, m_ratios;
    std::vector<torch::Tensor> m_cellAnchors;
    struct Cache {
        std::mutex mutex;
        std::map<std::vector<int64_t>, torch::Tensor> anchors; // by batch and grid sizes, dtype, device
    };
    std::shared_ptr<Cache> m_cache = std::make_shared<Cache>();
};

} // namespace training::detection
