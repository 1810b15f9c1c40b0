#include "training/config.h"

#include "core/fileio.h"
#include "training/augment.h"
#include "training/models/detection/rcnn.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <unistd.h>

namespace fs = std::filesystem;
using core::ErrorCode;
using core::makeError;

namespace training {

bool taskFromName(const std::string &name, Task *out)
{
    for (Task t : {Task::Classification, Task::Segmentation, Task::Detection, Task::Instance})
        if (name == taskName(t)) {
            *out = t;
            return true;
        }
    return false;
}

const char *taskName(Task task)
{
    switch (task) {
    case Task::Segmentation: return "segmentation";
    case Task::Detection: return "detection";
    case Task::Instance: return "instance";
    case Task::Classification: break;
    }
    return "classification";
}

nlohmann::json configJson(const TrainConfig &c)
{
    return {{"project", c.project}, {"task", c.task}, {"model", c.model}, {"epochs", c.epochs}, {"batch", c.batch}, {"lr", c.lr},
            {"optimizer", c.optimizer}, {"weight_decay", c.weightDecay}, {"schedule", c.schedule}, {"warmup_epochs", c.warmupEpochs},
            {"clip_norm", c.clipNorm}, {"patience", c.patience}, {"device", c.device}, {"threads", c.threads}, {"workers", c.workers},
            {"weights", c.weights}, {"freeze_backbone", c.freezeBackbone}, {"image_size", c.imageSize}, {"augment", c.augment},
            {"seed", c.seed}, {"log_every", c.logEvery}, {"folds", c.folds}, {"fold", c.fold}, {"skip_bad_images", c.skipBadImages},
            {"time_budget", c.timeBudget}, {"anchor_size", c.anchorSize}, {"anchor_ratios", c.anchorRatios},
            {"rpn_proposals", c.rpnProposals}, {"rois_per_image", c.roisPerImage}, {"norm", c.norm}};
}

nlohmann::json runInfoJson(const RunInfo &run)
{
    return {{"config", configJson(run.config)}, {"classes", run.classes}, {"channels", run.channels}, {"task", taskName(run.task)},
            {"image_size", run.imageSize}};
}

namespace {

// Reads typed fields of a JSON object; the first wrong one becomes an error naming
// the file and its JSON path. A missing field keeps the default.
class Fields {
public:
    Fields(const nlohmann::json &obj, std::string file, std::string path) : m_obj(obj), m_file(std::move(file)), m_path(std::move(path))
    {
        if (!obj.is_object()) fail(m_path, "expected an object");
    }
    void text(const char *key, std::string &out)
    {
        if (const auto *v = find(key)) {
            if (v->is_string()) out = v->get<std::string>();
            else fail(at(key), "expected a string");
        }
    }
    void integer(const char *key, int &out)
    {
        if (const auto *v = find(key)) {
            if (v->is_number_integer() && v->get<std::int64_t>() >= INT32_MIN && v->get<std::int64_t>() <= INT32_MAX) out = v->get<int>();
            else fail(at(key), "expected a whole number");
        }
    }
    void unsignedInteger(const char *key, std::uint64_t &out)
    {
        if (const auto *v = find(key)) {
            if (v->is_number_unsigned()) out = v->get<std::uint64_t>();
            else fail(at(key), "expected a whole number >= 0");
        }
    }
    void number(const char *key, double &out)
    {
        if (const auto *v = find(key)) {
            if (v->is_number()) out = v->get<double>();
            else fail(at(key), "expected a number");
        }
    }
    void flag(const char *key, bool &out)
    {
        if (const auto *v = find(key)) {
            if (v->is_boolean()) out = v->get<bool>();
            else fail(at(key), "expected true or false");
        }
    }
    const nlohmann::json *find(const char *key) const
    {
        if (!m_obj.is_object()) return nullptr;
        auto it = m_obj.find(key);
        return it == m_obj.end() ? nullptr : &*it;
    }
    std::string at(const char *key) const { return m_path + "." + key; }
    void fail(const std::string &where, const std::string &why)
    {
        if (!m_error) m_error = makeError(ErrorCode::Invalid, m_file, where, why);
    }
    const std::optional<core::Error> &error() const { return m_error; }

private:
    const nlohmann::json &m_obj;
    std::string m_file, m_path;
    std::optional<core::Error> m_error;
};

core::Result<TrainConfig> configFromJson(const nlohmann::json &j, const std::string &file)
{
    TrainConfig c;
    Fields f(j, file, "$.config");
    f.text("project", c.project);
    f.text("task", c.task);
    f.text("model", c.model);
    f.integer("epochs", c.epochs);
    f.integer("batch", c.batch);
    f.number("lr", c.lr);
    f.text("optimizer", c.optimizer);
    f.number("weight_decay", c.weightDecay);
    f.text("schedule", c.schedule);
    f.integer("warmup_epochs", c.warmupEpochs);
    f.number("clip_norm", c.clipNorm);
    f.integer("patience", c.patience);
    f.text("device", c.device);
    f.integer("threads", c.threads);
    f.integer("workers", c.workers);
    f.text("weights", c.weights);
    f.flag("freeze_backbone", c.freezeBackbone);
    f.integer("image_size", c.imageSize);
    f.text("augment", c.augment);
    f.unsignedInteger("seed", c.seed);
    f.integer("log_every", c.logEvery);
    f.integer("folds", c.folds);
    f.integer("fold", c.fold);
    f.flag("skip_bad_images", c.skipBadImages);
    f.number("time_budget", c.timeBudget);
    f.integer("anchor_size", c.anchorSize);
    f.text("anchor_ratios", c.anchorRatios);
    f.integer("rpn_proposals", c.rpnProposals);
    f.integer("rois_per_image", c.roisPerImage);
    c.norm = "batch"; // what every run before the setting used
    f.text("norm", c.norm);
    if (f.error()) return *f.error();
    return c;
}

// Deepest nesting of arrays and objects in JSON text, found by a scan that skips
// strings; stops at the first place deeper than maxDepth and reports it.
core::Status checkJsonDepth(const std::string &text, int maxDepth, const std::string &file)
{
    int depth = 0;
    bool inString = false, escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char ch = text[i];
        if (inString) {
            if (escaped) escaped = false;
            else if (ch == '\\') escaped = true;
            else if (ch == '"') inString = false;
            continue;
        }
        if (ch == '"') inString = true;
        else if (ch == '[' || ch == '{') {
            if (++depth > maxDepth)
                return makeError(ErrorCode::Parse, file, core::lineColAt(text, i), "JSON nested deeper than " + std::to_string(maxDepth) + " levels");
        } else if (ch == ']' || ch == '}') {
            --depth;
        }
    }
    return {};
}

} // namespace

core::Result<nlohmann::json> readJsonFile(const std::string &path, std::size_t maxBytes, int maxDepth)
{
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return makeError(ErrorCode::Io, path, {}, "no such file");
    if (!fs::is_regular_file(st)) return makeError(ErrorCode::Io, path, {}, "not a regular file");
    const auto bytes = fs::file_size(path, ec);
    if (ec) return makeError(ErrorCode::Io, path, {}, "cannot read: " + ec.message());
    if (bytes > maxBytes) return makeError(ErrorCode::Invalid, path, {}, "is " + std::to_string(bytes) + " bytes, more than such a file can need");
    auto text = core::readFile(path);
    if (!text) return text.error();
    if (auto s = checkJsonDepth(*text, maxDepth, path); !s) return s.error();
    try {
        return nlohmann::json::parse(*text);
    } catch (const nlohmann::json::parse_error &e) {
        return makeError(ErrorCode::Parse, path, core::lineColAt(*text, e.byte > 0 ? e.byte - 1 : 0), "invalid JSON");
    }
}

core::Result<RunInfo> readRunInfo(const std::string &runDir)
{
    const std::string file = (runDir.empty() ? std::string(".") : runDir) + "/config.json";
    auto j = readJsonFile(file);
    if (!j) return j.error();
    if (!j->is_object()) return makeError(ErrorCode::Invalid, file, "$", "expected an object");
    RunInfo run;
    auto config = j->find("config");
    if (config == j->end()) return makeError(ErrorCode::Invalid, file, "$.config", "missing");
    auto c = configFromJson(*config, file);
    if (!c) return c.error();
    run.config = *c;
    Fields f(*j, file, "$");
    std::string task = run.config.task;
    f.text("task", task);
    f.integer("channels", run.channels);
    f.integer("image_size", run.imageSize);
    if (f.error()) return *f.error();
    if (!taskFromName(task, &run.task)) return makeError(ErrorCode::Invalid, file, "$.task", "unknown task '" + task.substr(0, 40) + "'");
    const auto classes = j->find("classes");
    if (classes == j->end() || !classes->is_array()) return makeError(ErrorCode::Invalid, file, "$.classes", "expected an array of class names");
    if (classes->size() > 10000) return makeError(ErrorCode::Invalid, file, "$.classes", "more classes than a model here can have");
    for (std::size_t i = 0; i < classes->size(); ++i) {
        if (!(*classes)[i].is_string()) return makeError(ErrorCode::Invalid, file, "$.classes[" + std::to_string(i) + "]", "expected a string");
        run.classes.push_back((*classes)[i].get<std::string>());
    }
    if (run.channels != 1 && run.channels != 3) return makeError(ErrorCode::Invalid, file, "$.channels", "expected 1 or 3");
    if (auto s = checkOptions(run.config, run.task); !s) return makeError(ErrorCode::Invalid, file, "$.config", s.error().message);
    const std::size_t minClasses = run.task == Task::Classification ? 2 : 1;
    if (run.classes.size() < minClasses) return makeError(ErrorCode::Invalid, file, "$.classes", "too few classes");
    if (auto s = checkImageSize(run.config.model, run.imageSize, run.channels, run.classes.size(), 0); !s)
        return makeError(ErrorCode::Invalid, file, "$.image_size", s.error().message);
    return run;
}

std::vector<std::string> modelsForTask(const std::string &task)
{
    std::vector<std::string> out;
    if (task == "detection" || task == "instance") {
        const std::string family = task == "detection" ? "fasterrcnn_" : "maskrcnn_";
        for (const auto &n : detection::detectionModelNames())
            if (n.rfind(family, 0) == 0) out.push_back(n);
        return out;
    }
    for (const auto &n : modelNames())
        if ((n == "unet") == (task == "segmentation")) out.push_back(n);
    return out;
}

std::string modelList()
{
    std::string out;
    for (const char *task : {"classification", "segmentation", "detection", "instance"})
        for (const auto &n : modelsForTask(task)) out += (out.empty() ? "" : ", ") + n;
    return out;
}

namespace {

std::string alternatives(const std::vector<std::string> &names)
{
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
    return out;
}

} // namespace

core::Status checkOptions(const TrainConfig &c, Task task)
{
    auto bad = [](const std::string &why) -> core::Status { return makeError(ErrorCode::Invalid, {}, {}, why); };
    const bool seg = task == Task::Segmentation;
    const auto names = modelNames();
    const bool detector = detection::isDetectionArch(c.model);
    if (c.model != "auto" && !detector && std::find(names.begin(), names.end(), c.model) == names.end())
        return bad("--model: unknown model '" + c.model.substr(0, 40) + "' (auto, " + modelList() + ")");
    const bool boxes = task == Task::Detection, instances = task == Task::Instance;
    if (c.model == "auto") {
        // the recipe picks the task's model (training/recipe.h)
    } else if (boxes || instances || detector) {
        if (boxes && c.model.rfind("fasterrcnn_", 0) != 0) return bad("detection trains a Faster R-CNN (--model " + alternatives(modelsForTask("detection")) + ")");
        if (instances && c.model.rfind("maskrcnn_", 0) != 0)
            return bad("instance segmentation trains a Mask R-CNN (--model " + alternatives(modelsForTask("instance")) + ")");
        if (!boxes && !instances) return bad(c.model + " is a detector: use --task " + (c.model.rfind("mask", 0) == 0 ? "instance" : "detection"));
    } else if (seg != (c.model == "unet"))
        return bad(seg ? "segmentation trains the unet model (--model unet)" : "unet is a segmentation model (--task segmentation)");
    // 0, -1 and "auto" are left to the recipe (training/recipe.h).
    if (c.epochs < 0 || c.epochs > 1000000)
        return bad("--epochs " + std::to_string(c.epochs) + ": must be between 1 and 1000000 (0: chosen from the data)");
    if (c.batch < 0 || c.batch > 65536) return bad("--batch " + std::to_string(c.batch) + ": must be between 1 and 65536 (0: chosen from the data)");
    if (!std::isfinite(c.lr) || c.lr < 0) return bad("--lr: must be a number above 0 (0: chosen)");
    if (c.optimizer != "auto" && c.optimizer != "sgd" && c.optimizer != "adam" && c.optimizer != "adamw")
        return bad("--optimizer: unknown optimizer '" + c.optimizer.substr(0, 40) + "' (auto, sgd, adam, adamw)");
    if (!std::isfinite(c.weightDecay) || c.weightDecay < 0) return bad("--weight-decay: must be 0 or more");
    if (c.schedule != "auto" && c.schedule != "none" && c.schedule != "step" && c.schedule != "cosine")
        return bad("--schedule: unknown schedule '" + c.schedule.substr(0, 40) + "' (auto, none, step, cosine)");
    if (c.warmupEpochs < -1 || (c.epochs > 0 && c.warmupEpochs > c.epochs)) return bad("--warmup: must be between 0 and the number of epochs");
    if (!std::isfinite(c.timeBudget) || c.timeBudget < 0 || c.timeBudget > 30 * 86400.0) return bad("--time-budget: must be between 0 (none) and 30 days");
    if (!std::isfinite(c.clipNorm) || (c.clipNorm < 0 && c.clipNorm != -1)) return bad("--clip: must be 0 (off) or more");
    if (c.patience < 0) return bad("--patience: must be 0 (off) or more");
    if (c.device != "auto" && c.device != "cpu" && c.device != "cuda") return bad("--device: must be auto, cpu or cuda");
    if (c.threads < 0 || c.threads > 1024) return bad("--threads: must be between 0 (all cores) and 1024");
    if (c.workers < 0 || c.workers > 64) return bad("--workers: must be between 0 (automatic) and 64");
    if (c.logEvery < 1) return bad("--log-every: must be 1 or more");
    if (c.imageSize < 0 || c.imageSize > 4096)
        return bad("--image-size " + std::to_string(c.imageSize) + ": must be between 1 and 4096 pixels (0: chosen from the images)");
    if (c.folds < 0 || (c.folds > 0 && (c.folds < 2 || c.fold < 0 || c.fold >= c.folds))) return bad("k-fold needs k >= 2 and 0 <= fold < k");
    if (c.augment != "auto")
        if (auto a = parseAugment(c.augment); !a) return a.error();
    if (c.anchorSize < 0 || c.anchorSize > 1024) return bad("--anchor-size " + std::to_string(c.anchorSize) + ": must be between 1 and 1024 pixels (0: fitted to the boxes)");
    if (c.anchorRatios != "auto")
        if (auto r = parseAnchorRatios(c.anchorRatios); !r) return r.error();
    if (c.rpnProposals < 0 || c.rpnProposals > 100000) return bad("--rpn-proposals: must be between 1 and 100000 (0: from the objects per image)");
    if (c.roisPerImage < 0 || c.roisPerImage > 100000) return bad("--rois-per-image: must be between 1 and 100000 (0: from the objects per image)");
    if (c.norm != "auto" && c.norm != "batch" && c.norm != "group") return bad("--norm: must be auto, batch or group");
    if (c.norm == "group" && task != Task::Detection && task != Task::Instance) return bad("--norm group: only detectors' backbones take GroupNorm");
    return {};
}

core::Result<std::vector<double>> parseAnchorRatios(const std::string &text)
{
    std::vector<double> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t end = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, end - start);
        std::size_t used = 0;
        double v = 0;
        try {
            v = std::stod(item, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (used == 0 || used != item.size() || !std::isfinite(v) || v < 0.05 || v > 20)
            return makeError(ErrorCode::Invalid, {}, {}, "--anchor-ratios '" + text.substr(0, 40) + "': expected height/width ratios between 0.05 and 20, such as 0.5,1,2");
        out.push_back(v);
        start = end + 1;
    }
    if (out.size() > 9) return makeError(ErrorCode::Invalid, {}, {}, "--anchor-ratios: at most 9 ratios");
    return out;
}

core::Status checkResolved(const TrainConfig &c)
{
    if (c.epochs < 1 || c.batch < 1 || !(c.lr > 0) || c.clipNorm < 0 || c.model == "auto" || c.optimizer == "auto" || c.schedule == "auto" || c.warmupEpochs < 0 || c.augment == "auto" ||
        c.imageSize < 1 || ((c.task == "detection" || c.task == "instance") &&
                            (c.anchorSize < 1 || c.anchorRatios == "auto" || c.rpnProposals < 1 || c.roisPerImage < 1 || c.norm == "auto")))
        return makeError(ErrorCode::Invalid, {}, {}, "a setting is still to be chosen (auto)");
    return {};
}

bool parseDuration(const std::string &text, double *seconds)
{
    if (text.empty()) return false;
    double total = 0;
    std::size_t i = 0;
    bool any = false;
    while (i < text.size()) {
        std::size_t used = 0;
        double v;
        try {
            v = std::stod(text.substr(i), &used);
        } catch (const std::exception &) {
            return false;
        }
        if (used == 0 || !std::isfinite(v) || v < 0) return false;
        i += used;
        double unit = 1;
        if (i < text.size()) {
            const char u = text[i];
            if (u == 'h') unit = 3600;
            else if (u == 'm') unit = 60;
            else if (u == 's') unit = 1;
            else return false;
            ++i;
        } else if (any) {
            return false; // "1h30" is ambiguous
        }
        total += v * unit;
        any = true;
    }
    *seconds = total;
    return true;
}

core::Status checkImageSize(const std::string &model, int size, int channels, std::size_t classes, std::size_t images)
{
    auto bad = [&](const std::string &why) -> core::Status {
        return makeError(ErrorCode::Invalid, {}, {}, "--image-size " + std::to_string(size) + ": " + why);
    };
    // The dense layers of mlp and smallcnn grow with the square of the size; past 2^26
    // weights (256 MB, and as much again for each optimizer buffer) training is hopeless here.
    constexpr double kMaxWeights = double(1 << 26);
    const double s = size, c = channels;
    if (model == "mlp") {
        if (size < 1) return bad("must be at least 1");
        if (c * s * s * 512 > kMaxWeights)
            return bad("mlp's first layer would have " + std::to_string(static_cast<long long>(c * s * s * 512 / 1e6)) +
                       " million weights; use at most " + std::to_string(static_cast<int>(std::sqrt(kMaxWeights / 512 / c))) + " pixels");
    } else if (model == "smallcnn") {
        const double side = std::floor((s - 4) / 2);
        if (size < 6) return bad("smallcnn needs at least 6 pixels");
        if (64 * side * side * 128 > kMaxWeights)
            return bad("smallcnn's dense layer would have " + std::to_string(static_cast<long long>(64 * side * side * 128 / 1e6)) +
                       " million weights; use at most " + std::to_string(4 + 2 * static_cast<int>(std::sqrt(kMaxWeights / 64 / 128))) + " pixels");
    } else if (model == "convnet") {
        if (size < 8) return bad("convnet needs at least 8 pixels");
        if (size > 1024) return bad("convnet trains at most at 1024 pixels here");
    } else if (model == "unet") {
        if (size < 16 || size % 8) return bad("unet needs a multiple of 8, at least 16");
        if (size > 1024) return bad("unet trains at most at 1024 pixels here");
    } else {
        if (size < 32) return bad(model + " needs at least 32 pixels");
        if (size > 1024) return bad(model + " trains at most at 1024 pixels here");
    }
    if (classes > 10000) return makeError(ErrorCode::Invalid, {}, {}, "more than 10000 classes");
    // Decoded images stay in memory as bytes: they must fit in half of it.
    const double pages = static_cast<double>(::sysconf(_SC_PHYS_PAGES)), pageSize = static_cast<double>(::sysconf(_SC_PAGE_SIZE));
    const double need = static_cast<double>(images) * c * s * s, have = pages > 0 && pageSize > 0 ? pages * pageSize / 2 : 1e18;
    if (need > have)
        return bad(std::to_string(images) + " images at this size take " + std::to_string(static_cast<long long>(need / 1e9)) +
                   " GB decoded, more than half of this machine's memory");
    return {};
}

} // namespace training
