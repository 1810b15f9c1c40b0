#pragma once
// Defaults chosen from the data. Every setting a run leaves at "auto" gets a value
// from the project's train split, with a line that says why, so that a run with no
// options is a sensible one:
//   image size  from the images' sides (classification: at most 32 for a dense head
//               (smallcnn, mlp), whose size grows with its square; 224 for a ResNet) or, for
//               segmentation, from the regions' sizes (the median object resolved
//               by enough pixels);
//   batch       from the train set's size, so that an epoch has at least 8 steps;
//   optimizer, learning rate, schedule, warm-up: Adam with a cosine decay after a
//               one-epoch warm-up, the rate by task (lower when starting from weights);
//   augmentation: horizontal flips and shifts (a quarter of the size for a dense head);
//               segmentation: both flips and small shifts;
//   detectors   (Faster/Mask R-CNN) torchvision's recipe (SGD 0.02 for 16 images, step
//               schedule, flips), the size that gives the median object 32 px, anchors
//               fitted to the boxes (the smallest at the 5th percentile of their scale,
//               one ratio when they are all near square), proposals and RoIs per image
//               from the objects an image holds;
//   epochs      about 1000 steps (5 to 100 epochs), or, with a time budget, as many as
//               fit: the budget hook times the first epochs and sizes the run
//               (BudgetHook, training/hooks.h).
#include "training/records.h"
#include "training/trainer.h"

#include <string>
#include <vector>

namespace training {

// What the recipe looks at, read from the records and the images' headers.
struct DataFacts {
    Task task = Task::Classification;
    std::size_t trainImages = 0;
    int medianSide = 0;            // the train images' longer side, median (pixels)
    double medianObjectSide = 0;   // regions: the longer side of their boxes in image pixels, median (0: none)
    // Detectors: each sampled region's box as the canvas sees it (the image's longer side = 1).
    std::vector<double> objectScales;  // sqrt(width x height) / the longer side
    std::vector<double> objectAspects; // height / width
    double objectsPerImage = 0;        // regions per sampled image, 95th percentile
    // --weights: its backbone keeps no batch-norm statistics (a GroupNorm detector's file).
    bool weightsGroupNorm = false;
};
DataFacts gatherFacts(const Snapshot &snap, Task task);

struct Recipe {
    TrainConfig config;            // every auto value replaced
    std::vector<std::string> why;  // one line for each value chosen
};
Recipe chooseRecipe(const TrainConfig &requested, const DataFacts &facts);

// Epochs of a run without a budget: about 1000 steps, at least 5 and at most 100 epochs.
int epochsForSteps(std::int64_t stepsPerEpoch);

} // namespace training
