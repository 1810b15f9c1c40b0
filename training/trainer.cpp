// train() and trainKFold(): a run is prepared from its config (everything read and
// checked, nothing trained), then the train loop runs it with its hooks.
#include "training/trainer.h"

#include "core/fileio.h"
#include "core/image_size.h"
#include "training/config.h"
#include "training/hooks.h"
#include "training/models/detection/rcnn.h"
#include "training/models/models.h"
#include "training/models/state_dict.h"
#include "training/models/torch_error.h"
#include "training/recipe.h"
#include "training/task_parts.h"
#include "training/train_loop.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

namespace fs = std::filesystem;
using core::ErrorCode;
using core::makeError;

namespace training {

namespace {

std::string blasInUse()
{
    std::ifstream maps("/proc/self/maps");
    std::string line, found;
    while (std::getline(maps, line)) {
        if (line.find("openblas") != std::string::npos) return "OpenBLAS (" + line.substr(line.find('/')) + ")";
        if (line.find("libblas.so") != std::string::npos || line.find("libmkl") != std::string::npos) found = line.substr(line.find('/'));
    }
    return found.empty() ? "unknown" : found;
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const TrainConfig &c, std::vector<torch::Tensor> params)
{
    if (c.optimizer == "adam") return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(c.lr).weight_decay(c.weightDecay));
    if (c.optimizer == "adamw") return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(c.lr).weight_decay(c.weightDecay));
    return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(c.lr).momentum(0.9).weight_decay(c.weightDecay));
}

// Files of a run folder the trainer reads or writes: a resumed folder with a symlink
// among them is refused, since a shared folder could point them anywhere.
core::Status checkRunFiles(const std::string &dir)
{
    for (const char *name : {"config.json", "metrics.jsonl", "checkpoint-last.pt", "checkpoint-best.pt", "train-state.pt"}) {
        std::error_code ec;
        if (fs::is_symlink(dir + "/" + name, ec))
            return makeError(ErrorCode::Invalid, dir + "/" + name, {}, "is a symbolic link; the trainer reads and writes only plain files in a run folder");
    }
    return {};
}

core::Error withHint(core::Error e)
{
    e.message += " (--skip-bad-images leaves such images out)";
    return e;
}

// Everything a run needs, read and checked; errors here are about the input.
core::Result<std::unique_ptr<TrainRun>> prepareRun(const TrainConfig &requested, TrainCallbacks *cb, const std::atomic<bool> *cancel,
                                                   const std::atomic<bool> *pause)
{
    auto run = std::make_unique<TrainRun>();
    TrainConfig c = requested;
    std::optional<RunInfo> resumed;
    const std::string configFile = c.resumeDir + "/config.json";
    if (!c.resumeDir.empty()) {
        if (auto s = checkRunFiles(c.resumeDir); !s) return s.error();
        auto info = readRunInfo(c.resumeDir);
        if (!info) return info.error();
        resumed = *info;
        c = info->config;
        if (requested.epochs > c.epochs) c.epochs = requested.epochs; // resume may extend the run
        if (!requested.project.empty()) c.project = requested.project; // the project named now wins over the folder's record
        c.skipBadImages = c.skipBadImages || requested.skipBadImages;
        c.outDir = requested.resumeDir;
        c.resumeDir = requested.resumeDir;
    }
    Task task;
    if (!taskFromName(c.task, &task))
        return makeError(ErrorCode::Invalid, {}, {}, "--task: unknown task '" + c.task.substr(0, 40) + "' (classification, segmentation)");
    if (auto s = checkOptions(c, task); !s) {
        core::Error e = s.error();
        if (resumed) e.file = configFile;
        return e;
    }
    if (c.outDir.empty()) return makeError(ErrorCode::Invalid, {}, {}, "a run needs an output directory (--out)");
    const std::string stateFile = c.outDir + "/train-state.pt";
    if (resumed && !fs::exists(stateFile)) {
        if (fs::exists(c.outDir + "/optimizer-last.pt"))
            return makeError(ErrorCode::Unsupported, c.outDir, {},
                             "was written by an older version: its optimizer-last.pt is a TorchScript archive, which is never loaded because it "
                             "could run code. Start a new run (--weights " + c.outDir + "/checkpoint-last.pt keeps the weights)");
        return makeError(ErrorCode::Invalid, c.outDir, {}, "nothing to resume: no train-state.pt (the run had not finished an epoch)");
    }
    const int threads = c.threads > 0 ? c.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    torch::Device device(torch::kCPU);
    if (c.device == "cuda" || (c.device == "auto" && torch::cuda::is_available())) {
        if (!torch::cuda::is_available()) return makeError(ErrorCode::Unsupported, {}, {}, "--device cuda: no CUDA device is available");
        device = torch::Device(torch::kCUDA);
        // Input shapes are fixed for a run: let cuDNN time its algorithms once and keep the fastest
        // (resnet18 224^2 batch 16 on an H100: 1,821 -> 2,494 images/s, bench/models).
        at::globalContext().setBenchmarkCuDNN(true);
    }
    const std::string blas = blasInUse();
    const int workers = c.workers > 0 ? c.workers : std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 4);
    cb->log("device " + std::string(device.is_cuda() ? "cuda" : "cpu") + ", " + std::to_string(threads) + " threads, " + std::to_string(workers) +
            " batch workers, BLAS " + blas);
    if (blas.find("openblas") == std::string::npos && blas.find("OpenBLAS") == std::string::npos && !device.is_cuda())
        cb->log("warning: the BLAS in use is not OpenBLAS; training will be slow (install libopenblas0-openmp)");

    // The dataset source: the project's records, read once.
    auto snap = takeSnapshot(c.project, task, c.folds, c.fold, c.seed);
    if (!snap) return snap.error();
    if (resumed && snap->classes != resumed->classes)
        return makeError(ErrorCode::Invalid, c.project, {}, "its classes changed since the run in " + c.outDir + " began; start a new run");
    if (snap->train.empty())
        return makeError(ErrorCode::Invalid, c.project, {}, task == Task::Classification ? "no images with a class in the train split; run `split` first"
                                                                                         : "no images with classed regions in the train split; run `split` first");
    // Settings left to the data are chosen now, each with its reason (a resumed run's are already chosen).
    if (resumed) c.imageSize = resumed->imageSize;
    // Weights to start from, read once: the recipe looks at their backbone's norm.
    std::optional<StateDict> startWeights;
    std::optional<NormKind> startNorm; // the weights' detection backbone's, if they have one
    if (!resumed && !c.weights.empty()) {
        auto w = loadStateDict(c.weights);
        if (!w.ok()) return makeError(ErrorCode::Invalid, c.weights, {}, w.error);
        startWeights = std::move(w.tensors);
        startNorm = detection::backboneNorm(*startWeights);
    }
    DataFacts facts = gatherFacts(*snap, task);
    facts.weightsGroupNorm = startNorm == NormKind::Group;
    const Recipe recipe = chooseRecipe(c, facts);
    for (const auto &why : recipe.why) cb->log("auto: " + why);
    c = recipe.config;
    if (auto s = checkOptions(c, task); !s) return s.error();
    if (auto s = checkResolved(c); !s) return s.error();
    const int size = c.imageSize;
    // Checked before any image is decoded: a size the model cannot use fails now, not after minutes of decoding.
    if (auto s = checkImageSize(c.model, size, 1, snap->classes.size(), snap->train.size() + snap->val.size()); !s) return s.error();

    // The mappers: each split's images decoded once, on all cores.
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<core::Error> skipped;
    auto trainCache = ImageCache::decode(snap->train, size, resumed ? resumed->channels : 0, fitFor(task), c.skipBadImages ? &skipped : nullptr);
    if (!trainCache) return withHint(trainCache.error());
    const int channels = trainCache->channels();
    auto valCache = ImageCache::decode(snap->val, size, channels, fitFor(task), c.skipBadImages ? &skipped : nullptr);
    if (!valCache) return withHint(valCache.error());
    for (const auto &e : skipped) cb->log("warning: skipped " + e.toString());
    if (trainCache->count() == 0) return makeError(ErrorCode::Invalid, c.project, {}, "no image of the train split could be decoded");
    cb->log("decoded " + std::to_string(trainCache->count()) + " train and " + std::to_string(valCache->count()) + " val images at " +
            std::to_string(size) + "x" + std::to_string(size) + "x" + std::to_string(channels) + " in " +
            std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()).substr(0, 5) + " s");
    if (auto s = checkImageSize(c.model, size, channels, snap->classes.size(), 0); !s) return s.error();
    run->trainData = makeMapper(task, std::move(*trainCache));
    run->valData = makeMapper(task, std::move(*valCache));
    for (const Mapper *m : {run->trainData.get(), run->valData.get()})
        for (const auto &w : m->warnings()) cb->log("warning: " + w);

    torch::manual_seed(c.seed); // the initial weights follow the seed too
    auto model = makeTaskModel(task, {c.model, snap->classes.size(), channels, size, device, detectorShape(c)});
    if (!model) return model.error();
    run->model = std::move(*model);
    if (startWeights) {
        // A detection backbone's norm other than the model's (an explicit --norm against the file).
        if (startNorm && (task == Task::Detection || task == Task::Instance) && (*startNorm == NormKind::Group) != (c.norm == "group"))
            return makeError(ErrorCode::Invalid, c.weights, {},
                             *startNorm == NormKind::Group ? "has no batch-norm statistics for model " + c.model + ": a GroupNorm backbone's weights train with --norm group"
                                                           : "holds a batch-norm backbone: it trains with --norm batch");
        const LoadReport rep = loadWeights(run->model->module(), *startWeights);
        startWeights.reset();
        if (rep.missing.size() + rep.mismatched.size() > 4)
            return makeError(ErrorCode::Invalid, c.weights, {}, "does not fit model " + c.model + " (" + std::to_string(rep.missing.size()) + " missing tensors)");
        cb->log("loaded weights from " + c.weights + "; new head: " + std::to_string(rep.mismatched.size()) + " tensors re-initialised");
    }
    std::error_code ec;
    fs::create_directories(c.outDir, ec);
    if (ec) return makeError(ErrorCode::Io, c.outDir, {}, "cannot create run directory: " + ec.message());
    run->params = run->model->trainableParameters(c.freezeBackbone);
    run->optimizer = makeOptimizer(c, run->params);
    if (resumed) {
        auto p = loadRunState(stateFile, run->model->module(), *run->optimizer, c.optimizer);
        if (!p) return p.error();
        run->resumed = *p;
    } else {
        const RunInfo info{c, task, snap->classes, channels, size};
        if (auto s = core::writeFileAtomic(c.outDir + "/config.json", runInfoJson(info).dump(2)); !s) return s.error();
        // A new run in a folder that held another: its resumable state and checkpoints are not this run's.
        for (const std::string name : {"train-state.pt", "checkpoint-last.pt", "checkpoint-best.pt", "optimizer-last.pt", "run-state.json"})
            fs::remove(c.outDir + "/" + name, ec);
    }
    auto metrics = MetricsStorage::open(c.outDir + "/metrics.jsonl", !resumed, *cb);
    if (!metrics) return metrics.error();
    run->metrics = std::make_unique<MetricsStorage>(std::move(*metrics));
    auto aug = parseAugment(c.augment);
    if (!aug) return aug.error();
    run->loader = std::make_unique<BatchLoader>(*run->trainData, *aug, c.batch, workers, c.seed);
    // A detector's batches mix pictures of every shape (each padded to the batch's largest), though
    // pictures of one shape would batch without padding: a from-scratch detector normalises with its
    // batch's BatchNorm statistics, and batches of one shape are batches of one camera, whose
    // statistics differ from the mean ones it is evaluated with. On droplets, grouped batches gave
    // mask AP 0.39 in eval mode where the same weights with per-image statistics gave 0.82
    // (bench/README.md, stop 19).
    run->evaluator = makeEvaluator(task, snap->classes, *run->valData);
    run->config = c;
    run->task = task;
    run->classes = snap->classes;
    run->outDir = c.outDir;
    run->callbacks = cb;
    run->cancel = cancel;
    run->pause = pause;
    return run;
}

core::Result<TrainSummary> runTraining(const TrainConfig &config, TrainCallbacks *cb, const std::atomic<bool> *cancel, const std::atomic<bool> *pause,
                                       bool &started)
{
    const auto start = std::chrono::steady_clock::now(); // a time budget counts from here, decoding included
    auto run = prepareRun(config, cb, cancel, pause);
    if (!run) return run.error();
    TrainLoop loop(**run);
    loop.add(std::make_unique<ControlHook>());
    loop.add(std::make_unique<LrScheduleHook>());
    loop.add(std::make_unique<EvalHook>());
    if ((*run)->config.timeBudget > 0) {
        // Sizes the run when its epochs were left to the data (a resumed run keeps its plan).
        const bool size = config.resumeDir.empty() && config.epochs <= 0;
        loop.add(std::make_unique<BudgetHook>(start, size, size ? 100000 : (*run)->config.epochs));
    }
    loop.add(std::make_unique<MetricsHook>());
    loop.add(std::make_unique<EarlyStopHook>());
    loop.add(std::make_unique<CheckpointHook>());
    loop.add(std::make_unique<HistoryHook>());
    started = true;
    cb->started((*run)->config);
    if (auto s = loop.train(); !s) return s.error();
    const LoopState &s = loop.state;
    TrainSummary summary;
    summary.epochs = s.epochsDone;
    summary.steps = s.step;
    summary.finalLoss = s.lastEpochLoss;
    summary.bestValAccuracy = (*run)->valData->size() > 0 ? s.best : -1;
    summary.imagesPerS = (*run)->metrics->imagesPerS();
    summary.stoppedEarly = s.stoppedEarly;
    summary.cancelled = s.cancelled;
    return summary;
}

} // namespace

core::Result<TrainSummary> train(const TrainConfig &config, TrainCallbacks *cb, const std::atomic<bool> *cancel, const std::atomic<bool> *pause)
{
    TrainCallbacks silent;
    bool started = false;
    // The boundary of the engine: whatever LibTorch, OpenCV or the C++ library throws becomes an Error.
    try {
        return runTraining(config, cb ? cb : &silent, cancel, pause, started);
    } catch (const std::exception &e) {
        return makeError(started ? ErrorCode::Internal : ErrorCode::Invalid, config.resumeDir.empty() ? config.outDir : config.resumeDir, {},
                         std::string(started ? "training failed: " : "cannot start training: ") + exceptionText(e));
    }
}

core::Result<nlohmann::json> trainKFold(const TrainConfig &config, int folds, TrainCallbacks *cb, const std::atomic<bool> *cancel,
                                        const std::atomic<bool> *pause)
{
    if (folds < 2) return makeError(ErrorCode::Invalid, {}, {}, "--kfold needs at least 2 folds");
    if (config.outDir.empty()) return makeError(ErrorCode::Invalid, {}, {}, "a run needs an output directory (--out)");
    const bool seg = config.task == "segmentation";
    std::vector<double> values;
    nlohmann::json runs = nlohmann::json::array();
    for (int k = 0; k < folds; ++k) {
        TrainConfig c = config;
        c.folds = folds;
        c.fold = k;
        c.outDir = config.outDir + "/fold-" + std::to_string(k + 1);
        if (cb) cb->log("fold " + std::to_string(k + 1) + " of " + std::to_string(folds));
        auto s = train(c, cb, cancel, pause);
        if (!s) return s.error();
        if (s->cancelled) return makeError(ErrorCode::Cancelled, config.outDir, {}, "cancelled in fold " + std::to_string(k + 1));
        values.push_back(s->bestValAccuracy);
        runs.push_back({{"fold", k + 1}, {"dir", c.outDir}, {"best", s->bestValAccuracy}, {"epochs", s->epochs}});
    }
    double mean = 0, var = 0;
    for (double v : values) mean += v;
    mean /= static_cast<double>(values.size());
    for (double v : values) var += (v - mean) * (v - mean);
    const double sd = std::sqrt(var / static_cast<double>(values.size() - 1)); // sample standard deviation
    nlohmann::json out = {{"folds", folds}, {"metric", seg ? "val_miou" : "val_accuracy"}, {"values", values}, {"mean", mean}, {"std", sd}, {"runs", runs}};
    if (auto st = core::writeFileAtomic(config.outDir + "/kfold.json", out.dump(2)); !st) return st.error();
    return out;
}

} // namespace training
