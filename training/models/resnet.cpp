#include "training/models/resnet.h"

#include <stdexcept>
#include <vector>

namespace training {

namespace nn = torch::nn;

namespace {

nn::Conv2d conv(int in, int out, int k, int stride, int pad)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}

} // namespace

Norm makeNorm(int channels, NormKind kind)
{
    Norm n;
    if (kind == NormKind::Group) n.gn = nn::GroupNorm(32, channels);
    else n.bn = nn::BatchNorm2d(channels);
    return n;
}

Norm registerNorm(nn::Module &owner, const std::string &name, int channels, NormKind kind)
{
    Norm n = makeNorm(channels, kind);
    if (n.bn) owner.register_module(name, n.bn);
    else owner.register_module(name, n.gn);
    return n;
}

torch::Tensor convNorm(nn::Conv2d c, const Norm &norm, const torch::Tensor &x, bool fold)
{
    if (!norm.bn || !fold || norm.bn->is_training()) return norm(c(x));
    const nn::BatchNorm2d &bn = norm.bn;
    // Eval batch norm is y = (z - mean) / sqrt(var + eps) * gamma + beta on z = conv(x):
    // scale the filters by gamma / sqrt(var + eps) and give the convolution the shifted bias.
    const auto &o = bn->options;
    const torch::Tensor scale = bn->weight * torch::rsqrt(bn->running_var + o.eps());
    const torch::Tensor w = c->weight * scale.reshape({-1, 1, 1, 1});
    torch::Tensor b = bn->bias - bn->running_mean * scale;
    if (c->options.bias()) b = b + c->bias * scale;
    const auto &co = c->options;
    return torch::conv2d(x, w.contiguous(x.suggest_memory_format()), b, co.stride(), c10::get<torch::ExpandingArray<2>>(co.padding()), co.dilation(),
                         co.groups());
}

ResNetBlockImpl::ResNetBlockImpl(int in, int planes, int stride, bool bottleneckBlock, NormKind norm) : bottleneck(bottleneckBlock)
{
    const int out = bottleneck ? planes * 4 : planes;
    if (bottleneck) {
        conv1 = register_module("conv1", conv(in, planes, 1, 1, 0));
        conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1));
        conv3 = register_module("conv3", conv(planes, out, 1, 1, 0));
        bn3 = registerNorm(*this, "bn3", out, norm);
    } else {
        conv1 = register_module("conv1", conv(in, planes, 3, stride, 1));
        conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1));
    }
    bn1 = registerNorm(*this, "bn1", planes, norm);
    bn2 = registerNorm(*this, "bn2", planes, norm);
    if (stride != 1 || in != out) {
        downConv = conv(in, out, 1, stride, 0);
        downNorm = makeNorm(out, norm);
        downsample = register_module("downsample", nn::Sequential(downConv)); // names downsample.0, downsample.1
        if (downNorm.bn) downsample->push_back(downNorm.bn);
        else downsample->push_back(downNorm.gn);
    }
}

torch::Tensor ResNetBlockImpl::forward(torch::Tensor x)
{
    // In place, as torchvision's ReLU(inplace=True) and out += identity: every output
    // overwritten here is a fresh one whose producer does not need it for its gradient,
    // and a large temporary less is a page-faulting allocation less.
    torch::Tensor y = convNorm(conv1, bn1, x, foldNorm).relu_();
    y = convNorm(conv2, bn2, y, foldNorm);
    if (bottleneck) y = convNorm(conv3, bn3, y.relu_(), foldNorm);
    const torch::Tensor identity = downsample ? convNorm(downConv, downNorm, x, foldNorm) : x;
    return y.add_(identity).relu_();
}

ResNetParts registerResNet(nn::Module &owner, const std::string &arch, int inChannels, NormKind norm)
{
    std::vector<int> blocks;
    bool bottleneck = false;
    if (arch == "resnet18") blocks = {2, 2, 2, 2};
    else if (arch == "resnet34") blocks = {3, 4, 6, 3};
    else if (arch == "resnet50") blocks = {3, 4, 6, 3}, bottleneck = true;
    else throw std::invalid_argument("unknown resnet depth '" + arch + "'");
    ResNetParts p;
    p.conv1 = owner.register_module("conv1", conv(inChannels, 64, 7, 2, 3));
    p.bn1 = registerNorm(owner, "bn1", 64, norm);
    int in = 64;
    for (int l = 0; l < 4; ++l) {
        const int planes = 64 << l;
        nn::Sequential seq;
        for (int b = 0; b < blocks[static_cast<std::size_t>(l)]; ++b) {
            seq->push_back(ResNetBlock(in, planes, b == 0 && l > 0 ? 2 : 1, bottleneck, norm));
            in = bottleneck ? planes * 4 : planes;
        }
        p.layers[static_cast<std::size_t>(l)] = owner.register_module("layer" + std::to_string(l + 1), seq);
        p.channels[static_cast<std::size_t>(l)] = in;
    }
    return p;
}

void initResNetConvs(nn::Module &owner)
{
    // torchvision's initialisation: Kaiming for convolutions; BN weight 1 and bias 0 is LibTorch's default.
    for (auto &m : owner.modules(false))
        if (auto *c = m->as<nn::Conv2d>()) nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor resNetStem(const ResNetParts &p, const torch::Tensor &x, bool foldNorm)
{
    return torch::max_pool2d(convNorm(p.conv1, p.bn1, x, foldNorm).relu_(), 3, 2, 1);
}

} // namespace training
