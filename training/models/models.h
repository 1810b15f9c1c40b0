#pragma once
// Models with torchvision's parameter names, so torchvision's
// published state dicts load by name. Input: float tensors N x C x H x W;
// output: logits N x numClasses.
#include "training/models/state_dict.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace training {

struct ClassifierImpl : torch::nn::Module {
    virtual torch::Tensor forward(torch::Tensor x) = 0;
    // Name prefix of the classifier head ("fc"): replaced for transfer learning, trained alone with a frozen backbone.
    virtual std::string headName() const = 0;
};

struct ModelSpec {
    std::string arch;        // mlp, smallcnn, resnet18, resnet34, resnet50; unet (per-pixel logits N x K x H x W)
    int numClasses = 10;
    int inChannels = 3;
    int imageSize = 28;      // mlp and smallcnn size their first dense layer from it
};

// Fails with std::invalid_argument naming the architecture when it is unknown.
std::shared_ptr<ClassifierImpl> makeModel(const ModelSpec &spec);
std::vector<std::string> modelNames();

struct LoadReport {
    std::vector<std::string> missing;     // parameters of the model the file does not have
    std::vector<std::string> unexpected;  // tensors of the file the model does not have
    std::vector<std::string> mismatched;  // same name, other shape (e.g. a head for 1000 classes)
};

// Copies tensors into the model's parameters and buffers by name. Mismatched
// shapes are skipped and reported, not forced.
LoadReport loadWeights(torch::nn::Module &model, const StateDict &weights);
// Convolutions on the CPU run faster on NHWC ("channels last") tensors through
// oneDNN: resnet18 training at 224^2 goes from ~12.6 to ~14.5 images/s on 2 cores
// (bench/models); the detection models gain likewise. The trainer and the benchmark
// follow this one rule.
bool prefersChannelsLast(const std::string &arch, bool cuda);
// Moves 4-d parameters to channels-last memory; values and names stay the same.
// (A detection model switches its inputs too: use DetectionModelImpl::setChannelsLast.)
void toChannelsLast(torch::nn::Module &model);

// Parameters and buffers of the model in torchvision's naming.
StateDict modelStateDict(const torch::nn::Module &model);

} // namespace training
