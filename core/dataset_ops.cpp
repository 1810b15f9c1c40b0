#include "core/dataset_ops.h"

#include "core/fileio.h"

#include "core/image_size.h"
#include "core/project_store.h"
#include "core/random.h"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace core {

namespace {

template <typename T>
void shuffle(std::vector<T> &v, SplitMix64 &rng)
{
    for (std::size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[rng.next() % i]);
}

// Splits `items` (already shuffled) by ratio into out.
void assign(const std::vector<std::size_t> &items, const SplitOptions &o, std::vector<Split> &out)
{
    const std::size_t n = items.size();
    const auto nVal = static_cast<std::size_t>(std::llround(o.val * static_cast<double>(n)));
    const auto nTest = std::min(n - std::min(n, nVal), static_cast<std::size_t>(std::llround(o.test * static_cast<double>(n))));
    for (std::size_t k = 0; k < n; ++k)
        out[items[k]] = k < nVal ? Split::Val : k < nVal + nTest ? Split::Test : Split::Train;
}

} // namespace

Status parseRatios(const std::string &text, SplitOptions *opts)
{
    std::vector<double> v;
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, ',')) {
        char *end = nullptr;
        const double d = std::strtod(part.c_str(), &end);
        if (part.empty() || !end || *end || !std::isfinite(d) || d < 0)
            return makeError(ErrorCode::Invalid, {}, {}, "--ratios: '" + part + "' is not a non-negative number");
        v.push_back(d);
    }
    if (v.size() != 3) return makeError(ErrorCode::Invalid, {}, {}, "--ratios needs three numbers train,val,test");
    if (std::fabs(v[0] + v[1] + v[2] - 1.0) > 1e-6) return makeError(ErrorCode::Invalid, {}, {}, "--ratios must sum to 1");
    opts->train = v[0];
    opts->val = v[1];
    opts->test = v[2];
    return {};
}

std::vector<Split> computeSplits(const std::vector<std::string> &strata, const SplitOptions &opts)
{
    SplitMix64 rng{opts.seed};
    std::vector<Split> out(strata.size(), Split::Train);
    std::map<std::string, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < strata.size(); ++i)
        groups[opts.stratify ? strata[i] : std::string()].push_back(i);
    for (auto &[key, items] : groups) {
        shuffle(items, rng);
        if (opts.kfold > 1) {
            // Fold of item k is k mod K after the shuffle: folds differ in size by at most one.
            for (std::size_t k = 0; k < items.size(); ++k)
                out[items[k]] = static_cast<int>(k % static_cast<std::size_t>(opts.kfold)) == opts.fold ? Split::Val : Split::Train;
        } else {
            assign(items, opts, out);
        }
    }
    return out;
}

Status splitProject(ProjectStore &store, const SplitOptions &opts)
{
    if (opts.kfold > 1 && (opts.fold < 0 || opts.fold >= opts.kfold))
        return makeError(ErrorCode::Invalid, store.path(), {}, "--fold must be in 0.." + std::to_string(opts.kfold - 1));
    const auto readImages = store.images();
    const auto classes = store.classes();
    if (!readImages) return readImages.error();
    if (!classes) return classes.error();
    const std::vector<ImageInfo> &images = *readImages;
    std::unordered_map<Id, std::string> className;
    for (const auto &c : *classes)
        className[c.id] = c.name;
    std::unordered_map<Id, std::map<Id, int>> regionClasses;
    if (opts.stratify) {
        const auto regions = store.allRegions();
        if (!regions) return regions.error();
        for (const auto &r : *regions)
            if (r.classId) ++regionClasses[r.imageId][r.classId];
    }
    std::vector<std::string> strata(images.size());
    for (std::size_t i = 0; i < images.size(); ++i) {
        Id cls = images[i].classId;
        if (!cls) {
            int best = 0;
            for (const auto &[c, n] : regionClasses[images[i].id])
                if (n > best) { best = n; cls = c; }
        }
        strata[i] = cls ? className[cls] : std::string();
    }
    const auto splits = computeSplits(strata, opts);
    std::vector<std::pair<Id, Split>> pairs;
    for (std::size_t i = 0; i < images.size(); ++i)
        if (opts.kfold <= 1 || images[i].split != Split::Test) pairs.emplace_back(images[i].id, splits[i]);
    return store.setSplits(pairs);
}

nlohmann::json datasetStats(const Dataset &ds)
{
    nlohmann::json classes = nlohmann::json::object(), shapes = nlohmann::json::object();
    for (const auto &c : ds.classes)
        classes[c.name] = 0;
    nlohmann::json splits = {{"train", 0}, {"val", 0}, {"test", 0}, {"unassigned", 0}};
    std::size_t regions = 0, annotated = 0;
    for (const auto &im : ds.images) {
        splits[splitName(im.split)] = splits[splitName(im.split)].get<int>() + 1;
        if (!im.regions.empty() || !im.imageClass.empty()) ++annotated;
        if (!im.imageClass.empty()) classes[im.imageClass] = classes.value(im.imageClass, 0) + 1;
        for (const auto &r : im.regions) {
            ++regions;
            if (!r.className.empty()) classes[r.className] = classes.value(r.className, 0) + 1;
            const char *s = shapeTypeName(r.shape.type());
            shapes[s] = shapes.value(s, 0) + 1;
        }
    }
    return {{"images", ds.images.size()}, {"annotated_images", annotated}, {"regions", regions},
            {"classes", classes}, {"shapes", shapes}, {"splits", splits}};
}

namespace {

// A file that is an image this program can use: within the pixel limit, complete, and
// decoding. 0 ok, 2 unreadable, 3 too large; the size on success.
int checkImageFile(const std::string &path, ImageSize *size, std::string *error)
{
    auto s = readImageSize(path);
    if (!s) {
        *error = s.error().message;
        return s.error().code == ErrorCode::TooLarge ? 3 : 2;
    }
    if (auto c = checkComplete(path); !c) {
        *error = c.error().message;
        return 2;
    }
    try {
        if (cv::imread(path, cv::IMREAD_UNCHANGED).empty()) {
            *error = "does not decode (damaged, or a format OpenCV cannot read)";
            return 2;
        }
    } catch (const cv::Exception &e) {
        *error = std::string("does not decode: ") + e.err;
        return 2;
    }
    *size = *s;
    return 0;
}

} // namespace

std::vector<Problem> validateDataset(const Dataset &ds, const std::vector<std::string> &imageRoots,
                                     const std::function<void(double)> &progress)
{
    std::vector<Problem> problems;
    const std::size_t n = ds.images.size();
    const bool checkFiles = imageRoots.size() == n;
    std::vector<ImageSize> sizes(n);
    std::vector<std::uint64_t> hashes(n);
    std::vector<int> fileState(n, 0); // 0 ok, 1 missing, 2 unreadable, 3 too large
    std::vector<std::string> fileError(n);
    if (checkFiles) {
        std::atomic<std::size_t> next{0}, done{0};
        std::mutex progressMutex;
        auto work = [&] {
            for (std::size_t i; (i = next++) < n;) {
                const std::string p = imageRoots[i] + "/" + ds.images[i].path;
                const auto hash = fileContentHash(p);
                if (hash) hashes[i] = *hash;
                if (!hash) fileState[i] = 1;
                else fileState[i] = checkImageFile(p, &sizes[i], &fileError[i]);
                const std::size_t finished = ++done;
                if (progress && (finished % 16 == 0 || finished == n)) {
                    std::lock_guard<std::mutex> lock(progressMutex);
                    progress(static_cast<double>(finished) / static_cast<double>(n));
                }
            }
        };
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t)
            pool.emplace_back(work);
        work();
        for (auto &t : pool)
            t.join();
    }
    std::unordered_map<std::uint64_t, std::size_t> firstWithHash;
    for (std::size_t i = 0; i < n; ++i) {
        const ImageEntry &im = ds.images[i];
        if (checkFiles) {
            if (fileState[i] == 1) {
                problems.push_back({"error", "missing_image", im.path, -1, "image file not found: " + imageRoots[i] + "/" + im.path});
            } else if (fileState[i] == 2) {
                problems.push_back({"error", "unreadable_image", im.path, -1, "image cannot be read: " + fileError[i]});
            } else if (fileState[i] == 3) {
                problems.push_back({"error", "image_too_large", im.path, -1, fileError[i]});
            } else {
                auto [it, fresh] = firstWithHash.emplace(hashes[i], i);
                if (!fresh) {
                    const ImageEntry &other = ds.images[it->second];
                    if (other.split != im.split && other.split != Split::Unassigned && im.split != Split::Unassigned) {
                        problems.push_back({"error", "split_leak", im.path, -1,
                                            "same picture as " + other.path + " but in split " + splitName(im.split) + " while that one is in "
                                                + splitName(other.split)});
                    } else {
                        problems.push_back({"warning", "duplicate_image", im.path, -1, "same picture as " + other.path});
                    }
                }
            }
        }
        const int w = sizes[i].width ? sizes[i].width : im.width, h = sizes[i].height ? sizes[i].height : im.height;
        for (std::size_t k = 0; k < im.regions.size(); ++k) {
            const RegionData &r = im.regions[k];
            const int idx = static_cast<int>(k);
            if (r.className.empty()) problems.push_back({"warning", "no_class", im.path, idx, "region has no class"});
            const ShapeType t = r.shape.type();
            if (t == ShapeType::Polygon) {
                const auto pts = r.shape.vertices();
                if (distinctPointCount(pts) < 3)
                    problems.push_back({"error", "degenerate_shape", im.path, idx, "polygon has fewer than 3 distinct points"});
                else if (r.shape.area() == 0)
                    problems.push_back({"error", "degenerate_shape", im.path, idx, "polygon has zero area"});
                else if (polygonSelfIntersects(pts))
                    problems.push_back({"warning", "self_intersection", im.path, idx, "polygon crosses itself"});
            } else if ((t == ShapeType::Rect || t == ShapeType::Circle || t == ShapeType::Ellipse) && r.shape.area() == 0) {
                problems.push_back({"error", "degenerate_shape", im.path, idx, std::string(shapeTypeName(t)) + " has zero area"});
            }
            if (w > 0 && h > 0) {
                const Box b = r.shape.boundingBox();
                if (b.x < -0.5 || b.y < -0.5 || b.right() > w + 0.5 || b.bottom() > h + 0.5) {
                    std::ostringstream m;
                    m << shapeTypeName(t) << " reaches outside the " << w << "x" << h << " image (box " << b.x << "," << b.y << " "
                      << b.w << "x" << b.h << ")";
                    problems.push_back({"warning", "outside_image", im.path, idx, m.str()});
                }
            }
        }
    }
    return problems;
}

nlohmann::json problemsToJson(const std::vector<Problem> &problems)
{
    nlohmann::json list = nlohmann::json::array();
    int errors = 0, warnings = 0;
    for (const auto &p : problems) {
        (p.severity == "error" ? errors : warnings)++;
        nlohmann::json j = {{"severity", p.severity}, {"kind", p.kind}, {"image", p.image}, {"message", p.message}};
        if (p.region >= 0) j["region"] = p.region;
        list.push_back(std::move(j));
    }
    return {{"errors", errors}, {"warnings", warnings}, {"problems", list}};
}

} // namespace core
