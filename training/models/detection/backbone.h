#pragma once
// torchvision's resnet_fpn_backbone: a ResNet body (backbone.body: conv1, bn1,
// layer1..layer4; no avgpool, no fc) whose four stages feed a feature pyramid
// (backbone.fpn: inner_blocks.i.0, layer_blocks.i.0) of 256 channels with
// LastLevelMaxPool on top. Outputs five maps at strides 4, 8, 16, 32, 64
// (torchvision's "0", "1", "2", "3", "pool").
#include "training/models/resnet.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace training::detection {

struct ResNetBodyImpl : torch::nn::Module {
    ResNetParts parts;
    bool frozenNorm = false; // FrozenBatchNorm2d: batch norms always use (and never update) their running statistics
    bool foldNorm = true;    // fold batch norms running on their statistics into the convolutions
    ResNetBodyImpl(const std::string &arch, int inChannels, NormKind norm = NormKind::Batch);
    // C2..C5 (strides 4..32).
    std::vector<torch::Tensor> forward(const torch::Tensor &x);
    void train(bool on = true) override;
    // Whether batch norms running on their statistics are folded into their convolutions (resnet.h).
    void setFoldNorm(bool fold);
};
TORCH_MODULE(ResNetBody);

struct FeaturePyramidNetworkImpl : torch::nn::Module {
    torch::nn::ModuleList inner_blocks, layer_blocks;
    std::vector<torch::nn::Conv2d> inner, layer; // inner_blocks[i][0], layer_blocks[i][0]
    FeaturePyramidNetworkImpl(const std::vector<int> &inChannels, int outChannels);
    // The pyramid for C2..C5, finest first, plus the max-pooled coarsest level.
    std::vector<torch::Tensor> forward(const std::vector<torch::Tensor> &x);
};
TORCH_MODULE(FeaturePyramidNetwork);

struct BackboneWithFPNImpl : torch::nn::Module {
    ResNetBody body{nullptr};
    FeaturePyramidNetwork fpn{nullptr};
    int outChannels = 256;
    // arch: resnet18, resnet34 or resnet50; norm: the body's normalisation (resnet.h).
    BackboneWithFPNImpl(const std::string &arch, bool frozenNorm, int trainableLayers, NormKind norm = NormKind::Batch);
    std::vector<torch::Tensor> forward(const torch::Tensor &x) { return fpn(body(x)); }
    // torchvision's _resnet_fpn_extractor: parameters outside the last
    // `trainableLayers` of (layer4, layer3, layer2, layer1, conv1) stop taking
    // gradients; 5 also trains bn1. Throws std::invalid_argument outside 0..5.
    void setTrainableLayers(int trainableLayers);
};
TORCH_MODULE(BackboneWithFPN);

} // namespace training::detection
