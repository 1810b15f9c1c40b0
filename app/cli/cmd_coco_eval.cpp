#include "app/cli/cmd_coco_eval.h"

#include "core/coco_eval.h"
#include "core/coco_json.h"

#include <CLI/CLI.hpp>

#include <iomanip>
#include <memory>
#include <ostream>

namespace cli {

namespace {

constexpr int kOk = 0, kBadInput = 2;

struct CocoEvalArgs {
    std::string gt, dt;
    std::vector<std::string> iouTypes;
    bool json = false;
};

int fail(std::ostream &err, const core::Error &e)
{
    err << "error: " << e.toString() << "\n";
    return kBadInput;
}

// The evaluator names a detection or annotation by its index; the readers keep the files'
// order, so that is a place in one of the two files.
core::Error inFile(core::Error e, const CocoEvalArgs &a)
{
    const std::string det = "detections[", ann = "annotations[";
    if (e.where.rfind(det, 0) == 0) {
        e.file = a.dt;
        e.where = "$[" + e.where.substr(det.size());
    } else if (e.where.rfind(ann, 0) == 0) {
        e.file = a.gt;
        e.where = "$." + e.where;
    }
    return e;
}

int run(const CocoEvalArgs &a, std::ostream &out, std::ostream &err)
{
    std::vector<core::CocoIouType> types;
    for (const std::string &name : a.iouTypes) {
        core::CocoIouType t;
        if (!core::cocoIouTypeFromName(name, &t)) return fail(err, core::makeError(core::ErrorCode::Invalid, {}, {}, "--iou-type: '" + name + "' is not bbox or segm"));
        if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
    }
    auto gt = core::readCocoGroundTruth(a.gt);
    if (!gt) return fail(err, gt.error());
    auto dts = core::readCocoResults(a.dt, *gt);
    if (!dts) return fail(err, dts.error());
    const std::size_t images = gt->images.size(), categories = gt->categories.size(), instances = gt->annotations.size(), detections = dts->size();
    core::CocoEvaluator evaluator(std::move(gt.value()), types);
    evaluator.process(*dts);
    auto summaries = evaluator.evaluate();
    if (!summaries) return fail(err, inFile(summaries.error(), a));

    if (a.json) {
        nlohmann::json j = nlohmann::json::object(), perCategory = nlohmann::json::object();
        for (const core::CocoSummary &s : *summaries) {
            j[core::cocoIouTypeName(s.iouType)] = s.toJson();
            nlohmann::json list = nlohmann::json::array();
            for (const core::CocoCategoryAp &c : s.perCategory)
                list.push_back({{"id", c.categoryId}, {"name", c.name}, {"AP", c.ap}});
            perCategory[core::cocoIouTypeName(s.iouType)] = std::move(list);
        }
        j["per_category"] = std::move(perCategory);
        out << j.dump(2) << "\n";
        return kOk;
    }
    out << images << " images, " << categories << " categories, " << instances << " ground-truth instances, " << detections << " detections\n";
    for (const core::CocoSummary &s : *summaries) {
        out << "\n" << core::cocoIouTypeName(s.iouType) << "\n" << s.table() << " AP@[.50:.95] per category:\n";
        std::size_t withoutGt = 0;
        for (const core::CocoCategoryAp &c : s.perCategory) {
            if (c.ap < 0) {
                ++withoutGt;
                continue;
            }
            out << "  " << std::left << std::setw(28) << (c.name + " (" + std::to_string(c.categoryId) + ")") << std::fixed << std::setprecision(3) << c.ap
                << std::defaultfloat << "\n";
        }
        if (withoutGt) out << "  (" << withoutGt << " categories without ground truth: -1)\n";
    }
    return kOk;
}

} // namespace

void addCocoEvalCommand(CLI::App &app, int &rc, std::ostream &out, std::ostream &err)
{
    auto a = std::make_shared<CocoEvalArgs>();
    auto *c = app.add_subcommand("coco-eval", "COCO mAP of a results file against an instances file (pycocotools' 12 numbers)");
    c->add_option("GT", a->gt, "ground truth: COCO instances JSON (e.g. from export --format coco)")->required();
    c->add_option("DT", a->dt, "detections: COCO results JSON, a list of {image_id, category_id, bbox, score, segmentation}")->required();
    c->add_option("--iou-type", a->iouTypes, "bbox (boxes), segm (masks), or both: bbox,segm")
        ->required()
        ->delimiter(',')
        ->check(CLI::IsMember({"bbox", "segm"}));
    c->add_flag("--json", a->json, "print one JSON document: {\"bbox\": {\"AP\": …, …}, \"per_category\": …}");
    c->callback([a, &rc, &out, &err] { rc = run(*a, out, err); });
}

} // namespace cli
