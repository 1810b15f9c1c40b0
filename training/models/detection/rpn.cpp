#include "training/models/detection/rpn.h"

#include "training/models/detection/box_ops.h"

namespace training::detection {

namespace nn = torch::nn;

RPNHeadImpl::RPNHeadImpl(int inChannels, int numAnchors)
{
    conv0 = nn::Conv2d(nn::Conv2dOptions(inChannels, inChannels, 3).padding(1));
    conv = register_module("conv", nn::ModuleList()); // rpn.head.conv.0.0: Conv2dNormActivation without norm
    conv->push_back(nn::ModuleList(conv0, nn::ReLU()));
    cls_logits = register_module("cls_logits", nn::Conv2d(nn::Conv2dOptions(inChannels, numAnchors, 1)));
    bbox_pred = register_module("bbox_pred", nn::Conv2d(nn::Conv2dOptions(inChannels, numAnchors * 4, 1)));
    for (auto *c : {&conv0, &cls_logits, &bbox_pred}) {
        nn::init::normal_((*c)->weight, 0.0, 0.01);
        nn::init::constant_((*c)->bias, 0);
    }
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> RPNHeadImpl::forward(const std::vector<torch::Tensor> &features)
{
    std::vector<torch::Tensor> logits, boxes;
    for (const auto &f : features) {
        const torch::Tensor t = conv0(f).relu_();
        logits.push_back(cls_logits(t));
        boxes.push_back(bbox_pred(t));
    }
    return {logits, boxes};
}

RegionProposalNetworkImpl::RegionProposalNetworkImpl(AnchorGenerator anchors, int inChannels, RpnOptions o)
    : anchorGenerator(std::move(anchors)), options(o), m_matcher(o.fgIouThresh, o.bgIouThresh, true),
      m_sampler(o.batchSizePerImage, o.positiveFraction)
{
    const auto perLocation = anchorGenerator.numAnchorsPerLocation();
    for (auto n : perLocation)
        TORCH_CHECK(n == perLocation.front(), "the RPN head needs the same number of anchors at every level (sizes x aspect ratios)");
    head = register_module("head", RPNHead(inChannels, static_cast<int>(perLocation.front())));
}

namespace {

// N x (A*C) x H x W -> N x (H*W*A) x C, torchvision's permute_and_flatten.
torch::Tensor permuteAndFlatten(const torch::Tensor &layer, int64_t c)
{
    const int64_t n = layer.size(0), h = layer.size(2), w = layer.size(3);
    return layer.reshape({n, -1, c, h, w}).permute({0, 3, 4, 1, 2}).reshape({n, -1, c});
}

} // namespace

std::pair<std::vector<torch::Tensor>, std::map<std::string, torch::Tensor>>
RegionProposalNetworkImpl::forward(const ImageList &images, const std::vector<torch::Tensor> &features, const std::vector<DetectionTarget> *targets)
{
    auto [objectnessLevels, deltaLevels] = head(features);
    const torch::Tensor anchors = anchorGenerator(images.tensors.size(-2), images.tensors.size(-1), features);
    const int64_t numImages = images.tensors.size(0);

    std::vector<int64_t> perLevel;
    std::vector<torch::Tensor> obj, del;
    for (std::size_t l = 0; l < objectnessLevels.size(); ++l) {
        const auto &o = objectnessLevels[l];
        perLevel.push_back(o.size(1) * o.size(2) * o.size(3));
        obj.push_back(permuteAndFlatten(o, 1));
        del.push_back(permuteAndFlatten(deltaLevels[l], 4));
    }
    const torch::Tensor objectness = torch::cat(obj, 1).flatten(0, -2); // (N*T) x 1
    const torch::Tensor deltas = torch::cat(del, 1).reshape({-1, 4});   // (N*T) x 4
    const int64_t total = anchors.size(0);
    const torch::Tensor allAnchors = anchors.repeat({numImages, 1});
    const torch::Tensor proposals = m_coder.decode(deltas.detach(), allAnchors).reshape({numImages, -1, 4});

    // filter_proposals: the top-n of each level, clipped, small ones dropped, NMS per level.
    const bool training = is_training();
    const int64_t preTopN = training ? options.preNmsTopNTrain : options.preNmsTopNTest;
    const int64_t postTopN = training ? options.postNmsTopNTrain : options.postNmsTopNTest;
    const torch::Tensor scoresAll = objectness.detach().reshape({numImages, -1});
    const auto longs = torch::TensorOptions().dtype(torch::kLong).device(scoresAll.device());
    std::vector<torch::Tensor> levelIds, topIdx;
    int64_t offset = 0;
    for (std::size_t l = 0; l < perLevel.size(); ++l) {
        levelIds.push_back(torch::full({perLevel[l]}, static_cast<int64_t>(l), longs));
        const torch::Tensor ob = scoresAll.slice(1, offset, offset + perLevel[l]);
        topIdx.push_back(std::get<1>(ob.topk(std::min(preTopN, perLevel[l]), 1)) + offset);
        offset += perLevel[l];
    }
    const torch::Tensor top = torch::cat(topIdx, 1);
    const torch::Tensor levels = torch::cat(levelIds).index_select(0, top.reshape(-1)).reshape(top.sizes());
    const torch::Tensor topScores = torch::sigmoid(scoresAll.gather(1, top));
    const torch::Tensor topBoxes = proposals.gather(1, top.unsqueeze(-1).expand({-1, -1, 4}));

    std::vector<torch::Tensor> boxesOut;
    for (int64_t i = 0; i < numImages; ++i) {
        const auto &size = images.imageSizes[static_cast<std::size_t>(i)];
        torch::Tensor boxes = clipBoxesToImage(topBoxes[i], size[0], size[1]);
        torch::Tensor scores = topScores[i], lvl = levels[i];
        torch::Tensor keep = removeSmallBoxes(boxes, 1e-3);
        boxes = boxes.index_select(0, keep), scores = scores.index_select(0, keep), lvl = lvl.index_select(0, keep);
        keep = torch::where(scores >= options.scoreThresh)[0];
        boxes = boxes.index_select(0, keep), scores = scores.index_select(0, keep), lvl = lvl.index_select(0, keep);
        keep = batchedNms(boxes, scores, lvl, options.nmsThresh).slice(0, 0, postTopN);
        boxesOut.push_back(boxes.index_select(0, keep));
    }

    std::map<std::string, torch::Tensor> losses;
    if (!training) return {boxesOut, losses};
    TORCH_CHECK(targets && targets->size() == static_cast<std::size_t>(numImages), "the RPN needs one target per image in training");

    // assign_targets_to_anchors: 1 foreground, 0 background, -1 ignored.
    std::vector<torch::Tensor> labels, regression;
    for (int64_t i = 0; i < numImages; ++i) {
        const torch::Tensor &gt = (*targets)[static_cast<std::size_t>(i)].boxes;
        torch::Tensor lab, matchedBoxes;
        if (gt.numel() == 0) {
            matchedBoxes = torch::zeros(anchors.sizes(), anchors.options().dtype(torch::kFloat));
            lab = torch::zeros({total}, anchors.options().dtype(torch::kFloat));
        } else {
            const torch::Tensor matched = m_matcher(boxIou(gt, anchors));
            matchedBoxes = gt.index_select(0, matched.clamp_min(0));
            lab = (matched >= 0).to(torch::kFloat);
            lab.masked_fill_(matched == Matcher::kBelowLow, 0.0);
            lab.masked_fill_(matched == Matcher::kBetween, -1.0);
        }
        labels.push_back(lab);
        regression.push_back(m_coder.encode(matchedBoxes, anchors));
    }
    const auto sample = m_sampler(labels);
    std::vector<torch::Tensor> pos, neg;
    for (const auto &s : sample) pos.push_back(s.positive), neg.push_back(s.negative);
    const torch::Tensor posIdx = torch::where(torch::cat(pos))[0], negIdx = torch::where(torch::cat(neg))[0];
    const torch::Tensor sampled = torch::cat({posIdx, negIdx});
    const torch::Tensor allLabels = torch::cat(labels), allTargets = torch::cat(regression);
    losses["loss_rpn_box_reg"] =
        torch::smooth_l1_loss(deltas.index_select(0, posIdx), allTargets.index_select(0, posIdx), at::Reduction::Sum, 1.0 / 9) /
        static_cast<double>(sampled.numel());
    losses["loss_objectness"] =
        torch::binary_cross_entropy_with_logits(objectness.flatten().index_select(0, sampled), allLabels.index_select(0, sampled));
    return {boxesOut, losses};
}

} // namespace training::detection
