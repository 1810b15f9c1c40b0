#include "training/models/detection/backbone.h"

#include <stdexcept>

namespace training::detection {

namespace nn = torch::nn;

ResNetBodyImpl::ResNetBodyImpl(const std::string &arch, int inChannels, NormKind norm)
{
    parts = registerResNet(*this, arch, inChannels, norm);
    initResNetConvs(*this);
    setFoldNorm(true);
}

std::vector<torch::Tensor> ResNetBodyImpl::forward(const torch::Tensor &input)
{
    torch::Tensor x = resNetStem(parts, input, foldNorm);
    std::vector<torch::Tensor> out;
    for (auto &layer : parts.layers) {
        x = layer->forward(x);
        out.push_back(x);
    }
    return out;
}

void ResNetBodyImpl::train(bool on)
{
    nn::Module::train(on);
    if (!frozenNorm) return;
    for (auto &m : modules(false))
        if (auto *bn = m->as<nn::BatchNorm2d>()) bn->eval();
}

void ResNetBodyImpl::setFoldNorm(bool fold)
{
    foldNorm = fold;
    for (auto &m : modules(false))
        if (auto *b = m->as<ResNetBlockImpl>()) b->foldNorm = fold;
}

FeaturePyramidNetworkImpl::FeaturePyramidNetworkImpl(const std::vector<int> &inChannels, int outChannels)
{
    inner_blocks = register_module("inner_blocks", nn::ModuleList());
    layer_blocks = register_module("layer_blocks", nn::ModuleList());
    for (int c : inChannels) {
        if (c <= 0) throw std::invalid_argument("FPN: in_channels=0 is not supported");
        nn::Conv2d i(nn::Conv2dOptions(c, outChannels, 1));
        nn::Conv2d l(nn::Conv2dOptions(outChannels, outChannels, 3).padding(1));
        inner_blocks->push_back(nn::Sequential(i)); // torchvision's Conv2dNormActivation without norm and activation
        layer_blocks->push_back(nn::Sequential(l));
        inner.push_back(i);
        layer.push_back(l);
    }
    for (auto *convs : {&inner, &layer})
        for (auto &c : *convs) {
            nn::init::kaiming_uniform_(c->weight, 1);
            nn::init::constant_(c->bias, 0);
        }
}

std::vector<torch::Tensor> FeaturePyramidNetworkImpl::forward(const std::vector<torch::Tensor> &x)
{
    TORCH_CHECK(x.size() == inner.size(), "FPN: ", inner.size(), " levels, ", x.size(), " feature maps");
    const std::size_t n = x.size();
    std::vector<torch::Tensor> results(n + 1);
    torch::Tensor last = inner[n - 1](x[n - 1]);
    results[n - 1] = layer[n - 1](last);
    for (std::size_t k = n - 1; k-- > 0;) {
        torch::Tensor lateral = inner[k](x[k]);
        const torch::Tensor topDown = at::upsample_nearest2d(last, {lateral.size(-2), lateral.size(-1)}, c10::nullopt, c10::nullopt);
        last = lateral.add_(topDown); // the 1 x 1 convolution's fresh output
        results[k] = layer[k](last);
    }
    // LastLevelMaxPool: a 1 x 1 max pool with stride 2 over the coarsest level.
    results[n] = torch::max_pool2d(results[n - 1], 1, 2, 0);
    return results;
}

BackboneWithFPNImpl::BackboneWithFPNImpl(const std::string &arch, bool frozenNorm, int trainableLayers, NormKind norm)
{
    body = register_module("body", ResNetBody(arch, 3, norm));
    body->frozenNorm = frozenNorm;
    const auto &c = body->parts.channels;
    fpn = register_module("fpn", FeaturePyramidNetwork(std::vector<int>(c.begin(), c.end()), outChannels));
    setTrainableLayers(trainableLayers);
    body->train(is_training());
}

void BackboneWithFPNImpl::setTrainableLayers(int trainableLayers)
{
    if (trainableLayers < 0 || trainableLayers > 5) throw std::invalid_argument("trainable backbone layers must be in 0..5, got " + std::to_string(trainableLayers));
    std::vector<std::string> train = {"layer4", "layer3", "layer2", "layer1", "conv1"};
    train.resize(static_cast<std::size_t>(trainableLayers));
    if (trainableLayers == 5) train.push_back("bn1");
    for (auto &p : body->named_parameters(true)) {
        bool trainable = false;
        for (const auto &prefix : train) trainable = trainable || p.key().rfind(prefix, 0) == 0;
        // A frozen batch norm has no trainable affine parameters (FrozenBatchNorm2d keeps them as buffers).
        const bool normParam = p.key().find("bn") != std::string::npos || p.key().find("downsample.1") != std::string::npos;
        if (body->frozenNorm && normParam) trainable = false;
        p.value().set_requires_grad(trainable);
    }
}

} // namespace training::detection
