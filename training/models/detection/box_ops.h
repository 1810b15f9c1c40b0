#pragma once
// Box functions of torchvision.ops.boxes in ATen, same arithmetic in the same
// order. Boxes are N x 4 XYXY in pixels (pixel corners: a box [x1, x2) covers
// x2 - x1 pixels), floating point.
#include <torch/torch.h>

namespace training::detection {

// (x2 - x1) * (y2 - y1), N.
torch::Tensor boxArea(const torch::Tensor &boxes);
// Intersection over union, N x M for boxes N x 4 and M x 4.
torch::Tensor boxIou(const torch::Tensor &boxes1, const torch::Tensor &boxes2);
// Clamps x to [0, width] and y to [0, height]; any shape ... x 4.
torch::Tensor clipBoxesToImage(const torch::Tensor &boxes, int64_t height, int64_t width);
// Indices (int64) of the boxes whose width and height are both >= minSize.
torch::Tensor removeSmallBoxes(const torch::Tensor &boxes, double minSize);
// NMS within each category of idxs (N, integral): boxes of different categories
// never suppress each other. Indices kept, in decreasing order of score. As
// torchvision: the coordinate-offset trick up to 4,000 coordinates on the CPU
// (20,000 on CUDA), one NMS per category beyond.
torch::Tensor batchedNms(const torch::Tensor &boxes, const torch::Tensor &scores, const torch::Tensor &idxs, double iouThreshold);

} // namespace training::detection
