#pragma once
// torchvision's ResNet building blocks, shared by the classifiers (models.cpp) and
// the detection backbones (detection/backbone.cpp). Names are torchvision's:
// conv1, bn1, layer1..layer4, and inside a block conv1..conv3, bn1..bn3, downsample.
#include <torch/torch.h>

#include <array>
#include <string>

namespace training {

// The normalisation after each convolution: torchvision's BatchNorm2d, or GroupNorm
// with 32 groups, which normalises each picture by itself. Detectors trained from
// scratch take GroupNorm (as detectron2's from-scratch Mask R-CNN does): their batches
// of two pictures give batch norm statistics that no running mean fits at evaluation.
// Either is registered under torchvision's name (bn1, downsample.1, ...), so a
// GroupNorm model's state dict loads into torchvision built with
// norm_layer=lambda c: nn.GroupNorm(32, c).
enum class NormKind { Batch, Group };

struct Norm {
    torch::nn::BatchNorm2d bn{nullptr};
    torch::nn::GroupNorm gn{nullptr};
    torch::Tensor operator()(const torch::Tensor &x) const { return bn ? bn.ptr()->forward(x) : gn.ptr()->forward(x); }
};
Norm makeNorm(int channels, NormKind kind);
// makeNorm's Norm registered on `owner` as `name`.
Norm registerNorm(torch::nn::Module &owner, const std::string &name, int channels, NormKind kind);

// BasicBlock (resnet18/34) or Bottleneck (resnet50). When foldNorm is set, a
// batch norm that is not updating its statistics (eval mode) is folded into the
// preceding convolution's weights for the forward pass: the same function with
// one pass over the activations fewer (bench/README.md, detection).
struct ResNetBlockImpl : torch::nn::Module {
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    Norm bn1, bn2, bn3;
    torch::nn::Sequential downsample{nullptr};
    torch::nn::Conv2d downConv{nullptr}; // downsample[0]
    Norm downNorm;                       // downsample[1]
    bool bottleneck;
    bool foldNorm = false;
    ResNetBlockImpl(int in, int planes, int stride, bool bottleneckBlock, NormKind norm);
    torch::Tensor forward(torch::Tensor x);
};
TORCH_MODULE(ResNetBlock);

// conv(x) followed by norm, with a batch norm folded into the convolution when it
// runs on its running statistics and fold is set. Shapes: x N x C x H x W.
torch::Tensor convNorm(torch::nn::Conv2d conv, const Norm &norm, const torch::Tensor &x, bool fold);

struct ResNetParts {
    torch::nn::Conv2d conv1{nullptr};
    Norm bn1;
    std::array<torch::nn::Sequential, 4> layers;
    std::array<int, 4> channels{}; // output channels of layer1..layer4
};

// Registers conv1, bn1 and layer1..layer4 of resnet18, resnet34 or resnet50 on
// `owner` with torchvision's names. Throws std::invalid_argument for another depth.
ResNetParts registerResNet(torch::nn::Module &owner, const std::string &arch, int inChannels, NormKind norm = NormKind::Batch);
// torchvision's initialisation of every convolution under `owner` (Kaiming normal, fan out).
void initResNetConvs(torch::nn::Module &owner);

// The stem: max_pool(relu(bn1(conv1(x)))), N x 64 x H/4 x W/4.
torch::Tensor resNetStem(const ResNetParts &parts, const torch::Tensor &x, bool foldNorm);

} // namespace training
