#include "training/trainer.h"

#include "core/fileio.h"
#include "core/project_store.h"
#include "core/random.h"
#include "training/models/models.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <thread>

namespace fs = std::filesystem;
using core::Error;
using core::ErrorCode;
using core::makeError;

namespace training {

namespace {

// Decoded images of one split: uint8, C x S x S each, and their class indices.
struct Samples {
    std::vector<std::uint8_t> pixels;
    std::vector<std::int64_t> labels;
    std::vector<std::string> paths;
    int channels = 1, size = 0;
    std::size_t count() const { return labels.size(); }
    const std::uint8_t *image(std::size_t i) const { return pixels.data() + i * static_cast<std::size_t>(channels * size * size); }
};

struct Snapshot {
    std::vector<std::string> classes;
    std::map<core::Split, std::vector<std::pair<std::string, std::int64_t>>> items; // split -> (path, class index)
};

core::Result<Snapshot> takeSnapshot(const std::string &project)
{
    auto store = core::ProjectStore::open(project);
    if (!store) return store.error();
    Snapshot snap;
    std::map<core::Id, std::int64_t> index;
    const auto images = store->images();
    std::map<core::Id, bool> used;
    for (const auto &im : images)
        if (im.classId) used[im.classId] = true;
    for (const auto &c : store->classes())
        if (used.count(c.id)) {
            index[c.id] = static_cast<std::int64_t>(snap.classes.size());
            snap.classes.push_back(c.name);
        }
    for (const auto &im : images)
        if (im.classId) snap.items[im.split].emplace_back(im.absPath, index[im.classId]);
    if (snap.classes.size() < 2)
        return makeError(ErrorCode::Invalid, project, {}, "classification needs images of at least two classes (an image class per image)");
    return snap;
}

// Decodes on all cores; every image is resized to size x size. channels 0: decide (1 if all are grey).
core::Result<Samples> decode(const std::vector<std::pair<std::string, std::int64_t>> &items, int size, int channels)
{
    const std::size_t n = items.size();
    std::vector<cv::Mat> mats(n);
    std::vector<std::string> errors(n);
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next++) < n;) {
            cv::Mat m = cv::imread(items[i].first, cv::IMREAD_UNCHANGED);
            if (m.empty()) {
                errors[i] = "cannot read image";
                continue;
            }
            if (m.depth() != CV_8U) m.convertTo(m, CV_8U, m.depth() == CV_16U ? 1.0 / 256 : 1.0);
            if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
            if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
            if (m.cols != size || m.rows != size) cv::resize(m, m, {size, size}, 0, 0, cv::INTER_AREA);
            mats[i] = m;
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t)
        pool.emplace_back(work);
    work();
    for (auto &t : pool)
        t.join();
    for (std::size_t i = 0; i < n; ++i)
        if (!errors[i].empty()) return makeError(ErrorCode::Io, items[i].first, {}, errors[i]);
    Samples s;
    s.size = size;
    s.channels = channels;
    if (s.channels == 0) {
        s.channels = 1;
        for (const auto &m : mats)
            if (m.channels() == 3) s.channels = 3;
    }
    const std::size_t per = static_cast<std::size_t>(s.channels * size * size);
    s.pixels.resize(n * per);
    for (std::size_t i = 0; i < n; ++i) {
        cv::Mat m = mats[i];
        if (m.channels() != s.channels) cv::cvtColor(m, m, s.channels == 3 ? cv::COLOR_GRAY2RGB : cv::COLOR_RGB2GRAY);
        std::uint8_t *dst = s.pixels.data() + i * per;
        for (int y = 0; y < size; ++y) { // HWC -> CHW
            const std::uint8_t *row = m.ptr<std::uint8_t>(y);
            for (int x = 0; x < size; ++x)
                for (int c = 0; c < s.channels; ++c)
                    dst[(c * size + y) * size + x] = row[x * s.channels + c];
        }
        s.labels.push_back(items[i].second);
        s.paths.push_back(items[i].first);
    }
    return s;
}

struct Augment {
    bool hflip = false, vflip = false, brightness = false, contrast = false, noise = false, erase = false;
    int crop = 0, shift = 0;
};

core::Result<Augment> parseAugment(const std::string &text)
{
    Augment a;
    if (text.empty() || text == "none") return a;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto colon = item.find(':');
        const std::string name = item.substr(0, colon);
        int arg = -1;
        if (colon != std::string::npos) {
            try {
                arg = std::stoi(item.substr(colon + 1));
            } catch (const std::exception &) {
                return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "' has a bad argument");
            }
        }
        if (name == "hflip") a.hflip = true;
        else if (name == "vflip") a.vflip = true;
        else if (name == "brightness") a.brightness = true;
        else if (name == "contrast") a.contrast = true;
        else if (name == "noise") a.noise = true;
        else if (name == "erase") a.erase = true;
        else if (name == "crop") a.crop = arg >= 0 ? arg : 4;
        else if (name == "shift") a.shift = arg >= 0 ? arg : 2;
        else return makeError(ErrorCode::Invalid, {}, {}, "--augment: unknown augmentation '" + name + "' (this build has hflip, vflip, crop, shift, brightness, contrast, noise, erase)");
    }
    return a;
}

// One batch as float N x C x S x S in [0, 1], augmented with the batch's own random stream.
std::pair<torch::Tensor, torch::Tensor> makeBatch(const Samples &s, const std::vector<std::size_t> &idx, const Augment &aug, std::uint64_t seed)
{
    const int C = s.channels, S = s.size;
    const std::size_t per = static_cast<std::size_t>(C * S * S);
    torch::Tensor x = torch::empty({static_cast<long>(idx.size()), C, S, S});
    torch::Tensor y = torch::empty({static_cast<long>(idx.size())}, torch::kLong);
    float *out = x.data_ptr<float>();
    std::int64_t *labels = y.data_ptr<std::int64_t>();
    core::SplitMix64 rng{seed};
    for (std::size_t b = 0; b < idx.size(); ++b) {
        const std::uint8_t *src = s.image(idx[b]);
        float *dst = out + b * per;
        labels[b] = s.labels[idx[b]];
        const bool fx = aug.hflip && rng.below(2), fy = aug.vflip && rng.below(2);
        // crop:PAD pads by PAD (zeros) and crops back at a random place: a shift of -PAD..PAD.
        const int pad = std::max(aug.crop, aug.shift);
        const int dx = pad ? rng.below(2 * pad + 1) - pad : 0, dy = pad ? rng.below(2 * pad + 1) - pad : 0;
        const float gain = aug.contrast ? static_cast<float>(0.7 + 0.6 * rng.uniform()) : 1.f;
        const float bias = aug.brightness ? static_cast<float>(0.2 * rng.uniform() - 0.1) : 0.f;
        for (int c = 0; c < C; ++c)
            for (int yy = 0; yy < S; ++yy) {
                const int sy0 = (fy ? S - 1 - yy : yy) + dy;
                for (int xx = 0; xx < S; ++xx) {
                    const int sx = (fx ? S - 1 - xx : xx) + dx;
                    float v = 0.f;
                    if (sx >= 0 && sx < S && sy0 >= 0 && sy0 < S) v = src[(c * S + sy0) * S + sx] / 255.f;
                    dst[(c * S + yy) * S + xx] = v;
                }
            }
        if (aug.contrast || aug.brightness) {
            for (std::size_t k = 0; k < per; ++k)
                dst[k] = std::clamp((dst[k] - 0.5f) * gain + 0.5f + bias, 0.f, 1.f);
        }
        if (aug.noise) {
            for (std::size_t k = 0; k < per; ++k) { // Gaussian noise, sigma 0.05 (Box-Muller)
                const double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
                dst[k] = std::clamp(dst[k] + static_cast<float>(0.05 * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2)), 0.f, 1.f);
            }
        }
        if (aug.erase && rng.below(2)) { // random erasing of a box up to a third of each side
            const int w = 1 + rng.below(std::max(1, S / 3)), h = 1 + rng.below(std::max(1, S / 3));
            const int x0 = rng.below(S - w + 1), y0 = rng.below(S - h + 1);
            for (int c = 0; c < C; ++c)
                for (int yy = y0; yy < y0 + h; ++yy)
                    for (int xx = x0; xx < x0 + w; ++xx)
                        dst[(c * S + yy) * S + xx] = 0.f;
        }
    }
    return {x, y};
}

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
            {"clip_norm", c.clipNorm}, {"patience", c.patience}, {"device", c.device}, {"threads", c.threads}, {"weights", c.weights},
            {"freeze_backbone", c.freezeBackbone}, {"image_size", c.imageSize}, {"augment", c.augment}, {"seed", c.seed},
            {"log_every", c.logEvery}};
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
    c.weights = j.value("weights", "");
    c.freezeBackbone = j.value("freeze_backbone", false);
    c.imageSize = j.value("image_size", 0);
    c.augment = j.value("augment", c.augment);
    c.seed = j.value("seed", std::uint64_t(0));
    c.logEvery = j.value("log_every", 50);
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

struct EvalOut {
    double loss = 0;
    torch::Tensor logits; // N x K
};

EvalOut runEval(ClassifierImpl &model, const Samples &s, torch::Device device, int batch)
{
    torch::NoGradGuard g;
    model.eval();
    EvalOut out;
    std::vector<torch::Tensor> all;
    double lossSum = 0;
    for (std::size_t i = 0; i < s.count(); i += static_cast<std::size_t>(batch)) {
        std::vector<std::size_t> idx;
        for (std::size_t k = i; k < std::min(s.count(), i + static_cast<std::size_t>(batch)); ++k) idx.push_back(k);
        auto [x, y] = makeBatch(s, idx, Augment{}, 0);
        torch::Tensor logits = model.forward(x.to(device)).to(torch::kCPU);
        lossSum += torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
        all.push_back(logits);
    }
    out.loss = s.count() ? lossSum / static_cast<double>(s.count()) : 0;
    out.logits = all.empty() ? torch::empty({0}) : torch::cat(all);
    return out;
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
        }
        m_metrics << j.dump() << "\n" << std::flush;
    }

private:
    std::ofstream m_metrics;
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
    if (c.task != "classification")
        return makeError(ErrorCode::Unsupported, c.project, {}, "task '" + c.task + "' is not available yet; this build trains classification");
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
    }
    const std::string blas = blasInUse();
    cb->log("device " + std::string(device.is_cuda() ? "cuda" : "cpu") + ", " + std::to_string(threads) + " threads, BLAS " + blas);
    if (blas.find("openblas") == std::string::npos && blas.find("OpenBLAS") == std::string::npos && !device.is_cuda())
        cb->log("warning: the BLAS in use is not OpenBLAS; training will be slow (install libopenblas0-openmp)");

    auto snap = takeSnapshot(c.project);
    if (!snap) return snap.error();
    const auto &trainItems = snap->items[core::Split::Train];
    if (trainItems.empty()) return makeError(ErrorCode::Invalid, c.project, {}, "no images with a class in the train split; run `split` first");
    int size = c.imageSize;
    if (size <= 0) {
        auto first = cv::imread(trainItems.front().first, cv::IMREAD_UNCHANGED);
        size = first.empty() ? 64 : (first.cols == first.rows ? first.cols : 64);
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto trainSet = decode(trainItems, size, 0);
    if (!trainSet) return trainSet.error();
    auto valSet = decode(snap->items[core::Split::Val], size, trainSet->channels);
    if (!valSet) return valSet.error();
    cb->log("decoded " + std::to_string(trainSet->count()) + " train and " + std::to_string(valSet->count()) + " val images at " +
            std::to_string(size) + "x" + std::to_string(size) + "x" + std::to_string(trainSet->channels) + " in " +
            std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()).substr(0, 5) + " s");

    std::shared_ptr<ClassifierImpl> model;
    torch::manual_seed(c.seed); // the initial weights follow the seed too
    try {
        model = makeModel({c.model, static_cast<int>(snap->classes.size()), trainSet->channels, size});
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
                                           nlohmann::json{{"config", configJson(c)}, {"classes", snap->classes}, {"channels", trainSet->channels},
                                                          {"image_size", size}}.dump(2));
            !s)
            return s.error();
        std::ofstream(c.outDir + "/metrics.jsonl", std::ios::trunc);
    }
    RunWriter writer(c.outDir);

    const std::size_t n = trainSet->count();
    const std::int64_t stepsPerEpoch = static_cast<std::int64_t>((n + static_cast<std::size_t>(c.batch) - 1) / static_cast<std::size_t>(c.batch));
    TrainSummary summary;
    std::int64_t step = state.value("step", std::int64_t(0));
    double best = state.value("best_val_accuracy", -1.0);
    int badEpochs = state.value("bad_epochs", 0);
    const int firstEpoch = state.value("epoch", 0) + 1;
    summary.bestValAccuracy = best;
    double runImages = 0, runSeconds = 0;

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
        // The next batch is prepared on a worker thread while this one trains.
        auto pending = std::async(std::launch::async, batchAt, 0);
        for (std::int64_t b = 0; b < stepsPerEpoch; ++b) {
            while (pause && pause->load() && !(cancel && cancel->load())) std::this_thread::sleep_for(std::chrono::milliseconds(50));
            if (cancel && cancel->load()) {
                summary.cancelled = true;
                cb->log("stopped at step " + std::to_string(step) + "; the last checkpoint is kept");
                pending.wait();
                summary.epochs = epoch - 1;
                summary.steps = step;
                return summary;
            }
            auto [x, y] = pending.get();
            if (b + 1 < stepsPerEpoch) pending = std::async(std::launch::async, batchAt, b + 1);
            const double lr = scheduledLr(c, step, stepsPerEpoch);
            setLr(*optimizer, lr);
            optimizer->zero_grad();
            torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x.to(device)), y.to(device));
            const double l = loss.item<double>();
            if (!std::isfinite(l)) {
                if (pending.valid()) pending.wait();
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
        m.loss = epochLoss / static_cast<double>(stepsPerEpoch);
        m.lr = scheduledLr(c, step - 1, stepsPerEpoch);
        m.imagesPerS = runSeconds > 0 ? runImages / runSeconds : 0;
        m.epochEnd = true;
        m.progress = static_cast<double>(epoch) / c.epochs;
        if (valSet->count()) {
            EvalOut ev = runEval(*model, *valSet, device, 256);
            m.valLoss = ev.loss;
            const auto truth = torch::from_blob(valSet->labels.data(), {static_cast<long>(valSet->count())}, torch::kLong);
            m.valAccuracy = ev.logits.argmax(1).eq(truth).to(torch::kDouble).mean().item<double>();
        }
        writer.write(m);
        cb->metrics(m);
        summary.finalLoss = m.loss;
        // Checkpoints: the model alone (a torchvision-style state dict), the optimizer beside it.
        model->to(torch::kCPU);
        if (auto err = saveStateDict(modelStateDict(*model), lastCkpt); !err.empty()) return makeError(ErrorCode::Io, lastCkpt, {}, err);
        torch::save(*optimizer, optimState);
        const double score = valSet->count() ? m.valAccuracy : -m.loss;
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
        cb->log("epoch " + std::to_string(epoch) + ": loss " + std::to_string(m.loss) +
                (valSet->count() ? ", val accuracy " + std::to_string(m.valAccuracy) : std::string()));
        if (c.patience > 0 && badEpochs >= c.patience) {
            summary.stoppedEarly = true;
            cb->log("early stop: no better validation accuracy for " + std::to_string(c.patience) + " epochs");
            break;
        }
    }
    summary.imagesPerS = runSeconds > 0 ? runImages / runSeconds : 0;
    return summary;
}

core::Result<nlohmann::json> evaluate(const std::string &project, const std::string &checkpoint, const std::string &splitName)
{
    core::Split split;
    if (!core::splitFromName(splitName, &split)) return makeError(ErrorCode::Invalid, {}, {}, "--split: '" + splitName + "' is not val or test");
    const std::string dir = fs::path(checkpoint).parent_path().string();
    auto cfg = readJson((dir.empty() ? "." : dir) + "/config.json");
    if (!cfg) return makeError(ErrorCode::Io, checkpoint, {}, "no config.json beside the checkpoint (is it from a run directory?)");
    std::vector<std::string> classes = (*cfg)["classes"].get<std::vector<std::string>>();
    const int channels = cfg->value("channels", 1), size = cfg->value("image_size", 28);
    auto snap = takeSnapshot(project);
    if (!snap) return snap.error();
    // Map the project's classes onto the checkpoint's by name.
    std::map<std::string, std::int64_t> index;
    for (std::size_t i = 0; i < classes.size(); ++i) index[classes[i]] = static_cast<std::int64_t>(i);
    std::vector<std::pair<std::string, std::int64_t>> items;
    for (const auto &[path, cls] : snap->items[split]) {
        auto it = index.find(snap->classes[static_cast<std::size_t>(cls)]);
        if (it == index.end()) return makeError(ErrorCode::Invalid, project, {}, "class '" + snap->classes[static_cast<std::size_t>(cls)] + "' is unknown to the checkpoint");
        items.emplace_back(path, it->second);
    }
    if (items.empty()) return makeError(ErrorCode::Invalid, project, {}, "no images with a class in split " + splitName);
    auto samples = decode(items, size, channels);
    if (!samples) return samples.error();
    std::shared_ptr<ClassifierImpl> model;
    try {
        model = makeModel({(*cfg)["config"].value("model", "smallcnn"), static_cast<int>(classes.size()), channels, size});
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, checkpoint, {}, e.what());
    }
    auto w = loadStateDict(checkpoint);
    if (!w.ok()) return makeError(ErrorCode::Invalid, checkpoint, {}, w.error);
    const LoadReport rep = loadWeights(*model, w.tensors);
    if (!rep.missing.empty() || !rep.mismatched.empty()) return makeError(ErrorCode::Invalid, checkpoint, {}, "does not fit its config.json");
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    const EvalOut ev = runEval(*model, *samples, torch::kCPU, 256);
    const std::size_t K = classes.size(), N = samples->count();
    const auto pred = ev.logits.argmax(1);
    const torch::Tensor top5 = std::get<1>(ev.logits.topk(std::min<std::int64_t>(5, static_cast<std::int64_t>(K)), 1));
    std::vector<std::vector<std::int64_t>> confusion(K, std::vector<std::int64_t>(K, 0));
    std::size_t correct = 0, correct5 = 0;
    for (std::size_t i = 0; i < N; ++i) {
        const std::int64_t t = samples->labels[i], p = pred[static_cast<long>(i)].item<std::int64_t>();
        ++confusion[static_cast<std::size_t>(t)][static_cast<std::size_t>(p)];
        correct += t == p;
        correct5 += top5[static_cast<long>(i)].eq(t).any().item<bool>();
    }
    nlohmann::json perClass = nlohmann::json::object();
    for (std::size_t k = 0; k < K; ++k) {
        std::int64_t tp = confusion[k][k], fp = 0, fn = 0;
        for (std::size_t j = 0; j < K; ++j) {
            if (j == k) continue;
            fp += confusion[j][k];
            fn += confusion[k][j];
        }
        const double precision = tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 0;
        const double recall = tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 0;
        perClass[classes[k]] = {{"precision", precision}, {"recall", recall},
                                {"f1", precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0}, {"support", tp + fn}};
    }
    return nlohmann::json{{"split", splitName}, {"images", N}, {"loss", ev.loss}, {"accuracy", static_cast<double>(correct) / static_cast<double>(N)},
                          {"top5_accuracy", static_cast<double>(correct5) / static_cast<double>(N)}, {"classes", classes},
                          {"per_class", perClass}, {"confusion", confusion}};
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
