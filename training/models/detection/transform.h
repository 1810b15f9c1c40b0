#pragma once
// torchvision's GeneralizedRCNNTransform: normalise each image, resize it so its
// short side is minSize unless the long side would exceed maxSize (bilinear, as
// torchvision's _resize_image_and_masks computes the output size), resize the
// targets with it, and pad the batch to a multiple of sizeDivisible. After
// inference, boxes go back to the input images' pixels and masks are pasted in.
#include "training/models/detection/poolers.h"

#include <torch/torch.h>

#include <array>
#include <vector>

namespace training::detection {

// Ground truth of one image, in its pixels: boxes N x 4 float XYXY, labels N
// int64 in 1..K (0 is background), masks N x H x W uint8 (Mask R-CNN only).
struct DetectionTarget {
    torch::Tensor boxes;
    torch::Tensor labels;
    torch::Tensor masks;
};

// The detections of one image in its pixels, in decreasing order of score:
// boxes N x 4 float XYXY, scores N, labels N int64 (1..K), and for Mask R-CNN
// masks N x 1 x H x W float probabilities pasted into the image (threshold at
// 0.5 for a binary mask); undefined for Faster R-CNN.
struct Detections {
    torch::Tensor boxes;
    torch::Tensor scores;
    torch::Tensor labels;
    torch::Tensor masks;
};

struct ImageList {
    torch::Tensor tensors; // N x 3 x H x W, zero-padded, H and W multiples of sizeDivisible
    ImageSizes imageSizes;  // each image's size after resizing, before padding
};

struct TransformOptions {
    std::vector<int64_t> minSize{800}; // training picks one at random per image; inference uses the last
    int64_t maxSize = 1333;
    std::vector<double> imageMean{0.485, 0.456, 0.406};
    std::vector<double> imageStd{0.229, 0.224, 0.225};
    int64_t sizeDivisible = 32;
};

class GeneralizedRCNNTransform {
public:
    explicit GeneralizedRCNNTransform(TransformOptions options);

    // images: C x H x W floating, values in [0, 1]. targets (may be null): one per
    // image, resized in place of a copy. channelsLast: the batch tensor's memory format.
    ImageList operator()(const std::vector<torch::Tensor> &images, std::vector<DetectionTarget> *targets, bool training,
                         bool channelsLast) const;

    // Boxes from the resized images' pixels back to the originals'; masks
    // (N x 1 x M x M probabilities) pasted into the original images unless pasteMasks is false.
    void postprocess(std::vector<Detections> &detections, const ImageSizes &resized, const ImageSizes &original, bool pasteMasks = true) const;

    const TransformOptions &options() const { return m_options; }

private:
    TransformOptions m_options;
};

// The size torchvision resizes an image of height x width to (its float32 scale
// and floor(size * scale)).
std::array<int64_t, 2> resizedSize(int64_t height, int64_t width, double minSize, double maxSize);
// Boxes N x 4 scaled from an image of size `from` to one of size `to` (height, width).
torch::Tensor resizeBoxes(const torch::Tensor &boxes, const std::array<int64_t, 2> &from, const std::array<int64_t, 2> &to);
// torchvision's paste_masks_in_image: masks N x 1 x M x M, boxes N x 4 in the
// image's pixels; each mask is padded by `padding`, its box grown to match and
// rounded to whole pixels, the mask resized bilinearly to that box and written
// into a zero image of height x width. Returns N x 1 x height x width.
torch::Tensor pasteMasksInImage(const torch::Tensor &masks, const torch::Tensor &boxes, int64_t height, int64_t width, int64_t padding = 1);

// One mask of pasteMasksInImage: mask M x M, box x0, y0, x1, y1 in the image's pixels.
// `at`: the part of the height x width image it covers (x0, y0, x1, y1, clipped; empty when
// x1 <= x0 or y1 <= y0), `values`: its probabilities there, (y1 - y0) x (x1 - x0); zero elsewhere.
struct PastedMask {
    std::array<int64_t, 4> at{0, 0, 0, 0};
    torch::Tensor values;
};
PastedMask pasteMask(const torch::Tensor &mask, const std::array<float, 4> &box, int64_t height, int64_t width, int64_t padding = 1);

} // namespace training::detection
