#pragma once
// The training engine's public face: plain value types and a callback interface,
// no torch and no Qt, so the CLI and the GUI adapter can use it without either.
#include "core/result.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace training {

// A run's settings. Those left at their "auto" value (0, -1 or "auto") are chosen
// from the data when the run starts (training/recipe.h), each with a log line saying
// why; config.json records what was chosen.
struct TrainConfig {
    std::string project;              // *.atproj; images with an image class (or regions) in the train (and val) split
    std::string task = "classification"; // classification (image classes) or segmentation (regions rasterised to masks)
    std::string model = "auto";       // auto (from the task and the images' size), mlp, smallcnn, convnet, resnet18, resnet34, resnet50; unet for segmentation
    int epochs = 0;                   // 0: about 1000 steps (5 to 100 epochs), or as many as fit in timeBudget
    int batch = 0;                    // 0: from the train set's size, so that an epoch has at least 8 steps
    double lr = 0;                    // 0: chosen with the optimizer and the task
    std::string optimizer = "auto";   // auto (adam), sgd (momentum 0.9), adam, adamw
    double weightDecay = 0.0;
    std::string schedule = "auto";    // auto (cosine), none, step (x0.1 every third of the run), cosine; warm-up with warmupEpochs
    int warmupEpochs = -1;            // -1: one epoch when the run has 5 or more, else none
    double clipNorm = -1;             // > 0: clip the gradient norm; 0: off; -1: 10 for detectors, off otherwise
    int patience = 0;                 // > 0: stop after this many epochs without a better validation accuracy (mIoU)
    std::string device = "auto";      // auto, cpu, cuda
    int threads = 0;                  // 0: all cores
    int workers = 0;                  // batches augmented ahead, each on its own thread; 0: the core count, at most 4
    std::string weights;              // torchvision .pth to start from (its head is replaced)
    bool freezeBackbone = false;      // train only the classifier head
    int imageSize = 0;                // 0: from the images (and for segmentation the sizes of their regions)
    std::string augment = "auto";     // auto (flips and shifts), none, or a comma list: hflip, vflip, crop[:PAD],
                                      // shift[:PX], rotate[:DEG], scale[:F], brightness, contrast, gamma, noise, impulse, blur, erase
    double timeBudget = 0;            // seconds, > 0: epochs sized to fit by timing the first ones, and no epoch started past it
    int folds = 0, fold = 0;          // folds > 0: train and val pooled and dealt into folds by seed; fold `fold` validates
    std::uint64_t seed = 0;
    std::string outDir;               // run directory: config.json, metrics.jsonl, checkpoint-{last,best}.pt, train-state.pt
    std::string resumeDir;            // continue the run in this directory where it stopped (its config.json's settings apply)
    bool skipBadImages = false;       // leave out images that do not decode completely (with a warning each) instead of failing
    // Detection and instance segmentation (0 / "auto": fitted to the train split's boxes, training/recipe.h):
    int anchorSize = 0;                  // the smallest anchor's side in canvas pixels; each of the 5 FPN levels doubles it (torchvision: 32)
    std::string anchorRatios = "auto";   // the anchors' height/width ratios, a comma list (torchvision: 0.5,1,2)
    int rpnProposals = 0;                // proposals kept after the RPN's NMS per training image, twice as many before (torchvision: 2000)
    int roisPerImage = 0;                // RoIs sampled per training image for the box and mask heads (torchvision: 512)
    std::string norm = "auto";           // the backbone's normalisation: batch (torchvision's) or group (GroupNorm, 32 groups); auto: group from scratch, else the weights'
    int logEvery = 50;                // steps between metric lines
};

// "90s", "5m", "60m", "1h30m", "2h" or a number of seconds; false when it is none of these.
bool parseDuration(const std::string &text, double *seconds);

struct MetricsSample {
    int epoch = 0;                    // 1-based
    std::int64_t step = 0;            // optimiser steps since the run began
    double loss = 0;                  // training loss (mean over the logged steps, or over the epoch)
    double lr = 0;
    double imagesPerS = 0;
    bool epochEnd = false;
    double progress = 0;              // 0..1 of the whole run
    double valLoss = -1, valAccuracy = -1; // at epoch ends when there is a val split (segmentation: pixel accuracy)
    double valMiou = -1;              // segmentation: mean IoU over the classes present
    int fold = 0, folds = 0;          // in k-fold cross-validation: this fold (1-based) of `folds`; 0 otherwise
    std::map<std::string, double> losses; // the loss's named terms (loss_cls, loss_sem_seg; a detector's five), averaged as `loss` is
    std::map<std::string, double> val;    // at epoch ends: every validation metric by name (loss, accuracy, top5_accuracy, miou, ...)
};

// A checkpoint's prediction for one image. Classification: every class with its
// probability, most likely first. Segmentation: the predicted class per pixel
// (0 background, k the k-th class) at the run's image size, to be stretched over the image.
// Detection and instance segmentation: the detections scoring 0.5 or more, as regions.
struct Prediction {
    std::string task;
    std::vector<std::pair<std::string, double>> scores;
    std::vector<std::string> classes;   // segmentation: mask value k+1 is classes[k]
    std::vector<std::uint8_t> mask;
    int maskSize = 0;
    // In the image's own pixel coordinates, with their class. Segmentation: the mask's
    // connected areas as polygons, scored by the mean probability of their class inside.
    // Detection: a box each (x, y, w, h) with the detector's score, and with instance
    // segmentation the outline of its mask as the polygon (empty when the mask is).
    struct Region {
        std::string className;
        std::vector<std::pair<double, double>> polygon;
        double score = 0;
        bool hasBox = false;
        double box[4] = {0, 0, 0, 0};
    };
    std::vector<Region> regions;
};

// The latest model on one validation image, at an epoch's end (TrainCallbacks::predictions).
struct ValPreview {
    std::string image;             // absolute path
    std::string truth;             // classification: the image's class
    std::size_t truthRegions = 0;  // detection, segmentation: the regions labelled on it
    Prediction prediction;         // detectors: detections scoring 0.5 or more
};

class TrainCallbacks {
public:
    virtual ~TrainCallbacks() = default;
    virtual void log(const std::string &line) { (void)line; }
    virtual void metrics(const MetricsSample &m) { (void)m; }
    // Once, when everything is read and checked and the first step is next, with the
    // settings the run uses (a resumed run's own). An error train() returns before
    // this is about its input (the CLI exits 2); one after it, a failure of the run (exit 1).
    virtual void started(const TrainConfig &resolved) { (void)resolved; }
    // At each epoch's end with a val split, when wantsPredictions(): the model's
    // predictions on the first few val images (kValPreviews), from the evaluation itself.
    virtual bool wantsPredictions() const { return false; }
    virtual void predictions(int epoch, const std::vector<ValPreview> &previews) { (void)epoch, (void)previews; }
};

constexpr std::size_t kValPreviews = 4;

struct TrainSummary {
    int epochs = 0;
    std::int64_t steps = 0;
    double finalLoss = 0;
    double bestValAccuracy = -1;      // segmentation: the best val mIoU
    double imagesPerS = 0;
    bool stoppedEarly = false;
    bool cancelled = false;
};

// Runs training to the end, to early stopping, or until *cancel becomes true
// (checked every step; the last checkpoint stays). While *pause is true it waits.
core::Result<TrainSummary> train(const TrainConfig &config, TrainCallbacks *callbacks = nullptr,
                                 const std::atomic<bool> *cancel = nullptr, const std::atomic<bool> *pause = nullptr);

// K-fold cross-validation: K runs in config.outDir/fold-1..K, each validating on
// one fold. Returns {folds, metric, values[], mean, std} of the best val metric.
core::Result<nlohmann::json> trainKFold(const TrainConfig &config, int folds, TrainCallbacks *callbacks = nullptr,
                                        const std::atomic<bool> *cancel = nullptr, const std::atomic<bool> *pause = nullptr);

// Metrics of a checkpoint on a split ("train", "val" or "test").
// Classification: accuracy, top5_accuracy, per_class {precision, recall, f1, support},
// confusion (rows: truth), misclassified [{path, truth, predicted, score}].
// Segmentation: pixel_accuracy, miou, per_class {iou, pixels}, confusion over pixels
// (class 0 is background).
core::Result<nlohmann::json> evaluate(const std::string &project, const std::string &checkpoint, const std::string &split);

// An image for the GUI: float channels-first planes in [0, 1].
struct Picture {
    int width = 0, height = 0, channels = 1;
    std::vector<float> data; // channels x height x width
};

// Augmented training samples as the trainer sees them (image, and for segmentation
// the mask with class colours left to the caller: values 0..K, 255 ignored).
struct AugmentPreview {
    std::vector<Picture> images;
    std::vector<std::vector<std::uint8_t>> masks;
    std::vector<std::string> classes;
};
core::Result<AugmentPreview> previewAugment(const TrainConfig &config, int count);

// The first convolution's filters of a checkpoint, each scaled to [0, 1]; and that
// layer's ReLU responses to one image (the lectures' "what the network sees").
core::Result<std::vector<Picture>> firstLayerFilters(const std::string &checkpoint);

core::Result<Prediction> predictImage(const std::string &checkpoint, const std::string &image);
core::Result<std::vector<Picture>> featureMaps(const std::string &checkpoint, const std::string &image);

// The models `train` builds for a task (classification, segmentation, detection or
// instance), the recipe's usual pick first; "auto" is not among them.
std::vector<std::string> modelsForTask(const std::string &task);
// Every model of every task, comma-separated, for help texts and errors.
std::string modelList();

// `weights import`: a torchvision .pth for `arch` into a checkpoint; `weights export`: a checkpoint's model to a .pth.
core::Status importWeights(const std::string &pth, const std::string &arch, const std::string &out);
core::Status exportWeights(const std::string &checkpoint, const std::string &out);

} // namespace training
