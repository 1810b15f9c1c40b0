#pragma once
// `predict`: a detection or instance-segmentation checkpoint run over images, written
// as a COCO results file (boxes XYWH, scores, category ids and, with masks, RLE:
// what pycocotools' loadRes reads) or as a VIA 2 file with the masks traced to
// polygons (boxes as rects without masks). A segmentation checkpoint's connected
// areas are written the same way, one region each, scored by their class's mean
// probability inside. Plain value types: no torch here.
#include "core/result.h"

#include <cstddef>
#include <string>
#include <vector>

namespace training {

struct DetectionPredictRequest {
    std::string checkpoint;
    std::vector<std::string> images; // image files; or, with `project`, its images
    std::string project;             // *.atproj: ids are those `export --format coco [--split S]` writes
    std::string split;               // with a project: train, val, test; empty for all images
    std::string out;
    std::string format = "coco";     // coco, via
    double scoreThreshold = 0.05;    // detections scoring below it are left out
};

struct DetectionPredictSummary {
    std::size_t images = 0, detections = 0;
};

// Errors: a checkpoint of another task ("is a classification checkpoint ..."), an
// image that does not decode, a project class the checkpoint does not know is not
// an error (its category simply gets no detections), a failed write (ErrorCode::Io, the out file).
core::Result<DetectionPredictSummary> predictDetections(const DetectionPredictRequest &request);

} // namespace training
