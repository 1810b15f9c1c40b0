#include "training/trainer.h"

#include "core/fileio.h"
#include "core/image_size.h"
#include "core/project_store.h"
#include "core/random.h"
#include "training/data.h"
#include "training/models/models.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <thread>

namespace fs = std::filesystem;
using core::Error;
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

nlohmann::json configJson(const TrainConfig &c)
{
    return {{"project", c.project}, {"task", c.task}, {"model", c.model}, {"epochs", c.epochs}, {"batch", c.batch}, {"lr", c.lr},
            {"optimizer", c.optimizer}, {"weight_decay", c.weightDecay}, {"schedule", c.schedule}, {"warmup_epochs", c.warmupEpochs},
            {"clip_norm", c.clipNorm}, {"patience", c.patience}, {"device", c.device}, {"threads", c.threads}, {"workers", c.workers}, {"weights", c.weights},
            {"freeze_backbone", c.freezeBackbone}, {"image_size", c.imageSize}, {"augment", c.augment}, {"seed", c.seed},
            {"log_every", c.logEvery}, {"folds", c.folds}, {"fold", c.fold}};
}

TrainConfig configFromJson(const nlohmann::json &j)
{
    TrainConfig c;
    c.project = j.value("project", "");
    c.task = j.value("task", c.task);
    c.model = j.value("model", c.model);
    c.epochs = j.value("epochs", c.epochs);
    c.batch = j.value("batch", c.batch);
    c.lr = j.value("lr", c.lr);
    c.optimizer = j.value("optimizer", c.optimizer);
    c.weightDecay = j.value("weight_decay", 0.0);
    c.schedule = j.value("schedule", c.schedule);
    c.warmupEpochs = j.value("warmup_epochs", 0);
    c.clipNorm = j.value("clip_norm", 0.0);
    c.patience = j.value("patience", 0);
    c.device = j.value("device", c.device);
    c.threads = j.value("threads", 0);
    c.workers = j.value("workers", 0);
    c.weights = j.value("weights", "");
    c.freezeBackbone = j.value("freeze_backbone", false);
    c.imageSize = j.value("image_size", 0);
    c.augment = j.value("augment", c.augment);
    c.seed = j.value("seed", std::uint64_t(0));
    c.logEvery = j.value("log_every", 50);
    c.folds = j.value("folds", 0);
    c.fold = j.value("fold", 0);
    return c;
}

core::Result<nlohmann::json> readJson(const std::string &path)
{
    auto text = core::readFile(path);
    if (!text) return text.error();
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) return makeError(ErrorCode::Parse, path, {}, "invalid JSON");
    return j;
}

double scheduledLr(const TrainConfig &c, std::int64_t step, std::int64_t stepsPerEpoch)
{
    const double total = static_cast<double>(c.epochs * stepsPerEpoch);
    const double warm = static_cast<double>(c.warmupEpochs * stepsPerEpoch);
    const double t = static_cast<double>(step);
    if (warm > 0 && t < warm) return c.lr * (t + 1) / warm;
    if (c.schedule == "cosine") return c.lr * 0.5 * (1 + std::cos(M_PI * std::min(1.0, (t - warm) / std::max(1.0, total - warm))));
    if (c.schedule == "step") return c.lr * std::pow(0.1, std::floor(3 * t / std::max(1.0, total)));
    return c.lr;
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const TrainConfig &c, std::vector<torch::Tensor> params)
{
    if (c.optimizer == "adam") return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(c.lr).weight_decay(c.weightDecay));
    if (c.optimizer == "adamw") return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(c.lr).weight_decay(c.weightDecay));
    return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(c.lr).momentum(0.9).weight_decay(c.weightDecay));
}

void setLr(torch::optim::Optimizer &opt, double lr)
{
    for (auto &g : opt.param_groups()) g.options().set_lr(lr);
}

torch::Tensor lossOf(const torch::Tensor &logits, const torch::Tensor &target, bool sum = false)
{
    namespace F = torch::nn::functional;
    auto opts = F::CrossEntropyFuncOptions().ignore_index(kIgnore);
    if (sum) opts = opts.reduction(torch::kSum);
    return F::cross_entropy(logits, target, opts);
}

struct EvalOut {
    double loss = 0;
    torch::Tensor logits;    // classification: N x K
    torch::Tensor confusion; // segmentation: K x K pixel counts (rows: truth), ignored pixels left out
};

torch::Tensor input(const torch::Tensor &x, const torch::Device &device, bool channelsLast)
{
    auto t = x.to(device);
    return channelsLast ? t.contiguous(torch::MemoryFormat::ChannelsLast) : t;
}

EvalOut runEval(ClassifierImpl &model, const Samples &s, torch::Device device, int batch, int numClasses, bool channelsLast = false)
{
    torch::NoGradGuard g;
    model.eval();
    EvalOut out;
    std::vector<torch::Tensor> all;
    if (s.segmentation) out.confusion = torch::zeros({numClasses, numClasses}, torch::kLong);
    double lossSum = 0, counted = 0;
    for (std::size_t i = 0; i < s.count(); i += static_cast<std::size_t>(batch)) {
        std::vector<std::size_t> idx;
        for (std::size_t k = i; k < std::min(s.count(), i + static_cast<std::size_t>(batch)); ++k) idx.push_back(k);
        auto [x, y] = makeBatch(s, idx, Augment{}, 0);
        torch::Tensor logits = model.forward(input(x, device, channelsLast)).to(torch::kCPU).contiguous();
        lossSum += lossOf(logits, y, true).item<double>();
        if (s.segmentation) {
            const auto valid = y.ne(kIgnore);
            counted += valid.sum().item<double>();
            const auto t = y.masked_select(valid), p = logits.argmax(1).masked_select(valid);
            out.confusion += torch::bincount(t * numClasses + p, {}, numClasses * numClasses).view({numClasses, numClasses});
        } else {
            counted += static_cast<double>(idx.size());
            all.push_back(logits);
        }
    }
    out.loss = counted > 0 ? lossSum / counted : 0;
    out.logits = all.empty() ? torch::empty({0}) : torch::cat(all);
    return out;
}

// Pixel accuracy, and IoU per class (-1 where the class is absent from both truth and prediction).
struct SegScores {
    double pixelAccuracy = 0, miou = 0;
    std::vector<double> iou;
};

SegScores segScores(const torch::Tensor &confusion)
{
    SegScores s;
    const auto c = confusion.to(torch::kDouble);
    const double total = c.sum().item<double>();
    s.pixelAccuracy = total > 0 ? c.diag().sum().item<double>() / total : 0;
    const auto inter = c.diag(), uni = c.sum(0) + c.sum(1) - c.diag();
    double sum = 0;
    int present = 0;
    for (long k = 0; k < c.size(0); ++k) {
        const double u = uni[k].item<double>();
        s.iou.push_back(u > 0 ? inter[k].item<double>() / u : -1);
        if (u > 0) {
            sum += s.iou.back();
            ++present;
        }
    }
    s.miou = present ? sum / present : 0;
    return s;
}

class RunWriter {
public:
    explicit RunWriter(const std::string &dir) : m_metrics(dir + "/metrics.jsonl", std::ios::app) {}
    void write(const MetricsSample &m)
    {
        nlohmann::json j = {{"epoch", m.epoch}, {"step", m.step}, {"loss", m.loss}, {"lr", m.lr}, {"images_per_s", m.imagesPerS}};
        if (m.epochEnd) {
            j["epoch_end"] = true;
            if (m.valAccuracy >= 0) {
                j["val_loss"] = m.valLoss;
                j["val_accuracy"] = m.valAccuracy;
            }
            if (m.valMiou >= 0) j["val_miou"] = m.valMiou;
        }
        m_metrics << j.dump() << "\n" << std::flush;
    }

private:
    std::ofstream m_metrics;
};

// The run's entry in the project's history (the runs table), found again by its
// folder when a run resumes. The history is a convenience: when the project
// cannot be written the run goes on and says so once.
class RunRecorder {
public:
    RunRecorder(const std::string &project, const std::string &dir, TrainCallbacks *cb) : m_cb(cb)
    {
        m_record.dir = fs::absolute(dir).lexically_normal().string();
        m_record.name = fs::path(m_record.dir).filename().string();
        auto store = core::ProjectStore::open(project);
        if (!store) {
            warn(store.error().toString());
            return;
        }
        m_store.emplace(std::move(*store));
        auto runs = m_store->runs();
        if (!runs) {
            warn(runs.error().toString());
            return;
        }
        for (const auto &r : *runs)
            if (r.dir == m_record.dir) m_record = r;
    }
    void update(const nlohmann::json &config, const nlohmann::json &summary)
    {
        if (!m_store) return;
        m_record.config = config;
        m_record.summary = summary;
        if (m_record.id == 0) {
            auto id = m_store->addRun(m_record);
            if (!id) return warn(id.error().toString());
            m_record.id = *id;
        } else if (auto s = m_store->updateRun(m_record); !s) {
            warn(s.error().toString());
        }
    }

private:
    void warn(const std::string &why)
    {
        if (!m_warned) m_cb->log("warning: the run is not recorded in the project's history: " + why);
        m_warned = true;
    }
    TrainCallbacks *m_cb;
    std::optional<core::ProjectStore> m_store;
    core::RunRecord m_record;
    bool m_warned = false;
};

} // namespace

core::Result<TrainSummary> train(const TrainConfig &requested, TrainCallbacks *cb, const std::atomic<bool> *cancel,
                                 const std::atomic<bool> *pause)
{
    TrainCallbacks silent;
    if (!cb) cb = &silent;
    TrainConfig c = requested;
    nlohmann::json state = {{"epoch", 0}, {"step", 0}, {"best_val_accuracy", -1.0}, {"bad_epochs", 0}};
    if (!c.resumeDir.empty()) {
        auto saved = readJson(c.resumeDir + "/config.json");
        if (!saved) return saved.error();
        const int epochs = c.epochs;
        c = configFromJson((*saved)["config"]);
        if (epochs > c.epochs) c.epochs = epochs; // resume may extend the run
        c.outDir = requested.resumeDir;
        c.resumeDir = requested.resumeDir;
        auto st = readJson(c.resumeDir + "/run-state.json");
        if (!st) return st.error();
        state = *st;
    }
    Task task;
    if (!taskFromName(c.task, &task)) return makeError(ErrorCode::Invalid, {}, {}, "unknown task '" + c.task + "' (classification, segmentation)");
    const bool seg = task == Task::Segmentation;
    if (seg != (c.model == "unet"))
        return makeError(ErrorCode::Invalid, {}, {}, seg ? "segmentation trains the unet model (--model unet)" : "unet is a segmentation model (--task segmentation)");
    if (c.outDir.empty()) return makeError(ErrorCode::Invalid, {}, {}, "a run needs an output directory (--out)");
    if (c.batch < 1 || c.epochs < 1 || !(c.lr > 0)) return makeError(ErrorCode::Invalid, {}, {}, "epochs, batch and lr must be positive");
    if (c.optimizer != "sgd" && c.optimizer != "adam" && c.optimizer != "adamw")
        return makeError(ErrorCode::Invalid, {}, {}, "unknown optimizer '" + c.optimizer + "' (sgd, adam, adamw)");
    auto aug = parseAugment(c.augment);
    if (!aug) return aug.error();

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

    auto snap = takeSnapshot(c.project, task, c.folds, c.fold, c.seed);
    if (!snap) return snap.error();
    const auto &trainItems = snap->train;
    if (trainItems.empty())
        return makeError(ErrorCode::Invalid, c.project, {}, seg ? "no images with classed regions in the train split; run `split` first"
                                                                : "no images with a class in the train split; run `split` first");
    int size = c.imageSize;
    if (size <= 0) {
        auto first = cv::imread(trainItems.front().path, cv::IMREAD_UNCHANGED);
        size = first.empty() || first.cols != first.rows ? (seg ? 128 : 64) : first.cols;
        if (seg) size = std::max(8, size / 8 * 8);
    }
    const int numClasses = static_cast<int>(snap->classes.size()) + (seg ? 1 : 0);
    const auto t0 = std::chrono::steady_clock::now();
    auto trainSet = decode(trainItems, size, 0, seg);
    if (!trainSet) return trainSet.error();
    auto valSet = decode(snap->val, size, trainSet->channels, seg);
    if (!valSet) return valSet.error();
    cb->log("decoded " + std::to_string(trainSet->count()) + " train and " + std::to_string(valSet->count()) + " val images at " +
            std::to_string(size) + "x" + std::to_string(size) + "x" + std::to_string(trainSet->channels) + " in " +
            std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()).substr(0, 5) + " s");

    std::shared_ptr<ClassifierImpl> model;
    torch::manual_seed(c.seed); // the initial weights follow the seed too
    try {
        model = makeModel({c.model, numClasses, trainSet->channels, size});
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, {}, {}, e.what());
    }
    std::error_code ec;
    fs::create_directories(c.outDir, ec);
    if (ec) return makeError(ErrorCode::Io, c.outDir, {}, "cannot create run directory: " + ec.message());
    const std::string lastCkpt = c.outDir + "/checkpoint-last.pt", bestCkpt = c.outDir + "/checkpoint-best.pt";
    const std::string optimState = c.outDir + "/optimizer-last.pt";

    if (c.resumeDir.empty() && !c.weights.empty()) {
        auto w = loadStateDict(c.weights);
        if (!w.ok()) return makeError(ErrorCode::Invalid, c.weights, {}, w.error);
        const LoadReport rep = loadWeights(*model, w.tensors);
        if (rep.missing.size() + rep.mismatched.size() > 4)
            return makeError(ErrorCode::Invalid, c.weights, {}, "does not fit model " + c.model + " (" + std::to_string(rep.missing.size()) + " missing tensors)");
        cb->log("loaded weights from " + c.weights + "; new head: " + std::to_string(rep.mismatched.size()) + " tensors re-initialised");
    }
    if (!c.resumeDir.empty()) {
        auto w = loadStateDict(lastCkpt);
        if (!w.ok()) return makeError(ErrorCode::Invalid, lastCkpt, {}, w.error);
        loadWeights(*model, w.tensors);
    }
    model->to(device);
    const bool channelsLast = prefersChannelsLast(c.model, device.is_cuda());
    if (channelsLast) toChannelsLast(*model);
    std::vector<torch::Tensor> params;
    for (auto &p : model->named_parameters()) {
        const bool head = p.key().rfind(model->headName() + ".", 0) == 0;
        if (c.freezeBackbone && !head) p.value().set_requires_grad(false);
        else params.push_back(p.value());
    }
    auto optimizer = makeOptimizer(c, params);
    if (!c.resumeDir.empty() && fs::exists(optimState)) {
        try {
            torch::load(*optimizer, optimState);
        } catch (const std::exception &e) {
            return makeError(ErrorCode::Invalid, optimState, {}, "cannot restore the optimizer state");
        }
    }
    if (c.resumeDir.empty()) {
        if (auto s = core::writeFileAtomic(c.outDir + "/config.json",
                                           nlohmann::json{{"config", configJson(c)}, {"classes", snap->classes}, {"channels", trainSet->channels}, {"task", c.task},
                                                          {"image_size", size}}.dump(2));
            !s)
            return s.error();
        std::ofstream(c.outDir + "/metrics.jsonl", std::ios::trunc);
    }
    RunWriter writer(c.outDir);
    RunRecorder history(c.project, c.outDir, cb);
    const std::string metricName = seg ? "val_miou" : "val_accuracy";
    auto record = [&](const std::string &status, int epochsDone, double bestScore, double lastLoss) {
        nlohmann::json summary = {{"status", status}, {"epochs_done", epochsDone}, {"metric", metricName}, {"final_loss", lastLoss}};
        if (valSet->count() && bestScore != -1.0) summary["best"] = bestScore;
        history.update(configJson(c), summary);
    };

    const std::size_t n = trainSet->count();
    const std::int64_t stepsPerEpoch = static_cast<std::int64_t>((n + static_cast<std::size_t>(c.batch) - 1) / static_cast<std::size_t>(c.batch));
    TrainSummary summary;
    std::int64_t step = state.value("step", std::int64_t(0));
    double best = state.value("best_val_accuracy", -1.0);
    int badEpochs = state.value("bad_epochs", 0);
    const int firstEpoch = state.value("epoch", 0) + 1;
    summary.bestValAccuracy = best;
    double runImages = 0, runSeconds = 0;
    record("running", firstEpoch - 1, best, 0);

    for (int epoch = firstEpoch; epoch <= c.epochs; ++epoch) {
        // Every epoch draws from streams seeded by (seed, epoch): a resumed run repeats an uninterrupted one.
        torch::manual_seed(c.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
        core::SplitMix64 order{c.seed ^ (0x5bd1e995ULL * static_cast<std::uint64_t>(epoch))};
        std::vector<std::size_t> perm(n);
        for (std::size_t i = 0; i < n; ++i) perm[i] = i;
        for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[order.next() % i]);
        auto batchAt = [&](std::int64_t b) {
            const std::size_t lo = static_cast<std::size_t>(b) * static_cast<std::size_t>(c.batch);
            std::vector<std::size_t> idx(perm.begin() + static_cast<long>(lo), perm.begin() + static_cast<long>(std::min(n, lo + static_cast<std::size_t>(c.batch))));
            return makeBatch(*trainSet, idx, *aug, order.s + static_cast<std::uint64_t>(b) * 7919ULL);
        };
        model->train();
        double windowLoss = 0, epochLoss = 0;
        int windowSteps = 0;
        auto windowStart = std::chrono::steady_clock::now();
        std::size_t windowImages = 0;
        // While a batch trains, the next `workers` batches are being augmented on
        // their own threads. Each batch draws from its own seed, so the result does
        // not depend on how many are in flight.
        std::deque<std::future<std::pair<torch::Tensor, torch::Tensor>>> ahead;
        std::int64_t queued = 0;
        auto refill = [&] {
            while (queued < stepsPerEpoch && static_cast<int>(ahead.size()) < workers) ahead.push_back(std::async(std::launch::async, batchAt, queued++));
        };
        refill();
        for (std::int64_t b = 0; b < stepsPerEpoch; ++b) {
            while (pause && pause->load() && !(cancel && cancel->load())) std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (cancel && cancel->load()) {
                summary.cancelled = true;
                cb->log("stopped at step " + std::to_string(step) + "; the last checkpoint is kept");
                ahead.clear(); // waits for the batches in flight
                summary.epochs = epoch - 1;
                summary.steps = step;
                record("stopped", epoch - 1, best, summary.finalLoss);
                return summary;
            }
            auto [x, y] = ahead.front().get();
            ahead.pop_front();
            refill();
            const double lr = scheduledLr(c, step, stepsPerEpoch);
            setLr(*optimizer, lr);
            optimizer->zero_grad();
            torch::Tensor loss = lossOf(model->forward(input(x, device, channelsLast)), y.to(device));
            const double l = loss.item<double>();
            if (!std::isfinite(l)) {
                ahead.clear();
                record("diverged", epoch - 1, best, l);
                return makeError(ErrorCode::Invalid, c.outDir, {}, "the loss became " + std::to_string(l) + " at epoch " + std::to_string(epoch) + " step " +
                                                                       std::to_string(step) + "; try a smaller --lr. The last good checkpoint is kept");
            }
            loss.backward();
            if (c.clipNorm > 0) torch::nn::utils::clip_grad_norm_(params, c.clipNorm);
            optimizer->step();
            ++step;
            windowLoss += l;
            epochLoss += l;
            ++windowSteps;
            windowImages += static_cast<std::size_t>(x.size(0));
            if (windowSteps == c.logEvery || b + 1 == stepsPerEpoch) {
                const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - windowStart).count();
                MetricsSample m;
                m.epoch = epoch;
                m.step = step;
                m.fold = c.folds > 0 ? c.fold + 1 : 0;
                m.folds = c.folds;
                m.loss = windowLoss / windowSteps;
                m.lr = lr;
                m.imagesPerS = secs > 0 ? static_cast<double>(windowImages) / secs : 0;
                m.progress = static_cast<double>(step) / static_cast<double>(c.epochs * stepsPerEpoch);
                runImages += static_cast<double>(windowImages);
                runSeconds += secs;
                writer.write(m);
                cb->metrics(m);
                windowLoss = 0;
                windowSteps = 0;
                windowImages = 0;
                windowStart = std::chrono::steady_clock::now();
            }
        }
        MetricsSample m;
        m.epoch = epoch;
        m.step = step;
        m.fold = c.folds > 0 ? c.fold + 1 : 0;
        m.folds = c.folds;
        m.loss = epochLoss / static_cast<double>(stepsPerEpoch);
        m.lr = scheduledLr(c, step - 1, stepsPerEpoch);
        m.imagesPerS = runSeconds > 0 ? runImages / runSeconds : 0;
        m.epochEnd = true;
        m.progress = static_cast<double>(epoch) / c.epochs;
        if (valSet->count()) {
            EvalOut ev = runEval(*model, *valSet, device, seg ? 16 : 256, numClasses, channelsLast);
            m.valLoss = ev.loss;
            if (seg) {
                const SegScores sc = segScores(ev.confusion);
                m.valAccuracy = sc.pixelAccuracy;
                m.valMiou = sc.miou;
            } else {
                const auto truth = torch::from_blob(valSet->labels.data(), {static_cast<long>(valSet->count())}, torch::kLong);
                m.valAccuracy = ev.logits.argmax(1).eq(truth).to(torch::kDouble).mean().item<double>();
            }
        }
        writer.write(m);
        cb->metrics(m);
        summary.finalLoss = m.loss;
        // Checkpoints: the model alone (a torchvision-style state dict), the optimizer beside it.
        model->to(torch::kCPU);
        if (auto err = saveStateDict(modelStateDict(*model), lastCkpt); !err.empty()) return makeError(ErrorCode::Io, lastCkpt, {}, err);
        torch::save(*optimizer, optimState);
        const double score = valSet->count() ? (seg ? m.valMiou : m.valAccuracy) : -m.loss;
        if (best == -1.0 || score > best) {
            best = score;
            badEpochs = 0;
            fs::copy_file(lastCkpt, bestCkpt, fs::copy_options::overwrite_existing, ec);
        } else {
            ++badEpochs;
        }
        model->to(device);
        state = {{"epoch", epoch}, {"step", step}, {"best_val_accuracy", best}, {"bad_epochs", badEpochs}};
        if (auto s = core::writeFileAtomic(c.outDir + "/run-state.json", state.dump()); !s) return s.error();
        summary.epochs = epoch;
        summary.steps = step;
        summary.bestValAccuracy = valSet->count() ? best : -1;
        record(epoch == c.epochs ? "finished" : "running", epoch, best, m.loss);
        cb->log("epoch " + std::to_string(epoch) + ": loss " + std::to_string(m.loss) +
                (valSet->count() ? (seg ? ", val mIoU " + std::to_string(m.valMiou) + ", pixel accuracy " : ", val accuracy ") + std::to_string(m.valAccuracy)
                                 : std::string()));
        if (c.patience > 0 && badEpochs >= c.patience) {
            summary.stoppedEarly = true;
            record("stopped early", epoch, best, m.loss);
            cb->log("early stop: no better validation " + std::string(seg ? "mIoU" : "accuracy") + " for " + std::to_string(c.patience) + " epochs");
            break;
        }
    }
    summary.imagesPerS = runSeconds > 0 ? runImages / runSeconds : 0;
    return summary;
}

namespace {

// A checkpoint with its run's config.json: the model rebuilt and loaded.
struct LoadedRun {
    nlohmann::json config;
    std::vector<std::string> classes;
    Task task = Task::Classification;
    int channels = 1, size = 28;
    std::shared_ptr<ClassifierImpl> model;
};

core::Result<LoadedRun> loadRun(const std::string &checkpoint)
{
    const std::string dir = fs::path(checkpoint).parent_path().string();
    auto cfg = readJson((dir.empty() ? "." : dir) + "/config.json");
    if (!cfg) return makeError(ErrorCode::Io, checkpoint, {}, "no config.json beside the checkpoint (is it from a run directory?)");
    LoadedRun run;
    run.config = *cfg;
    run.classes = cfg->value("classes", std::vector<std::string>{});
    run.channels = cfg->value("channels", 1);
    run.size = cfg->value("image_size", 28);
    if (!taskFromName(cfg->value("task", std::string("classification")), &run.task))
        return makeError(ErrorCode::Invalid, checkpoint, {}, "config.json names an unknown task");
    const int numClasses = static_cast<int>(run.classes.size()) + (run.task == Task::Segmentation ? 1 : 0);
    try {
        run.model = makeModel({(*cfg)["config"].value("model", "smallcnn"), numClasses, run.channels, run.size});
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, checkpoint, {}, e.what());
    }
    auto w = loadStateDict(checkpoint);
    if (!w.ok()) return makeError(ErrorCode::Invalid, checkpoint, {}, w.error);
    const LoadReport rep = loadWeights(*run.model, w.tensors);
    if (!rep.missing.empty() || !rep.mismatched.empty()) return makeError(ErrorCode::Invalid, checkpoint, {}, "does not fit its config.json");
    run.model->eval();
    return run;
}

nlohmann::json precisionRecall(const std::vector<std::vector<std::int64_t>> &confusion, const std::vector<std::string> &names)
{
    nlohmann::json perClass = nlohmann::json::object();
    const std::size_t K = confusion.size();
    for (std::size_t k = 0; k < K; ++k) {
        std::int64_t tp = confusion[k][k], fp = 0, fn = 0;
        for (std::size_t j = 0; j < K; ++j) {
            if (j == k) continue;
            fp += confusion[j][k];
            fn += confusion[k][j];
        }
        const double precision = tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0;
        const double recall = tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0;
        perClass[names[k]] = {{"precision", precision}, {"recall", recall},
                              {"f1", precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0}, {"support", tp + fn}};
    }
    return perClass;
}

} // namespace

core::Result<nlohmann::json> evaluate(const std::string &project, const std::string &checkpoint, const std::string &splitName)
{
    if (splitName != "train" && splitName != "val" && splitName != "test")
        return makeError(ErrorCode::Invalid, {}, {}, "--split: '" + splitName + "' is not train, val or test");
    auto run = loadRun(checkpoint);
    if (!run) return run.error();
    const bool seg = run->task == Task::Segmentation;
    const auto &classes = run->classes;
    auto snap = takeSnapshot(project, run->task);
    if (!snap) return snap.error();
    std::vector<Item> items = splitName == "train" ? snap->train : splitName == "val" ? snap->val : snap->test;
    // Map the project's classes onto the checkpoint's by name.
    std::map<std::string, std::int64_t> index;
    for (std::size_t i = 0; i < classes.size(); ++i) index[classes[i]] = static_cast<std::int64_t>(i);
    auto mapped = [&](const std::string &name) -> core::Result<std::int64_t> {
        auto it = index.find(name);
        if (it == index.end()) return makeError(ErrorCode::Invalid, project, {}, "class '" + name + "' is unknown to the checkpoint");
        return it->second;
    };
    for (auto &item : items) {
        if (seg) {
            for (auto &poly : item.polygons) {
                auto k = mapped(snap->classes[poly.second - 1u]);
                if (!k) return k.error();
                poly.second = static_cast<std::uint8_t>(*k + 1);
            }
        } else {
            auto k = mapped(snap->classes[static_cast<std::size_t>(item.label)]);
            if (!k) return k.error();
            item.label = *k;
        }
    }
    if (items.empty()) return makeError(ErrorCode::Invalid, project, {}, "no labelled images in split " + splitName);
    auto samples = decode(items, run->size, run->channels, seg);
    if (!samples) return samples.error();
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    const int numClasses = static_cast<int>(classes.size()) + (seg ? 1 : 0);
    const EvalOut ev = runEval(*run->model, *samples, torch::kCPU, seg ? 16 : 256, numClasses);
    const std::size_t N = samples->count();
    const std::size_t K = static_cast<std::size_t>(numClasses);
    std::vector<std::vector<std::int64_t>> confusion(K, std::vector<std::int64_t>(K, 0));
    if (seg) {
        for (std::size_t t = 0; t < K; ++t)
            for (std::size_t p = 0; p < K; ++p) confusion[t][p] = ev.confusion[static_cast<long>(t)][static_cast<long>(p)].item<std::int64_t>();
        const SegScores sc = segScores(ev.confusion);
        std::vector<std::string> names{"background"};
        names.insert(names.end(), classes.begin(), classes.end());
        nlohmann::json perClass = nlohmann::json::object();
        for (std::size_t k = 0; k < K; ++k) {
            std::int64_t pixels = 0;
            for (std::size_t p = 0; p < K; ++p) pixels += confusion[k][p];
            perClass[names[k]] = {{"iou", sc.iou[k] < 0 ? nlohmann::json(nullptr) : nlohmann::json(sc.iou[k])}, {"pixels", pixels}};
        }
        return nlohmann::json{{"task", "segmentation"}, {"split", splitName}, {"images", N}, {"loss", ev.loss},
                              {"pixel_accuracy", sc.pixelAccuracy}, {"miou", sc.miou}, {"classes", names},
                              {"per_class", perClass}, {"confusion", confusion}};
    }
    const auto prob = torch::softmax(ev.logits, 1);
    const auto pred = ev.logits.argmax(1);
    const torch::Tensor top5 = std::get<1>(ev.logits.topk(std::min<std::int64_t>(5, static_cast<std::int64_t>(K)), 1));
    std::size_t correct = 0, correct5 = 0;
    nlohmann::json wrong = nlohmann::json::array();
    for (std::size_t i = 0; i < N; ++i) {
        const std::int64_t t = samples->labels[i], p = pred[static_cast<long>(i)].item<std::int64_t>();
        ++confusion[static_cast<std::size_t>(t)][static_cast<std::size_t>(p)];
        correct += t == p;
        correct5 += top5[static_cast<long>(i)].eq(t).any().item<bool>();
        if (t != p)
            wrong.push_back({{"path", samples->paths[i]}, {"truth", classes[static_cast<std::size_t>(t)]}, {"predicted", classes[static_cast<std::size_t>(p)]},
                             {"score", prob[static_cast<long>(i)][p].item<double>()}});
    }
    return nlohmann::json{{"task", "classification"}, {"split", splitName}, {"images", N}, {"loss", ev.loss},
                          {"accuracy", static_cast<double>(correct) / static_cast<double>(N)},
                          {"top5_accuracy", static_cast<double>(correct5) / static_cast<double>(N)}, {"classes", classes},
                          {"per_class", precisionRecall(confusion, classes)}, {"confusion", confusion}, {"misclassified", wrong}};
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
        if (s->cancelled) return makeError(ErrorCode::Invalid, config.outDir, {}, "cancelled in fold " + std::to_string(k + 1));
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

namespace {

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

torch::nn::Conv2d firstConv(ClassifierImpl &model)
{
    for (auto &m : model.modules(false))
        if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(m)) return torch::nn::Conv2d(conv);
    return torch::nn::Conv2d(nullptr);
}

} // namespace

core::Result<AugmentPreview> previewAugment(const TrainConfig &config, int count)
{
    Task task;
    if (!taskFromName(config.task, &task)) return makeError(ErrorCode::Invalid, {}, {}, "unknown task '" + config.task + "'");
    auto aug = parseAugment(config.augment);
    if (!aug) return aug.error();
    auto snap = takeSnapshot(config.project, task);
    if (!snap) return snap.error();
    if (snap->train.empty()) return makeError(ErrorCode::Invalid, config.project, {}, "no labelled images in the train split");
    const bool seg = task == Task::Segmentation;
    std::vector<Item> pick;
    core::SplitMix64 rng{config.seed};
    for (int i = 0; i < count; ++i) pick.push_back(snap->train[static_cast<std::size_t>(rng.below(static_cast<int>(snap->train.size())))]);
    int size = config.imageSize > 0 ? config.imageSize : 0;
    if (size <= 0) {
        auto first = cv::imread(pick.front().path, cv::IMREAD_UNCHANGED);
        size = first.empty() || first.cols != first.rows ? (seg ? 128 : 64) : std::min(first.cols, 256);
    }
    auto samples = decode(pick, size, 0, seg);
    if (!samples) return samples.error();
    std::vector<std::size_t> idx(pick.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    auto [x, y] = makeBatch(*samples, idx, *aug, rng.next());
    AugmentPreview out;
    out.classes = snap->classes;
    for (long i = 0; i < x.size(0); ++i) {
        out.images.push_back(toPicture(x[i]));
        if (seg) {
            const auto m = y[i].to(torch::kUInt8).contiguous();
            out.masks.emplace_back(m.data_ptr<std::uint8_t>(), m.data_ptr<std::uint8_t>() + m.numel());
        }
    }
    return out;
}

core::Result<std::vector<Picture>> firstLayerFilters(const std::string &checkpoint)
{
    auto run = loadRun(checkpoint);
    if (!run) return run.error();
    auto conv = firstConv(*run->model);
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

core::Result<Prediction> predictImage(const std::string &checkpoint, const std::string &image)
{
    auto run = loadRun(checkpoint);
    if (!run) return run.error();
    const bool seg = run->task == Task::Segmentation;
    auto samples = decode({Item{image, 0, {}}}, run->size, run->channels, false);
    if (!samples) return samples.error();
    auto [x, y] = makeBatch(*samples, {0}, Augment{}, 0);
    torch::NoGradGuard g;
    const torch::Tensor logits = run->model->forward(x)[0];
    Prediction out;
    out.task = seg ? "segmentation" : "classification";
    out.classes = run->classes;
    if (seg) {
        const auto m = logits.argmax(0).to(torch::kUInt8).contiguous();
        out.mask.assign(m.data_ptr<std::uint8_t>(), m.data_ptr<std::uint8_t>() + m.numel());
        out.maskSize = run->size;
        // Each class's connected areas as outlines, scaled from the mask to the image's pixels.
        auto size = core::readImageSize(image);
        if (!size) return size.error();
        const int S = run->size;
        const double sx = static_cast<double>(size->width) / S, sy = static_cast<double>(size->height) / S;
        const auto prob = torch::softmax(logits, 0).contiguous();
        const cv::Mat classes(S, S, CV_8U, out.mask.data());
        for (std::size_t k = 0; k < run->classes.size(); ++k) {
            cv::Mat binary = classes == static_cast<int>(k + 1);
            std::vector<std::vector<cv::Point>> contours;
            cv::findContours(binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
            const float *p = prob[static_cast<long>(k + 1)].data_ptr<float>();
            for (const auto &c : contours) {
                if (cv::contourArea(c) < 2) continue; // specks of a pixel or two
                cv::Mat area = cv::Mat::zeros(S, S, CV_8U);
                cv::drawContours(area, std::vector<std::vector<cv::Point>>{c}, 0, cv::Scalar(1), cv::FILLED);
                double sum = 0;
                int n = 0;
                for (int yy = 0; yy < S; ++yy)
                    for (int xx = 0; xx < S; ++xx)
                        if (area.at<std::uint8_t>(yy, xx) && static_cast<std::size_t>(classes.at<std::uint8_t>(yy, xx)) == k + 1) {
                            sum += p[yy * S + xx];
                            ++n;
                        }
                Prediction::Region r;
                r.className = run->classes[k];
                r.score = n ? sum / n : 0;
                // Contour points are pixel centres of the mask: their corners span [x, x+1).
                for (const auto &q : c) r.polygon.emplace_back((q.x + 0.5) * sx, (q.y + 0.5) * sy);
                if (r.polygon.size() >= 3) out.regions.push_back(std::move(r));
            }
        }
        return out;
    }
    const auto prob = torch::softmax(logits, 0);
    for (std::size_t k = 0; k < run->classes.size(); ++k) out.scores.emplace_back(run->classes[k], prob[static_cast<long>(k)].item<double>());
    std::sort(out.scores.begin(), out.scores.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    return out;
}

core::Result<std::vector<Picture>> featureMaps(const std::string &checkpoint, const std::string &image)
{
    auto run = loadRun(checkpoint);
    if (!run) return run.error();
    auto conv = firstConv(*run->model);
    if (!conv) return makeError(ErrorCode::Unsupported, checkpoint, {}, "this model has no convolution layer");
    auto samples = decode({Item{image, 0, {}}}, run->size, run->channels, false);
    if (!samples) return samples.error();
    auto [x, y] = makeBatch(*samples, {0}, Augment{}, 0);
    torch::NoGradGuard g;
    const auto maps = torch::relu(conv->forward(x))[0];
    std::vector<Picture> out;
    for (long f = 0; f < maps.size(0); ++f) {
        const auto m = maps[f].unsqueeze(0);
        out.push_back(toPicture(m / m.max().clamp_min(1e-12)));
    }
    return out;
}

core::Status importWeights(const std::string &pth, const std::string &arch, const std::string &out)
{
    auto w = loadStateDict(pth);
    if (!w.ok()) return makeError(ErrorCode::Invalid, pth, {}, w.error);
    try {
        // The classifier head's size tells the number of classes.
        int classes = 1000;
        for (const auto &[k, t] : w.tensors)
            if ((k == "fc.weight" || k == "fc2.weight" || k == "fc3.weight") && t.dim() == 2) classes = static_cast<int>(t.size(0));
        auto model = makeModel({arch, classes, 3, 224});
        const LoadReport rep = loadWeights(*model, w.tensors);
        if (!rep.missing.empty() || !rep.mismatched.empty())
            return makeError(ErrorCode::Invalid, pth, {}, "is not a " + arch + " state dict (" + std::to_string(rep.missing.size()) + " missing, " +
                                                            std::to_string(rep.mismatched.size()) + " mismatched tensors)");
        if (auto err = saveStateDict(modelStateDict(*model), out); !err.empty()) return makeError(ErrorCode::Io, out, {}, err);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, pth, {}, e.what());
    }
    return {};
}

core::Status exportWeights(const std::string &checkpoint, const std::string &out)
{
    auto w = loadStateDict(checkpoint);
    if (!w.ok()) return makeError(ErrorCode::Invalid, checkpoint, {}, w.error);
    if (auto err = saveStateDict(w.tensors, out); !err.empty()) return makeError(ErrorCode::Io, out, {}, err);
    return {};
}

} // namespace training
