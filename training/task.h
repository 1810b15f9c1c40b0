#pragma once
// The tasks the trainer knows, by the names the CLI and config.json use.
#include <string>

namespace training {

enum class Task { Classification, Segmentation };

bool taskFromName(const std::string &name, Task *out);
const char *taskName(Task task);

} // namespace training
