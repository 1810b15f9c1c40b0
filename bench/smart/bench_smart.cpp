// "Smart region" on the droplets: every ground-truth polygon's bounding box is given
// to core::segmentInBox as the box a user would drag, and the polygon it returns is
// compared with the ground truth by IoU (both rasterised with core/rasterize.h, the
// project's pixel convention). Prints one JSON line per variant: plain grabCut
// (what the tool does without recovery) and the tool as shipped, with the mean,
// median and the share of outright failures (IoU < 0.5), the time per object, and
// how often each candidate won.
// Usage: bench_smart [DROPLETS_DIR] [--dump FILE] [--every N]   (default ../shared/data/droplets)
#include "core/format.h"
#include "core/rasterize.h"
#include "core/smart_segment.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <time.h>

namespace {

struct Object {
    std::string image;
    std::vector<core::Point> truth;
};

// The box the user would drag around a ground-truth polygon: its bounds.
core::Box boundsOf(const std::vector<core::Point> &poly)
{
    double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
    for (const auto &p : poly) {
        x0 = std::min(x0, p.x);
        y0 = std::min(y0, p.y);
        x1 = std::max(x1, p.x);
        y1 = std::max(y1, p.y);
    }
    return {x0, y0, x1 - x0, y1 - y0};
}

double iou(const std::vector<core::Point> &a, const std::vector<core::Point> &b, int w, int h)
{
    // Rasterise both inside the union of their boxes.
    const core::Box ba = boundsOf(a), bb = boundsOf(b);
    const double x0 = std::min(ba.x, bb.x), y0 = std::min(ba.y, bb.y), x1 = std::max(ba.right(), bb.right()), y1 = std::max(ba.bottom(), bb.bottom());
    const int ox = std::max(0, static_cast<int>(x0) - 1), oy = std::max(0, static_cast<int>(y0) - 1);
    const int bw = std::min(w, static_cast<int>(x1) + 2) - ox, bh = std::min(h, static_cast<int>(y1) + 2) - oy;
    if (bw <= 0 || bh <= 0) return 0;
    auto shifted = [&](const std::vector<core::Point> &poly) {
        std::vector<core::Point> out;
        for (const auto &p : poly) out.push_back({p.x - ox, p.y - oy});
        return out;
    };
    std::vector<std::uint8_t> ma(static_cast<std::size_t>(bw) * bh), mb(ma.size());
    core::fillPolygon(ma.data(), bw, bh, shifted(a), 1);
    core::fillPolygon(mb.data(), bw, bh, shifted(b), 1);
    std::size_t inter = 0, uni = 0;
    for (std::size_t i = 0; i < ma.size(); ++i) {
        inter += ma[i] & mb[i];
        uni += ma[i] | mb[i];
    }
    return uni ? static_cast<double>(inter) / static_cast<double>(uni) : 0;
}

// CPU time of this thread: on a shared machine the wall clock also counts the other programs' turns.
double threadCpuMs()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

double area(const std::vector<core::Point> &p) { return std::abs(core::polygonSignedArea(p)); }

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

} // namespace

int main(int argc, char **argv)
{
    std::string dir = "../shared/data/droplets", dump;
    int every = 1; // --every N: one object in N, for a quick look
    int show = -1; // --show K OUT.png: draws object K (after --every) with the truth (green) and the tool's outline (red), 4x
    std::string showFile;
    core::SmartOptions tuned; // --max-side N, --iterations N: to explore speed against quality
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump = argv[++i];
        else if (std::strcmp(argv[i], "--every") == 0 && i + 1 < argc) every = std::max(1, std::atoi(argv[++i]));
        else if (std::strcmp(argv[i], "--max-side") == 0 && i + 1 < argc) tuned.maxSide = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) tuned.iterations = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--show") == 0 && i + 2 < argc) {
            show = std::atoi(argv[++i]);
            showFile = argv[++i];
        }
        else dir = argv[i];
    }
    const core::Format *via = core::FormatRegistry::instance().find("via");
    std::vector<Object> objects;
    int n = 0;
    for (const char *split : {"train", "val"}) {
        const std::string folder = dir + "/" + split;
        auto data = via->read(folder + "/via_region_data.json", {});
        if (!data) {
            std::fprintf(stderr, "error: %s\n", data.error().toString().c_str());
            return 2;
        }
        for (const auto &im : data->images)
            for (const auto &r : im.regions)
                if (r.shape.type() == core::ShapeType::Polygon && n++ % every == 0) objects.push_back({folder + "/" + im.path, r.shape.vertices()});
    }
    std::fprintf(stderr, "%zu objects\n", objects.size());
    if (show >= 0 && show < static_cast<int>(objects.size())) {
        const Object &o = objects[static_cast<std::size_t>(show)];
        cv::Mat bgr = cv::imread(o.image, cv::IMREAD_COLOR), rgb;
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        core::PixelView view{rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), core::PixelView::Layout::Rgb};
        const core::Box box = boundsOf(o.truth);
        const double x0 = box.x, y0 = box.y, x1 = box.right(), y1 = box.bottom();
        auto r = core::segmentInBox(view, {x0, y0, x1 - x0, y1 - y0}, tuned);
        const cv::Rect crop = cv::Rect(static_cast<int>(x0) - 10, static_cast<int>(y0) - 10, static_cast<int>(x1 - x0) + 20, static_cast<int>(y1 - y0) + 20) &
                              cv::Rect(0, 0, bgr.cols, bgr.rows);
        cv::Mat big;
        cv::resize(bgr(crop), big, cv::Size(), 4, 4, cv::INTER_NEAREST);
        auto draw = [&](const std::vector<core::Point> &poly, cv::Scalar colour) {
            std::vector<cv::Point> pts;
            for (const auto &p : poly) pts.emplace_back(static_cast<int>((p.x - crop.x) * 4), static_cast<int>((p.y - crop.y) * 4));
            cv::polylines(big, std::vector<std::vector<cv::Point>>{pts}, true, colour, 1);
        };
        draw(o.truth, {0, 200, 0});
        if (r) draw(r->polygon, {0, 0, 255});
        cv::imwrite(showFile, big);
        std::printf("object %d: %s, iou %.4f\n", show, r ? r->method.c_str() : r.error().message.c_str(), r ? iou(r->polygon, o.truth, bgr.cols, bgr.rows) : 0.0);
        return 0;
    }
    std::FILE *out = dump.empty() ? nullptr : std::fopen(dump.c_str(), "w");
    for (const bool recover : {false, true}) {
        if (!recover && std::getenv("BENCH_SMART_ONLY_TOOL")) continue;
        std::vector<double> ious, ms, cpu;
        std::map<std::string, int> methods;
        int failures = 0, recovered = 0;
        std::string loaded;
        cv::Mat rgb;
        for (const Object &o : objects) {
            if (o.image != loaded) {
                cv::Mat bgr = cv::imread(o.image, cv::IMREAD_COLOR);
                cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
                loaded = o.image;
            }
            core::PixelView view{rgb.data, rgb.cols, rgb.rows, static_cast<int>(rgb.step), core::PixelView::Layout::Rgb};
            const core::Box box = boundsOf(o.truth);
            const double x0 = box.x, y0 = box.y, x1 = box.right(), y1 = box.bottom();
            core::SmartOptions options = tuned;
            options.recover = recover;
            const auto t0 = std::chrono::steady_clock::now();
            const double c0 = threadCpuMs();
            auto r = core::segmentInBox(view, {x0, y0, x1 - x0, y1 - y0}, options);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            cpu.push_back(threadCpuMs() - c0);
            const double v = r ? iou(r->polygon, o.truth, rgb.cols, rgb.rows) : 0;
            ious.push_back(v);
            failures += v < 0.5;
            if (r) {
                ++methods[r->method];
                recovered += r->recovered;
            }
            if (out) {
                std::fprintf(out, "%d %s %.0f %.0f %.0f %.0f %.4f %s %.3f %.0f %.0f", recover, o.image.c_str(), x0, y0, x1 - x0, y1 - y0, v, r ? r->method.c_str() : "error",
                             r ? r->plausibility : 0.0, area(o.truth), r ? area(r->polygon) : 0.0);
                if (r)
                    for (const auto &a : r->alternatives) std::fprintf(out, " %s:%.3f:%.4f", a.method.c_str(), a.plausibility, iou(a.polygon, o.truth, rgb.cols, rgb.rows));
                std::fprintf(out, "\n");
            }
        }
        double sum = 0;
        for (double v : ious) sum += v;
        double msSum = 0, cpuSum = 0;
        for (double v : ms) msSum += v;
        for (double v : cpu) cpuSum += v;
        std::printf("{\"variant\": \"%s\", \"objects\": %zu, \"mean_iou\": %.4f, \"median_iou\": %.4f, \"p10_iou\": %.4f, \"failures_below_0.5\": %d, "
                    "\"recovered\": %d, \"ms_mean\": %.1f, \"ms_p95\": %.1f, \"cpu_ms_mean\": %.1f, \"cpu_ms_p95\": %.1f, \"methods\": {",
                    recover ? "smart region (with recovery)" : "plain grabCut", ious.size(), sum / ious.size(), percentile(ious, 0.5), percentile(ious, 0.1), failures,
                    recovered, msSum / ms.size(), percentile(ms, 0.95), cpuSum / cpu.size(), percentile(cpu, 0.95));
        bool first = true;
        for (const auto &[m, n] : methods) {
            std::printf("%s\"%s\": %d", first ? "" : ", ", m.c_str(), n);
            first = false;
        }
        std::printf("}}\n");
        std::fflush(stdout);
    }
    if (out) std::fclose(out);
    return 0;
}
