#pragma once
// torchvision's region proposal network: RPNHead (rpn.head.conv.0.0, cls_logits,
// bbox_pred) over every pyramid level, anchors, top-n filtering per level, NMS per
// level, and in training its two losses, loss_objectness (binary cross-entropy
// over sampled anchors) and loss_rpn_box_reg (smooth L1, beta 1/9, over the
// sampled positives, divided by the number sampled).
#include "training/models/detection/anchor_generator.h"
#include "training/models/detection/box_coder.h"
#include "training/models/detection/matcher.h"
#include "training/models/detection/sampler.h"
#include "training/models/detection/transform.h"

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace training::detection {

struct RPNHeadImpl : torch::nn::Module {
    torch::nn::ModuleList conv{nullptr};
    torch::nn::Conv2d conv0{nullptr}, cls_logits{nullptr}, bbox_pred{nullptr};
    RPNHeadImpl(int inChannels, int numAnchors);
    // Per level: objectness logits N x A x H x W and box offsets N x 4A x H x W.
    std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> forward(const std::vector<torch::Tensor> &features);
};
TORCH_MODULE(RPNHead);

struct RpnOptions {
    int64_t preNmsTopNTrain = 2000, preNmsTopNTest = 1000;
    int64_t postNmsTopNTrain = 2000, postNmsTopNTest = 1000;
    double nmsThresh = 0.7;
    double fgIouThresh = 0.7, bgIouThresh = 0.3;
    int64_t batchSizePerImage = 256;
    double positiveFraction = 0.5;
    double scoreThresh = 0.0;
};

struct RegionProposalNetworkImpl : torch::nn::Module {
    RegionProposalNetworkImpl(AnchorGenerator anchors, int inChannels, RpnOptions options);

    // features: every pyramid level, finest first. targets: required in training
    // (resized like the images). Returns per image its proposals (K x 4 XYXY in the
    // resized image) and, in training, the two losses.
    std::pair<std::vector<torch::Tensor>, std::map<std::string, torch::Tensor>>
    forward(const ImageList &images, const std::vector<torch::Tensor> &features, const std::vector<DetectionTarget> *targets);

    RPNHead head{nullptr};
    AnchorGenerator anchorGenerator;
    RpnOptions options;

private:
    BoxCoder m_coder{{1.0, 1.0, 1.0, 1.0}};
    Matcher m_matcher;
    BalancedPositiveNegativeSampler m_sampler;
};
TORCH_MODULE(RegionProposalNetwork);

} // namespace training::detection
