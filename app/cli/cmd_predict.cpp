#include "app/cli/cmd_predict.h"

#include "training/detection_predict.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace cli {

void addPredictCommand(CLI::App &app, int &rc, std::ostream &out, std::ostream &err)
{
    auto req = std::make_shared<training::DetectionPredictRequest>();
    auto *p = app.add_subcommand("predict", "Detections of a detection or instance checkpoint, or the areas of a segmentation one, on images or a project, as COCO results or VIA JSON");
    p->add_option("--checkpoint", req->checkpoint, "checkpoint in a run directory (detection, instance or segmentation: each connected area a region)")->required();
    p->add_option("IMAGE", req->images, "image files (or --project)");
    p->add_option("--project", req->project, "a project: its images, with the image and category ids of `export --format coco`");
    p->add_option("--split", req->split, "with --project: train, val or test (default: all images)");
    p->add_option("--out", req->out, "file to write")->required();
    p->add_option("--format", req->format, "coco (results JSON, RLE masks) or via (polygons traced from the masks, or a segmentation's areas)")->capture_default_str();
    p->add_option("--score-threshold", req->scoreThreshold, "leave out detections (areas: by their class's mean probability) scoring below this")->capture_default_str();
    p->callback([req, &rc, &out, &err] {
        auto s = training::predictDetections(*req);
        if (!s) {
            const auto &e = s.error();
            err << "error: " << e.toString() << "\n";
            rc = e.code == core::ErrorCode::Io && e.file == req->out ? 1 : 2;
            return;
        }
        out << "wrote " << s->detections << " detections on " << s->images << " images to " << req->out << "\n";
        rc = 0;
    });
}

} // namespace cli
