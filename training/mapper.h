#pragma once
// Mappers (detectron2's DatasetMapper): a record becomes tensors here and nowhere
// else. A mapper owns its split's decoded images (training/image_cache.h) and, for
// each batch, draws every sample's augmentation from the batch's own random stream
// (the same seed gives the same batch, whichever thread makes it), warps the image
// and moves the task's targets with it. One subclass per task:
//   ClassificationMapper  labels
//   SegmentationMapper    class masks
//   InstanceMapper        boxes and instance masks (detection, instance segmentation)
// Coordinates: the S x S canvas in pixel corners; boxes XYXY.
#include "training/augment.h"
#include "training/image_cache.h"

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace training {

// Mask value for pixels that count for no class (outside the image after a shift,
// rotation or scale): cross-entropy ignores them.
constexpr std::uint8_t kIgnore = 255;

// The objects of one image, as torchvision's detection models take them.
struct Instances {
    torch::Tensor boxes;   // N x 4 float XYXY in canvas pixels, inside [0, S]
    torch::Tensor classes; // N int64: 1..K (0 is the background, as torchvision counts)
    torch::Tensor masks;   // N x S x S uint8 0/1 (instance segmentation; undefined for detection)
};

struct Batch {
    torch::Tensor images;             // N x C x S x S float in [0, 1]
    torch::Tensor labels;             // classification: N int64 class indices
    torch::Tensor masks;              // segmentation: N x S x S int64, class index + 1, 0 background, kIgnore nothing
    std::vector<Instances> instances; // detection, instance segmentation: one per image
    std::vector<std::size_t> indices; // the mapper's index of each image (its record: Mapper::record)
    // Per image, the part of its canvas the picture covers after augmentation (x0, y0, x1, y1
    // in whole pixels); the rest is padding. Across the picture's longer side it spans the
    // whole canvas, so that a detector cropping to it sees the picture at the canvas's scale.
    std::vector<std::array<int, 4>> content;
};

class Mapper {
public:
    explicit Mapper(ImageCache cache) : m_cache(std::move(cache)) {}
    virtual ~Mapper() = default;

    std::size_t size() const { return m_cache.count(); }
    int imageSize() const { return m_cache.size(); }
    int channels() const { return m_cache.channels(); }
    const Record &record(std::size_t i) const { return m_cache.record(i); }
    const ImageCache &cache() const { return m_cache; }
    // What the trainer logs as warnings before training: targets left out of every
    // sample (detection: a region whose box or mask is empty at this image size).
    virtual std::vector<std::string> warnings() const { return {}; }

    // The images at `indices` with their targets, augmented with `aug` from the
    // random stream `seed` (Augment{}: as decoded).
    Batch map(const std::vector<std::size_t> &indices, const Augment &aug, std::uint64_t seed) const;

protected:
    // Allocates the targets of a batch of n.
    virtual void beginTargets(Batch &batch, std::size_t n) const = 0;
    // Fills slot `slot` of the batch with the targets of image `index`, moved by `t`.
    virtual void addTargets(Batch &batch, std::size_t slot, std::size_t index, const SampleTransform &t) const = 0;

    ImageCache m_cache;
};

} // namespace training
