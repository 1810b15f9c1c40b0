#pragma once
// `coco-eval GT.json DT.json --iou-type bbox|segm [--json]`: COCO mAP of a results file
// against an instances file (core/coco_eval.h), with pycocotools' numbers.
#include <iosfwd>

namespace CLI {
class App;
}

namespace cli {

// Adds the subcommand to `app`; it sets `rc` when it runs: 0, or 2 when a file is
// unreadable or malformed (the error names the file and the JSON path).
void addCocoEvalCommand(CLI::App &app, int &rc, std::ostream &out, std::ostream &err);

} // namespace cli
