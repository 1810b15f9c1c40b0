#pragma once
// torchvision's own C++ kernels (RoIAlign with its backward, NMS), taken from the
// op library of the installed torchvision (torchvision/_C*.so, a plain C++ shared
// object that links only libtorch) and called through LibTorch's dispatcher, so
// CPU and CUDA tensors reach torchvision's CPU and CUDA kernels.
//
// The library is found at configure time (CMake cache variable
// ANNOTRAIN_TORCHVISION_DIR, default: the folder of /usr/bin/python3's
// torchvision) and loaded on first use; the environment variable
// ANNOTRAIN_TORCHVISION_OPS, when set, names another file to load instead.
#include <torch/torch.h>

#include <string>

namespace training::detection {

// The op library this process loads (or has loaded).
std::string torchvisionOpsPath();
// Loads the op library once. Throws std::runtime_error naming the file and what to
// do when it is missing or does not register torchvision's ops.
void requireTorchvisionOps();

// torchvision::roi_align. input: N x C x H x W floating; rois: K x 5 (batch
// index, x1, y1, x2, y2) in input pixels before spatialScale. Returns
// K x C x pooledHeight x pooledWidth. Differentiable (torchvision's backward).
torch::Tensor roiAlign(const torch::Tensor &input, const torch::Tensor &rois, double spatialScale, int64_t pooledHeight,
                       int64_t pooledWidth, int64_t samplingRatio, bool aligned);
// torchvision::_roi_align_backward: the gradient of roiAlign's input (N x C x H x W)
// for the gradient `grad` of its output.
torch::Tensor roiAlignBackward(const torch::Tensor &grad, const torch::Tensor &rois, double spatialScale, int64_t pooledHeight,
                               int64_t pooledWidth, int64_t batchSize, int64_t channels, int64_t height, int64_t width,
                               int64_t samplingRatio, bool aligned);
// torchvision::nms. boxes: N x 4 XYXY; scores: N. Returns the int64 indices of
// the kept boxes in decreasing order of score.
torch::Tensor nms(const torch::Tensor &boxes, const torch::Tensor &scores, double iouThreshold);

} // namespace training::detection
