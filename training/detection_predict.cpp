#include "training/detection_predict.h"

#include "core/coco_json.h"
#include "core/dataset.h"
#include "core/format.h"
#include "core/image_size.h"
#include "core/project_store.h"
#include "training/coco_evaluator.h"
#include "training/loaded_run.h"
#include "training/models/torch_error.h"
#include "training/task_parts.h"

#include <opencv2/imgproc.hpp>

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

// One image's detections in its own pixels.
struct ImageDetections {
    std::vector<core::CocoDetection> coco;        // category ids: the checkpoint's class index + 1 until remapped
    std::vector<std::vector<core::Point>> outline; // per detection: its mask's largest outline (empty: none)
};

// Canvas detections -> image pixels: boxes divided by the canvas scale and clipped;
// masks resized back to the image and thresholded at 0.5.
ImageDetections toImage(const Detections &d, double sx, double sy, int width, int height, int canvas, double threshold, bool outlines)
{
    ImageDetections out;
    const auto boxes = d.boxes.to(torch::kFloat).contiguous();
    torch::Tensor masks;
    if (d.masks.defined() && d.masks.size(0) > 0) {
        const long H = static_cast<long>(std::ceil(canvas / sy)), W = static_cast<long>(std::ceil(canvas / sx));
        namespace F = torch::nn::functional;
        masks = F::interpolate(d.masks.unsqueeze(1), F::InterpolateFuncOptions().size(std::vector<int64_t>{H, W}).mode(torch::kBilinear).align_corners(false))
                    .squeeze(1)
                    .slice(1, 0, std::min<long>(H, height))
                    .slice(2, 0, std::min<long>(W, width));
        if (masks.size(1) < height || masks.size(2) < width)
            masks = F::pad(masks, F::PadFuncOptions({0, width - masks.size(2), 0, height - masks.size(1)}));
        masks = (masks > 0.5).to(torch::kUInt8).contiguous();
    }
    for (long n = 0; n < boxes.size(0); ++n) {
        const double score = d.scores[n].item<double>();
        if (score < threshold) continue;
        const float *b = boxes.data_ptr<float>() + 4 * n;
        const double x0 = std::clamp(b[0] / sx, 0.0, double(width)), y0 = std::clamp(b[1] / sy, 0.0, double(height));
        const double x1 = std::clamp(b[2] / sx, 0.0, double(width)), y1 = std::clamp(b[3] / sy, 0.0, double(height));
        core::CocoDetection c;
        c.categoryId = d.classes[n].item<std::int64_t>();
        c.box = {x0, y0, x1 - x0, y1 - y0};
        c.score = score;
        std::vector<core::Point> poly;
        if (masks.defined()) {
            c.mask = maskRle(masks[n]);
            if (outlines) {
                cv::Mat m(static_cast<int>(height), static_cast<int>(width), CV_8U, masks[n].data_ptr<std::uint8_t>());
                std::vector<std::vector<cv::Point>> contours;
                cv::findContours(m.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
                const std::vector<cv::Point> *best = nullptr;
                for (const auto &k : contours)
                    if (k.size() >= 3 && (!best || cv::contourArea(k) > cv::contourArea(*best))) best = &k;
                // Contour points are mask pixels: their centres, in pixel-corner coordinates.
                if (best)
                    for (const auto &q : *best) poly.push_back({q.x + 0.5, q.y + 0.5});
            }
        }
        out.coco.push_back(std::move(c));
        out.outline.push_back(std::move(poly));
    }
    return out;
}

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
    if (task != Task::Detection && task != Task::Instance)
        return makeError(ErrorCode::Invalid, r.checkpoint, {},
                         std::string("is a ") + taskName(task) + " checkpoint; predict writes detections: give a detection or instance checkpoint");
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
            auto d = toImage(p.detections[i], mapper->cache().scaleX(i), mapper->cache().scaleY(i), t.width, t.height, S, r.scoreThreshold, r.format == "via");
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
