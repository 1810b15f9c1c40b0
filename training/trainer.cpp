#include "training/trainer.h"

#include "core/fileio.h"
#include "core/image_size.h"
#include "core/project_store.h"
#include "core/random.h"
#include "training/config.h"
#include "training/data.h"
#include "training/models/models.h"
#include "training/models/torch_error.h"
#include "training/run_state.h"

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

#include <fcntl.h>
#include <unistd.h>

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

// metrics.jsonl, appended line by line. Opened without following a symlink: a run
// folder someone sent cannot make the trainer write into another file.
class RunWriter {
public:
    static core::Result<RunWriter> open(const std::string &path, bool truncate)
    {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0644);
        if (fd < 0)
            return makeError(ErrorCode::Io, path, {}, errno == ELOOP ? "is a symbolic link; the trainer writes only plain files in a run folder"
                                                                     : "cannot write: " + std::string(std::strerror(errno)));
        return RunWriter(fd);
    }
    RunWriter(RunWriter &&o) noexcept : m_fd(o.m_fd) { o.m_fd = -1; }
    RunWriter(const RunWriter &) = delete;
    ~RunWriter()
    {
        if (m_fd >= 0) ::close(m_fd);
    }
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
        const std::string line = j.dump() + "\n";
        // A full disk loses metric lines, not the run: the checkpoints report their own write errors.
        if (::write(m_fd, line.data(), line.size()) < 0) m_failed = true;
    }

private:
    explicit RunWriter(int fd) : m_fd(fd) {}
    int m_fd = -1;
    bool m_failed = false;
};

// Replaces `to` by a copy of `from` atomically: a symlink at `to` is replaced, not followed.
core::Status copyAtomic(const std::string &from, const std::string &to)
{
    auto data = core::readFile(from);
    if (!data) return data.error();
    return core::writeFileAtomic(to, *data);
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
        for (const auto &r : m_store->runs())
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

namespace {

core::Result<TrainSummary> runTraining(const TrainConfig &requested, TrainCallbacks *cb, const std::atomic<bool> *cancel,
                                       const std::atomic<bool> *pause, bool &started)
{
    TrainConfig c = requested;
    RunProgress progress;
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
    if (!taskFromName(c.task, &task)) return makeError(ErrorCode::Invalid, {}, {}, "--task: unknown task '" + c.task.substr(0, 40) + "' (classification, segmentation)");
    if (auto s = checkOptions(c, task); !s) {
        core::Error e = s.error();
        if (resumed) e.file = configFile;
        return e;
    }
    const bool seg = task == Task::Segmentation;
    if (c.outDir.empty()) return makeError(ErrorCode::Invalid, {}, {}, "a run needs an output directory (--out)");
    const std::string lastCkpt = c.outDir + "/checkpoint-last.pt", bestCkpt = c.outDir + "/checkpoint-best.pt";
    const std::string stateFile = c.outDir + "/train-state.pt";
    if (resumed && !fs::exists(stateFile)) {
        if (fs::exists(c.outDir + "/optimizer-last.pt"))
            return makeError(ErrorCode::Unsupported, c.outDir, {},
                             "was written by an older version: its optimizer-last.pt is a TorchScript archive, which is never loaded because it "
                             "could run code. Start a new run (--weights " + lastCkpt + " keeps the weights)");
        return makeError(ErrorCode::Invalid, c.outDir, {}, "nothing to resume: no train-state.pt (the run had not finished an epoch)");
    }
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
    if (resumed && snap->classes != resumed->classes)
        return makeError(ErrorCode::Invalid, c.project, {}, "its classes changed since the run in " + c.outDir + " began; start a new run");
    const auto &trainItems = snap->train;
    if (trainItems.empty())
        return makeError(ErrorCode::Invalid, c.project, {}, seg ? "no images with classed regions in the train split; run `split` first"
                                                                : "no images with a class in the train split; run `split` first");
    int size = resumed ? resumed->imageSize : c.imageSize;
    if (size <= 0) {
        auto first = core::readImageSize(trainItems.front().path);
        size = !first || first->width != first->height ? (seg ? 128 : 64) : first->width;
        if (seg) size = std::max(16, size / 8 * 8);
        size = std::min(size, 1024);
    }
    const int numClasses = static_cast<int>(snap->classes.size()) + (seg ? 1 : 0);
    // Checked before any image is decoded: a size the model cannot use fails now, not after minutes of decoding.
    if (auto s = checkImageSize(c.model, size, 1, snap->classes.size(), trainItems.size() + snap->val.size()); !s) return s.error();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<core::Error> skipped;
    auto trainSet = decode(trainItems, size, resumed ? resumed->channels : 0, seg, c.skipBadImages ? &skipped : nullptr);
    if (!trainSet) {
        core::Error e = trainSet.error();
        e.message += " (--skip-bad-images leaves such images out)";
        return e;
    }
    auto valSet = decode(snap->val, size, trainSet->channels, seg, c.skipBadImages ? &skipped : nullptr);
    if (!valSet) {
        core::Error e = valSet.error();
        e.message += " (--skip-bad-images leaves such images out)";
        return e;
    }
    for (const auto &e : skipped) cb->log("warning: skipped " + e.toString());
    if (trainSet->count() == 0) return makeError(ErrorCode::Invalid, c.project, {}, "no image of the train split could be decoded");
    cb->log("decoded " + std::to_string(trainSet->count()) + " train and " + std::to_string(valSet->count()) + " val images at " +
            std::to_string(size) + "x" + std::to_string(size) + "x" + std::to_string(trainSet->channels) + " in " +
            std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()).substr(0, 5) + " s");
    if (auto s = checkImageSize(c.model, size, trainSet->channels, snap->classes.size(), 0); !s) return s.error();

    std::shared_ptr<ClassifierImpl> model;
    torch::manual_seed(c.seed); // the initial weights follow the seed too
    try {
        model = makeModel({c.model, numClasses, trainSet->channels, size});
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, {}, {}, exceptionText(e));
    }
    if (!resumed && !c.weights.empty()) {
        auto w = loadStateDict(c.weights);
        if (!w.ok()) return makeError(ErrorCode::Invalid, c.weights, {}, w.error);
        const LoadReport rep = loadWeights(*model, w.tensors);
        if (rep.missing.size() + rep.mismatched.size() > 4)
            return makeError(ErrorCode::Invalid, c.weights, {}, "does not fit model " + c.model + " (" + std::to_string(rep.missing.size()) + " missing tensors)");
        cb->log("loaded weights from " + c.weights + "; new head: " + std::to_string(rep.mismatched.size()) + " tensors re-initialised");
    }
    std::error_code ec;
    fs::create_directories(c.outDir, ec);
    if (ec) return makeError(ErrorCode::Io, c.outDir, {}, "cannot create run directory: " + ec.message());
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
    if (resumed) {
        auto p = loadRunState(stateFile, *model, *optimizer, c.optimizer);
        if (!p) return p.error();
        progress = *p;
    } else {
        RunInfo info{c, task, snap->classes, trainSet->channels, size};
        if (auto s = core::writeFileAtomic(c.outDir + "/config.json", runInfoJson(info).dump(2)); !s) return s.error();
        // A new run in a folder that held another: its resumable state and checkpoints are not this run's.
        for (const std::string &stale : {stateFile, lastCkpt, bestCkpt, c.outDir + "/optimizer-last.pt", c.outDir + "/run-state.json"})
            fs::remove(stale, ec);
    }
    auto writer = RunWriter::open(c.outDir + "/metrics.jsonl", !resumed);
    if (!writer) return writer.error();
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
    std::int64_t step = progress.step;
    double best = progress.best;
    int badEpochs = progress.badEpochs;
    const int firstEpoch = progress.epoch + 1;
    int lastSaved = progress.epoch; // the epoch checkpoint-last.pt holds (0: none)
    summary.bestValAccuracy = best;
    double runImages = 0, runSeconds = 0;
    record("running", firstEpoch - 1, best, 0);
    started = true;
    cb->started(c);
    auto kept = [&] {
        return lastSaved > 0 ? "the checkpoint of epoch " + std::to_string(lastSaved) + " is kept" : std::string("no checkpoint was written");
    };

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
                cb->log("stopped at step " + std::to_string(step) + "; " + kept());
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
                                                                       std::to_string(step) + "; try a smaller --lr; " + kept());
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
                writer->write(m);
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
        writer->write(m);
        cb->metrics(m);
        summary.finalLoss = m.loss;
        // The model alone as a torchvision-style state dict (checkpoint-last.pt, and -best.pt
        // when it improved), then everything --resume needs in one file (train-state.pt).
        // Each is replaced atomically: a crash between them resumes from the previous epoch.
        model->to(torch::kCPU);
        if (auto err = saveStateDict(modelStateDict(*model), lastCkpt); !err.empty()) return makeError(ErrorCode::Io, lastCkpt, {}, err);
        lastSaved = epoch;
        const double score = valSet->count() ? (seg ? m.valMiou : m.valAccuracy) : -m.loss;
        if (best == -1.0 || score > best) {
            best = score;
            badEpochs = 0;
            if (auto s = copyAtomic(lastCkpt, bestCkpt); !s) return s.error();
        } else {
            ++badEpochs;
        }
        if (auto s = saveRunState(stateFile, *model, *optimizer, c.optimizer, {epoch, step, best, badEpochs}); !s) return s.error();
        model->to(device);
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

namespace {

// A checkpoint with its run's config.json: the model rebuilt and loaded.
struct LoadedRun {
    std::vector<std::string> classes;
    Task task = Task::Classification;
    int channels = 1, size = 28;
    std::shared_ptr<ClassifierImpl> model;
};

core::Result<LoadedRun> loadRun(const std::string &checkpoint)
{
    const std::string dir = fs::path(checkpoint).parent_path().string();
    std::error_code ec;
    if (!fs::exists((dir.empty() ? std::string(".") : dir) + "/config.json", ec))
        return makeError(ErrorCode::Io, checkpoint, {}, "no config.json beside the checkpoint (is it from a run directory?)");
    auto info = readRunInfo(dir);
    if (!info) return info.error();
    LoadedRun run;
    run.classes = info->classes;
    run.channels = info->channels;
    run.size = info->imageSize;
    run.task = info->task;
    const int numClasses = static_cast<int>(run.classes.size()) + (run.task == Task::Segmentation ? 1 : 0);
    try {
        run.model = makeModel({info->config.model, numClasses, run.channels, run.size});
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, dir + "/config.json", {}, exceptionText(e));
    }
    auto w = loadStateDict(checkpoint);
    if (!w.ok()) return makeError(ErrorCode::Invalid, checkpoint, {}, w.error);
    const LoadReport rep = loadWeights(*run.model, w.tensors);
    if (!rep.missing.empty() || !rep.mismatched.empty())
        return makeError(ErrorCode::Invalid, checkpoint, {}, "does not fit the " + info->config.model + " its config.json describes (" +
                                                                 std::to_string(rep.missing.size()) + " missing, " + std::to_string(rep.mismatched.size()) +
                                                                 " mismatched tensors)");
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

static core::Result<nlohmann::json> evaluateUnguarded(const std::string &project, const std::string &checkpoint, const std::string &splitName)
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

static core::Result<AugmentPreview> previewAugmentUnguarded(const TrainConfig &config, int count)
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
        auto first = core::readImageSize(pick.front().path);
        size = !first || first->width != first->height ? (seg ? 128 : 64) : std::min(first->width, 256);
    }
    if (size > 1024) return makeError(ErrorCode::Invalid, {}, {}, "--image-size " + std::to_string(size) + ": at most 1024 for a preview");
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

static core::Result<std::vector<Picture>> firstLayerFiltersUnguarded(const std::string &checkpoint)
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

static core::Result<Prediction> predictImageUnguarded(const std::string &checkpoint, const std::string &image)
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

static core::Result<std::vector<Picture>> featureMapsUnguarded(const std::string &checkpoint, const std::string &image)
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

static core::Status importWeightsUnguarded(const std::string &pth, const std::string &arch, const std::string &out)
{
    const auto names = modelNames();
    if (std::find(names.begin(), names.end(), arch) == names.end())
        return makeError(ErrorCode::Invalid, {}, {}, "--arch: unknown architecture '" + arch.substr(0, 40) + "' (mlp, smallcnn, resnet18, resnet34, resnet50, unet)");
    auto w = loadStateDict(pth);
    if (!w.ok()) return makeError(w.error.rfind("cannot open", 0) == 0 ? ErrorCode::Io : ErrorCode::Invalid, pth, {}, w.error);
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
    if (auto c1 = shapeOf(arch == "unet" ? "inc.0.weight" : "conv1.weight"); c1.size() == 4) channels = c1[1];
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

static core::Status exportWeightsUnguarded(const std::string &checkpoint, const std::string &out)
{
    auto w = loadStateDict(checkpoint);
    if (!w.ok()) return makeError(w.error.rfind("cannot open", 0) == 0 ? ErrorCode::Io : ErrorCode::Invalid, checkpoint, {}, w.error);
    if (auto err = saveStateDict(w.tensors, out); !err.empty()) return makeError(ErrorCode::Io, out, {}, err);
    return {};
}

// The engine's boundary: whatever LibTorch, OpenCV or the C++ library throws below becomes an Error.
core::Result<nlohmann::json> evaluate(const std::string &project, const std::string &checkpoint, const std::string &splitName)
{
    try {
        return evaluateUnguarded(project, checkpoint, splitName);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, checkpoint, {}, exceptionText(e));
    }
}

core::Result<AugmentPreview> previewAugment(const TrainConfig &config, int count)
{
    try {
        return previewAugmentUnguarded(config, count);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, config.project, {}, exceptionText(e));
    }
}

core::Result<std::vector<Picture>> firstLayerFilters(const std::string &checkpoint)
{
    try {
        return firstLayerFiltersUnguarded(checkpoint);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, checkpoint, {}, exceptionText(e));
    }
}

core::Result<Prediction> predictImage(const std::string &checkpoint, const std::string &image)
{
    try {
        return predictImageUnguarded(checkpoint, image);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, image, {}, exceptionText(e));
    }
}

core::Result<std::vector<Picture>> featureMaps(const std::string &checkpoint, const std::string &image)
{
    try {
        return featureMapsUnguarded(checkpoint, image);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, image, {}, exceptionText(e));
    }
}

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
