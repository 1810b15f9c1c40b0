#include "training/describe.h"

#include "training/coco_evaluator.h"

#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace training {

ImageDetections toImage(const Detections &d, double sx, double sy, int width, int height, int canvas, double threshold, bool outlines)
{
    ImageDetections out;
    const auto boxes = d.boxes.to(torch::kFloat).contiguous();
    torch::Tensor masks;
    if (d.masks.defined() && d.masks.size(0) > 0) {
        const long H = static_cast<long>(std::ceil(canvas / sy)), W = static_cast<long>(std::ceil(canvas / sx));
        namespace F = torch::nn::functional;
        masks = F::interpolate(d.masks.unsqueeze(1), F::InterpolateFuncOptions().size(std::vector<int64_t>{H, W}).mode(torch::kBilinear).align_corners(false))
                    .squeeze(1)
                    .slice(1, 0, std::min<long>(H, height))
                    .slice(2, 0, std::min<long>(W, width));
        if (masks.size(1) < height || masks.size(2) < width)
            masks = F::pad(masks, F::PadFuncOptions({0, width - masks.size(2), 0, height - masks.size(1)}));
        masks = (masks > 0.5).to(torch::kUInt8).contiguous();
    }
    for (long n = 0; n < boxes.size(0); ++n) {
        const double score = d.scores[n].item<double>();
        if (score < threshold) continue;
        const float *b = boxes.data_ptr<float>() + 4 * n;
        const double x0 = std::clamp(b[0] / sx, 0.0, double(width)), y0 = std::clamp(b[1] / sy, 0.0, double(height));
        const double x1 = std::clamp(b[2] / sx, 0.0, double(width)), y1 = std::clamp(b[3] / sy, 0.0, double(height));
        core::CocoDetection c;
        c.categoryId = d.classes[n].item<std::int64_t>();
        c.box = {x0, y0, x1 - x0, y1 - y0};
        c.score = score;
        std::vector<core::Point> poly;
        if (masks.defined()) {
            c.mask = maskRle(masks[n]);
            if (outlines) {
                cv::Mat m(static_cast<int>(height), static_cast<int>(width), CV_8U, masks[n].data_ptr<std::uint8_t>());
                std::vector<std::vector<cv::Point>> contours;
                cv::findContours(m.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
                const std::vector<cv::Point> *best = nullptr;
                for (const auto &k : contours)
                    if (k.size() >= 3 && (!best || cv::contourArea(k) > cv::contourArea(*best))) best = &k;
                // Contour points are mask pixels: their centres, in pixel-corner coordinates.
                if (best)
                    for (const auto &q : *best) poly.push_back({q.x + 0.5, q.y + 0.5});
            }
        }
        out.coco.push_back(std::move(c));
        out.outline.push_back(std::move(poly));
    }
    return out;
}

namespace {

// Each class's connected areas of an S x S label mask as outlines in image pixels
// (x scaled by sx, y by sy), scored by the mean probability of the class inside.
std::vector<Prediction::Region> maskRegions(std::vector<std::uint8_t> &mask, const torch::Tensor &prob, int S, double sx, double sy,
                                            const std::vector<std::string> &classes)
{
    std::vector<Prediction::Region> out;
    const cv::Mat labels(S, S, CV_8U, mask.data());
    for (std::size_t k = 0; k < classes.size(); ++k) {
        cv::Mat binary = labels == static_cast<int>(k + 1);
        std::vector<std::vector<cv::Point>> contours;
        cv::findContours(binary, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
        const float *p = prob[static_cast<long>(k + 1)].data_ptr<float>();
        for (const auto &c : contours) {
            if (cv::contourArea(c) < 2) continue; // specks of a pixel or two
            cv::Mat area = cv::Mat::zeros(S, S, CV_8U);
            cv::drawContours(area, std::vector<std::vector<cv::Point>>{c}, 0, cv::Scalar(1), cv::FILLED);
            double sum = 0;
            int n = 0;
            for (int yy = 0; yy < S; ++yy)
                for (int xx = 0; xx < S; ++xx)
                    if (area.at<std::uint8_t>(yy, xx) && static_cast<std::size_t>(labels.at<std::uint8_t>(yy, xx)) == k + 1) {
                        sum += p[yy * S + xx];
                        ++n;
                    }
            Prediction::Region r;
            r.className = classes[k];
            r.score = n ? sum / n : 0;
            // Contour points are pixel centres of the mask: their corners span [x, x+1).
            for (const auto &q : c) r.polygon.emplace_back((q.x + 0.5) * sx, (q.y + 0.5) * sy);
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
    // The image's own size: its picture on the canvas divided by the scale.
    const int width = static_cast<int>(std::lround(cache.contentWidth(i) / cache.scaleX(i)));
    const int height = static_cast<int>(std::lround(cache.contentHeight(i) / cache.scaleY(i)));
    if (task == Task::Detection || task == Task::Instance) {
        const auto d = toImage(p.detections[row], cache.scaleX(i), cache.scaleY(i), width, height, S, minScore, true);
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
        const auto m = logits.argmax(0).to(torch::kUInt8).contiguous();
        out.mask.assign(m.data_ptr<std::uint8_t>(), m.data_ptr<std::uint8_t>() + m.numel());
        out.maskSize = S;
        const auto prob = torch::softmax(logits, 0).contiguous();
        out.regions = maskRegions(out.mask, prob, S, 1 / cache.scaleX(i), 1 / cache.scaleY(i), classes);
        return out;
    }
    const auto prob = torch::softmax(logits, 0);
    for (std::size_t k = 0; k < classes.size(); ++k) out.scores.emplace_back(classes[k], prob[static_cast<long>(k)].item<double>());
    std::sort(out.scores.begin(), out.scores.end(), [](const auto &a, const auto &b) { return a.second > b.second; });
    return out;
}

} // namespace training
