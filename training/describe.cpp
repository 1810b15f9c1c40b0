#include "training/describe.h"

#include "core/coco_rle.h"
#include "core/rasterize.h"
#include "training/models/detection/transform.h"

#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>

namespace training {

ImageDetections toImage(const Detections &d, double sx, double sy, int width, int height, double threshold, bool outlines)
{
    ImageDetections out;
    const auto boxes = d.boxes.to(torch::kFloat).contiguous();
    const bool withMasks = d.masks.defined() && d.masks.size(0) > 0;
    const torch::Tensor masks = withMasks ? d.masks.to(torch::kFloat).contiguous() : torch::Tensor();
    std::vector<std::uint8_t> pasted(withMasks ? static_cast<std::size_t>(width) * height : 0, 0);
    for (long n = 0; n < boxes.size(0); ++n) {
        const double score = d.scores[n].item<double>();
        if (score < threshold) continue;
        const float *b = boxes.data_ptr<float>() + 4 * n;
        const std::array<double, 4> inImage{b[0] / sx, b[1] / sy, b[2] / sx, b[3] / sy};
        const double x0 = std::clamp(inImage[0], 0.0, double(width)), y0 = std::clamp(inImage[1], 0.0, double(height));
        const double x1 = std::clamp(inImage[2], 0.0, double(width)), y1 = std::clamp(inImage[3], 0.0, double(height));
        core::CocoDetection c;
        c.categoryId = d.classes[n].item<std::int64_t>();
        c.box = {x0, y0, x1 - x0, y1 - y0};
        c.score = score;
        std::vector<core::Point> poly;
        if (withMasks) {
            // Pasted into the image's own pixels over the box there, as torchvision pastes into
            // the original image: finer than pasting into the canvas and resizing that.
            // A mask with no cell above 0.5 pastes as none (resizing only mixes the cells), and
            // an untrained model's detections span whole images: skip those.
            const float *cells = masks.data_ptr<float>() + n * masks.size(1) * masks.size(2);
            const bool any = std::any_of(cells, cells + masks.size(1) * masks.size(2), [](float v) { return v > 0.5f; });
            const auto p = any ? detection::pasteMask(masks[n], {static_cast<float>(inImage[0]), static_cast<float>(inImage[1]),
                                                                 static_cast<float>(inImage[2]), static_cast<float>(inImage[3])},
                                                      height, width)
                               : detection::PastedMask{};
            const auto [px0, py0, px1, py1] = p.at;
            if (p.values.defined()) {
                const torch::Tensor v = p.values.contiguous();
                const float *src = v.data_ptr<float>();
                for (int64_t y = py0; y < py1; ++y)
                    for (int64_t x = px0; x < px1; ++x)
                        pasted[static_cast<std::size_t>(y) * width + x] = *src++ > 0.5f ? 1 : 0;
            }
            c.mask = core::rleEncode(pasted.data(), static_cast<std::uint32_t>(height), static_cast<std::uint32_t>(width), core::MaskOrder::RowMajor);
            if (outlines && p.values.defined()) {
                const cv::Mat all(height, width, CV_8U, pasted.data());
                std::vector<std::vector<cv::Point>> contours;
                cv::findContours(all(cv::Rect(px0, py0, px1 - px0, py1 - py0)).clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
                const std::vector<cv::Point> *best = nullptr;
                for (const auto &k : contours)
                    if (k.size() >= 3 && (!best || cv::contourArea(k) > cv::contourArea(*best))) best = &k;
                // Contour points are mask pixels: their centres, in pixel-corner coordinates.
                if (best)
                    for (const auto &q : *best) poly.push_back({q.x + px0 + 0.5, q.y + py0 + 0.5});
            }
            for (int64_t y = py0; y < py1; ++y) std::fill_n(pasted.begin() + static_cast<long>(y) * width + px0, px1 - px0, 0);
        }
        out.coco.push_back(std::move(c));
        out.outline.push_back(std::move(poly));
    }
    return out;
}

ImageDetections areasAsDetections(const Prediction &p, int width, int height, double threshold)
{
    ImageDetections out;
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(width) * height);
    for (const auto &r : p.regions) {
        if (r.score < threshold || r.polygon.size() < 3) continue;
        const auto k = std::find(p.classes.begin(), p.classes.end(), r.className);
        if (k == p.classes.end()) continue;
        std::vector<core::Point> poly;
        double x0 = width, y0 = height, x1 = 0, y1 = 0;
        for (const auto &[x, y] : r.polygon) {
            poly.push_back({x, y});
            x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
        }
        core::CocoDetection c;
        c.categoryId = static_cast<std::int64_t>(k - p.classes.begin()) + 1;
        c.box = {x0, y0, x1 - x0, y1 - y0};
        c.score = r.score;
        std::fill(mask.begin(), mask.end(), 0);
        core::fillPolygon(mask.data(), width, height, poly, 1);
        c.mask = core::rleEncode(mask.data(), static_cast<std::uint32_t>(height), static_cast<std::uint32_t>(width), core::MaskOrder::RowMajor);
        out.coco.push_back(std::move(c));
        out.outline.push_back(std::move(poly));
    }
    return out;
}

torch::Tensor logitsInImage(const torch::Tensor &logits, double sx, double sy, int width, int height)
{
    namespace F = torch::nn::functional;
    const long H = static_cast<long>(std::ceil(logits.size(1) / sy)), W = static_cast<long>(std::ceil(logits.size(2) / sx));
    auto up = F::interpolate(logits.unsqueeze(0).to(torch::kFloat), F::InterpolateFuncOptions().size(std::vector<int64_t>{H, W}).mode(torch::kBilinear).align_corners(false))
                  .squeeze(0)
                  .slice(1, 0, std::min<long>(H, height))
                  .slice(2, 0, std::min<long>(W, width));
    if (up.size(1) < height || up.size(2) < width) up = F::pad(up, F::PadFuncOptions({0, width - up.size(2), 0, height - up.size(1)}));
    return up.contiguous();
}

torch::Tensor classMap(const torch::Tensor &logits) { return std::get<1>(torch::max(logits, 0)); }

std::vector<std::uint8_t> labelsInImage(const ImageCache &cache, std::size_t i)
{
    const int width = cache.imageWidth(i), height = cache.imageHeight(i);
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(width) * height, 0);
    for (const auto &r : cache.record(i).regions) core::fillPolygon(mask.data(), width, height, r.shape.toPolygon(128), static_cast<std::uint8_t>(r.classIndex + 1));
    return mask;
}

namespace {

// Each class's connected areas of a width x height label mask as outlines in its pixels,
// scored by the mean probability of the class inside; areas under minArea pixels are specks.
std::vector<Prediction::Region> maskRegions(std::vector<std::uint8_t> &mask, const torch::Tensor &prob, int width, int height, double minArea,
                                            double tolerance, const std::vector<std::string> &classes)
{
    std::vector<Prediction::Region> out;
    const cv::Mat labels(height, width, CV_8U, mask.data());
    for (std::size_t k = 0; k < classes.size(); ++k) {
        cv::Mat binary = labels == static_cast<int>(k + 1);
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
        const float *p = prob[static_cast<long>(k + 1)].data_ptr<float>();
        for (const auto &c : contours) {
            if (cv::contourArea(c) < minArea) continue;
            const cv::Rect box = cv::boundingRect(c);
            cv::Mat area = cv::Mat::zeros(box.height, box.width, CV_8U);
            cv::drawContours(area, std::vector<std::vector<cv::Point>>{c}, 0, cv::Scalar(1), cv::FILLED, cv::LINE_8, cv::noArray(), INT_MAX, -box.tl());
            double sum = 0;
            int n = 0;
            for (int yy = 0; yy < box.height; ++yy)
                for (int xx = 0; xx < box.width; ++xx) {
                    const int x = box.x + xx, y = box.y + yy;
                    if (area.at<std::uint8_t>(yy, xx) && static_cast<std::size_t>(labels.at<std::uint8_t>(y, x)) == k + 1) {
                        sum += p[static_cast<std::size_t>(y) * width + x];
                        ++n;
                    }
                }
            Prediction::Region r;
            r.className = classes[k];
            r.score = n ? sum / n : 0;
            // Contour points are pixel centres of the mask: their corners span [x, x+1). Points
            // closer than `tolerance` to the line through their neighbours are left out.
            std::vector<cv::Point> outline;
            cv::approxPolyDP(c, outline, tolerance, true);
            for (const auto &q : outline) r.polygon.emplace_back(q.x + 0.5, q.y + 0.5);
            if (r.polygon.size() >= 3) out.push_back(std::move(r));
        }
    }
    return out;
}

} // namespace

Prediction describePrediction(Task task, const std::vector<std::string> &classes, const Predictions &p, std::size_t row, const ImageCache &cache,
                              std::size_t i, double minScore)
{
    Prediction out;
    out.task = taskName(task);
    out.classes = classes;
    const int S = cache.size();
    const int width = cache.imageWidth(i), height = cache.imageHeight(i);
    if (task == Task::Detection || task == Task::Instance) {
        const auto d = toImage(p.detections[row], cache.scaleX(i), cache.scaleY(i), width, height, minScore, true);
        for (std::size_t n = 0; n < d.coco.size(); ++n) {
            const auto &c = d.coco[n];
            Prediction::Region r;
            const auto k = static_cast<std::size_t>(c.categoryId - 1);
            r.className = k < classes.size() ? classes[k] : std::string();
            r.score = c.score;
            r.hasBox = true;
            r.box[0] = c.box.x, r.box[1] = c.box.y, r.box[2] = c.box.w, r.box[3] = c.box.h;
            for (const auto &q : d.outline[n]) r.polygon.emplace_back(q.x, q.y);
            out.regions.push_back(std::move(r));
        }
        return out;
    }
    const torch::Tensor logits = p.logits[static_cast<long>(row)];
    if (task == Task::Segmentation) {
        const auto m = classMap(logits).to(torch::kUInt8).contiguous();
        out.mask.assign(m.data_ptr<std::uint8_t>(), m.data_ptr<std::uint8_t>() + m.numel());
        out.maskSize = S;
        // The areas in the image's pixels, from the logits resized to it: outlines as fine as the
        // image, not the canvas's steps, and what eval scores.
        const auto inImage = logitsInImage(logits, cache.scaleX(i), cache.scaleY(i), width, height);
        const auto labels = classMap(inImage).to(torch::kUInt8).contiguous();
        std::vector<std::uint8_t> mask(labels.data_ptr<std::uint8_t>(), labels.data_ptr<std::uint8_t>() + labels.numel());
        // Specks: under two canvas pixels; outlines kept to half a canvas pixel, the finest the model sees.
        const double sx = cache.scaleX(i), sy = cache.scaleY(i);
        out.regions = maskRegions(mask, torch::softmax(inImage, 0).contiguous(), width, height, 2 / (sx * sy), 0.5 / std::max(sx, sy), classes);
        return out;
    }
    const auto prob = torch::softmax(logits, 0);
    for (std::size_t k = 0; k < classes.size(); ++k) out.scores.emplace_back(classes[k], prob[static_cast<long>(k)].item<double>());
    std::sort(out.scores.begin(), out.scores.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    return out;
}

} // namespace training
