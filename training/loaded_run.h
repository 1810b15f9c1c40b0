#pragma once
// A checkpoint with its run's config.json: the model rebuilt as the run built it and
// its weights loaded, in eval mode. Shared by everything that runs a checkpoint
// (inference.cpp, detection_predict.cpp).
#include "core/result.h"
#include "training/config.h"
#include "training/task_model.h"

#include <memory>
#include <string>

namespace training {

struct LoadedRun {
    RunInfo info;
    std::unique_ptr<TaskModel> model;
    ClassifierImpl *classifier = nullptr; // classification and segmentation models
};

core::Result<LoadedRun> loadRun(const std::string &checkpoint);

} // namespace training
