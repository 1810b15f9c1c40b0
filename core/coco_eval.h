#pragma once
// COCO detection evaluation for boxes ("bbox") and instance masks ("segm") with
// pycocotools' semantics (COCOeval.evaluate + accumulate + summarize with the default
// parameters): IoU thresholds .50:.05:.95, precision interpolated at 101 recall points,
// at most 1, 10 and 100 detections per image and category, the areas all / small
// (< 32²) / medium / large (> 96²) by the ground truth's `area`, crowd ground truth
// matched but neither counted nor penalised, every category evaluated alone and then
// averaged. On the same input the 12 summary numbers equal pycocotools' (tests/core/
// tst_coco_eval.cpp holds them to 1e-4 against pycocotools itself).
//
// Value types only, so the trainer can feed detections without JSON; coco_json.h reads
// and writes the files. Coordinates are pixels, boxes XYWH (COCO's), masks RLE
// (coco_rle.h).
#include "core/coco_rle.h"
#include "core/result.h"
#include "core/shape.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace core {

enum class CocoIouType { Bbox, Segm };
const char *cocoIouTypeName(CocoIouType t); // "bbox", "segm"
bool cocoIouTypeFromName(const std::string &name, CocoIouType *out);

struct CocoImage {
    std::int64_t id = 0;
    std::string fileName;
    int width = 0, height = 0; // 0 when unknown: then "segm" cannot rasterise this image's polygons and boxes
};

struct CocoCategory {
    std::int64_t id = 0;
    std::string name;
};

// One ground-truth instance (an "annotations" entry of an instances file).
struct CocoAnnotation {
    // pycocotools records a match by the matched annotation's id and tests it for non-zero,
    // so a detection matched to an annotation with id 0 counts as a false positive. This
    // is kept so that the numbers stay pycocotools'; ids written by this program start at 1.
    std::int64_t id = 0;
    std::int64_t imageId = 0, categoryId = 0;
    Box box;            // XYWH; what "bbox" evaluation compares
    double area = 0;    // decides the area range, in both evaluations (the file's area, not the mask's)
    bool iscrowd = false;
    // "segm": the union of these polygons (x0,y0,x1,y1,…), rasterised at the image's size,
    // or `rle` when set. With neither, the box is rasterised (pycocotools cannot evaluate
    // such an annotation at all).
    std::vector<std::vector<double>> polygons;
    std::optional<Rle> rle;
};

struct CocoGroundTruth {
    std::vector<CocoImage> images;         // every image is evaluated, with or without annotations
    std::vector<CocoCategory> categories;  // every category is evaluated; one without annotations gets -1
    std::vector<CocoAnnotation> annotations;
};

struct CocoDetection {
    std::int64_t imageId = 0, categoryId = 0; // an image not in the ground truth is an error; a category not in it is ignored
    Box box;                                  // XYWH
    double score = 0;                         // finite; equal scores keep the order detections were given in
    // "segm": the detected mask; when absent the box is rasterised, as loadRes does for a
    // result with a bbox and no segmentation.
    std::optional<Rle> mask;
    // Decides whether an unmatched detection lies outside an area range. Absent: box.w *
    // box.h, which is what loadRes gives every result of a file whose results carry boxes.
    std::optional<double> area;
};

// Average precision of one category: AP@[.50:.95], all areas, 100 detections; -1 when
// the category has no ground truth that counts (none, or only crowd).
struct CocoCategoryAp {
    std::int64_t categoryId = 0;
    std::string name;
    double ap = -1;
};

struct CocoSummary {
    CocoIouType iouType = CocoIouType::Bbox;
    // AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl, in pycocotools'
    // order (its `stats`); -1 where pycocotools gives -1 (no ground truth in that range).
    std::array<double, 12> stats{};
    std::vector<CocoCategoryAp> perCategory; // in ascending category id

    static const std::array<const char *, 12> &statNames(); // "AP", "AP50", ...
    double stat(const std::string &name) const;              // by statNames(); throws std::out_of_range for another name
    nlohmann::json toJson() const;                           // {"AP": …, …, "ARl": …}
    // The twelve lines pycocotools' summarize() prints, same layout.
    std::string table() const;
};

// The thresholds pycocotools uses, bit for bit (numpy.linspace's doubles).
const std::array<double, 10> &cocoIouThresholds();
const std::array<double, 101> &cocoRecallThresholds();

// detectron2's evaluator interface: construct with the ground truth and the kinds of
// evaluation, reset(), process() the detections of any images (in any number of calls),
// then evaluate(). Thread-compatible (one thread at a time); evaluate() does not change it.
class CocoEvaluator {
public:
    explicit CocoEvaluator(CocoGroundTruth groundTruth, std::vector<CocoIouType> iouTypes = {CocoIouType::Bbox});

    const CocoGroundTruth &groundTruth() const { return m_gt; }
    const std::vector<CocoIouType> &iouTypes() const { return m_types; }

    // Forgets the detections processed so far.
    void reset();
    // Adds detections; their order among equal scores is the order of these calls.
    void process(const std::vector<CocoDetection> &detections);
    void process(const CocoDetection &detection);
    std::size_t detectionCount() const { return m_dts.size(); }

    // One summary per iou type, in the constructor's order. Fails (ErrorCode::Invalid, the
    // place naming the detection or annotation by index) when a detection names an image
    // that is not in the ground truth, a score is not finite, or "segm" must rasterise a
    // polygon or box on an image of unknown size.
    Result<std::vector<CocoSummary>> evaluate() const;

private:
    CocoGroundTruth m_gt;
    std::vector<CocoIouType> m_types;
    std::vector<CocoDetection> m_dts;
};

// One evaluation in one call.
Result<CocoSummary> evaluateCoco(const CocoGroundTruth &groundTruth, const std::vector<CocoDetection> &detections, CocoIouType iouType);

} // namespace core
