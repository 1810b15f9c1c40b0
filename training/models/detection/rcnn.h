#pragma once
// Faster R-CNN and Mask R-CNN as torchvision 0.14 builds them
// (torchvision.models.detection.FasterRCNN / MaskRCNN over resnet_fpn_backbone),
// with torchvision's parameter names, so its state dicts load by name and ours
// load into torchvision with strict=True.
//
// Interface for the trainer (plain tensors, no Python-style dicts):
//   training:  model->train();  auto losses = model->losses(images, targets);
//              sum the values, backward, step. Keys: loss_objectness,
//              loss_rpn_box_reg, loss_classifier, loss_box_reg (+ loss_mask).
//   inference: model->eval();   auto dets = model->detect(images);
// images: 3 x H x W float tensors, values in [0, 1], any sizes (the model resizes
// them, see DetectionOptions::minSize / maxSize); targets and detections are in
// the pixels of those images (transform.h: DetectionTarget, Detections).
#include "training/models/detection/backbone.h"
#include "training/models/detection/roi_heads.h"
#include "training/models/detection/rpn.h"
#include "training/models/detection/transform.h"
#include "training/models/models.h"

#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace training::detection {

// torchvision's constructor arguments, with its defaults.
struct DetectionOptions {
    std::string arch = "maskrcnn_resnet50_fpn"; // see detectionModelNames()
    int numClasses = 91;                         // background included: labels 1..numClasses-1
    // Backbone: FrozenBatchNorm2d (torchvision's choice with pretrained weights) or
    // BatchNorm2d (its choice without); trainable stages counted from layer4 (0..5).
    bool frozenBatchNorm = false;
    int trainableBackboneLayers = 5;
    // GroupNorm instead of batch norm in the backbone (resnet.h): the state dict of
    // torchvision's resnet_fpn_backbone(..., norm_layer=lambda c: nn.GroupNorm(32, c)).
    NormKind norm = NormKind::Batch;
    // The backbone's batch-norm epsilon. torchvision loads its COCO-trained
    // maskrcnn/fasterrcnn_resnet50_fpn weights with 0.0 (overwrite_eps); to predict
    // as torchvision does with them, use frozenBatchNorm = true and 0.0 here.
    double batchNormEps = 1e-5;
    // GeneralizedRCNNTransform.
    TransformOptions transform;
    // AnchorGenerator: one list per pyramid level (5 levels: strides 4..64); the
    // same number of sizes x ratios at every level.
    std::vector<std::vector<double>> anchorSizes{{32}, {64}, {128}, {256}, {512}};
    std::vector<std::vector<double>> aspectRatios{{0.5, 1.0, 2.0}, {0.5, 1.0, 2.0}, {0.5, 1.0, 2.0}, {0.5, 1.0, 2.0}, {0.5, 1.0, 2.0}};
    RpnOptions rpn;
    RoIHeadsOptions box;
};

std::vector<std::string> detectionModelNames(); // fasterrcnn_resnet{18,50}_fpn, maskrcnn_resnet{18,50}_fpn
bool isDetectionArch(const std::string &arch);

class DetectionModelImpl : public torch::nn::Module {
public:
    // Throws std::invalid_argument for an unknown arch or inconsistent options.
    explicit DetectionModelImpl(const DetectionOptions &options);

    // Training mode only: the named losses of one batch. Targets are copied, not changed.
    std::map<std::string, torch::Tensor> losses(const std::vector<torch::Tensor> &images, std::vector<DetectionTarget> targets);
    // Eval mode only (runs under NoGradGuard): per image its detections. pasteMasks false:
    // masks stay the mask head's N x 1 x M x M probabilities over each box, for a caller that
    // pastes them into pixels of its own (training/describe.h: toImage).
    std::vector<Detections> detect(const std::vector<torch::Tensor> &images, bool pasteMasks = true);

    // Transfer learning: fresh class-specific layers (cls_score, bbox_pred,
    // mask_fcn_logits) for numClasses, background included.
    void replacePredictors(int numClasses);
    // Freezes all but the last `layers` backbone stages (0..5, torchvision's trainable_backbone_layers).
    void setTrainableBackboneLayers(int layers);
    // NHWC tensors through the convolutions: faster with oneDNN on the CPU.
    void setChannelsLast(bool on);

    const DetectionOptions &options() const { return m_options; }
    bool hasMask() const { return roi_heads->hasMask(); }
    int numClasses() const { return roi_heads->numClasses(); }

    BackboneWithFPN backbone{nullptr};
    RegionProposalNetwork rpn{nullptr};
    RoIHeads roi_heads{nullptr};

private:
    std::pair<std::vector<Detections>, std::map<std::string, torch::Tensor>> run(const std::vector<torch::Tensor> &images, bool pasteMasks,
                                                                                 std::vector<DetectionTarget> *targets);
    DetectionOptions m_options;
    GeneralizedRCNNTransform m_transform;
    bool m_channelsLast = false;
};
TORCH_MODULE(DetectionModel);

// Renames the keys of older torchvision checkpoints (such as the published COCO
// weights) to today's: rpn.head.conv.{weight,bias} -> rpn.head.conv.0.0.*,
// fpn.{inner,layer}_blocks.i.* -> *.i.0.*, mask_head.mask_fcnN.* -> mask_head.(N-1).0.*.
StateDict upgradeDetectionKeys(StateDict weights);
// The number of classes (background included) of a detection state dict, read
// from roi_heads.box_predictor.cls_score.weight; 0 when it has none.
int detectionNumClasses(const StateDict &weights);
// The norm of a detection state dict's backbone: batch norm keeps running statistics,
// GroupNorm does not; none when the file has no detection backbone.
std::optional<NormKind> backboneNorm(const StateDict &weights);
// loadWeights after upgradeDetectionKeys; num_batches_tracked, which
// FrozenBatchNorm2d checkpoints lack, is not reported missing.
LoadReport loadDetectionWeights(DetectionModelImpl &model, const StateDict &weights);

} // namespace training::detection
