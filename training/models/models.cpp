#include "training/models/models.h"

#include "training/models/detection/rcnn.h"
#include "training/models/resnet.h"

#include <iterator>
#include <map>
#include <stdexcept>

namespace training {

namespace {

namespace nn = torch::nn;

// Multi-layer perceptron of the lecture: flatten -> fc1 512 -> ReLU -> dropout -> fc2 256 -> ReLU -> dropout -> fc3.
struct MlpImpl : ClassifierImpl {
    nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
    nn::Dropout drop{nullptr};
    MlpImpl(int in, int classes)
    {
        fc1 = register_module("fc1", nn::Linear(in, 512));
        fc2 = register_module("fc2", nn::Linear(512, 256));
        fc3 = register_module("fc3", nn::Linear(256, classes));
        drop = register_module("dropout", nn::Dropout(0.2));
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        x = x.flatten(1);
        x = drop(torch::relu(fc1(x)));
        x = drop(torch::relu(fc2(x)));
        return fc3(x);
    }
    std::string headName() const override { return "fc3"; }
};

// The lecture's CNN (PyTorch's MNIST example): conv32-conv64-maxpool-dropout-fc128-dropout-fc.
struct SmallCnnImpl : ClassifierImpl {
    nn::Conv2d conv1{nullptr}, conv2{nullptr};
    nn::Dropout dropout1{nullptr}, dropout2{nullptr};
    nn::Linear fc1{nullptr}, fc2{nullptr};
    SmallCnnImpl(int inChannels, int size, int classes)
    {
        const int s = (size - 4) / 2;
        if (s < 1) throw std::invalid_argument("smallcnn needs images of at least 6x6 pixels");
        conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(inChannels, 32, 3)));
        conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3)));
        dropout1 = register_module("dropout1", nn::Dropout(0.25));
        dropout2 = register_module("dropout2", nn::Dropout(0.5));
        fc1 = register_module("fc1", nn::Linear(64 * s * s, 128));
        fc2 = register_module("fc2", nn::Linear(128, classes));
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        x = torch::relu(conv1(x));
        x = torch::relu(conv2(x));
        x = dropout1(torch::max_pool2d(x, 2)).flatten(1);
        x = dropout2(torch::relu(fc1(x)));
        return fc2(x);
    }
    std::string headName() const override { return "fc2"; }
};

// A small VGG-style network for photos and drawings too large for the lecture's CNN: four
// stages of 3x3 conv-BN-ReLU (16, 32, 64, 128 channels) with 2x2 max pooling between them,
// global average pooling and a linear head. Its weights do not grow with the image size, and
// the pooling makes it indifferent to where the object is: a few dozen images teach it.
struct ConvNetImpl : ClassifierImpl {
    nn::Sequential features{nullptr};
    nn::Linear fc{nullptr};
    ConvNetImpl(int inChannels, int classes)
    {
        nn::Sequential f;
        int in = inChannels;
        const int widths[] = {16, 32, 64, 128};
        for (std::size_t i = 0; i < std::size(widths); ++i) {
            f->push_back(nn::Conv2d(nn::Conv2dOptions(in, widths[i], 3).padding(1).bias(false)));
            f->push_back(nn::BatchNorm2d(widths[i]));
            f->push_back(nn::ReLU(true));
            if (i + 1 < std::size(widths)) f->push_back(nn::MaxPool2d(2));
            in = widths[i];
        }
        features = register_module("features", f);
        fc = register_module("fc", nn::Linear(in, classes));
    }
    torch::Tensor forward(torch::Tensor x) override { return fc(torch::adaptive_avg_pool2d(features->forward(x), {1, 1}).flatten(1)); }
    std::string headName() const override { return "fc"; }
};

// torchvision's ResNet: the body from resnet.h, global average pooling and the fc head.
struct ResNetImpl : ClassifierImpl {
    ResNetParts parts;
    nn::Linear fc{nullptr};
    ResNetImpl(const std::string &arch, int inChannels, int classes)
    {
        parts = registerResNet(*this, arch, inChannels);
        fc = register_module("fc", nn::Linear(parts.channels[3], classes));
        initResNetConvs(*this);
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        x = resNetStem(parts, x, false);
        for (auto &layer : parts.layers) x = layer->forward(x);
        return fc(torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1));
    }
    std::string headName() const override { return "fc"; }
};

// U-Net (Ronneberger et al. 2015) at a width for CPUs: four levels of two 3x3
// conv-BN-ReLU blocks, 2x2 max pooling down, 2x2 transposed convolutions up with
// skip connections, a 1x1 conv to per-pixel class logits (N x K x H x W).
// H and W must be multiples of 8.
nn::Sequential doubleConv(int in, int out)
{
    return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)), nn::BatchNorm2d(out), nn::ReLU(true),
                          nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1).bias(false)), nn::BatchNorm2d(out), nn::ReLU(true));
}

struct UNetImpl : ClassifierImpl {
    nn::Sequential inc{nullptr}, down1{nullptr}, down2{nullptr}, down3{nullptr}, conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    nn::ConvTranspose2d up1{nullptr}, up2{nullptr}, up3{nullptr};
    nn::Conv2d outc{nullptr};
    UNetImpl(int inChannels, int classes, int width)
    {
        const int b = width;
        inc = register_module("inc", doubleConv(inChannels, b));
        down1 = register_module("down1", doubleConv(b, 2 * b));
        down2 = register_module("down2", doubleConv(2 * b, 4 * b));
        down3 = register_module("down3", doubleConv(4 * b, 8 * b));
        up1 = register_module("up1", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(8 * b, 4 * b, 2).stride(2)));
        conv1 = register_module("conv1", doubleConv(8 * b, 4 * b));
        up2 = register_module("up2", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4 * b, 2 * b, 2).stride(2)));
        conv2 = register_module("conv2", doubleConv(4 * b, 2 * b));
        up3 = register_module("up3", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(2 * b, b, 2).stride(2)));
        conv3 = register_module("conv3", doubleConv(2 * b, b));
        outc = register_module("outc", nn::Conv2d(nn::Conv2dOptions(b, classes, 1)));
    }
    torch::Tensor forward(torch::Tensor x) override
    {
        if (x.size(2) % 8 || x.size(3) % 8) throw std::invalid_argument("unet needs an image size that is a multiple of 8");
        auto x1 = inc->forward(x);
        auto x2 = down1->forward(torch::max_pool2d(x1, 2));
        auto x3 = down2->forward(torch::max_pool2d(x2, 2));
        auto x4 = down3->forward(torch::max_pool2d(x3, 2));
        auto y = conv1->forward(torch::cat({up1(x4), x3}, 1));
        y = conv2->forward(torch::cat({up2(y), x2}, 1));
        y = conv3->forward(torch::cat({up3(y), x1}, 1));
        return outc(y);
    }
    std::string headName() const override { return "outc"; }
};

} // namespace

std::vector<std::string> modelNames() { return {"convnet", "smallcnn", "mlp", "resnet18", "resnet34", "resnet50", "unet"}; }

std::shared_ptr<ClassifierImpl> makeModel(const ModelSpec &s)
{
    if (s.numClasses < 1) throw std::invalid_argument("a model needs at least one class");
    if (s.arch == "mlp") return std::make_shared<MlpImpl>(s.inChannels * s.imageSize * s.imageSize, s.numClasses);
    if (s.arch == "smallcnn") return std::make_shared<SmallCnnImpl>(s.inChannels, s.imageSize, s.numClasses);
    if (s.arch == "convnet") return std::make_shared<ConvNetImpl>(s.inChannels, s.numClasses);
    if (s.arch == "resnet18" || s.arch == "resnet34" || s.arch == "resnet50") return std::make_shared<ResNetImpl>(s.arch, s.inChannels, s.numClasses);
    if (s.arch == "unet") {
        if (s.imageSize % 8) throw std::invalid_argument("unet needs an image size that is a multiple of 8 (--image-size)");
        return std::make_shared<UNetImpl>(s.inChannels, s.numClasses, 16);
    }
    throw std::invalid_argument("unknown model '" + s.arch + "'");
}

bool prefersChannelsLast(const std::string &arch, bool cuda) { return !cuda && (arch.rfind("resnet", 0) == 0 || detection::isDetectionArch(arch)); }

void toChannelsLast(torch::nn::Module &model)
{
    torch::NoGradGuard g;
    for (auto &p : model.parameters())
        if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

LoadReport loadWeights(torch::nn::Module &model, const StateDict &weights)
{
    LoadReport report;
    torch::NoGradGuard noGrad;
    auto params = model.named_parameters(true);
    auto buffers = model.named_buffers(true);
    std::map<std::string, bool> used;
    auto assign = [&](const std::string &name, torch::Tensor &target) {
        for (const auto &[k, t] : weights) {
            if (k != name) continue;
            used[k] = true;
            if (t.sizes() != target.sizes()) {
                report.mismatched.push_back(name);
                return;
            }
            target.copy_(t.to(target.dtype()));
            return;
        }
        report.missing.push_back(name);
    };
    for (auto &p : params)
        assign(p.key(), p.value());
    for (auto &b : buffers)
        assign(b.key(), b.value());
    for (const auto &[k, t] : weights)
        if (!used.count(k)) report.unexpected.push_back(k);
    return report;
}

StateDict modelStateDict(const torch::nn::Module &model)
{
    StateDict out;
    for (const auto &p : model.named_parameters(true))
        out.emplace_back(p.key(), p.value());
    for (const auto &b : model.named_buffers(true))
        out.emplace_back(b.key(), b.value());
    return out;
}

} // namespace training
