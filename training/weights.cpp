// `weights import` and `weights export`: torchvision .pth files to and from checkpoints.
#include "training/trainer.h"

#include "training/config.h"
#include "training/models/detection/rcnn.h"
#include "training/models/models.h"
#include "training/models/state_dict.h"
#include "training/models/torch_error.h"

#include <algorithm>
#include <cmath>

using core::ErrorCode;
using core::makeError;

namespace training {

namespace {

core::Status importWeightsUnguarded(const std::string &pth, const std::string &arch, const std::string &out)
{
    const auto names = modelNames();
    if (std::find(names.begin(), names.end(), arch) == names.end() && !detection::isDetectionArch(arch))
        return makeError(ErrorCode::Invalid, {}, {}, "--arch: unknown architecture '" + arch.substr(0, 40) + "' (" + modelList() + ")");
    auto w = loadStateDict(pth);
    if (!w.ok()) return makeError(w.error.rfind("cannot open", 0) == 0 ? ErrorCode::Io : ErrorCode::Invalid, pth, {}, w.error);
    if (detection::isDetectionArch(arch)) {
        // Faster/Mask R-CNN: the box predictor tells the number of classes; older key names are upgraded.
        detection::DetectionOptions o;
        o.arch = arch;
        o.numClasses = detection::detectionNumClasses(w.tensors);
        o.norm = detection::backboneNorm(w.tensors).value_or(NormKind::Batch);
        if (o.numClasses < 2) return makeError(ErrorCode::Invalid, pth, {}, "is not a " + arch + " state dict (no roi_heads.box_predictor.cls_score.weight)");
        auto m = std::make_shared<detection::DetectionModelImpl>(o);
        const LoadReport rep = detection::loadDetectionWeights(*m, w.tensors);
        if (!rep.missing.empty() || !rep.mismatched.empty())
            return makeError(ErrorCode::Invalid, pth, {}, "is not a " + arch + " state dict (" + std::to_string(rep.missing.size()) + " missing, " +
                                                            std::to_string(rep.mismatched.size()) + " mismatched tensors)");
        if (auto err = saveStateDict(modelStateDict(*m), out); !err.empty()) return makeError(ErrorCode::Io, out, {}, err);
        return {};
    }
    // The file tells the number of classes (the head's rows) and, for the dense
    // models, the input they were built for (their first layer's columns).
    std::int64_t classes = 1000, channels = 3, size = 224;
    auto shapeOf = [&](const std::string &name) -> std::vector<std::int64_t> {
        for (const auto &[k, t] : w.tensors)
            if (k == name) return t.sizes().vec();
        return {};
    };
    const std::string head = arch == "mlp" ? "fc3.weight" : arch == "smallcnn" ? "fc2.weight" : arch == "unet" ? "outc.weight" : "fc.weight";
    if (auto h = shapeOf(head); !h.empty()) classes = h[0];
    if (auto c1 = shapeOf(arch == "unet" ? "inc.0.weight" : arch == "convnet" ? "features.0.weight" : "conv1.weight"); c1.size() == 4) channels = c1[1];
    if (auto f1 = shapeOf("fc1.weight"); f1.size() == 2 && (arch == "mlp" || arch == "smallcnn")) {
        const std::int64_t in = f1[1];
        if (arch == "smallcnn") size = 4 + 2 * static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(in) / 64)));
        else {
            channels = std::llround(std::sqrt(static_cast<double>(in))) * std::llround(std::sqrt(static_cast<double>(in))) == in ? 1 : 3;
            size = std::llround(std::sqrt(static_cast<double>(in) / static_cast<double>(channels)));
        }
    }
    if (classes < 1 || classes > 10000) return makeError(ErrorCode::Invalid, pth, {}, "its " + head + " has " + std::to_string(classes) + " rows: not a classifier head");
    if (channels != 1 && channels != 3) return makeError(ErrorCode::Invalid, pth, {}, "its first layer takes " + std::to_string(channels) + " channels (1 or 3 here)");
    if (size < 1 || size > 4096) return makeError(ErrorCode::Invalid, pth, {}, "its first dense layer fits no image size");
    if (auto s = checkImageSize(arch, static_cast<int>(size), static_cast<int>(channels), static_cast<std::size_t>(classes), 0); !s)
        return makeError(ErrorCode::Invalid, pth, {}, "its first dense layer needs images of " + std::to_string(size) + " pixels: " + s.error().message);
    std::shared_ptr<ClassifierImpl> model;
    try {
        model = makeModel({arch, static_cast<int>(classes), static_cast<int>(channels), static_cast<int>(size)});
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, pth, {}, exceptionText(e));
    }
    const LoadReport rep = loadWeights(*model, w.tensors);
    if (!rep.missing.empty() || !rep.mismatched.empty())
        return makeError(ErrorCode::Invalid, pth, {}, "is not a " + arch + " state dict (" + std::to_string(rep.missing.size()) + " missing, " +
                                                        std::to_string(rep.mismatched.size()) + " mismatched tensors)");
    if (auto err = saveStateDict(modelStateDict(*model), out); !err.empty()) return makeError(ErrorCode::Io, out, {}, err);
    return {};
}

core::Status exportWeightsUnguarded(const std::string &checkpoint, const std::string &out)
{
    auto w = loadStateDict(checkpoint);
    if (!w.ok()) return makeError(w.error.rfind("cannot open", 0) == 0 ? ErrorCode::Io : ErrorCode::Invalid, checkpoint, {}, w.error);
    if (auto err = saveStateDict(w.tensors, out); !err.empty()) return makeError(ErrorCode::Io, out, {}, err);
    return {};
}

} // namespace

// The engine's boundary: whatever LibTorch or the C++ library throws below becomes an Error.
core::Status importWeights(const std::string &pth, const std::string &arch, const std::string &out)
{
    try {
        return importWeightsUnguarded(pth, arch, out);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, pth, {}, exceptionText(e));
    }
}

core::Status exportWeights(const std::string &checkpoint, const std::string &out)
{
    try {
        return exportWeightsUnguarded(checkpoint, out);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, checkpoint, {}, exceptionText(e));
    }
}

} // namespace training
