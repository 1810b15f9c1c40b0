#include "training/models/detection/roi_heads.h"

#include "training/models/detection/box_ops.h"
#include "training/models/detection/torchvision_ops.h"

namespace training::detection {

namespace nn = torch::nn;

TwoMLPHeadImpl::TwoMLPHeadImpl(int inChannels, int representationSize)
{
    fc6 = register_module("fc6", nn::Linear(inChannels, representationSize));
    fc7 = register_module("fc7", nn::Linear(representationSize, representationSize));
}

torch::Tensor TwoMLPHeadImpl::forward(const torch::Tensor &x) { return fc7(fc6(x.flatten(1)).relu_()).relu_(); }

FastRCNNPredictorImpl::FastRCNNPredictorImpl(int inChannels, int numClasses)
{
    cls_score = register_module("cls_score", nn::Linear(inChannels, numClasses));
    bbox_pred = register_module("bbox_pred", nn::Linear(inChannels, numClasses * 4));
}

std::pair<torch::Tensor, torch::Tensor> FastRCNNPredictorImpl::forward(const torch::Tensor &x)
{
    const torch::Tensor f = x.flatten(1);
    return {cls_score(f), bbox_pred(f)};
}

MaskBranch makeMaskBranch(int inChannels, int numClasses)
{
    MaskBranch b;
    b.head = nn::ModuleList();
    int in = inChannels;
    for (int i = 0; i < 4; ++i) {
        nn::Conv2d c(nn::Conv2dOptions(in, 256, 3).padding(1));
        nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
        nn::init::zeros_(c->bias);
        b.head->push_back(nn::ModuleList(c, nn::ReLU())); // Conv2dNormActivation without norm: mask_head.i.0
        b.convs.push_back(c);
        in = 256;
    }
    b.conv5_mask = nn::ConvTranspose2d(nn::ConvTranspose2dOptions(256, 256, 2).stride(2));
    b.mask_fcn_logits = nn::Conv2d(nn::Conv2dOptions(256, numClasses, 1));
    nn::init::kaiming_normal_(b.conv5_mask->weight, 0.0, torch::kFanOut, torch::kReLU);
    nn::init::kaiming_normal_(b.mask_fcn_logits->weight, 0.0, torch::kFanOut, torch::kReLU);
    b.predictor = nn::Sequential();
    b.predictor->push_back("conv5_mask", b.conv5_mask);
    b.predictor->push_back("relu", nn::ReLU());
    b.predictor->push_back("mask_fcn_logits", b.mask_fcn_logits);
    return b;
}

torch::Tensor maskLogits(const MaskBranch &b, const torch::Tensor &pooled, bool channelsLast)
{
    // No RoIs (an image without detections): LibTorch 1.13's convolution cannot take an
    // empty channels-last batch, and there is nothing to compute.
    if (pooled.size(0) == 0)
        return torch::zeros({0, b.mask_fcn_logits->weight.size(0), 2 * pooled.size(2), 2 * pooled.size(3)}, pooled.options());
    torch::Tensor x = channelsLast ? pooled.contiguous(torch::MemoryFormat::ChannelsLast) : pooled;
    for (auto c : b.convs) x = c(x).relu_();
    const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), w = x.size(3);
    // reshape, not view: with no RoIs (an image without proposals) mm gives 0 rows whose strides view refuses.
    // conv5_mask: out[n, o, 2i + a, 2j + b] = bias[o] + sum_c x[n, c, i, j] W[c, o, a, b].
    const torch::Tensor &wt = b.conv5_mask->weight; // Cin x Cout x 2 x 2
    const int64_t cout = wt.size(1);
    const torch::Tensor rows = x.permute({0, 2, 3, 1}).reshape({n * h * w, cin});
    torch::Tensor y = torch::mm(rows, wt.reshape({cin, cout * 4}));                     // (n h w) x (o a b)
    y = y.reshape({n, h, w, cout, 2, 2}).permute({0, 1, 4, 2, 5, 3}).reshape({n * h * 2 * w * 2, cout}); // (n, 2h, 2w) x o
    y = y.add_(b.conv5_mask->bias).relu_(); // 100 detections make y 80 MB: no second copy
    // mask_fcn_logits, a 1 x 1 convolution: logits[n, k, y, x] = bias[k] + sum_o y[n, o, y, x] V[k, o].
    const torch::Tensor &v = b.mask_fcn_logits->weight; // K x Cout x 1 x 1
    const int64_t k = v.size(0);
    const torch::Tensor logits = torch::addmm(b.mask_fcn_logits->bias, y, v.reshape({k, cout}).t());
    return logits.reshape({n, 2 * h, 2 * w, k}).permute({0, 3, 1, 2});
}

RoIHeadsImpl::RoIHeadsImpl(int inChannels, int numClasses, bool withMask, RoIHeadsOptions o)
    : options(o), m_coder(o.bboxRegWeights), m_matcher(o.fgIouThresh, o.bgIouThresh, false), m_sampler(o.batchSizePerImage, o.positiveFraction)
{
    const int resolution = static_cast<int>(boxRoiPool.outputSize());
    box_head = register_module("box_head", TwoMLPHead(inChannels * resolution * resolution, 1024));
    box_predictor = register_module("box_predictor", FastRCNNPredictor(1024, numClasses));
    if (withMask) {
        mask = makeMaskBranch(inChannels, numClasses);
        register_module("mask_head", mask.head);
        register_module("mask_predictor", mask.predictor);
    }
}

void RoIHeadsImpl::replacePredictors(int numClasses)
{
    TORCH_CHECK(numClasses >= 2, "a detector needs the background and at least one class, got ", numClasses, " classes");
    const auto device = box_predictor->cls_score->weight.device();
    box_predictor = replace_module("box_predictor", FastRCNNPredictor(1024, numClasses));
    box_predictor->to(device);
    if (hasMask()) {
        nn::Conv2d logits(nn::Conv2dOptions(mask.conv5_mask->weight.size(1), numClasses, 1));
        nn::init::kaiming_normal_(logits->weight, 0.0, torch::kFanOut, torch::kReLU);
        logits->to(device);
        nn::Sequential p;
        p->push_back("conv5_mask", mask.conv5_mask);
        p->push_back("relu", nn::ReLU());
        p->push_back("mask_fcn_logits", logits);
        mask.predictor = replace_module("mask_predictor", p);
        mask.mask_fcn_logits = logits;
    }
}

std::pair<std::vector<Detections>, std::map<std::string, torch::Tensor>>
RoIHeadsImpl::forward(const std::vector<torch::Tensor> &features, std::vector<torch::Tensor> proposals, const ImageSizes &imageSizes,
                      const std::vector<DetectionTarget> *targets)
{
    const bool training = is_training();
    const std::size_t numImages = proposals.size();
    std::vector<torch::Tensor> labels, matchedIdxs, regressionTargets;
    if (targets) {
        for (const auto &t : *targets) {
            TORCH_CHECK(t.boxes.is_floating_point(), "target boxes must of float type, instead got ", t.boxes.scalar_type());
            TORCH_CHECK(t.labels.defined() && t.labels.scalar_type() == torch::kLong, "target labels must of int64 type, instead got ",
                        t.labels.defined() ? c10::toString(t.labels.scalar_type()) : "none");
            TORCH_CHECK(!hasMask() || !training || t.masks.defined(), "Every element of targets should have a masks key");
        }
    }
    if (training) {
        TORCH_CHECK(targets && targets->size() == numImages, "targets should not be None");
        // select_training_samples: add the ground truth to the proposals, match, sample.
        for (std::size_t i = 0; i < numImages; ++i) {
            const auto &t = (*targets)[i];
            const torch::Tensor gt = t.boxes.to(proposals[i].scalar_type());
            proposals[i] = torch::cat({proposals[i], gt});
            torch::Tensor matched, lab;
            if (gt.numel() == 0) {
                matched = torch::zeros({proposals[i].size(0)}, proposals[i].options().dtype(torch::kLong));
                lab = torch::zeros({proposals[i].size(0)}, proposals[i].options().dtype(torch::kLong));
            } else {
                const torch::Tensor m = m_matcher(boxIou(gt, proposals[i]));
                matched = m.clamp_min(0);
                lab = t.labels.index_select(0, matched).to(torch::kLong);
                lab.masked_fill_(m == Matcher::kBelowLow, 0);
                lab.masked_fill_(m == Matcher::kBetween, -1);
            }
            matchedIdxs.push_back(matched);
            labels.push_back(lab);
        }
        const auto sample = m_sampler(labels);
        for (std::size_t i = 0; i < numImages; ++i) {
            const torch::Tensor keep = torch::where(sample[i].positive.to(torch::kBool) | sample[i].negative.to(torch::kBool))[0];
            proposals[i] = proposals[i].index_select(0, keep);
            labels[i] = labels[i].index_select(0, keep);
            matchedIdxs[i] = matchedIdxs[i].index_select(0, keep);
            torch::Tensor gt = (*targets)[i].boxes.to(proposals[i].scalar_type());
            if (gt.numel() == 0) gt = torch::zeros({1, 4}, proposals[i].options());
            regressionTargets.push_back(m_coder.encode(gt.index_select(0, matchedIdxs[i]), proposals[i]));
        }
    }

    // The pooled levels in NCHW, once for both heads (torchvision's RoIAlign kernel needs it).
    std::vector<torch::Tensor> pooledLevels;
    for (std::size_t l = 0; l < std::min<std::size_t>(4, features.size()); ++l) pooledLevels.push_back(features[l].contiguous());
    const torch::Tensor boxFeatures = box_head(boxRoiPool(pooledLevels, proposals, imageSizes));
    auto [classLogits, boxRegression] = box_predictor(boxFeatures);

    std::vector<Detections> result;
    std::map<std::string, torch::Tensor> losses;
    if (training) {
        // fastrcnn_loss
        const torch::Tensor allLabels = torch::cat(labels), allTargets = torch::cat(regressionTargets);
        losses["loss_classifier"] = torch::cross_entropy_loss(classLogits, allLabels);
        const torch::Tensor pos = torch::where(allLabels > 0)[0];
        const torch::Tensor labelsPos = allLabels.index_select(0, pos);
        const torch::Tensor reg = boxRegression.reshape({classLogits.size(0), boxRegression.size(-1) / 4, 4});
        losses["loss_box_reg"] = torch::smooth_l1_loss(reg.index({pos, labelsPos}), allTargets.index_select(0, pos), at::Reduction::Sum, 1.0 / 9) /
                                 static_cast<double>(allLabels.numel());
    } else {
        // postprocess_detections
        const int64_t numClasses = classLogits.size(-1);
        // Sizes spelt out: a batch without proposals (0 rows) cannot infer a -1.
        const torch::Tensor predBoxes = m_coder.decode(boxRegression, torch::cat(proposals)).reshape({classLogits.size(0), numClasses, 4});
        const torch::Tensor predScores = torch::softmax(classLogits, -1);
        int64_t offset = 0;
        for (std::size_t i = 0; i < numImages; ++i) {
            const int64_t n = proposals[i].size(0);
            torch::Tensor boxes = clipBoxesToImage(predBoxes.slice(0, offset, offset + n), imageSizes[i][0], imageSizes[i][1]);
            torch::Tensor scores = predScores.slice(0, offset, offset + n);
            offset += n;
            torch::Tensor labs = torch::arange(numClasses, scores.options().dtype(torch::kLong)).view({1, -1}).expand_as(scores);
            // Drop the background column, then treat every (box, class) as its own candidate.
            boxes = boxes.slice(1, 1).reshape({-1, 4});
            scores = scores.slice(1, 1).reshape(-1);
            labs = labs.slice(1, 1).reshape(-1);
            torch::Tensor keep = torch::where(scores > options.scoreThresh)[0];
            boxes = boxes.index_select(0, keep), scores = scores.index_select(0, keep), labs = labs.index_select(0, keep);
            keep = removeSmallBoxes(boxes, 1e-2);
            boxes = boxes.index_select(0, keep), scores = scores.index_select(0, keep), labs = labs.index_select(0, keep);
            keep = batchedNms(boxes, scores, labs, options.nmsThresh).slice(0, 0, options.detectionsPerImg);
            result.push_back({boxes.index_select(0, keep), scores.index_select(0, keep), labs.index_select(0, keep), {}});
        }
    }

    if (!hasMask()) return {result, losses};
    std::vector<torch::Tensor> maskProposals, posMatched;
    if (training) {
        for (std::size_t i = 0; i < numImages; ++i) {
            const torch::Tensor pos = torch::where(labels[i] > 0)[0];
            maskProposals.push_back(proposals[i].index_select(0, pos));
            posMatched.push_back(matchedIdxs[i].index_select(0, pos));
        }
    } else {
        for (const auto &d : result) maskProposals.push_back(d.boxes);
    }
    const torch::Tensor logits = maskLogits(mask, maskRoiPool(pooledLevels, maskProposals, imageSizes), channelsLast);
    if (training) {
        // maskrcnn_loss: the ground-truth masks cropped to the positive proposals at the logits' resolution.
        const int64_t m = logits.size(-1);
        std::vector<torch::Tensor> maskLabels, maskTargets;
        for (std::size_t i = 0; i < numImages; ++i) {
            const auto &t = (*targets)[i];
            maskLabels.push_back(t.labels.index_select(0, posMatched[i]));
            const torch::Tensor rois = torch::cat({posMatched[i].to(maskProposals[i].scalar_type()).unsqueeze(1), maskProposals[i]}, 1);
            maskTargets.push_back(roiAlign(t.masks.unsqueeze(1).to(rois.scalar_type()), rois, 1.0, m, m, -1, false).select(1, 0));
        }
        const torch::Tensor allLabels = torch::cat(maskLabels), allTargets = torch::cat(maskTargets);
        if (allTargets.numel() == 0) {
            losses["loss_mask"] = logits.sum() * 0;
        } else {
            const torch::Tensor picked = logits.index({torch::arange(allLabels.size(0), allLabels.options()), allLabels});
            losses["loss_mask"] = torch::binary_cross_entropy_with_logits(picked, allTargets);
        }
    } else {
        // maskrcnn_inference: the probability map of each detection's own class.
        int64_t offset = 0;
        for (auto &d : result) {
            const int64_t n = d.labels.size(0);
            const torch::Tensor l = logits.slice(0, offset, offset + n);
            d.masks = torch::sigmoid(l.index({torch::arange(n, d.labels.options()), d.labels})).unsqueeze(1);
            offset += n;
        }
    }
    return {result, losses};
}

} // namespace training::detection
