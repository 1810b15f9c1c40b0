#include "core/sample_project.h"

#include "core/dataset_ops.h"
#include "core/project_store.h"
#include "core/random.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <filesystem>

namespace fs = std::filesystem;

namespace core {

namespace {

const char *const kClasses[] = {"circle", "square", "triangle"};

} // namespace

Result<std::string> createSampleProject(const std::string &dir, int count)
{
    const std::string imagesDir = dir + "/images";
    std::error_code ec;
    fs::create_directories(imagesDir, ec);
    if (ec) return makeError(ErrorCode::Io, dir, {}, "cannot create folder: " + ec.message());
    const std::string projectPath = dir + "/sample.atproj";
    auto store = ProjectStore::create(projectPath);
    if (!store) return store.error();

    constexpr int kSize = 128;
    SplitMix64 rng{20261122};
    Dataset ds;
    for (const char *c : kClasses)
        ds.ensureClass(c);
    for (int i = 0; i < count; ++i) {
        cv::Mat img(kSize, kSize, CV_8UC3);
        const cv::Scalar bg(rng.uniform(20, 90), rng.uniform(20, 90), rng.uniform(20, 90));
        img.setTo(bg);
        for (int y = 0; y < kSize; y += 4) // faint texture so the images are not flat
            cv::line(img, {0, y}, {kSize, y}, bg + cv::Scalar(8, 8, 8), 1);
        ImageEntry im;
        char name[32];
        std::snprintf(name, sizeof name, "shape_%03d.png", i);
        im.path = name;
        im.width = im.height = kSize;
        const int shapes = i % 4 == 3 ? 2 : 1;
        double largest = -1;
        for (int s = 0; s < shapes; ++s) {
            const int cls = static_cast<int>((static_cast<std::uint64_t>(i) * 7 + static_cast<std::uint64_t>(s) * 5 + rng.next() % 2) % 3);
            const double r = s == 0 ? rng.uniform(22, 34) : rng.uniform(10, 16);
            const double cx = s == 0 ? rng.uniform(r + 4, kSize - r - 4) : (rng.next() % 2 ? r + 3 : kSize - r - 3);
            const double cy = s == 0 ? rng.uniform(r + 4, kSize - r - 4) : (rng.next() % 2 ? r + 3 : kSize - r - 3);
            const cv::Scalar color(rng.uniform(120, 255), rng.uniform(120, 255), rng.uniform(120, 255));
            RegionData region;
            region.className = kClasses[cls];
            std::vector<Point> pts;
            if (cls == 0) {
                for (int k = 0; k < 24; ++k)
                    pts.push_back({cx + r * std::cos(2 * M_PI * k / 24), cy + r * std::sin(2 * M_PI * k / 24)});
                region.shape = *Shape::polygon(pts);
            } else if (cls == 1) {
                region.shape = *Shape::rect(cx - r, cy - r, 2 * r, 2 * r);
                pts = region.shape.vertices();
            } else {
                const double a0 = rng.uniform(0, 2 * M_PI / 3);
                for (int k = 0; k < 3; ++k)
                    pts.push_back({cx + r * std::cos(a0 + 2 * M_PI * k / 3), cy + r * std::sin(a0 + 2 * M_PI * k / 3)});
                region.shape = *Shape::polygon(pts);
            }
            std::vector<cv::Point> cvPts;
            for (const Point &p : pts) // pixel corners to OpenCV's pixel centres, with 4 bits of subpixel precision
                cvPts.emplace_back(static_cast<int>(std::lround((p.x - 0.5) * 16)), static_cast<int>(std::lround((p.y - 0.5) * 16)));
            cv::fillPoly(img, std::vector<std::vector<cv::Point>>{cvPts}, color, cv::LINE_AA, 4);
            region.attributes = {{"class", region.className}};
            if (region.shape.area() > largest) {
                largest = region.shape.area();
                im.imageClass = region.className;
            }
            im.regions.push_back(std::move(region));
        }
        if (!cv::imwrite(imagesDir + "/" + im.path, img)) return makeError(ErrorCode::Io, imagesDir + "/" + im.path, {}, "cannot write image");
        ds.images.push_back(std::move(im));
    }
    std::vector<std::string> strata;
    for (const auto &im : ds.images)
        strata.push_back(im.imageClass);
    SplitOptions so;
    so.train = 0.7;
    so.val = 0.15;
    so.test = 0.15;
    so.seed = 7;
    so.stratify = true;
    const auto splits = computeSplits(strata, so);
    for (std::size_t i = 0; i < ds.images.size(); ++i)
        ds.images[i].split = splits[i];
    AttributeDef def;
    def.name = "class";
    def.type = "dropdown";
    def.options = {{"circle", "circle"}, {"square", "square"}, {"triangle", "triangle"}};
    ds.attributes.push_back(def);
    ImportOptions io;
    io.imageRoot = imagesDir;
    auto rep = store->importDataset(ds, io);
    if (!rep) return rep.error();
    return projectPath;
}

} // namespace core
