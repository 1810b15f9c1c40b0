// What runs a checkpoint rather than training one: eval, a prediction for one
// image, the first layer's filters and feature maps, and the augmentation preview.
// Each goes through the same mapper, model and evaluator as training does.
#include "training/trainer.h"

#include "core/random.h"
#include "training/config.h"
#include "training/describe.h"
#include "training/loaded_run.h"
#include "training/models/models.h"
#include "training/models/state_dict.h"
#include "training/models/torch_error.h"
#include "training/recipe.h"
#include "training/task_parts.h"


#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

namespace fs = std::filesystem;
using core::ErrorCode;
using core::makeError;

namespace training {

core::Result<LoadedRun> loadRun(const std::string &checkpoint)
{
    const std::string dir = fs::path(checkpoint).parent_path().string();
    std::error_code ec;
    if (!fs::exists((dir.empty() ? std::string(".") : dir) + "/config.json", ec))
        return makeError(ErrorCode::Io, checkpoint, {}, "no config.json beside the checkpoint (is it from a run directory?)");
    auto info = readRunInfo(dir);
    if (!info) return info.error();
    LoadedRun run;
    run.info = *info;
    auto model = makeTaskModel(info->task, {info->config.model, info->classes.size(), info->channels, info->imageSize, torch::kCPU,
                                                 detectorShape(info->config)});
    if (!model) return makeError(ErrorCode::Invalid, dir + "/config.json", {}, model.error().message);
    run.model = std::move(*model);
    if (auto *c = dynamic_cast<ClassifierModel *>(run.model.get())) run.classifier = &c->classifier();
    auto w = loadStateDict(checkpoint);
    if (!w.ok()) return makeError(w.error.rfind("cannot open", 0) == 0 ? ErrorCode::Io : ErrorCode::Invalid, checkpoint, {}, w.error);
    const LoadReport rep = loadWeights(run.model->module(), w.tensors);
    // Strict, as torchvision's load_state_dict: a tensor the model lacks means another model, whose
    // predictions from these weights would be wrong without a word.
    if (!rep.missing.empty() || !rep.mismatched.empty() || !rep.unexpected.empty())
        return makeError(ErrorCode::Invalid, checkpoint, {}, "does not fit the " + info->config.model + " its config.json describes (" +
                                                                 std::to_string(rep.missing.size()) + " missing, " + std::to_string(rep.mismatched.size()) +
                                                                 " mismatched, " + std::to_string(rep.unexpected.size()) + " unexpected tensors" +
                                                                 (rep.unexpected.empty() ? std::string() : ", such as " + rep.unexpected.front().substr(0, 60)) + ")");
    run.model->module().eval();
    return run;
}

namespace {

// One image through the run's mapper, as decoded.
core::Result<Batch> imageBatch(const LoadedRun &run, const std::string &image, std::unique_ptr<Mapper> &mapper)
{
    auto cache = ImageCache::decode({Record{image, 0, {}}}, run.info.imageSize, run.info.channels, fitFor(run.info.task));
    if (!cache) return cache.error();
    mapper = makeMapper(run.info.task, std::move(*cache));
    return mapper->map({0}, Augment{}, 0);
}

Picture toPicture(const torch::Tensor &chw)
{
    Picture p;
    const auto t = chw.to(torch::kFloat).contiguous();
    p.channels = static_cast<int>(t.size(0));
    p.height = static_cast<int>(t.size(1));
    p.width = static_cast<int>(t.size(2));
    p.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    return p;
}

torch::nn::Conv2d firstConv(ClassifierImpl *model)
{
    if (model)
        for (auto &m : model->modules(false))
            if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(m)) return torch::nn::Conv2d(conv);
    return torch::nn::Conv2d(nullptr);
}

core::Result<nlohmann::json> evaluateUnguarded(const std::string &project, const std::string &checkpoint, const std::string &splitName)
{
    if (splitName != "train" && splitName != "val" && splitName != "test")
        return makeError(ErrorCode::Invalid, {}, {}, "--split: '" + splitName + "' is not train, val or test");
    auto run = loadRun(checkpoint);
    if (!run) return run.error();
    const Task task = run->info.task;
    const auto &classes = run->info.classes;
    auto snap = takeSnapshot(project, task);
    if (!snap) return snap.error();
    std::vector<Record> records = splitName == "train" ? snap->train : splitName == "val" ? snap->val : snap->test;
    // The project's classes onto the checkpoint's, by name.
    std::map<std::string, int> index;
    for (std::size_t i = 0; i < classes.size(); ++i) index[classes[i]] = static_cast<int>(i);
    auto mapped = [&](std::size_t k) -> core::Result<int> {
        auto it = index.find(snap->classes[k]);
        if (it == index.end()) return makeError(ErrorCode::Invalid, project, {}, "class '" + snap->classes[k] + "' is unknown to the checkpoint");
        return it->second;
    };
    for (auto &record : records) {
        if (task == Task::Classification) {
            auto k = mapped(static_cast<std::size_t>(record.label));
            if (!k) return k.error();
            record.label = *k;
        }
        for (auto &region : record.regions) {
            auto k = mapped(static_cast<std::size_t>(region.classIndex));
            if (!k) return k.error();
            region.classIndex = *k;
        }
    }
    if (records.empty()) return makeError(ErrorCode::Invalid, project, {}, "no labelled images in split " + splitName);
    auto cache = ImageCache::decode(records, run->info.imageSize, run->info.channels, fitFor(task));
    if (!cache) return cache.error();
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    const auto mapper = makeMapper(task, std::move(*cache));
    const auto evaluator = makeEvaluator(task, classes, *mapper);
    if (!evaluator) return makeError(ErrorCode::Unsupported, checkpoint, {}, std::string("no evaluator for ") + taskName(task) + " yet");
    EvalMetrics m = runEvaluation(*run->model, *mapper, *evaluator, task == Task::Classification ? 256 : 16);
    nlohmann::json out = {{"task", taskName(task)}, {"split", splitName}};
    out.update(m.report);
    return out;
}

core::Result<AugmentPreview> previewAugmentUnguarded(const TrainConfig &config, int count)
{
    Task task;
    if (!taskFromName(config.task, &task)) return makeError(ErrorCode::Invalid, {}, {}, "unknown task '" + config.task + "'");
    auto snap = takeSnapshot(config.project, task);
    if (!snap) return snap.error();
    if (snap->train.empty()) return makeError(ErrorCode::Invalid, config.project, {}, "no labelled images in the train split");
    // What a run would choose for the settings left to the data: its augmentations, at its image size.
    const TrainConfig chosen = config.augment == "auto" || config.imageSize <= 0 ? chooseRecipe(config, gatherFacts(*snap, task)).config : config;
    auto aug = parseAugment(chosen.augment);
    if (!aug) return aug.error();
    std::vector<Record> pick;
    core::SplitMix64 rng{config.seed};
    for (int i = 0; i < count; ++i) pick.push_back(snap->train[static_cast<std::size_t>(rng.below(static_cast<int>(snap->train.size())))]);
    const int size = chosen.imageSize;
    if (size > 1024) return makeError(ErrorCode::Invalid, {}, {}, "--image-size " + std::to_string(size) + ": at most 1024 for a preview");
    auto cache = ImageCache::decode(pick, size, 0, fitFor(task));
    if (!cache) return cache.error();
    const auto mapper = makeMapper(task, std::move(*cache));
    std::vector<std::size_t> idx(mapper->size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    const Batch b = mapper->map(idx, *aug, rng.next());
    AugmentPreview out;
    out.classes = snap->classes;
    for (long i = 0; i < b.images.size(0); ++i) {
        out.images.push_back(toPicture(b.images[i]));
        if (task == Task::Segmentation) {
            const auto m = b.masks[i].to(torch::kUInt8).contiguous();
            out.masks.emplace_back(m.data_ptr<std::uint8_t>(), m.data_ptr<std::uint8_t>() + m.numel());
        }
    }
    return out;
}

core::Result<std::vector<Picture>> firstLayerFiltersUnguarded(const std::string &checkpoint)
{
    auto run = loadRun(checkpoint);
    if (!run) return run.error();
    auto conv = firstConv(run->classifier);
    if (!conv) return makeError(ErrorCode::Unsupported, checkpoint, {}, "this model has no convolution layer");
    std::vector<Picture> out;
    const auto w = conv->weight.detach();
    for (long f = 0; f < w.size(0); ++f) {
        auto k = w[f];
        if (k.size(0) != 3) k = k.mean(0, true); // grey unless the filter sees RGB
        const auto lo = k.min(), hi = k.max();
        out.push_back(toPicture((k - lo) / (hi - lo).clamp_min(1e-12)));
    }
    return out;
}

core::Result<Prediction> predictImageUnguarded(const std::string &checkpoint, const std::string &image)
{
    auto run = loadRun(checkpoint);
    if (!run) return run.error();
    const Task task = run->info.task;
    std::unique_ptr<Mapper> mapper;
    auto batch = imageBatch(*run, image, mapper);
    if (!batch) return batch.error();
    // Inspect shows what the model is sure of: detections scoring 0.5 or more.
    return describePrediction(task, run->info.classes, run->model->predict(*batch), 0, mapper->cache(), 0, 0.5);
}

core::Result<std::vector<Picture>> featureMapsUnguarded(const std::string &checkpoint, const std::string &image)
{
    auto run = loadRun(checkpoint);
    if (!run) return run.error();
    auto conv = firstConv(run->classifier);
    if (!conv) return makeError(ErrorCode::Unsupported, checkpoint, {}, "this model has no convolution layer");
    std::unique_ptr<Mapper> mapper;
    auto batch = imageBatch(*run, image, mapper);
    if (!batch) return batch.error();
    torch::NoGradGuard g;
    const auto maps = torch::relu(conv->forward(batch->images))[0];
    std::vector<Picture> out;
    for (long f = 0; f < maps.size(0); ++f) {
        const auto m = maps[f].unsqueeze(0);
        out.push_back(toPicture(m / m.max().clamp_min(1e-12)));
    }
    return out;
}

// The engine's boundary: whatever LibTorch, OpenCV or the C++ library throws below becomes an Error.
template <typename F>
auto guarded(const std::string &file, F &&f) -> decltype(f())
{
    try {
        return f();
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, file, {}, exceptionText(e));
    }
}

} // namespace

core::Result<nlohmann::json> evaluate(const std::string &project, const std::string &checkpoint, const std::string &split)
{
    return guarded(checkpoint, [&] { return evaluateUnguarded(project, checkpoint, split); });
}

core::Result<AugmentPreview> previewAugment(const TrainConfig &config, int count)
{
    return guarded(config.project, [&] { return previewAugmentUnguarded(config, count); });
}

core::Result<std::vector<Picture>> firstLayerFilters(const std::string &checkpoint)
{
    return guarded(checkpoint, [&] { return firstLayerFiltersUnguarded(checkpoint); });
}

core::Result<Prediction> predictImage(const std::string &checkpoint, const std::string &image)
{
    return guarded(image, [&] { return predictImageUnguarded(checkpoint, image); });
}

core::Result<std::vector<Picture>> featureMaps(const std::string &checkpoint, const std::string &image)
{
    return guarded(image, [&] { return featureMapsUnguarded(checkpoint, image); });
}

} // namespace training
