// COCO evaluation benchmark (issue 10, section 5). Generates once, seeded, an instances
// file of 5,000 images (640×480) with 50,000 polygon annotations in 20 categories (1 %
// crowd; small, medium and large) and a results file of 100,000 detections with RLE masks,
// then for bbox and segm alternates, round by round, our evaluation (read both files,
// evaluate) and pycocotools' (COCO(), loadRes, evaluate, accumulate, summarize; built
// from ../shared/peers/cocoapi by scripts/build_pycocotools.py) on the same files, and
// prints the medians, the ratio and the largest difference of the 12 numbers. Times are
// wall seconds and CPU seconds (both sides run on one thread; on a shared machine the CPU
// times are the steadier measure).
// Usage: bench_coco_eval WORKDIR [--rounds N] [--ours-only]   (--ours-only: for profiling)
#include "core/coco_eval.h"
#include "core/coco_json.h"
#include "core/coco_rle.h"
#include "core/fileio.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <random>
#include <sys/resource.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using namespace core;

namespace {

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
double cpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }
double childCpuSeconds()
{
    struct rusage ru {};
    getrusage(RUSAGE_CHILDREN, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::vector<double> star(std::mt19937_64 &rng, double cx, double cy, double r, double w, double h)
{
    std::uniform_real_distribution<double> u(0, 1);
    const int n = 8 + static_cast<int>(u(rng) * 16);
    std::vector<double> angles(static_cast<std::size_t>(n));
    for (double &a : angles)
        a = u(rng) * 2 * M_PI;
    std::sort(angles.begin(), angles.end());
    std::vector<double> xy;
    for (double a : angles) {
        const double rr = r * (0.6 + 0.4 * u(rng));
        xy.push_back(std::round(std::clamp(cx + rr * std::cos(a), 0.0, w) * 100) / 100);
        xy.push_back(std::round(std::clamp(cy + rr * std::sin(a), 0.0, h) * 100) / 100);
    }
    return xy;
}

void generate(const std::string &gtPath, const std::string &dtPath)
{
    const int images = 5000, perImage = 10, categories = 20, W = 640, H = 480;
    std::mt19937_64 rng(2026);
    std::uniform_real_distribution<double> u(0, 1);
    json imgs = json::array(), cats = json::array(), anns = json::array();
    std::vector<CocoDetection> dts;
    for (int c = 1; c <= categories; ++c)
        cats.push_back({{"id", c}, {"name", "class" + std::to_string(c)}, {"supercategory", "thing"}});
    std::int64_t annId = 1;
    auto jitter = [&](std::vector<double> xy, double amount) {
        for (double &v : xy)
            v += (u(rng) * 2 - 1) * amount;
        return xy;
    };
    for (int i = 1; i <= images; ++i) {
        imgs.push_back({{"id", i}, {"file_name", "img" + std::to_string(i) + ".jpg"}, {"width", W}, {"height", H}});
        std::vector<std::pair<int, std::vector<double>>> objects;
        for (int k = 0; k < perImage; ++k) {
            const double kind = u(rng);
            const double r = kind < 0.35 ? 4 + 12 * u(rng) : kind < 0.75 ? 18 + 32 * u(rng) : 55 + 95 * u(rng);
            std::vector<double> xy = star(rng, u(rng) * W, u(rng) * H, r, W, H);
            const int cat = 1 + static_cast<int>(u(rng) * categories);
            const Rle mask = rleFromPolygon(xy, H, W);
            const Box b = boundingBoxOf(xy);
            anns.push_back({{"id", annId++},
                            {"image_id", i},
                            {"category_id", cat},
                            {"segmentation", {xy}},
                            {"area", static_cast<double>(rleArea(mask))},
                            {"bbox", {b.x, b.y, b.w, b.h}},
                            {"iscrowd", u(rng) < 0.01 ? 1 : 0}});
            objects.emplace_back(cat, std::move(xy));
        }
        // 20 detections an image: a close one of each object (mostly the right class), a
        // looser duplicate of half of them, and five false positives.
        auto add = [&](int cat, const std::vector<double> &xy, double score) {
            CocoDetection d;
            d.imageId = i;
            d.categoryId = cat;
            d.box = boundingBoxOf(xy);
            d.score = score;
            d.mask = rleFromPolygon(xy, H, W);
            dts.push_back(std::move(d));
        };
        for (std::size_t k = 0; k < objects.size(); ++k) {
            const auto &o = objects[k];
            const double size = boundingBoxOf(o.second).w;
            add(u(rng) < 0.9 ? o.first : 1 + static_cast<int>(u(rng) * categories), jitter(o.second, 0.08 * size), 0.4 + 0.6 * u(rng));
            if (k % 2 == 0) add(o.first, jitter(o.second, 0.3 * size), 0.6 * u(rng));
        }
        for (int k = 0; k < 5; ++k)
            add(1 + static_cast<int>(u(rng) * categories), star(rng, u(rng) * W, u(rng) * H, 5 + 60 * u(rng), W, H), 0.5 * u(rng));
    }
    const json gt = {{"images", imgs}, {"categories", cats}, {"annotations", anns}};
    if (!writeFileAtomic(gtPath, gt.dump()).ok() || !writeCocoResults(dtPath, dts).ok()) {
        std::cerr << "cannot write the benchmark files\n";
        std::exit(1);
    }
}

} // namespace

int main(int argc, char **argv)
{
    const std::string dir = argc > 1 ? argv[1] : "/tmp/annotrain-bench-coco";
    int rounds = 3;
    bool oursOnly = false;
    for (int i = 2; i < argc; ++i) {
        if (std::string(argv[i]) == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[i + 1]));
        if (std::string(argv[i]) == "--ours-only") oursOnly = true;
    }
    fs::create_directories(dir);
    const std::string gtPath = dir + "/gt.json", dtPath = dir + "/dt.json";
    if (!fs::exists(gtPath) || !fs::exists(dtPath)) {
        const auto t = Clock::now();
        generate(gtPath, dtPath);
        std::printf("generated in %.1f s\n", secondsSince(t));
    }
    std::printf("ground truth %s (%.1f MB), detections %s (%.1f MB)\n", gtPath.c_str(), static_cast<double>(fs::file_size(gtPath)) / 1e6, dtPath.c_str(),
                static_cast<double>(fs::file_size(dtPath)) / 1e6);

    const std::string pyPathFile = dir + "/pycocotools-path.txt";
    const std::string build = "/usr/bin/python3 " ANNOTRAIN_SOURCE_DIR "/scripts/build_pycocotools.py " ANNOTRAIN_SHARED_DATA "/../peers/cocoapi " + dir
                              + "/pycocotools > " + pyPathFile;
    if (std::system(build.c_str()) != 0) {
        std::cerr << "building pycocotools failed\n";
        return 1;
    }
    std::string pyPath = *readFile(pyPathFile);
    pyPath.erase(pyPath.find_last_not_of("\n") + 1);

    for (CocoIouType type : {CocoIouType::Bbox, CocoIouType::Segm}) {
        std::vector<double> readGt, readDt, eval, total, pLoad, pEval, pTotal, cpuEval, cpuTotal, pCpuEval, pCpuTotal;
        double worst = 0;
        std::array<double, 12> ours{};
        for (int r = 0; r < rounds; ++r) {
            auto t = Clock::now();
            const double c0 = cpuSeconds();
            auto gt = readCocoGroundTruth(gtPath);
            readGt.push_back(secondsSince(t));
            auto t1 = Clock::now();
            auto dts = gt ? readCocoResults(dtPath, *gt) : Result<std::vector<CocoDetection>>(gt.error());
            readDt.push_back(secondsSince(t1));
            if (!dts) {
                std::cerr << dts.error().toString() << "\n";
                return 1;
            }
            auto t2 = Clock::now();
            const double c2 = cpuSeconds();
            auto s = evaluateCoco(*gt, *dts, type);
            eval.push_back(secondsSince(t2));
            total.push_back(secondsSince(t));
            cpuEval.push_back(cpuSeconds() - c2);
            cpuTotal.push_back(cpuSeconds() - c0);
            if (!s) {
                std::cerr << s.error().toString() << "\n";
                return 1;
            }
            ours = s->stats;
            if (oursOnly) {
                std::printf("  %s round %d: ours %.2f s (read GT %.2f, read results %.2f, evaluate %.2f)\n", cocoIouTypeName(type), r + 1, total.back(),
                            readGt.back(), readDt.back(), eval.back());
                continue;
            }

            const std::string out = dir + "/peer.json";
            const std::string cmd = "PYTHONPATH=" + pyPath + " MPLBACKEND=Agg /usr/bin/python3 " ANNOTRAIN_SOURCE_DIR "/bench/coco_eval/peer_cocoeval.py " + gtPath + " "
                                    + dtPath + " " + cocoIouTypeName(type) + " " + out + " 2>/dev/null";
            t = Clock::now();
            const double pc = childCpuSeconds();
            if (std::system(cmd.c_str()) != 0) {
                std::cerr << "pycocotools failed: " << cmd << "\n";
                return 1;
            }
            pTotal.push_back(secondsSince(t));
            pCpuTotal.push_back(childCpuSeconds() - pc);
            const json p = json::parse(*readFile(out));
            pLoad.push_back(p["load_gt"].get<double>() + p["load_res"].get<double>());
            pEval.push_back(p["evaluate"].get<double>() + p["accumulate"].get<double>() + p["summarize"].get<double>());
            pCpuEval.push_back(p["cpu_evaluate"].get<double>() + p["cpu_accumulate"].get<double>() + p["cpu_summarize"].get<double>());
            for (std::size_t i = 0; i < 12; ++i)
                worst = std::max(worst, std::abs(p["stats"][i].get<double>() - ours[i]));
            std::printf("  %s round %d: ours %.2f s (evaluate %.2f), pycocotools %.2f s (evaluate+accumulate+summarize %.2f)\n", cocoIouTypeName(type), r + 1,
                        total.back(), eval.back(), pTotal.back(), pEval.back());
            std::fflush(stdout);
        }
        if (oursOnly) continue;
        std::printf("%s, medians of %d rounds:\n", cocoIouTypeName(type), rounds);
        std::printf("  ours:        read GT %.2f s + read results %.2f s + evaluate %.2f s = %.2f s\n", median(readGt), median(readDt), median(eval), median(total));
        std::printf("  pycocotools: COCO() + loadRes %.2f s, evaluate + accumulate + summarize %.2f s, process %.2f s\n", median(pLoad), median(pEval),
                    median(pTotal));
        std::printf("  CPU seconds: ours evaluate %.2f, whole %.2f; pycocotools evaluate + accumulate + summarize %.2f, whole process %.2f\n",
                    median(cpuEval), median(cpuTotal), median(pCpuEval), median(pCpuTotal));
        std::printf("  ratio (wall): evaluation %.1fx, whole run %.1fx; (CPU): evaluation %.1fx, whole run %.1fx\n", median(pEval) / median(eval),
                    median(pTotal) / median(total), median(pCpuEval) / median(cpuEval), median(pCpuTotal) / median(cpuTotal));
        std::printf("  AP %.4f AP50 %.4f AR100 %.4f; largest difference of the 12 numbers to pycocotools %.2g\n", ours[0], ours[1], ours[8], worst);
    }
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("peak RSS of ours %.0f MB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
    return 0;
}
