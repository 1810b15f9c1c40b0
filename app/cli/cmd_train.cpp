#include "app/cli/cmd_train.h"

#include "training/trainer.h"

#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace cli {

namespace {

// Log lines to stderr; a progress bar with ETA and images/s when stdout is a terminal.
class CliProgress : public training::TrainCallbacks {
public:
    CliProgress(std::ostream &err, bool bar) : m_err(err), m_bar(bar), m_start(std::chrono::steady_clock::now()) {}
    void log(const std::string &line) override
    {
        if (m_bar) m_err << "\r\033[K";
        m_err << line << "\n";
    }
    void metrics(const training::MetricsSample &m) override
    {
        if (!m_bar) return;
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        const double eta = m.progress > 0 ? elapsed * (1 - m.progress) / m.progress : 0;
        const int filled = static_cast<int>(m.progress * 30);
        m_err << "\repoch " << m.epoch << " [" << std::string(static_cast<std::size_t>(filled), '#') << std::string(static_cast<std::size_t>(30 - filled), ' ')
              << "] " << std::setw(3) << static_cast<int>(m.progress * 100) << "%  loss " << std::fixed << std::setprecision(4) << m.loss << "  "
              << std::setprecision(0) << m.imagesPerS << " img/s  ETA " << static_cast<int>(eta) << " s" << std::flush;
    }

    void started(const training::TrainConfig &) override { m_started = true; }
    // Before the first step an error is about the input (exit 2); after it, the run failed (exit 1).
    int exitCodeForError() const { return m_started ? 1 : 2; }

private:
    std::ostream &m_err;
    bool m_bar;
    bool m_started = false;
    std::chrono::steady_clock::time_point m_start;
};

int fail(std::ostream &err, const core::Error &e, int code)
{
    err << "error: " << e.toString() << "\n";
    return code;
}

// Writing the output failed (exit 1), as opposed to an unreadable input (exit 2).
bool writeFailed(const core::Error &e, const std::string &out) { return e.code == core::ErrorCode::Io && e.file == out; }

} // namespace

void addTrainingCommands(CLI::App &app, int &rc, std::ostream &out, std::ostream &err)
{
    auto cfg = std::make_shared<training::TrainConfig>();
    auto *t = app.add_subcommand("train", "Train a model on the project's train split (validating on val) in RUN_DIR");
    t->add_option("PROJECT", cfg->project, "project file")->required();
    t->add_option("--task", cfg->task, "classification (image classes), segmentation (regions as masks, with --model unet), detection (boxes, fasterrcnn_*) or instance (masks, maskrcnn_*)")->capture_default_str();
    t->add_option("--model", cfg->model, "auto, " + training::modelList() + " (auto: smallcnn for images up to 32 px, else convnet; unet for segmentation, fasterrcnn_resnet18_fpn for detection, maskrcnn_resnet18_fpn for instance)")->capture_default_str();
    t->add_option("--epochs", cfg->epochs, "epochs (default: about 1000 steps, or as many as fit in --time-budget)");
    t->add_option("--batch", cfg->batch, "batch size (default: from the train set's size, so that an epoch has at least 8 steps)");
    t->add_option("--lr", cfg->lr, "learning rate (default: chosen with the optimizer and the task)");
    t->add_option("--optimizer", cfg->optimizer, "auto (adam), sgd (momentum 0.9), adam, adamw")->check(CLI::IsMember({"auto", "sgd", "adam", "adamw"}))->capture_default_str();
    t->add_option("--weight-decay", cfg->weightDecay, "L2 weight decay");
    t->add_option("--schedule", cfg->schedule, "auto (cosine), none, step, cosine")->check(CLI::IsMember({"auto", "none", "step", "cosine"}))->capture_default_str();
    t->add_option("--warmup", cfg->warmupEpochs, "epochs of linear learning-rate warm-up (default: 1 when the run has 5 epochs or more)");
    auto budget = std::make_shared<std::string>();
    t->add_option("--time-budget", *budget, "train for this long, e.g. 90s, 5m, 60m, 1h30m: epochs sized to fit by timing the first ones");
    t->add_option("--clip", cfg->clipNorm, "clip the gradient norm to this value; 0: off (default: 10 for detectors, off otherwise)");
    t->add_option("--patience", cfg->patience, "stop after this many epochs without a better val accuracy");
    t->add_option("--device", cfg->device, "auto, cpu, cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
    t->add_option("--threads", cfg->threads, "CPU threads (default: all cores)");
    t->add_option("--workers", cfg->workers, "batches augmented ahead in parallel (default: the core count, at most 4)")->check(CLI::NonNegativeNumber);
    t->add_option("--weights", cfg->weights, "torchvision .pth to start from (transfer learning)");
    t->add_flag("--freeze-backbone", cfg->freezeBackbone, "train only the classifier head");
    t->add_option("--image-size", cfg->imageSize, "resize images to N x N (default: from the images and, for segmentation, their regions' sizes)");
    t->add_option("--augment", cfg->augment, "auto (flips and shifts), none, or a list: hflip,vflip,crop[:PAD],shift[:PX],rotate[:DEG],scale[:F],brightness,contrast,gamma,noise,impulse,blur,erase")->capture_default_str();
    t->add_option("--anchor-size", cfg->anchorSize, "detectors: the smallest anchor's side in pixels, doubled at each of the 5 levels (default: fitted to the boxes)");
    t->add_option("--anchor-ratios", cfg->anchorRatios, "detectors: the anchors' height/width ratios, e.g. 0.5,1,2 (default: fitted to the boxes)");
    t->add_option("--rpn-proposals", cfg->rpnProposals, "detectors: proposals kept per training image (default: from the objects per image)");
    t->add_option("--rois-per-image", cfg->roisPerImage, "detectors: RoIs sampled per training image (default: from the objects per image)");
    t->add_option("--norm", cfg->norm, "detectors: the backbone's normalisation, batch (torchvision's) or group (GroupNorm) (default: group from scratch, else the --weights file's)")
        ->check(CLI::IsMember({"auto", "batch", "group"}));
    t->add_option("--seed", cfg->seed, "random seed (CPU runs repeat exactly)");
    t->add_option("--out", cfg->outDir, "run directory (default: runs/DATE-TIME beside the project)");
    t->add_option("--resume", cfg->resumeDir, "continue the run in RUN_DIR where it stopped");
    t->add_option("--log-every", cfg->logEvery, "steps between metric lines")->capture_default_str();
    t->add_flag("--skip-bad-images", cfg->skipBadImages, "leave out images that do not decode completely (a warning names each) instead of failing");
    auto kfold = std::make_shared<int>(0);
    t->add_option("--kfold", *kfold, "cross-validate: K runs in RUN_DIR/fold-1..K over the pooled train+val images; prints mean and std");
    t->callback([t, cfg, kfold, budget, &rc, &out, &err] {
        if (!budget->empty() && !training::parseDuration(*budget, &cfg->timeBudget)) {
            err << "error: --time-budget: '" << *budget << "' is not a duration (90s, 5m, 60m, 1h30m)\n";
            rc = 2;
            return;
        }
        // Left out, a setting is chosen from the data; given, it must be a real value.
        for (const auto &[name, value] : {std::pair<const char *, double>{"--epochs", cfg->epochs}, {"--batch", cfg->batch}, {"--lr", cfg->lr},
                                          {"--anchor-size", cfg->anchorSize}, {"--rpn-proposals", cfg->rpnProposals}, {"--rois-per-image", cfg->roisPerImage}})
            if (t->count(name) && !(value > 0)) {
                err << "error: " << name << " " << value << ": must be above 0 (leave it out to have it chosen from the data)\n";
                rc = 2;
                return;
            }
        if (cfg->outDir.empty() && cfg->resumeDir.empty()) {
            // As the Train workspace does: a new folder beside the project.
            char stamp[32];
            const std::time_t now = std::time(nullptr);
            std::tm local{};
            localtime_r(&now, &local);
            std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
            const std::filesystem::path project(cfg->project);
            cfg->outDir = (project.parent_path().empty() ? std::filesystem::path(".") : project.parent_path()).string() + "/runs/" + stamp;
            err << "run directory: " << cfg->outDir << "\n";
        }
        CliProgress progress(err, ::isatty(STDOUT_FILENO) && &out == &std::cout);
        if (*kfold) {
            auto k = training::trainKFold(*cfg, *kfold, &progress);
            if (!k) {
                rc = fail(err, k.error(), progress.exitCodeForError());
                return;
            }
            out << *kfold << "-fold " << (*k)["metric"].get<std::string>() << ": mean " << (*k)["mean"] << ", std " << (*k)["std"] << " (";
            for (std::size_t i = 0; i < (*k)["values"].size(); ++i) out << (i ? ", " : "") << (*k)["values"][i];
            out << ")\n";
            rc = 0;
            return;
        }
        auto r = training::train(*cfg, &progress);
        if (!r) {
            rc = fail(err, r.error(), progress.exitCodeForError());
            return;
        }
        out << "trained " << r->epochs << " epochs, " << r->steps << " steps, final loss " << r->finalLoss;
        if (r->bestValAccuracy >= 0) out << (cfg->task == "segmentation" ? ", best val mIoU "
                                                  : cfg->task == "instance"  ? ", best val mask AP "
                                                  : cfg->task == "detection" ? ", best val box AP "
                                                                             : ", best val accuracy ") << r->bestValAccuracy;
        // Whole images a second, or one decimal for a slow model (a detector on the CPU: "0.8").
        out << ", " << (r->imagesPerS >= 10 ? std::round(r->imagesPerS) : std::round(r->imagesPerS * 10) / 10) << " images/s\n";
        rc = 0;
    });

    auto ev = std::make_shared<std::tuple<std::string, std::string, std::string, bool>>("", "", "val", false);
    auto *e = app.add_subcommand("eval", "A checkpoint on a split: accuracy, top-5, per-class precision/recall/F1 and the confusion matrix (segmentation: mIoU and pixel accuracy; detection and instance: the 12 COCO numbers for boxes and masks)");
    e->add_option("PROJECT", std::get<0>(*ev), "project file")->required();
    e->add_option("--checkpoint", std::get<1>(*ev), "checkpoint file in a run directory")->required();
    e->add_option("--split", std::get<2>(*ev), "train, val or test")->capture_default_str();
    e->add_flag("--json", std::get<3>(*ev), "print one JSON document");
    e->callback([ev, &rc, &out, &err] {
        auto r = training::evaluate(std::get<0>(*ev), std::get<1>(*ev), std::get<2>(*ev));
        if (!r) {
            rc = fail(err, r.error(), 2);
            return;
        }
        if (std::get<3>(*ev)) {
            out << r->dump(2) << "\n";
        } else if (r->contains("bbox")) {
            // Detection and instance segmentation: the 12 COCO numbers per kind, as coco-eval prints them.
            out << (*r)["task"].get<std::string>() << " on " << (*r)["images"] << " images\n";
            for (const char *kind : {"bbox", "segm"}) {
                if (!r->contains(kind)) continue;
                out << kind << ":";
                for (const char *k : {"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"})
                    if ((*r)[kind].contains(k)) out << " " << k << " " << (*r)[kind][k].get<double>();
                out << "\n";
            }
        } else if ((*r)["task"] == "segmentation") {
            out << "mIoU " << (*r)["miou"] << ", pixel accuracy " << (*r)["pixel_accuracy"] << " on " << (*r)["images"] << " images\n";
            for (auto it = (*r)["per_class"].begin(); it != (*r)["per_class"].end(); ++it)
                out << "  " << std::left << std::setw(16) << it.key() << " IoU " << it.value()["iou"] << " pixels " << it.value()["pixels"] << "\n";
        } else {
            out << "accuracy " << (*r)["accuracy"] << ", top-5 " << (*r)["top5_accuracy"] << " on " << (*r)["images"] << " images\n";
            for (auto it = (*r)["per_class"].begin(); it != (*r)["per_class"].end(); ++it)
                out << "  " << std::left << std::setw(16) << it.key() << " precision " << it.value()["precision"] << " recall " << it.value()["recall"]
                    << " f1 " << it.value()["f1"] << " support " << it.value()["support"] << "\n";
        }
        rc = 0;
    });

    auto w = app.add_subcommand("weights", "Convert between torchvision .pth files and checkpoints");
    w->require_subcommand(1);
    auto paths = std::make_shared<std::array<std::string, 3>>();
    auto *wi = w->add_subcommand("import", "Check a torchvision .pth against an architecture and write it as a checkpoint");
    wi->add_option("FILE", (*paths)[0], ".pth state dict")->required();
    wi->add_option("--arch", (*paths)[1], "architecture")->required();
    wi->add_option("--out", (*paths)[2], "checkpoint to write")->required();
    wi->callback([paths, &rc, &out, &err] {
        auto s = training::importWeights((*paths)[0], (*paths)[1], (*paths)[2]);
        rc = s ? (out << "wrote " << (*paths)[2] << "\n", 0) : fail(err, s.error(), writeFailed(s.error(), (*paths)[2]) ? 1 : 2);
    });
    auto *we = w->add_subcommand("export", "Write a checkpoint's model as a state dict for torch.load / load_state_dict");
    we->add_option("CHECKPOINT", (*paths)[0], "checkpoint")->required();
    we->add_option("--out", (*paths)[2], ".pth to write")->required();
    we->callback([paths, &rc, &out, &err] {
        auto s = training::exportWeights((*paths)[0], (*paths)[2]);
        rc = s ? (out << "wrote " << (*paths)[2] << "\n", 0) : fail(err, s.error(), writeFailed(s.error(), (*paths)[2]) ? 1 : 2);
    });
}

} // namespace cli
