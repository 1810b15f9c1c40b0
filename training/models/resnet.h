#pragma once
// torchvision's ResNet building blocks, shared by the classifiers (models.cpp) and
// the detection backbones (detection/backbone.cpp). Names are torchvision's:
// conv1, bn1, layer1..layer4, and inside a block conv1..conv3, bn1..bn3, downsample.
#include <torch/torch.h>

#include <array>
#include <string>

namespace training {

// BasicBlock (resnet18/34) or Bottleneck (resnet50). When foldNorm is set, a
// batch norm that is not updating its statistics (eval mode) is folded into the
// preceding convolution's weights for the forward pass: the same function with
// one pass over the activations fewer (bench/README.md, detection).
struct ResNetBlockImpl : torch::nn::Module {
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential downsample{nullptr};
    torch::nn::Conv2d downConv{nullptr};     // downsample[0]
    torch::nn::BatchNorm2d downNorm{nullptr}; // downsample[1]
    bool bottleneck;
    bool foldNorm = false;
    ResNetBlockImpl(int in, int planes, int stride, bool bottleneckBlock);
    torch::Tensor forward(torch::Tensor x);
};
TORCH_MODULE(ResNetBlock);

// conv(x) followed by bn, with bn folded into the convolution when it runs on
// its running statistics and fold is set. Shapes: x N x C x H x W.
torch::Tensor convNorm(torch::nn::Conv2d conv, torch::nn::BatchNorm2d bn, const torch::Tensor &x, bool fold);

struct ResNetParts {
    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    std::array<torch::nn::Sequential, 4> layers;
    std::array<int, 4> channels{}; // output channels of layer1..layer4
};

// Registers conv1, bn1 and layer1..layer4 of resnet18, resnet34 or resnet50 on
// `owner` with torchvision's names. Throws std::invalid_argument for another depth.
ResNetParts registerResNet(torch::nn::Module &owner, const std::string &arch, int inChannels);
// torchvision's initialisation of every convolution under `owner` (Kaiming normal, fan out).
void initResNetConvs(torch::nn::Module &owner);

// The stem: max_pool(relu(bn1(conv1(x)))), N x 64 x H/4 x W/4.
torch::Tensor resNetStem(const ResNetParts &parts, const torch::Tensor &x, bool foldNorm);

} // namespace training
