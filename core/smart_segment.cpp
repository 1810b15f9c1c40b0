#include "core/smart_segment.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace core {

namespace {

// The crop being segmented, with what every candidate is judged by.
struct Crop {
    cv::Mat bgr, grey;
    cv::Mat edge;  // gradient magnitude, 1 at the box's 90th percentile (CV_32F, clamped to [0, 1]), max over 3 x 3
    cv::Rect box;  // the user's box, in crop pixels
};

struct Candidate {
    cv::Mat mask; // CV_8U, 255 inside, crop pixels
    std::string method;
    double score = 0;
};

cv::Mat toBgr(const PixelView &v, const cv::Rect &r)
{
    cv::Mat out(r.height, r.width, CV_8UC3);
    for (int y = 0; y < r.height; ++y) {
        const std::uint8_t *in = v.data + static_cast<std::size_t>(r.y + y) * v.stride;
        auto *o = out.ptr<cv::Vec3b>(y);
        for (int x = 0; x < r.width; ++x) {
            const std::uint8_t *p = v.layout == PixelView::Layout::Rgb ? in + 3 * (r.x + x) : in + 4 * (r.x + x);
            o[x] = v.layout == PixelView::Layout::Rgb ? cv::Vec3b(p[2], p[1], p[0]) : cv::Vec3b(p[0], p[1], p[2]);
        }
    }
    return out;
}

void prepare(Crop &c)
{
    cv::cvtColor(c.bgr, c.grey, cv::COLOR_BGR2GRAY);
    cv::Mat gx, gy, mag;
    cv::Sobel(c.grey, gx, CV_32F, 1, 0);
    cv::Sobel(c.grey, gy, CV_32F, 0, 1);
    cv::magnitude(gx, gy, mag);
    cv::Mat inBox = mag(c.box).clone().reshape(1, 1);
    std::vector<float> values(inBox.begin<float>(), inBox.end<float>());
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() * 9 / 10), values.end());
    const float high = std::max(1.0f, values[values.size() * 9 / 10]);
    cv::dilate(mag, c.edge, cv::Mat()); // an outline a pixel off the edge still counts
    c.edge = cv::min(c.edge / high, 1.0);
}

// The connected part of `fg` with the most pixels inside `box` (or, given a seed,
// the one around the seed, else the nearest), its holes filled.
cv::Mat largestFilled(const cv::Mat &fg, const cv::Rect &box, const cv::Point2f *seed = nullptr)
{
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(fg.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    cv::Mat best = cv::Mat::zeros(fg.size(), CV_8U);
    int chosen = -1;
    double bestValue = -1e18;
    for (std::size_t i = 0; i < contours.size(); ++i) {
        double value = 0;
        if (seed) {
            value = cv::pointPolygonTest(contours[i], *seed, true); // > 0 inside, else minus the distance
        } else {
            if ((cv::boundingRect(contours[i]) & box).empty()) continue;
            cv::Mat filled = cv::Mat::zeros(fg.size(), CV_8U);
            cv::drawContours(filled, contours, static_cast<int>(i), cv::Scalar(255), cv::FILLED);
            value = cv::countNonZero(filled(box));
        }
        if (value > bestValue) {
            bestValue = value;
            chosen = static_cast<int>(i);
        }
    }
    if (chosen >= 0) cv::drawContours(best, contours, chosen, cv::Scalar(255), cv::FILLED);
    return best;
}

// How plausible `mask` is as the object a user boxed tightly: its bounding box meets
// the box on every side, it covers a fair share of the box, its outline runs along
// the image's edges (grabCut's failures - the whole box, a crescent of a rim - have
// outlines across flat background), and it leaves the box's corners free (few
// objects are box-shaped; background leaking into the object fills them).
double plausibility(const Crop &c, const cv::Mat &mask)
{
    const cv::Rect &box = c.box;
    const cv::Mat inside = mask(box);
    const int area = cv::countNonZero(inside);
    if (area == 0) return 0;
    const cv::Rect b = cv::boundingRect(inside);
    const double sx = std::max(1.0, 0.1 * box.width), sy = std::max(1.0, 0.1 * box.height);
    const double gaps = std::min(1.0, b.x / sx) + std::min(1.0, (box.width - b.x - b.width) / sx) + std::min(1.0, b.y / sy) +
                        std::min(1.0, (box.height - b.y - b.height) / sy);
    const double touch = 1 - gaps / 4;
    const double fill = static_cast<double>(area) / box.area();
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    double support = 0;
    std::size_t points = 0;
    for (const auto &contour : contours)
        for (const cv::Point &p : contour) {
            support += c.edge.at<float>(p);
            ++points;
        }
    support = points ? support / static_cast<double>(points) : 0;
    // The corners: right triangles with legs of a fifth of the sides.
    const int cw = std::max(1, box.width / 5), ch = std::max(1, box.height / 5);
    int cornerPixels = 0, cornerFilled = 0;
    for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x) {
            if (static_cast<double>(x) / cw + static_cast<double>(y) / ch >= 1) continue;
            for (const cv::Point p : {cv::Point(x, y), cv::Point(box.width - 1 - x, y), cv::Point(x, box.height - 1 - y), cv::Point(box.width - 1 - x, box.height - 1 - y)}) {
                ++cornerPixels;
                cornerFilled += inside.at<std::uint8_t>(p) != 0;
            }
        }
    const double corners = cornerPixels ? static_cast<double>(cornerFilled) / cornerPixels : 0;
    return touch * std::min(1.0, fill / 0.35) * support * (1 - 0.5 * corners);
}

Candidate scored(const Crop &c, cv::Mat mask, std::string method)
{
    Candidate out{std::move(mask), std::move(method), 0};
    out.score = plausibility(c, out.mask);
    return out;
}

// grabCut from the box (its outside is background), outline filled.
Candidate grabCutFromBox(const Crop &c, int iterations, const cv::Point2f *seed)
{
    cv::Mat mask(c.bgr.size(), CV_8U, cv::Scalar(cv::GC_BGD)), bgModel, fgModel;
    cv::grabCut(c.bgr, mask, c.box, bgModel, fgModel, iterations, cv::GC_INIT_WITH_RECT);
    return scored(c, largestFilled((mask & 1) * 255, c.box, seed), "grabcut");
}

// A mask with gaps of a few pixels closed (a rim broken in places), filled.
cv::Mat closeGaps(const cv::Mat &mask, const cv::Rect &box)
{
    const int k = std::max(3, static_cast<int>(std::lround(0.08 * std::min(box.width, box.height))) | 1);
    cv::Mat out;
    cv::morphologyEx(mask, out, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {k, k}));
    return largestFilled(out, box);
}

// The dark (or the bright) side of Otsu's threshold inside the box, closed and
// filled: objects set off by a rim or by their own shade.
std::vector<Candidate> otsu(const Crop &c)
{
    cv::Mat dark, bright;
    const cv::Mat inBox = c.grey(c.box);
    const double t = cv::threshold(inBox, dark, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
    cv::threshold(inBox, bright, t, 255, cv::THRESH_BINARY);
    std::vector<Candidate> out;
    for (const cv::Mat &side : {dark, bright}) {
        cv::Mat full = cv::Mat::zeros(c.grey.size(), CV_8U);
        side.copyTo(full(c.box));
        out.push_back(scored(c, closeGaps(full, c.box), "otsu"));
    }
    return out;
}

// grabCut again, told where the image's edges are: strong gradients inside the box
// are probably the object, the rest of the box probably not.
Candidate edges(const Crop &c, int iterations)
{
    cv::Mat strong = c.edge(c.box) >= 0.99f;
    if (cv::countNonZero(strong) == 0) return {};
    cv::Mat mask(c.bgr.size(), CV_8U, cv::Scalar(cv::GC_BGD));
    mask(c.box).setTo(cv::GC_PR_BGD);
    mask(c.box).setTo(cv::GC_PR_FGD, strong);
    cv::Mat bgModel, fgModel;
    cv::grabCut(c.bgr, mask, c.box, bgModel, fgModel, iterations, cv::GC_INIT_WITH_MASK);
    return scored(c, closeGaps((mask & 1) * 255, c.box), "edges");
}

// The ellipse the box holds: the shape of a blob, when the image says little more.
Candidate ellipse(const Crop &c)
{
    cv::Mat mask = cv::Mat::zeros(c.bgr.size(), CV_8U);
    const cv::Rect &b = c.box;
    cv::ellipse(mask, cv::RotatedRect(cv::Point2f(b.x + b.width / 2.f - 0.5f, b.y + b.height / 2.f - 0.5f), cv::Size2f(b.width - 1.f, b.height - 1.f), 0),
                cv::Scalar(255), cv::FILLED);
    return scored(c, mask, "ellipse");
}

// Pushes each vertex of a closed polygon `d` outward along its corner's bisector.
std::vector<Point> offsetOutward(const std::vector<Point> &pts, double d)
{
    const std::size_t n = pts.size();
    if (n < 3 || d == 0) return pts;
    const double sign = polygonSignedArea(pts) > 0 ? 1 : -1;
    std::vector<Point> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Point a = pts[(i + n - 1) % n], p = pts[i], b = pts[(i + 1) % n];
        auto normal = [sign](Point u, Point v) {
            const double dx = v.x - u.x, dy = v.y - u.y, len = std::hypot(dx, dy);
            return len > 0 ? Point{-sign * dy / len, sign * dx / len} : Point{0, 0};
        };
        const Point n1 = normal(a, p), n2 = normal(p, b);
        Point m{n1.x + n2.x, n1.y + n2.y};
        const double len = std::hypot(m.x, m.y);
        if (len < 1e-9) {
            out[i] = p;
            continue;
        }
        m = {m.x / len, m.y / len};
        const double cosHalf = std::max(0.35, m.x * n1.x + m.y * n1.y); // at most ~3x at sharp corners
        out[i] = {p.x - m.x * d / cosHalf, p.y - m.y * d / cosHalf};
    }
    return out;
}

// The outline of `mask` (crop pixels) in image pixels, simplified.
std::vector<Point> outline(const cv::Mat &mask, const cv::Rect &crop, double scale, double tolerance)
{
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    if (contours.empty()) return {};
    const auto largest = std::max_element(contours.begin(), contours.end(), [](const auto &a, const auto &b) { return cv::contourArea(a) < cv::contourArea(b); });
    std::vector<cv::Point> simple;
    cv::approxPolyDP(*largest, simple, std::max(0.3, tolerance * scale), true);
    std::vector<Point> pts;
    for (const cv::Point &p : simple) // a contour runs through pixel centres: x + 0.5 in pixel-corner coordinates
        pts.push_back({(p.x + 0.5) / scale + crop.x, (p.y + 0.5) / scale + crop.y});
    // Half a pixel out: along the outer edge of the boundary pixels, not through their centres.
    return offsetOutward(pts, 0.5 / scale);
}

// The object in `box`; with a seed, the one around the seed (the box is then not tight: no plausibility test).
Result<SmartResult> segment(const PixelView &image, const Box &box, const SmartOptions &options, const Point *seedAt)
{
    if (!image.data || image.width <= 0 || image.height <= 0) return makeError(ErrorCode::Invalid, {}, {}, "no image");
    const cv::Rect imageRect(0, 0, image.width, image.height);
    const cv::Rect boxRect = cv::Rect(cv::Point(static_cast<int>(std::floor(box.x)), static_cast<int>(std::floor(box.y))),
                                      cv::Point(static_cast<int>(std::ceil(box.right())), static_cast<int>(std::ceil(box.bottom())))) &
                             imageRect;
    if (boxRect.width < 3 || boxRect.height < 3) return makeError(ErrorCode::Invalid, {}, {}, "the box is under 3 pixels a side inside the image");
    // The box with a margin, for grabCut's background model; downscaled when large.
    const int margin = std::max(8, static_cast<int>(0.15 * std::max(boxRect.width, boxRect.height)));
    const cv::Rect crop = cv::Rect(boxRect.x - margin, boxRect.y - margin, boxRect.width + 2 * margin, boxRect.height + 2 * margin) & imageRect;
    Crop c;
    c.bgr = toBgr(image, crop);
    const double scale = std::min(1.0, static_cast<double>(options.maxSide) / std::max(crop.width, crop.height));
    if (scale < 1) cv::resize(c.bgr, c.bgr, cv::Size(), scale, scale, cv::INTER_AREA);
    c.box = cv::Rect(cv::Point(static_cast<int>(std::lround((boxRect.x - crop.x) * scale)), static_cast<int>(std::lround((boxRect.y - crop.y) * scale))),
                     cv::Point(static_cast<int>(std::lround((boxRect.br().x - crop.x) * scale)), static_cast<int>(std::lround((boxRect.br().y - crop.y) * scale)))) &
            cv::Rect(0, 0, c.bgr.cols, c.bgr.rows);
    if (c.box.width < 3 || c.box.height < 3) return makeError(ErrorCode::Invalid, {}, {}, "the box is too small");
    // grabCut needs background around the box: a box filling the whole image leaves it none.
    if (c.box.x == 0 && c.box.y == 0 && c.box.width == c.bgr.cols && c.box.height == c.bgr.rows) c.box = cv::Rect(1, 1, c.bgr.cols - 2, c.bgr.rows - 2);

    std::vector<Candidate> candidates;
    try {
        prepare(c);
        cv::Point2f seed;
        if (seedAt) seed = cv::Point2f(static_cast<float>((seedAt->x - crop.x) * scale - 0.5), static_cast<float>((seedAt->y - crop.y) * scale - 0.5));
        candidates.push_back(grabCutFromBox(c, options.iterations, seedAt ? &seed : nullptr));
        if (!seedAt && options.recover && candidates.front().score < 0.65) {
            // Cheap candidates first; another grabCut only when none of them convinces.
            candidates.push_back(scored(c, closeGaps(candidates.front().mask, c.box), "closed"));
            for (Candidate &o : otsu(c)) candidates.push_back(std::move(o));
            candidates.push_back(ellipse(c));
            const auto best = std::max_element(candidates.begin(), candidates.end(), [](const Candidate &a, const Candidate &b) { return a.score < b.score; });
            if (best->score < 0.65) candidates.push_back(edges(c, options.iterations));
        }
    } catch (const cv::Exception &e) {
        return makeError(ErrorCode::Internal, {}, {}, std::string("grabCut: ") + e.what());
    }
    // The plain grabCut outline stays first unless another is more plausible.
    std::stable_sort(candidates.begin() + 1, candidates.end(), [](const Candidate &a, const Candidate &b) { return a.score > b.score; });
    if (candidates.size() > 1 && candidates[1].score > candidates[0].score) std::swap(candidates[0], candidates[1]);
    SmartResult out;
    for (const Candidate &cand : candidates) {
        if (cand.mask.empty() || cv::countNonZero(cand.mask) == 0) continue;
        SmartOutline o{outline(cand.mask, crop, scale, options.tolerance), cand.method, cand.score};
        if (o.polygon.size() >= 3) out.alternatives.push_back(std::move(o));
    }
    if (out.alternatives.empty()) return makeError(ErrorCode::Invalid, {}, {}, "found no object in the box");
    static_cast<SmartOutline &>(out) = out.alternatives.front();
    out.recovered = out.method != "grabcut";
    return out;
}

} // namespace

Result<SmartResult> segmentInBox(const PixelView &image, const Box &box, const SmartOptions &options) { return segment(image, box, options, nullptr); }

Result<SmartResult> segmentAtPoint(const PixelView &image, Point seed, const SmartOptions &options)
{
    Result<SmartResult> last = makeError(ErrorCode::Invalid, {}, {}, "the point is outside the image");
    if (seed.x < 0 || seed.y < 0 || seed.x >= image.width || seed.y >= image.height) return last;
    for (double half = 16; half <= std::max(image.width, image.height); half *= 2) {
        const Box box{seed.x - half, seed.y - half, 2 * half, 2 * half};
        last = segment(image, box, options, &seed);
        if (!last) continue;
        // Found with room to spare inside the box: the box held the whole object.
        double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
        for (const Point &p : last->polygon) {
            x0 = std::min(x0, p.x);
            y0 = std::min(y0, p.y);
            x1 = std::max(x1, p.x);
            y1 = std::max(y1, p.y);
        }
        const double slack = 0.1 * half;
        const bool atEdge = x0 < std::max(0.0, box.x) + slack || y0 < std::max(0.0, box.y) + slack ||
                            x1 > std::min<double>(image.width, box.right()) - slack || y1 > std::min<double>(image.height, box.bottom()) - slack;
        if (!atEdge) return last;
    }
    return last;
}

} // namespace core
