#pragma once
// A model as the trainer drives it (detectron2's meta-architectures): in training it
// returns its loss as named terms, which the trainer sums, steps and logs term by
// term; in inference it returns plain predictions for an evaluator. A detection
// model (training/models/detection) implements the same interface with its terms
// (loss_objectness, loss_rpn_box_reg, loss_classifier, loss_box_reg, loss_mask) and
// Detections.
#include "training/mapper.h"
#include "training/models/models.h"
#include "training/task.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace training {

// One image's detections, in the mapper's canvas pixels.
struct Detections {
    torch::Tensor boxes;   // N x 4 float XYXY
    torch::Tensor scores;  // N float
    torch::Tensor classes; // N int64, 1..K
    torch::Tensor masks;   // N x M x M float probabilities over each box, the mask head's (instance segmentation)
};

struct Predictions {
    torch::Tensor logits;               // classification: N x K; segmentation: N x K x S x S (on the CPU)
    std::vector<Detections> detections; // detection, instance segmentation: one per image
};

using LossTerms = std::map<std::string, torch::Tensor>; // name -> scalar

class TaskModel {
public:
    virtual ~TaskModel() = default;
    virtual torch::nn::Module &module() = 0;
    virtual torch::Device device() const = 0;
    // Training mode, with gradients: the named loss terms of a batch.
    virtual LossTerms losses(const Batch &batch) = 0;
    // Inference mode, without gradients.
    virtual Predictions predict(const Batch &batch) = 0;
    // What the optimizer steps: everything, or with a frozen backbone the head alone.
    virtual std::vector<torch::Tensor> trainableParameters(bool freezeBackbone) = 0;
};

// Classification ("loss_cls") and semantic segmentation ("loss_sem_seg"): a
// ClassifierImpl's logits under cross-entropy, kIgnore pixels left out.
class ClassifierModel : public TaskModel {
public:
    ClassifierModel(std::shared_ptr<ClassifierImpl> model, Task task, torch::Device device, bool channelsLast);
    torch::nn::Module &module() override { return *m_model; }
    ClassifierImpl &classifier() { return *m_model; }
    torch::Device device() const override { return m_device; }
    LossTerms losses(const Batch &batch) override;
    Predictions predict(const Batch &batch) override;
    std::vector<torch::Tensor> trainableParameters(bool freezeBackbone) override;

private:
    torch::Tensor input(const torch::Tensor &images) const;
    std::shared_ptr<ClassifierImpl> m_model;
    Task m_task;
    torch::Device m_device;
    bool m_channelsLast;
};

// Cross-entropy over logits (N x K, or N x K x H x W against N x H x W), kIgnore left out.
torch::Tensor crossEntropy(const torch::Tensor &logits, const torch::Tensor &target, bool sum = false);

} // namespace training
