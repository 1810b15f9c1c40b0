#pragma once
// Dataset operations: split by ratios (optionally stratified), k-fold assignment,
// statistics and validation. Deterministic for a seed on every platform: the
// random numbers come from our own splitmix64, not the standard library.
#include "core/dataset.h"
#include "core/result.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace core {

class ProjectStore;

struct SplitOptions {
    double train = 0.8, val = 0.1, test = 0.1; // must sum to 1
    std::uint64_t seed = 0;
    bool stratify = false;                     // keep each class's proportions in every split
    int kfold = 0;                             // > 1: fold `fold` is val, the rest train (test untouched)
    int fold = 0;
};

// Parses "0.8,0.1,0.1" into opts; fails unless three non-negative numbers sum to 1 (within 1e-6).
Status parseRatios(const std::string &text, SplitOptions *opts);

// Assigns a split to each item. `strata[i]` is the class key of item i (empty: no class);
// ignored unless opts.stratify. Counts per split are round(ratio * n) with the remainder to train.
std::vector<Split> computeSplits(const std::vector<std::string> &strata, const SplitOptions &opts);

// Splits the images of a project and stores the result (one transaction).
// An image's stratum is its image class, else the most frequent class among its regions.
Status splitProject(ProjectStore &store, const SplitOptions &opts);

// {"images", "annotated_images", "regions", "classes": {name: n}, "shapes": {shape: n},
//  "splits": {"train","val","test","unassigned"}} — the CLI's `stats --json`.
nlohmann::json datasetStats(const Dataset &ds);

struct Problem {
    std::string severity;   // "error" or "warning"
    std::string kind;       // missing_image, unreadable_image (does not decode, or is truncated),
                            // image_too_large (beyond maxImagePixels()), degenerate_shape, self_intersection,
                            // outside_image, no_class, duplicate_image, split_leak
    std::string image;      // image path as the dataset names it
    int region = -1;        // region index within the image, -1 for the image itself
    std::string message;
};

// Checks a dataset whose image i lives at imageRoots[i] + "/" + images[i].path
// (imageRoots may be empty: then only geometry and classes are checked).
// Every image file is decoded completely, on all cores; `progress` (0..1, from those
// threads, serialised) may be empty.
std::vector<Problem> validateDataset(const Dataset &ds, const std::vector<std::string> &imageRoots,
                                     const std::function<void(double)> &progress = {});
nlohmann::json problemsToJson(const std::vector<Problem> &problems);

} // namespace core
