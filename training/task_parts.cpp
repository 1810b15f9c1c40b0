#include "training/task_parts.h"

#include "training/classification_evaluator.h"
#include "training/classification_mapper.h"
#include "training/coco_evaluator.h"
#include "training/config.h"
#include "training/detection_task_model.h"
#include "training/instance_mapper.h"
#include "training/models/torch_error.h"
#include "training/segmentation_evaluator.h"
#include "training/segmentation_mapper.h"

using core::ErrorCode;
using core::makeError;

namespace training {

ImageCache::Fit fitFor(Task task)
{
    return task == Task::Detection || task == Task::Instance ? ImageCache::Fit::KeepAspect : ImageCache::Fit::Stretch;
}

std::unique_ptr<Mapper> makeMapper(Task task, ImageCache cache)
{
    switch (task) {
    case Task::Classification: return std::make_unique<ClassificationMapper>(std::move(cache));
    case Task::Segmentation: return std::make_unique<SegmentationMapper>(std::move(cache));
    case Task::Detection: return std::make_unique<InstanceMapper>(std::move(cache), false);
    case Task::Instance: return std::make_unique<InstanceMapper>(std::move(cache), true);
    }
    return nullptr;
}

std::unique_ptr<Evaluator> makeEvaluator(Task task, const std::vector<std::string> &classes, const Mapper &mapper)
{
    if (task == Task::Classification) return std::make_unique<ClassificationEvaluator>(classes, mapper);
    if (task == Task::Segmentation) return std::make_unique<SegmentationEvaluator>(classes, mapper);
    return std::make_unique<CocoTaskEvaluator>(classes, task == Task::Instance, mapper);
}

DetectorShape detectorShape(const TrainConfig &c)
{
    DetectorShape s;
    s.anchorSize = c.anchorSize;
    if (c.anchorRatios != "auto")
        if (auto r = parseAnchorRatios(c.anchorRatios); r) s.anchorRatios = *r;
    s.rpnProposals = c.rpnProposals;
    s.roisPerImage = c.roisPerImage;
    s.groupNorm = c.norm == "group";
    return s;
}

int modelOutputs(Task task, std::size_t classes) { return static_cast<int>(classes) + (task == Task::Classification ? 0 : 1); }

core::Result<std::unique_ptr<TaskModel>> makeTaskModel(Task task, const ModelChoice &choice)
{
    try {
        if (task == Task::Detection || task == Task::Instance)
            return std::unique_ptr<TaskModel>(std::make_unique<DetectionTaskModel>(choice.arch, modelOutputs(task, choice.classes), choice.imageSize,
                                                                                   choice.detector, choice.device, prefersChannelsLast(choice.arch, choice.device.is_cuda())));
        auto model = makeModel({choice.arch, modelOutputs(task, choice.classes), choice.channels, choice.imageSize});
        const bool channelsLast = prefersChannelsLast(choice.arch, choice.device.is_cuda());
        return std::unique_ptr<TaskModel>(std::make_unique<ClassifierModel>(std::move(model), task, choice.device, channelsLast));
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, {}, {}, exceptionText(e));
    }
}

} // namespace training
