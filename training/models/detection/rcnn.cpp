#include "training/models/detection/rcnn.h"

#include "training/models/detection/torchvision_ops.h"

#include <algorithm>
#include <stdexcept>

namespace training::detection {

namespace {

struct ArchInfo {
    std::string backbone;
    bool mask = false;
};

ArchInfo archInfo(const std::string &arch)
{
    if (arch == "fasterrcnn_resnet50_fpn") return {"resnet50", false};
    if (arch == "fasterrcnn_resnet18_fpn") return {"resnet18", false};
    if (arch == "maskrcnn_resnet50_fpn") return {"resnet50", true};
    if (arch == "maskrcnn_resnet18_fpn") return {"resnet18", true};
    throw std::invalid_argument("unknown detection model '" + arch + "'");
}

} // namespace

std::vector<std::string> detectionModelNames()
{
    return {"fasterrcnn_resnet18_fpn", "fasterrcnn_resnet50_fpn", "maskrcnn_resnet18_fpn", "maskrcnn_resnet50_fpn"};
}

bool isDetectionArch(const std::string &arch)
{
    const auto names = detectionModelNames();
    return std::find(names.begin(), names.end(), arch) != names.end();
}

DetectionModelImpl::DetectionModelImpl(const DetectionOptions &o) : m_options(o), m_transform(o.transform)
{
    const ArchInfo info = archInfo(o.arch);
    if (o.numClasses < 2) throw std::invalid_argument("a detector needs the background and at least one class (numClasses >= 2)");
    if (o.anchorSizes.size() != 5)
        throw std::invalid_argument("the FPN has 5 levels: give 5 lists of anchor sizes, got " + std::to_string(o.anchorSizes.size()));
    backbone = register_module("backbone", BackboneWithFPN(info.backbone, o.frozenBatchNorm, o.trainableBackboneLayers, o.norm));
    if (o.frozenBatchNorm && o.norm != NormKind::Batch) throw std::invalid_argument("a frozen backbone norm is a batch norm");
    if (!(o.batchNormEps >= 0)) throw std::invalid_argument("the batch-norm epsilon must be >= 0");
    for (auto &m : backbone->body->modules(false))
        if (auto *bn = m->as<torch::nn::BatchNorm2d>()) bn->options.eps(o.batchNormEps);
    rpn = register_module("rpn", RegionProposalNetwork(AnchorGenerator(o.anchorSizes, o.aspectRatios), backbone->outChannels, o.rpn));
    roi_heads = register_module("roi_heads", RoIHeads(backbone->outChannels, o.numClasses, info.mask, o.box));
    requireTorchvisionOps();
}

void DetectionModelImpl::replacePredictors(int numClasses)
{
    roi_heads->replacePredictors(numClasses);
    m_options.numClasses = numClasses;
    if (m_channelsLast) toChannelsLast(*roi_heads);
}

void DetectionModelImpl::setTrainableBackboneLayers(int layers)
{
    backbone->setTrainableLayers(layers);
    m_options.trainableBackboneLayers = layers;
}

void DetectionModelImpl::setChannelsLast(bool on)
{
    m_channelsLast = on;
    roi_heads->channelsLast = on;
    torch::NoGradGuard g;
    for (auto &p : parameters(true))
        if (p.dim() == 4) p.set_data(p.data().contiguous(on ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous));
}

std::pair<std::vector<Detections>, std::map<std::string, torch::Tensor>> DetectionModelImpl::run(const std::vector<torch::Tensor> &images, bool pasteMasks,
                                                                                                  std::vector<DetectionTarget> *targets)
{
    ImageSizes original;
    for (const auto &img : images) {
        TORCH_CHECK(img.defined() && img.dim() == 3, "expecting each image to be a C x H x W tensor, got ",
                    img.defined() ? img.sizes() : c10::IntArrayRef{});
        original.push_back({img.size(1), img.size(2)});
    }
    const bool training = is_training();
    const ImageList batch = m_transform(images, targets, training, m_channelsLast);
    if (targets) {
        for (std::size_t i = 0; i < targets->size(); ++i) {
            const torch::Tensor &b = (*targets)[i].boxes;
            const torch::Tensor degenerate = (b.slice(1, 2) <= b.slice(1, 0, 2)).any(1);
            if (degenerate.any().item<bool>()) {
                const int64_t k = torch::where(degenerate)[0][0].item<int64_t>();
                const auto v = b[k].to(torch::kDouble).cpu();
                TORCH_CHECK(false, "All bounding boxes should have positive height and width. Found invalid box [", v[0].item<double>(), ", ",
                            v[1].item<double>(), ", ", v[2].item<double>(), ", ", v[3].item<double>(), "] for target at index ", i, ".");
            }
        }
    }
    const std::vector<torch::Tensor> features = backbone(batch.tensors);
    auto [proposals, rpnLosses] = rpn(batch, features, targets);
    auto [detections, headLosses] = roi_heads(features, proposals, batch.imageSizes, targets);
    if (!training) m_transform.postprocess(detections, batch.imageSizes, original, pasteMasks);
    headLosses.insert(rpnLosses.begin(), rpnLosses.end());
    return {detections, headLosses};
}

std::map<std::string, torch::Tensor> DetectionModelImpl::losses(const std::vector<torch::Tensor> &images, std::vector<DetectionTarget> targets)
{
    TORCH_CHECK(is_training(), "losses() needs the model in training mode (call train())");
    TORCH_CHECK(targets.size() == images.size(), targets.size(), " targets for ", images.size(), " images");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const auto &t = targets[i];
        TORCH_CHECK(t.boxes.defined() && t.boxes.dim() == 2 && t.boxes.size(-1) == 4, "Expected target boxes to be a tensor of shape [N, 4], got ",
                    t.boxes.defined() ? t.boxes.sizes() : c10::IntArrayRef{}, " for image ", i);
        TORCH_CHECK(t.labels.defined() && t.labels.dim() == 1 && t.labels.size(0) == t.boxes.size(0), "target ", i, " needs one label per box");
        if (hasMask()) {
            TORCH_CHECK(t.masks.defined() && t.masks.dim() == 3 && t.masks.size(0) == t.boxes.size(0), "target ", i,
                        " needs one N x H x W mask per box for Mask R-CNN");
            TORCH_CHECK(t.masks.size(1) == images[i].size(1) && t.masks.size(2) == images[i].size(2), "target ", i, "'s masks are ",
                        t.masks.size(1), " x ", t.masks.size(2), ", its image ", images[i].size(1), " x ", images[i].size(2));
        }
    }
    return run(images, true, &targets).second;
}

std::vector<Detections> DetectionModelImpl::detect(const std::vector<torch::Tensor> &images, bool pasteMasks)
{
    TORCH_CHECK(!is_training(), "detect() needs the model in eval mode (call eval())");
    torch::NoGradGuard noGrad;
    return run(images, pasteMasks, nullptr).first;
}

StateDict upgradeDetectionKeys(StateDict weights)
{
    auto replacePrefix = [](std::string &k, const std::string &from, const std::string &to) {
        if (k.rfind(from, 0) != 0) return false;
        k = to + k.substr(from.size());
        return true;
    };
    for (auto &[key, t] : weights) {
        std::string k = key;
        if (k == "rpn.head.conv.weight" || k == "rpn.head.conv.bias") {
            replacePrefix(k, "rpn.head.conv.", "rpn.head.conv.0.0.");
        } else {
            for (const char *block : {"backbone.fpn.inner_blocks.", "backbone.fpn.layer_blocks."}) {
                const std::string b = block;
                // backbone.fpn.inner_blocks.<i>.weight (no ".0.")
                if (k.rfind(b, 0) == 0) {
                    const std::string rest = k.substr(b.size());
                    const auto dot = rest.find('.');
                    if (dot != std::string::npos && (rest.substr(dot) == ".weight" || rest.substr(dot) == ".bias"))
                        k = b + rest.substr(0, dot) + ".0" + rest.substr(dot);
                }
            }
            const std::string mh = "roi_heads.mask_head.mask_fcn";
            if (k.rfind(mh, 0) == 0) {
                const std::string rest = k.substr(mh.size()); // "<N>.weight"
                const auto dot = rest.find('.');
                if (dot != std::string::npos) {
                    const int n = std::stoi(rest.substr(0, dot));
                    k = "roi_heads.mask_head." + std::to_string(n - 1) + ".0" + rest.substr(dot);
                }
            }
        }
        key = k;
    }
    return weights;
}

int detectionNumClasses(const StateDict &weights)
{
    for (const auto &[k, t] : weights)
        if (k == "roi_heads.box_predictor.cls_score.weight" && t.dim() == 2) return static_cast<int>(t.size(0));
    return 0;
}

std::optional<NormKind> backboneNorm(const StateDict &weights)
{
    bool norm = false, stats = false;
    for (const auto &[k, t] : weights) {
        norm = norm || k == "backbone.body.bn1.weight";
        stats = stats || k == "backbone.body.bn1.running_mean";
    }
    if (!norm) return std::nullopt;
    return stats ? NormKind::Batch : NormKind::Group;
}

LoadReport loadDetectionWeights(DetectionModelImpl &model, const StateDict &weights)
{
    LoadReport r = loadWeights(model, upgradeDetectionKeys(weights));
    const std::string nbt = "num_batches_tracked";
    r.missing.erase(std::remove_if(r.missing.begin(), r.missing.end(),
                                   [&](const std::string &k) { return k.size() >= nbt.size() && k.compare(k.size() - nbt.size(), nbt.size(), nbt) == 0; }),
                    r.missing.end());
    return r;
}

} // namespace training::detection
