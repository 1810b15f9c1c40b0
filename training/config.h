#pragma once
// TrainConfig as a run directory's config.json holds it: written by the trainer,
// read back with the type of every field checked (a run folder may come from
// anyone), and checked against what the task and the model can use before any
// work starts, so that a bad value is an error naming it rather than a crash or an
// allocation failure half an hour later. Internal to the training library.
#include "core/result.h"
#include "training/task.h"
#include "training/trainer.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace training {

// What config.json says about a run: its settings and what the model was built for.
struct RunInfo {
    TrainConfig config;
    Task task = Task::Classification;
    std::vector<std::string> classes;
    int channels = 1;
    int imageSize = 0;
};

nlohmann::json configJson(const TrainConfig &c);
nlohmann::json runInfoJson(const RunInfo &run);
// RUN_DIR/config.json, every field checked; errors name the file and the JSON path.
core::Result<RunInfo> readRunInfo(const std::string &runDir);

// A JSON file of at most maxBytes, nested at most maxDepth levels (checked before
// parsing, so a hostile file cannot exhaust the stack or the memory).
core::Result<nlohmann::json> readJsonFile(const std::string &path, std::size_t maxBytes = std::size_t(16) << 20, int maxDepth = 64);

// Every option that can be checked without the data: ranges, names, the model
// fitting the task. Errors name the option (--epochs, --image-size, ...).
// Values left to the recipe (0, -1, "auto") pass; checkResolved then tells that none is left.
core::Status checkOptions(const TrainConfig &c, Task task);
core::Status checkResolved(const TrainConfig &c);
// "0.5,1,2": the anchors' height/width ratios (--anchor-ratios).
core::Result<std::vector<double>> parseAnchorRatios(const std::string &text);
// The image size against the model (its first dense layer, its memory) and the
// decoded images against the machine's memory. `images` may be 0 (a single prediction).
core::Status checkImageSize(const std::string &model, int size, int channels, std::size_t classes, std::size_t images);

} // namespace training
