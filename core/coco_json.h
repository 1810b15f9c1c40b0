#pragma once
// COCO files for evaluation: an instances file (the ground truth) and a results file
// (a list of detections), read into coco_eval.h's value types; results written as
// pycocotools' COCO.loadRes reads them. Errors name the file and the JSON path:
// "dt.json: $[3].bbox: expected 4 numbers".
#include "core/coco_eval.h"
#include "core/dataset.h"
#include "core/format.h"
#include "core/result.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace core {

class ProjectStore;

// An instances file: "images" (id, width, height, file_name), "categories" (id, name) and
// "annotations" (id, image_id, category_id, bbox, area, iscrowd, segmentation as a list
// of polygons or as RLE with counts as a string or a list). Refused, naming the place: ids
// that are not whole numbers or appear twice, an annotation naming an image or category
// that is not listed, a bbox that is not 4 finite numbers, a polygon with an odd number of
// coordinates, RLE counts that do not add up to its size. A missing area is the mask's
// area (polygons rasterised at the image's size when it is known) or else the box's; a
// missing bbox is the mask's box. iscrowd defaults to 0.
Result<CocoGroundTruth> readCocoGroundTruth(const std::string &path);
Result<CocoGroundTruth> cocoGroundTruthFromJson(const nlohmann::json &j, const std::string &file);

// A results file, read as loadRes reads it against `groundTruth`: a list of {image_id,
// category_id, score, bbox and/or segmentation}; every image_id must be one of the ground
// truth's. As in loadRes the first result decides: when it has a bbox, every result needs
// one and its area is the box's (its segmentation, if any, is the mask for "segm");
// otherwise every result needs a segmentation, and area and box come from the mask.
// Polygon segmentations are rasterised at the ground-truth image's size.
Result<std::vector<CocoDetection>> readCocoResults(const std::string &path, const CocoGroundTruth &groundTruth);
Result<std::vector<CocoDetection>> cocoResultsFromJson(const nlohmann::json &j, const CocoGroundTruth &groundTruth, const std::string &file);

// A results file: [{"image_id", "category_id", "bbox": [x, y, w, h], "score",
// "segmentation": {"size": [h, w], "counts": "<compressed>"}}, …], the segmentation only
// for detections with a mask. CocoDetection::area is not written (loadRes recomputes it
// from the bbox). pycocotools' loadRes reads the file, and so does readCocoResults.
std::string cocoResultsJson(const std::vector<CocoDetection> &detections);
Status writeCocoResults(const std::string &path, const std::vector<CocoDetection> &detections); // atomic

// The ground truth that `export --format coco` writes: the coco codec writes it (to a
// temporary file, removed again) and it is read back, so image ids (1..n in image order),
// category ids (the source's, new classes after the largest), annotation ids, boxes,
// areas and the default class of unclassed regions are the export's own. Predictions and
// evaluations of a project use these ids so that they evaluate against its export.
Result<CocoGroundTruth> cocoGroundTruthFromDataset(const Dataset &data, const WriteOptions &opts);
// The same for a project's split (all images when empty), as `export PROJECT OUT --format
// coco [--split S] [--default-class C]` writes it.
Result<CocoGroundTruth> cocoGroundTruthFromProject(const ProjectStore &store, std::optional<Split> split = std::nullopt,
                                                   const std::string &defaultClass = "object");

} // namespace core
