#pragma once
// The tasks the trainer knows, by the names the CLI and config.json use.
// Detection and instance segmentation have their records, mapper and targets here
// already; their models and evaluator come with training/models/detection.
#include <string>

namespace training {

enum class Task { Classification, Segmentation, Detection, Instance };

bool taskFromName(const std::string &name, Task *out);
const char *taskName(Task task);

} // namespace training
