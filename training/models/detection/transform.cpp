#include "training/models/detection/transform.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace training::detection {

using torch::indexing::Slice;

GeneralizedRCNNTransform::GeneralizedRCNNTransform(TransformOptions options) : m_options(std::move(options))
{
    if (m_options.minSize.empty()) throw std::invalid_argument("transform: min size must name at least one size");
    if (m_options.imageMean.size() != m_options.imageStd.size() || m_options.imageMean.empty())
        throw std::invalid_argument("transform: image mean and std must have one value per channel");
    if (m_options.sizeDivisible < 1) throw std::invalid_argument("transform: size divisible must be positive");
}

std::array<int64_t, 2> resizedSize(int64_t height, int64_t width, double minSize, double maxSize)
{
    // torchvision: scale = min(min_size / short, max_size / long) as float32 tensors, then
    // interpolate(scale_factor=scale, recompute_scale_factor=True) takes floor(size * scale) in double.
    const float shortSide = static_cast<float>(std::min(height, width)), longSide = static_cast<float>(std::max(height, width));
    const float scale = std::min(static_cast<float>(minSize) / shortSide, static_cast<float>(maxSize) / longSide);
    return {static_cast<int64_t>(std::floor(static_cast<double>(height) * static_cast<double>(scale))),
            static_cast<int64_t>(std::floor(static_cast<double>(width) * static_cast<double>(scale)))};
}

torch::Tensor resizeBoxes(const torch::Tensor &boxes, const std::array<int64_t, 2> &from, const std::array<int64_t, 2> &to)
{
    TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4, "boxes must be N x 4, got ", boxes.sizes());
    const double ratioH = static_cast<float>(to[0]) / static_cast<float>(from[0]);
    const double ratioW = static_cast<float>(to[1]) / static_cast<float>(from[1]);
    // torchvision multiplies by float32 0-dim tensors: the same float products.
    const auto f = torch::TensorOptions().dtype(torch::kFloat).device(boxes.device());
    const torch::Tensor rh = torch::tensor(ratioH, f), rw = torch::tensor(ratioW, f);
    return torch::stack({boxes.select(1, 0) * rw, boxes.select(1, 1) * rh, boxes.select(1, 2) * rw, boxes.select(1, 3) * rh}, 1);
}

ImageList GeneralizedRCNNTransform::operator()(const std::vector<torch::Tensor> &images, std::vector<DetectionTarget> *targets, bool training,
                                               bool channelsLast) const
{
    TORCH_CHECK(!images.empty(), "no images given");
    TORCH_CHECK(!targets || targets->size() == images.size(), targets ? targets->size() : 0, " targets for ", images.size(), " images");
    std::vector<torch::Tensor> resized;
    ImageList out;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const torch::Tensor &image = images[i];
        TORCH_CHECK(image.defined() && image.dim() == 3, "images is expected to be a list of 3d tensors of shape [C, H, W], got ",
                    image.defined() ? image.sizes() : c10::IntArrayRef{});
        TORCH_CHECK(image.is_floating_point(), "Expected input images to be of floating type (in range [0, 1]), but found type ", image.scalar_type(),
                    " instead");
        TORCH_CHECK(image.size(0) == static_cast<int64_t>(m_options.imageMean.size()), "image ", i, " has ", image.size(0), " channels, the model ",
                    m_options.imageMean.size());
        const auto o = torch::TensorOptions().dtype(image.scalar_type()).device(image.device());
        const torch::Tensor mean = torch::tensor(m_options.imageMean, torch::kFloat).to(o);
        const torch::Tensor stdev = torch::tensor(m_options.imageStd, torch::kFloat).to(o);
        const torch::Tensor normalised = (image - mean.view({-1, 1, 1})) / stdev.view({-1, 1, 1});

        double size = static_cast<double>(m_options.minSize.back());
        if (training) {
            // torchvision's torch_choice draws from the global generator even for one size; so do we, to stay in step.
            const auto k = static_cast<int64_t>(torch::empty({1}).uniform_(0.0, static_cast<double>(m_options.minSize.size())).item<float>());
            size = static_cast<double>(m_options.minSize[static_cast<std::size_t>(k)]);
        }
        const int64_t h = image.size(1), w = image.size(2);
        const auto [oh, ow] = resizedSize(h, w, size, static_cast<double>(m_options.maxSize));
        TORCH_CHECK(oh > 0 && ow > 0, "image ", i, " of ", h, " x ", w, " pixels resizes to nothing");
        // At scale 1 bilinear resizing returns its input exactly: skip the copy.
        const bool same = oh == h && ow == w;
        resized.push_back(same ? normalised : at::upsample_bilinear2d(normalised.unsqueeze(0), {oh, ow}, false, c10::nullopt, c10::nullopt)[0]);
        out.imageSizes.push_back({oh, ow});
        if (targets) {
            DetectionTarget &t = (*targets)[i];
            TORCH_CHECK(t.boxes.defined() && t.boxes.dim() == 2 && t.boxes.size(1) == 4, "Expected target boxes to be a tensor of shape [N, 4], got ",
                        t.boxes.defined() ? t.boxes.sizes() : c10::IntArrayRef{}, " for image ", i);
            if (t.masks.defined() && t.masks.numel() > 0 && !same)
                t.masks = at::upsample_nearest2d(t.masks.unsqueeze(1).to(torch::kFloat), {oh, ow}, c10::nullopt, c10::nullopt).select(1, 0).to(torch::kByte);
            t.boxes = resizeBoxes(t.boxes, {h, w}, {oh, ow});
        }
    }
    // Pad to the largest height and width, rounded up to a multiple of sizeDivisible.
    int64_t maxH = 0, maxW = 0;
    for (const auto &r : resized) maxH = std::max(maxH, r.size(1)), maxW = std::max(maxW, r.size(2));
    const double stride = static_cast<double>(m_options.sizeDivisible);
    maxH = static_cast<int64_t>(std::ceil(static_cast<double>(maxH) / stride) * stride);
    maxW = static_cast<int64_t>(std::ceil(static_cast<double>(maxW) / stride) * stride);
    const auto &r0 = resized.front();
    out.tensors = at::empty({static_cast<int64_t>(resized.size()), r0.size(0), maxH, maxW}, r0.options(),
                            channelsLast ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous)
                      .zero_();
    for (std::size_t i = 0; i < resized.size(); ++i)
        out.tensors[static_cast<int64_t>(i)].index({Slice(), Slice(0, resized[i].size(1)), Slice(0, resized[i].size(2))}).copy_(resized[i]);
    return out;
}

PastedMask pasteMask(const torch::Tensor &mask, const std::array<float, 4> &box, int64_t height, int64_t width, int64_t padding)
{
    TORCH_CHECK(mask.dim() == 2 && mask.size(0) == mask.size(1), "a mask must be M x M, got ", mask.sizes());
    const int64_t m = mask.size(0);
    // Pad the mask so that its border can fade out, and grow the box by the same factor about
    // its centre, in float32 as torchvision's expand_boxes, then to whole pixels (truncated).
    const float scale = static_cast<float>(static_cast<double>(m + 2 * padding) / static_cast<double>(m));
    const float halfW = (box[2] - box[0]) * 0.5f * scale, halfH = (box[3] - box[1]) * 0.5f * scale;
    const float cx = (box[2] + box[0]) * 0.5f, cy = (box[3] + box[1]) * 0.5f;
    const auto x0b = static_cast<int64_t>(cx - halfW), y0b = static_cast<int64_t>(cy - halfH);
    const auto x1b = static_cast<int64_t>(cx + halfW), y1b = static_cast<int64_t>(cy + halfH);
    const int64_t w = std::max<int64_t>(x1b - x0b + 1, 1), h = std::max<int64_t>(y1b - y0b + 1, 1);
    PastedMask out;
    out.at = {std::max<int64_t>(x0b, 0), std::max<int64_t>(y0b, 0), std::min<int64_t>(x1b + 1, width), std::min<int64_t>(y1b + 1, height)};
    if (out.at[2] <= out.at[0] || out.at[3] <= out.at[1]) return out;
    const torch::Tensor padded = torch::constant_pad_nd(mask.unsqueeze(0).unsqueeze(0), {padding, padding, padding, padding});
    const torch::Tensor r = at::upsample_bilinear2d(padded, {h, w}, false, c10::nullopt, c10::nullopt)[0][0];
    out.values = r.slice(0, out.at[1] - y0b, out.at[3] - y0b).slice(1, out.at[0] - x0b, out.at[2] - x0b);
    return out;
}

torch::Tensor pasteMasksInImage(const torch::Tensor &masks, const torch::Tensor &boxes, int64_t height, int64_t width, int64_t padding)
{
    TORCH_CHECK(masks.dim() == 4 && masks.size(1) == 1 && masks.size(2) == masks.size(3), "masks must be N x 1 x M x M, got ", masks.sizes());
    TORCH_CHECK(boxes.dim() == 2 && boxes.size(1) == 4 && boxes.size(0) == masks.size(0), "boxes must be N x 4 for N masks, got ", boxes.sizes());
    const int64_t n = masks.size(0);
    torch::Tensor out = at::empty({n, 1, height, width}, masks.options().memory_format(torch::MemoryFormat::Contiguous));
    if (n == 0) return out;
    const torch::Tensor b = boxes.to(torch::kFloat).cpu().contiguous();
    auto paste = [&](int64_t i) {
        const float *q = b.data_ptr<float>() + 4 * i;
        const PastedMask p = pasteMask(masks[i][0], {q[0], q[1], q[2], q[3]}, height, width, padding);
        const auto [x0, y0, x1, y1] = p.at;
        torch::Tensor image = out[i][0];
        if (!out.is_cpu()) {
            image.zero_();
            if (p.values.defined()) image.slice(0, y0, y1).slice(1, x0, x1).copy_(p.values);
            return;
        }
        // On the CPU with plain memory operations: ATen's fill of a slice costs ~5x a memset here.
        const std::size_t elem = out.element_size();
        char *dst = static_cast<char *>(image.data_ptr());
        std::memset(dst, 0, static_cast<std::size_t>(height * width) * elem);
        if (!p.values.defined()) return;
        const torch::Tensor r = p.values.contiguous();
        const char *src = static_cast<const char *>(r.data_ptr());
        const std::size_t row = static_cast<std::size_t>(x1 - x0) * elem;
        for (int64_t y = y0; y < y1; ++y) std::memcpy(dst + static_cast<std::size_t>(y * width + x0) * elem, src + static_cast<std::size_t>(y - y0) * row, row);
    };
    // Each mask is resized to its own box: independent, so the masks share the cores (each resize runs on one).
    at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) paste(i);
    });
    return out;
}

void GeneralizedRCNNTransform::postprocess(std::vector<Detections> &detections, const ImageSizes &resized, const ImageSizes &original, bool pasteMasks) const
{
    for (std::size_t i = 0; i < detections.size(); ++i) {
        Detections &d = detections[i];
        d.boxes = resizeBoxes(d.boxes, resized[i], original[i]);
        if (pasteMasks && d.masks.defined()) d.masks = pasteMasksInImage(d.masks, d.boxes, original[i][0], original[i][1]);
    }
}

} // namespace training::detection
