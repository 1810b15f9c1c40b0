#pragma once
// torchvision's RoIHeads with its Faster R-CNN box branch (box_head: TwoMLPHead
// fc6, fc7; box_predictor: FastRCNNPredictor cls_score, bbox_pred) and Mask R-CNN
// mask branch (mask_head: four 3 x 3 conv + ReLU, mask_head.i.0; mask_predictor:
// conv5_mask (2 x 2 transposed, stride 2), ReLU, mask_fcn_logits). Training
// samples proposals against the targets and returns loss_classifier,
// loss_box_reg and loss_mask; inference keeps per class the boxes above the
// score threshold after NMS, the best detectionsPerImg of them, and their masks.
#include "training/models/detection/box_coder.h"
#include "training/models/detection/matcher.h"
#include "training/models/detection/poolers.h"
#include "training/models/detection/sampler.h"
#include "training/models/detection/transform.h"

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace training::detection {

struct TwoMLPHeadImpl : torch::nn::Module {
    torch::nn::Linear fc6{nullptr}, fc7{nullptr};
    TwoMLPHeadImpl(int inChannels, int representationSize);
    torch::Tensor forward(const torch::Tensor &x);
};
TORCH_MODULE(TwoMLPHead);

struct FastRCNNPredictorImpl : torch::nn::Module {
    torch::nn::Linear cls_score{nullptr}, bbox_pred{nullptr};
    FastRCNNPredictorImpl(int inChannels, int numClasses);
    // Class logits K x numClasses and box offsets K x 4 numClasses.
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor &x);
};
TORCH_MODULE(FastRCNNPredictor);

// The mask head (mask_head.i.0: four 3 x 3 convolutions + ReLU) and predictor
// (mask_predictor: conv5_mask, relu, mask_fcn_logits) as torchvision names them.
struct MaskBranch {
    torch::nn::ModuleList head{nullptr};
    torch::nn::Sequential predictor{nullptr};
    std::vector<torch::nn::Conv2d> convs;
    torch::nn::ConvTranspose2d conv5_mask{nullptr};
    torch::nn::Conv2d mask_fcn_logits{nullptr};
};
MaskBranch makeMaskBranch(int inChannels, int numClasses);
// Mask logits K x numClasses x 2S x 2S for K x C x S x S pooled features. The 2 x 2
// stride-2 transposed convolution maps each cell to its own 2 x 2 outputs, so it is
// one matrix product (as is the 1 x 1 convolution): LibTorch's CPU transposed
// convolution takes a slow unfolding path.
torch::Tensor maskLogits(const MaskBranch &branch, const torch::Tensor &pooled, bool channelsLast);

struct RoIHeadsOptions {
    double fgIouThresh = 0.5, bgIouThresh = 0.5;
    int64_t batchSizePerImage = 512;
    double positiveFraction = 0.25;
    std::array<double, 4> bboxRegWeights{10.0, 10.0, 5.0, 5.0};
    double scoreThresh = 0.05, nmsThresh = 0.5;
    int64_t detectionsPerImg = 100;
};

struct RoIHeadsImpl : torch::nn::Module {
    RoIHeadsImpl(int inChannels, int numClasses, bool withMask, RoIHeadsOptions options);

    // features: the four pooled pyramid levels (strides 4..32); proposals per image
    // in the resized images. Training needs targets; inference returns detections
    // in the resized images with masks N x 1 x 28 x 28 (probabilities of the label).
    std::pair<std::vector<Detections>, std::map<std::string, torch::Tensor>>
    forward(const std::vector<torch::Tensor> &features, std::vector<torch::Tensor> proposals, const ImageSizes &imageSizes,
            const std::vector<DetectionTarget> *targets);

    // Replaces the class-specific layers (cls_score, bbox_pred, mask_fcn_logits)
    // with freshly initialised ones for numClasses (background included).
    void replacePredictors(int numClasses);
    int numClasses() const { return static_cast<int>(box_predictor->cls_score->weight.size(0)); }
    bool hasMask() const { return !mask.head.is_empty(); }

    TwoMLPHead box_head{nullptr};
    FastRCNNPredictor box_predictor{nullptr};
    MaskBranch mask; // registered as mask_head and mask_predictor
    MultiScaleRoIAlign boxRoiPool{7, 2}, maskRoiPool{14, 2};
    RoIHeadsOptions options;
    bool channelsLast = false; // run the mask head's convolutions on NHWC tensors

private:
    BoxCoder m_coder;
    Matcher m_matcher;
    BalancedPositiveNegativeSampler m_sampler;
};
TORCH_MODULE(RoIHeads);

} // namespace training::detection
