#pragma once
// `predict`: detections of a detection or instance checkpoint as COCO results or VIA
// JSON (training/detection_predict.h). Registered only with the training engine.
#include <iosfwd>

namespace CLI {
class App;
}

namespace cli {

void addPredictCommand(CLI::App &app, int &rc, std::ostream &out, std::ostream &err);

} // namespace cli
