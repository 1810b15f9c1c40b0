#pragma once
// Detection and instance segmentation as the trainer drives them: a Faster or Mask
// R-CNN (training/models/detection) behind the TaskModel interface. The mapper's
// S x S canvas is what the network sees: its transform resizes to S (a canvas of
// side S stays as it is), so targets and detections are in canvas pixels.
#include "training/models/detection/rcnn.h"
#include "training/task_parts.h"
#include "training/task_model.h"

namespace training {

class DetectionTaskModel : public TaskModel {
public:
    // `outputs`: the classes plus the background. `imageSize`: the canvas side.
    // `shape`: the anchors and the training proposals and RoIs (torchvision's where 0 or empty).
    DetectionTaskModel(const std::string &arch, int outputs, int imageSize, const DetectorShape &shape, torch::Device device, bool channelsLast);
    torch::nn::Module &module() override { return *m_model; }
    detection::DetectionModelImpl &detector() { return *m_model; }
    torch::Device device() const override { return m_device; }
    // loss_objectness, loss_rpn_box_reg, loss_classifier, loss_box_reg (+ loss_mask).
    LossTerms losses(const Batch &batch) override;
    // Detections in canvas pixels; masks N x M x M probabilities over each box (Mask R-CNN).
    Predictions predict(const Batch &batch) override;
    // freezeBackbone: the ResNet body stays as it is; FPN, RPN and RoI heads train.
    std::vector<torch::Tensor> trainableParameters(bool freezeBackbone) override;

private:
    std::vector<torch::Tensor> images(const Batch &batch) const;
    std::shared_ptr<detection::DetectionModelImpl> m_model;
    torch::Device m_device;
};

} // namespace training
