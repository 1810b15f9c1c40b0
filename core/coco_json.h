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

#include <string>
#include <vector>

namespace core {

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

// The ground truth that `export --format coco` writes for `data` with `opts` (the same
// image, category and annotation ids: see core/formats/coco.h), built without a file.
// Regions without a class are left out: they are instances of no category.
Result<CocoGroundTruth> cocoGroundTruthFromDataset(const Dataset &data, const WriteOptions &opts);

} // namespace core
