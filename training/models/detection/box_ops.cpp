#include "training/models/detection/box_ops.h"

#include "training/models/detection/torchvision_ops.h"

namespace training::detection {

using torch::indexing::Slice;

namespace {

void checkBoxes(const torch::Tensor &boxes, const char *what)
{
    TORCH_CHECK(boxes.defined(), what, " is an undefined tensor");
    TORCH_CHECK(boxes.dim() == 2, what, " must be 2-D, got ", boxes.dim(), "-D");
    TORCH_CHECK(boxes.size(1) == 4, what, " must be N x 4 (x1, y1, x2, y2), got N x ", boxes.size(1));
}

} // namespace

torch::Tensor boxArea(const torch::Tensor &boxes)
{
    checkBoxes(boxes, "boxes");
    return (boxes.select(1, 2) - boxes.select(1, 0)) * (boxes.select(1, 3) - boxes.select(1, 1));
}

torch::Tensor boxIou(const torch::Tensor &boxes1, const torch::Tensor &boxes2)
{
    checkBoxes(boxes1, "boxes1");
    checkBoxes(boxes2, "boxes2");
    const torch::Tensor area1 = boxArea(boxes1), area2 = boxArea(boxes2);
    const torch::Tensor lt = torch::max(boxes1.index({Slice(), torch::indexing::None, Slice(0, 2)}), boxes2.index({Slice(), Slice(0, 2)}));
    const torch::Tensor rb = torch::min(boxes1.index({Slice(), torch::indexing::None, Slice(2, 4)}), boxes2.index({Slice(), Slice(2, 4)}));
    const torch::Tensor wh = (rb - lt).clamp_min(0);
    const torch::Tensor inter = wh.select(2, 0) * wh.select(2, 1);
    const torch::Tensor uni = area1.unsqueeze(1) + area2 - inter;
    return inter / uni;
}

torch::Tensor clipBoxesToImage(const torch::Tensor &boxes, int64_t height, int64_t width)
{
    TORCH_CHECK(boxes.defined() && boxes.size(-1) == 4, "boxes must be ... x 4 (x1, y1, x2, y2)");
    const torch::Tensor x = boxes.index({"...", Slice(0, torch::indexing::None, 2)}).clamp(0, width);
    const torch::Tensor y = boxes.index({"...", Slice(1, torch::indexing::None, 2)}).clamp(0, height);
    return torch::stack({x, y}, boxes.dim()).reshape(boxes.sizes());
}

torch::Tensor removeSmallBoxes(const torch::Tensor &boxes, double minSize)
{
    checkBoxes(boxes, "boxes");
    const torch::Tensor ws = boxes.select(1, 2) - boxes.select(1, 0), hs = boxes.select(1, 3) - boxes.select(1, 1);
    return torch::where((ws >= minSize) & (hs >= minSize))[0];
}

torch::Tensor batchedNms(const torch::Tensor &boxes, const torch::Tensor &scores, const torch::Tensor &idxs, double iouThreshold)
{
    checkBoxes(boxes, "boxes");
    TORCH_CHECK(scores.dim() == 1 && scores.size(0) == boxes.size(0), "scores must be 1-D with one score per box");
    TORCH_CHECK(idxs.dim() == 1 && idxs.size(0) == boxes.size(0), "idxs must be 1-D with one category per box");
    const auto longs = torch::TensorOptions().dtype(torch::kLong).device(boxes.device());
    if (boxes.size(0) == 0) return torch::empty({0}, longs);
    if (boxes.numel() > (boxes.is_cuda() ? 20000 : 4000)) {
        torch::Tensor keepMask = torch::zeros_like(scores, torch::TensorOptions().dtype(torch::kBool));
        const torch::Tensor classes = std::get<0>(at::_unique(idxs, /*sorted=*/true));
        for (int64_t c = 0; c < classes.size(0); ++c) {
            const torch::Tensor current = torch::where(idxs == classes[c])[0];
            const torch::Tensor kept = nms(boxes.index_select(0, current), scores.index_select(0, current), iouThreshold);
            keepMask.index_put_({current.index_select(0, kept)}, true);
        }
        const torch::Tensor keep = torch::where(keepMask)[0];
        return keep.index_select(0, std::get<1>(scores.index_select(0, keep).sort(-1, /*descending=*/true)));
    }
    // Shift each category far enough that boxes of different categories never overlap.
    const torch::Tensor maxCoordinate = boxes.max();
    const torch::Tensor offsets = idxs.to(boxes.scalar_type()) * (maxCoordinate + 1);
    return nms(boxes + offsets.unsqueeze(1), scores, iouThreshold);
}

} // namespace training::detection
