#include "training/detection_predict.h"

#include "core/coco_json.h"
#include "core/dataset.h"
#include "core/format.h"
#include "core/image_size.h"
#include "core/project_store.h"
#include "training/coco_evaluator.h"
#include "training/describe.h"
#include "training/loaded_run.h"
#include "training/models/torch_error.h"
#include "training/task_parts.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

namespace fs = std::filesystem;
using core::ErrorCode;
using core::makeError;

namespace training {

namespace {

struct Target {
    std::string path;      // absolute
    std::string name;      // the file name written out (COCO: as the export names it)
    std::int64_t id = 0;   // COCO image id
    int width = 0, height = 0;
};

core::Result<std::vector<Target>> projectTargets(const DetectionPredictRequest &r, std::map<std::string, std::int64_t> &categoryOf)
{
    std::optional<core::Split> split;
    if (!r.split.empty()) {
        core::Split s;
        if (!core::splitFromName(r.split, &s) || s == core::Split::Unassigned)
            return makeError(ErrorCode::Invalid, {}, {}, "--split: '" + r.split.substr(0, 40) + "' is not train, val or test");
        split = s;
    }
    auto store = core::ProjectStore::open(r.project);
    if (!store) return store.error();
    // The ids of `export --format coco`: images 1..n in the export's order, categories by name.
    auto gt = core::cocoGroundTruthFromProject(*store, split);
    if (!gt) return gt.error();
    std::vector<std::string> roots;
    auto ds = store->exportDataset(split, &roots);
    if (!ds) return ds.error();
    if (ds->images.size() != gt->images.size())
        return makeError(ErrorCode::Internal, r.project, {}, "the project changed while its COCO ids were read; try again");
    for (const auto &c : gt->categories) categoryOf[c.name] = c.id;
    std::vector<Target> out;
    for (std::size_t i = 0; i < ds->images.size(); ++i) {
        Target t{(fs::path(roots[i]) / ds->images[i].path).string(), gt->images[i].fileName, gt->images[i].id, gt->images[i].width, gt->images[i].height};
        if (t.width <= 0 || t.height <= 0) {
            auto size = core::readImageSize(t.path);
            if (!size) return size.error();
            t.width = size->width;
            t.height = size->height;
        }
        out.push_back(std::move(t));
    }
    return out;
}

core::Status writeVia(const std::string &path, const std::vector<Target> &targets, const std::vector<ImageDetections> &dets,
                      const std::vector<std::string> &classes)
{
    const core::Format *via = core::FormatRegistry::instance().find("via");
    if (!via) return makeError(ErrorCode::Internal, {}, {}, "the via format is not registered");
    core::Dataset ds;
    for (const auto &c : classes) ds.ensureClass(c);
    for (std::size_t i = 0; i < targets.size(); ++i) {
        core::ImageEntry e;
        e.path = fs::path(targets[i].path).filename().string();
        e.width = targets[i].width;
        e.height = targets[i].height;
        std::error_code ec;
        const auto size = fs::file_size(targets[i].path, ec);
        if (!ec) e.fileSize = static_cast<std::int64_t>(size);
        for (std::size_t n = 0; n < dets[i].coco.size(); ++n) {
            const auto &c = dets[i].coco[n];
            core::RegionData reg;
            auto shape = dets[i].outline[n].size() >= 3 ? core::Shape::polygon(dets[i].outline[n]) : core::Shape::rect(c.box.x, c.box.y, c.box.w, c.box.h);
            if (!shape) continue; // a degenerate box or outline
            reg.shape = *shape;
            const auto k = static_cast<std::size_t>(c.categoryId - 1);
            reg.className = k < classes.size() ? classes[k] : std::string();
            reg.origin = core::Origin::Model;
            reg.score = c.score;
            reg.attributes["score"] = c.score;
            e.regions.push_back(std::move(reg));
        }
        ds.images.push_back(std::move(e));
    }
    core::WriteOptions wo;
    auto w = via->write(ds, path, wo);
    if (!w) return w.error();
    return {};
}

core::Result<DetectionPredictSummary> predictUnguarded(const DetectionPredictRequest &r)
{
    if (r.format != "coco" && r.format != "via") return makeError(ErrorCode::Invalid, {}, {}, "--format: '" + r.format.substr(0, 40) + "' is not coco or via");
    if (!std::isfinite(r.scoreThreshold) || r.scoreThreshold < 0 || r.scoreThreshold > 1)
        return makeError(ErrorCode::Invalid, {}, {}, "--score-threshold: must be between 0 and 1");
    if (r.project.empty() == r.images.empty()) return makeError(ErrorCode::Invalid, {}, {}, "predict takes images or --project, one of the two");
    if (r.project.empty() && !r.split.empty()) return makeError(ErrorCode::Invalid, {}, {}, "--split needs --project");
    auto run = loadRun(r.checkpoint);
    if (!run) return run.error();
    const Task task = run->info.task;
    if (task == Task::Classification)
        return makeError(ErrorCode::Invalid, r.checkpoint, {},
                         "is a classification checkpoint; predict writes regions: give a detection, instance or segmentation checkpoint");
    std::map<std::string, std::int64_t> categoryOf;
    std::vector<Target> targets;
    if (!r.project.empty()) {
        auto t = projectTargets(r, categoryOf);
        if (!t) return t.error();
        targets = std::move(*t);
    } else {
        for (std::size_t i = 0; i < r.images.size(); ++i) {
            auto size = core::readImageSize(r.images[i]);
            if (!size) return size.error();
            targets.push_back({fs::absolute(r.images[i]).string(), fs::path(r.images[i]).filename().string(), static_cast<std::int64_t>(i + 1), size->width,
                               size->height});
        }
        for (std::size_t k = 0; k < run->info.classes.size(); ++k) categoryOf[run->info.classes[k]] = static_cast<std::int64_t>(k + 1);
    }
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    const int S = run->info.imageSize;
    std::vector<ImageDetections> dets;
    DetectionPredictSummary summary;
    // A few images at a time: decoded at the run's canvas size, as its mapper saw them in training.
    constexpr std::size_t kChunk = 4;
    for (std::size_t at = 0; at < targets.size(); at += kChunk) {
        std::vector<Record> records;
        for (std::size_t i = at; i < std::min(targets.size(), at + kChunk); ++i) records.push_back(Record{targets[i].path, -1, {}});
        auto cache = ImageCache::decode(records, S, run->info.channels, fitFor(task));
        if (!cache) return cache.error();
        const auto mapper = makeMapper(task, std::move(*cache));
        std::vector<std::size_t> idx(mapper->size());
        for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
        const Batch b = mapper->map(idx, Augment{}, 0);
        const Predictions p = run->model->predict(b);
        for (std::size_t i = 0; i < idx.size(); ++i) {
            const Target &t = targets[at + i];
            // A segmentation's connected areas become one region each, as Inspect shows them.
            auto d = task == Task::Segmentation
                         ? areasAsDetections(describePrediction(task, run->info.classes, p, i, mapper->cache(), i, 0), t.width, t.height, r.scoreThreshold)
                         : toImage(p.detections[i], mapper->cache().scaleX(i), mapper->cache().scaleY(i), t.width, t.height, r.scoreThreshold, r.format == "via");
            for (auto &c : d.coco) c.imageId = t.id;
            summary.detections += d.coco.size();
            dets.push_back(std::move(d));
        }
    }
    summary.images = targets.size();
    if (r.format == "via") {
        if (auto s = writeVia(r.out, targets, dets, run->info.classes); !s) return s.error();
        return summary;
    }
    // Category ids: the project's export's (by class name), or 1..K for plain images.
    std::vector<core::CocoDetection> all;
    for (auto &d : dets)
        for (auto &c : d.coco) {
            const auto k = static_cast<std::size_t>(c.categoryId - 1);
            auto it = k < run->info.classes.size() ? categoryOf.find(run->info.classes[k]) : categoryOf.end();
            if (it == categoryOf.end()) continue; // a class the project does not have
            c.categoryId = it->second;
            all.push_back(std::move(c));
        }
    summary.detections = all.size();
    if (auto s = core::writeCocoResults(r.out, all); !s) return makeError(ErrorCode::Io, r.out, {}, s.error().message);
    return summary;
}

} // namespace

core::Result<DetectionPredictSummary> predictDetections(const DetectionPredictRequest &request)
{
    try {
        return predictUnguarded(request);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, request.checkpoint, {}, exceptionText(e));
    }
}

} // namespace training
