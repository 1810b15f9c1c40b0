#pragma once
// The parts of each task, made in one place: how its images fit the canvas, its
// mapper, its evaluator and its model. Detection and instance segmentation add
// their model and evaluator here; the trainer, `eval` and the previews need no change.
#include "core/result.h"
#include "training/evaluator.h"
#include "training/image_cache.h"
#include "training/mapper.h"
#include "training/task_model.h"
#include "training/trainer.h"

#include <memory>
#include <string>
#include <vector>

namespace training {

ImageCache::Fit fitFor(Task task);
std::unique_ptr<Mapper> makeMapper(Task task, ImageCache cache);
// `classes`: the task's classes (segmentation: the foreground ones); `mapper`: the split it evaluates.
std::unique_ptr<Evaluator> makeEvaluator(Task task, const std::vector<std::string> &classes, const Mapper &mapper);
// The model's output count: the classes, plus the background for segmentation and detection.
int modelOutputs(Task task, std::size_t classes);

// A detector's anchors and sampling (TrainConfig's anchorSize, anchorRatios, rpnProposals,
// roisPerImage); 0 or empty keeps torchvision's default, as for a run folder from before them.
struct DetectorShape {
    int anchorSize = 0;
    std::vector<double> anchorRatios;
    int rpnProposals = 0, roisPerImage = 0;
    bool groupNorm = false; // TrainConfig::norm "group"
};
DetectorShape detectorShape(const TrainConfig &c);

struct ModelChoice {
    std::string arch;
    std::size_t classes = 0;
    int channels = 3, imageSize = 0;
    torch::Device device = torch::kCPU;
    DetectorShape detector;
};
core::Result<std::unique_ptr<TaskModel>> makeTaskModel(Task task, const ModelChoice &choice);

} // namespace training
