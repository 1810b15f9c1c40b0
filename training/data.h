#pragma once
// The data pipeline inside training/: a snapshot of the project's splits, decoding
// into a uint8 cache on all cores, and augmented float batches. Internal to the
// training library (it speaks torch); trainer.h is the public face.
#include "core/result.h"
#include "core/shape.h"
#include "training/augment.h"
#include "training/task.h"

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace training {

// Mask value for pixels that count for no class (outside the image after a shift,
// rotation or scale): cross-entropy ignores them.
constexpr std::uint8_t kIgnore = 255;

struct Item {
    std::string path;
    std::int64_t label = -1;                                      // classification: class index
    std::vector<std::pair<std::vector<core::Point>, std::uint8_t>> polygons; // segmentation: outline, mask value (class index + 1)
};

// Everything training needs from the store, read once: a consistent view even
// while the user keeps labelling.
struct Snapshot {
    Task task = Task::Classification;
    std::vector<std::string> classes;  // segmentation: the foreground classes; mask value k+1 is classes[k], 0 background
    std::vector<Item> train, val, test;
};

// Classification: images with an image class. Segmentation: images with at least
// one closed region of a class (polylines and points do not cover pixels).
// folds > 0: train and val are pooled and re-dealt into `folds` folds by `seed`;
// fold `fold` becomes val, the others train (k-fold cross-validation).
core::Result<Snapshot> takeSnapshot(const std::string &project, Task task, int folds = 0, int fold = 0, std::uint64_t seed = 0);

// Decoded images of one split: uint8, C x S x S each (and S x S masks for segmentation).
struct Samples {
    std::vector<std::uint8_t> pixels;
    std::vector<std::uint8_t> masks;
    std::vector<std::int64_t> labels;
    std::vector<std::string> paths;
    int channels = 1, size = 0;
    bool segmentation = false;
    std::size_t count() const { return paths.size(); }
    std::size_t perImage() const { return static_cast<std::size_t>(channels * size * size); }
    const std::uint8_t *image(std::size_t i) const { return pixels.data() + i * perImage(); }
    const std::uint8_t *mask(std::size_t i) const { return masks.data() + i * static_cast<std::size_t>(size * size); }
};

// Decodes on all cores; every image is resized to size x size, its polygons are
// rasterised at that size. channels 0: decide (1 when every image is grey).
// An image that does not decode completely is an error naming it, or, when
// `skipped` is given, left out of the samples and its error appended there.
core::Result<Samples> decode(const std::vector<Item> &items, int size, int channels, bool segmentation,
                             std::vector<core::Error> *skipped = nullptr);

// One batch as float N x C x S x S in [0, 1] and its targets (N class indices, or
// N x S x S mask values with kIgnore), augmented from the batch's own random
// stream: the same seed gives the same batch. Geometric augmentations move image
// and mask together.
std::pair<torch::Tensor, torch::Tensor> makeBatch(const Samples &s, const std::vector<std::size_t> &idx, const Augment &aug, std::uint64_t seed);

} // namespace training
