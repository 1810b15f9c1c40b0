#pragma once
// A model's output for one image as a person looks at it: in the image's own pixels,
// with class names and scores. `predict` writes it out (detection_predict.cpp), the
// Inspect workspace draws it (predictImage) and the trainer shows it on a few
// validation images at each epoch's end (EvalHook). Internal: torch types.
#include "core/coco_json.h"
#include "training/image_cache.h"
#include "training/task.h"
#include "training/task_model.h"
#include "training/trainer.h"

#include <string>
#include <vector>

namespace training {

// One image's detections in its own pixels.
struct ImageDetections {
    std::vector<core::CocoDetection> coco;         // category ids: the checkpoint's class index + 1
    std::vector<std::vector<core::Point>> outline; // per detection: its mask's largest outline (empty: none or not asked for)
};

// Canvas detections -> an image of width x height: boxes divided by the canvas scale
// (sx, sy) and clipped; masks pasted over each box in the image's pixels (torchvision's
// paste_masks_in_image) and thresholded at 0.5.
// Detections scoring below `threshold` are left out.
ImageDetections toImage(const Detections &d, double sx, double sy, int width, int height, double threshold, bool outlines);

// Segmentation's areas (describePrediction's regions) as detections of an image of width x
// height: the polygon rasterised as the mask and traced as the outline, its bounds as the box,
// the class index + 1 as the category; areas scoring below `threshold` are left out.
ImageDetections areasAsDetections(const Prediction &p, int width, int height, double threshold);

// Segmentation: logits K x S x S on the canvas resized to an image of width x height
// (bilinear, the canvas scale sx, sy), K x height x width.
torch::Tensor logitsInImage(const torch::Tensor &logits, double sx, double sy, int width, int height);

// The class of each pixel of K x H x W logits: the index of the largest, H x W int64.
// argmax over the first dimension of a large tensor is slow in LibTorch 1.13 (0.3 s for a
// 1920 x 1080 image of two classes, against 0.02 s this way).
torch::Tensor classMap(const torch::Tensor &logits);

// The regions of image `i` of `cache` as class labels (class index + 1, 0 background)
// in its own pixels, height x width bytes row-major: what its logitsInImage are scored against.
std::vector<std::uint8_t> labelsInImage(const ImageCache &cache, std::size_t i);

// Image `i` of `cache` with its row `row` of `p`: classification, every class's
// probability, most likely first; segmentation, the canvas mask and the areas of the
// logits resized to the image as polygons in its pixels;
// detection and instance segmentation, the detections scoring at least `minScore`,
// each a box (and with masks its outline).
Prediction describePrediction(Task task, const std::vector<std::string> &classes, const Predictions &p, std::size_t row, const ImageCache &cache,
                              std::size_t i, double minScore);

} // namespace training
