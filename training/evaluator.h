#pragma once
// Evaluators (detectron2's DatasetEvaluator): reset, then process every batch of a
// split with the model's predictions, then evaluate. The trainer's periodic
// evaluation and the `eval` command use the same evaluator, so the validation
// numbers of a run and of `eval` on its checkpoint agree. A COCO evaluator for
// detection and instance segmentation implements the same interface.
#include "training/mapper.h"
#include "training/task_model.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>

namespace training {

struct EvalMetrics {
    std::map<std::string, double> scalars; // e.g. loss, accuracy, top5_accuracy; loss, pixel_accuracy, miou
    std::string scoreName;                 // the scalar a run keeps its best checkpoint by
    double score = -1;
    nlohmann::json report;                 // what `eval --json` prints (per class, confusion, ...)
};

class Evaluator {
public:
    virtual ~Evaluator() = default;
    virtual void reset() = 0;
    virtual void process(const Batch &inputs, const Predictions &outputs) = 0;
    virtual EvalMetrics evaluate() = 0;
};

// Every image of `mapper`, as decoded (no augmentation), in batches of `batch`;
// `observe`, when given, sees each batch's predictions with the mapper index of its first image.
using EvalObserver = std::function<void(std::size_t first, const Predictions &outputs)>;
EvalMetrics runEvaluation(TaskModel &model, const Mapper &mapper, Evaluator &evaluator, int batch, const EvalObserver &observe = {});

} // namespace training
