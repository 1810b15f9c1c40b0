#include "training/data.h"

#include "core/project_store.h"
#include "core/random.h"
#include "core/rasterize.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <sstream>
#include <thread>

using core::ErrorCode;
using core::makeError;

namespace training {

bool taskFromName(const std::string &name, Task *out)
{
    if (name == "classification") *out = Task::Classification;
    else if (name == "segmentation") *out = Task::Segmentation;
    else return false;
    return true;
}

core::Result<Snapshot> takeSnapshot(const std::string &project, Task task, int folds, int fold, std::uint64_t seed)
{
    auto store = core::ProjectStore::open(project);
    if (!store) return store.error();
    Snapshot snap;
    snap.task = task;
    const auto readImages = store->images();
    const auto readClasses = store->classes();
    if (!readImages) return readImages.error();
    if (!readClasses) return readClasses.error();
    const std::vector<core::ImageInfo> &images = *readImages;
    const std::vector<core::ClassRecord> &classes = *readClasses;
    std::vector<std::pair<core::Split, Item>> items;
    std::map<core::Id, bool> used;
    if (task == Task::Classification) {
        for (const auto &im : images)
            if (im.classId) used[im.classId] = true;
        std::map<core::Id, std::int64_t> index;
        for (const auto &c : classes)
            if (used.count(c.id)) {
                index[c.id] = static_cast<std::int64_t>(snap.classes.size());
                snap.classes.push_back(c.name);
            }
        for (const auto &im : images)
            if (im.classId) items.push_back({im.split, Item{im.absPath, index[im.classId], {}}});
        if (snap.classes.size() < 2)
            return makeError(ErrorCode::Invalid, project, {}, "classification needs images of at least two classes (an image class per image)");
    } else {
        std::vector<std::pair<core::Split, std::pair<std::string, std::vector<core::Region>>>> withRegions;
        for (const auto &im : images) {
            if (im.regionCount == 0) continue;
            std::vector<core::Region> regions;
            auto stored = store->regions(im.id);
            if (!stored) return stored.error();
            for (auto &r : *stored)
                if (r.classId && r.shape.isClosed()) {
                    used[r.classId] = true;
                    regions.push_back(std::move(r));
                }
            if (!regions.empty()) withRegions.push_back({im.split, {im.absPath, std::move(regions)}});
        }
        std::map<core::Id, std::uint8_t> value;
        for (const auto &c : classes)
            if (used.count(c.id)) {
                if (snap.classes.size() >= 254) return makeError(ErrorCode::Unsupported, project, {}, "segmentation supports at most 254 classes");
                snap.classes.push_back(c.name);
                value[c.id] = static_cast<std::uint8_t>(snap.classes.size());
            }
        for (auto &[split, entry] : withRegions) {
            Item item{entry.first, -1, {}};
            for (const auto &r : entry.second)
                item.polygons.emplace_back(r.shape.toPolygon(), value[r.classId]);
            items.push_back({split, std::move(item)});
        }
        if (snap.classes.empty())
            return makeError(ErrorCode::Invalid, project, {}, "segmentation needs regions with a class (polygons, rectangles, circles or ellipses)");
    }
    if (folds > 0) {
        if (folds < 2 || fold < 0 || fold >= folds) return makeError(ErrorCode::Invalid, {}, {}, "k-fold needs k >= 2 and 0 <= fold < k");
        std::vector<Item> pool;
        for (auto &[split, item] : items) {
            if (split == core::Split::Test) snap.test.push_back(std::move(item));
            else if (split == core::Split::Train || split == core::Split::Val) pool.push_back(std::move(item));
        }
        std::sort(pool.begin(), pool.end(), [](const Item &a, const Item &b) { return a.path < b.path; });
        core::SplitMix64 rng{seed ^ 0x6b2f0e1dULL};
        for (std::size_t i = pool.size(); i > 1; --i) std::swap(pool[i - 1], pool[rng.next() % i]);
        if (pool.size() < static_cast<std::size_t>(folds))
            return makeError(ErrorCode::Invalid, project, {}, std::to_string(folds) + "-fold needs at least " + std::to_string(folds) + " train and val images");
        for (std::size_t i = 0; i < pool.size(); ++i)
            (static_cast<int>(i % static_cast<std::size_t>(folds)) == fold ? snap.val : snap.train).push_back(std::move(pool[i]));
        return snap;
    }
    for (auto &[split, item] : items) {
        if (split == core::Split::Train) snap.train.push_back(std::move(item));
        else if (split == core::Split::Val) snap.val.push_back(std::move(item));
        else if (split == core::Split::Test) snap.test.push_back(std::move(item));
    }
    return snap;
}

core::Result<Samples> decode(const std::vector<Item> &items, int size, int channels, bool segmentation)
{
    const std::size_t n = items.size();
    const std::size_t plane = static_cast<std::size_t>(size * size);
    std::vector<cv::Mat> mats(n);
    std::vector<std::string> errors(n);
    Samples s;
    s.size = size;
    s.segmentation = segmentation;
    if (segmentation) s.masks.assign(n * plane, 0);
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next++) < n;) {
            cv::Mat m = cv::imread(items[i].path, cv::IMREAD_UNCHANGED);
            if (m.empty()) {
                errors[i] = "cannot read image";
                continue;
            }
            if (segmentation) {
                const double sx = static_cast<double>(size) / m.cols, sy = static_cast<double>(size) / m.rows;
                for (const auto &[outline, value] : items[i].polygons) {
                    std::vector<core::Point> scaled(outline.size());
                    for (std::size_t k = 0; k < outline.size(); ++k) scaled[k] = {outline[k].x * sx, outline[k].y * sy};
                    core::fillPolygon(s.masks.data() + i * plane, size, size, scaled, value);
                }
            }
            if (m.depth() != CV_8U) m.convertTo(m, CV_8U, m.depth() == CV_16U ? 1.0 / 256 : 1.0);
            if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
            if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
            if (m.cols != size || m.rows != size) cv::resize(m, m, {size, size}, 0, 0, cv::INTER_AREA);
            mats[i] = m;
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(work);
    work();
    for (auto &t : pool) t.join();
    for (std::size_t i = 0; i < n; ++i)
        if (!errors[i].empty()) return makeError(ErrorCode::Io, items[i].path, {}, errors[i]);
    s.channels = channels;
    if (s.channels == 0) {
        s.channels = 1;
        for (const auto &m : mats)
            if (m.channels() == 3) s.channels = 3;
    }
    const std::size_t per = s.perImage();
    s.pixels.resize(n * per);
    for (std::size_t i = 0; i < n; ++i) {
        cv::Mat m = mats[i];
        if (m.channels() != s.channels) cv::cvtColor(m, m, s.channels == 3 ? cv::COLOR_GRAY2RGB : cv::COLOR_RGB2GRAY);
        std::uint8_t *dst = s.pixels.data() + i * per;
        for (int y = 0; y < size; ++y) { // HWC -> CHW
            const std::uint8_t *row = m.ptr<std::uint8_t>(y);
            for (int x = 0; x < size; ++x)
                for (int c = 0; c < s.channels; ++c) dst[(c * size + y) * size + x] = row[x * s.channels + c];
        }
        s.labels.push_back(items[i].label);
        s.paths.push_back(items[i].path);
    }
    return s;
}

std::string augmentNames()
{
    return "hflip, vflip, crop[:PAD], shift[:PX], rotate[:DEG], scale[:F], brightness, contrast, gamma, noise, impulse, blur, erase";
}

core::Result<Augment> parseAugment(const std::string &text)
{
    Augment a;
    if (text.empty() || text == "none") return a;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto colon = item.find(':');
        const std::string name = item.substr(0, colon);
        double arg = -1;
        if (colon != std::string::npos) {
            std::size_t used = 0;
            try {
                arg = std::stod(item.substr(colon + 1), &used);
            } catch (const std::exception &) {
                used = 0;
            }
            if (used == 0 || used != item.size() - colon - 1 || !(arg >= 0) || arg > 1e4)
                return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "' needs a number >= 0 after the colon");
        }
        const bool has = arg >= 0;
        auto pixels = [&](int fallback) -> core::Result<int> {
            if (has && arg != std::floor(arg)) return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "' needs whole pixels");
            return has ? static_cast<int>(arg) : fallback;
        };
        if (name == "hflip") a.hflip = true;
        else if (name == "vflip") a.vflip = true;
        else if (name == "brightness") a.brightness = true;
        else if (name == "contrast") a.contrast = true;
        else if (name == "gamma") a.gamma = true;
        else if (name == "noise") a.noise = true;
        else if (name == "impulse") a.impulse = true;
        else if (name == "blur") a.blur = true;
        else if (name == "erase") a.erase = true;
        else if (name == "crop" || name == "shift") {
            auto px = pixels(name == "crop" ? 4 : 2);
            if (!px) return px.error();
            (name == "crop" ? a.crop : a.shift) = *px;
        } else if (name == "rotate") a.rotate = has ? arg : 15;
        else if (name == "scale") {
            a.scale = has ? arg : 0.1;
            if (a.scale >= 1) return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "': the scale range F must be below 1 (0.1: 90 % to 110 %)");
        } else {
            return makeError(ErrorCode::Invalid, {}, {}, "--augment: unknown augmentation '" + name + "' (this build has " + augmentNames() + ")");
        }
    }
    return a;
}

namespace {

// 3x3 binomial blur of one S x S plane, edges replicated.
void blurPlane(float *p, int S, std::vector<float> &tmp)
{
    tmp.assign(static_cast<std::size_t>(S * S), 0.f);
    auto at = [S](int v) { return std::clamp(v, 0, S - 1); };
    for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x)
            tmp[static_cast<std::size_t>(y * S + x)] = 0.25f * p[y * S + at(x - 1)] + 0.5f * p[y * S + x] + 0.25f * p[y * S + at(x + 1)];
    for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x)
            p[y * S + x] = 0.25f * tmp[static_cast<std::size_t>(at(y - 1) * S + x)] + 0.5f * tmp[static_cast<std::size_t>(y * S + x)] +
                           0.25f * tmp[static_cast<std::size_t>(at(y + 1) * S + x)];
}

} // namespace

std::pair<torch::Tensor, torch::Tensor> makeBatch(const Samples &s, const std::vector<std::size_t> &idx, const Augment &aug, std::uint64_t seed)
{
    const int C = s.channels, S = s.size;
    const long N = static_cast<long>(idx.size());
    const std::size_t per = s.perImage(), plane = static_cast<std::size_t>(S * S);
    torch::Tensor x = torch::empty({N, C, S, S});
    torch::Tensor y = s.segmentation ? torch::empty({N, S, S}, torch::kLong) : torch::empty({N}, torch::kLong);
    float *out = x.data_ptr<float>();
    std::int64_t *targets = y.data_ptr<std::int64_t>();
    core::SplitMix64 rng{seed};
    std::vector<float> tmp;
    for (std::size_t b = 0; b < idx.size(); ++b) {
        const std::uint8_t *src = s.image(idx[b]);
        const std::uint8_t *srcMask = s.segmentation ? s.mask(idx[b]) : nullptr;
        float *dst = out + b * per;
        std::int64_t *dstMask = s.segmentation ? targets + b * plane : nullptr;
        if (!s.segmentation) targets[b] = s.labels[idx[b]];

        // Geometry: flips, a shift of -PAD..PAD (crop:PAD pads by PAD and crops back), rotation and scale about the centre.
        const bool fx = aug.hflip && rng.below(2), fy = aug.vflip && rng.below(2);
        const int pad = std::max(aug.crop, aug.shift);
        const int dx = pad ? rng.below(2 * pad + 1) - pad : 0, dy = pad ? rng.below(2 * pad + 1) - pad : 0;
        const double angle = aug.rotate > 0 ? (2 * rng.uniform() - 1) * aug.rotate * M_PI / 180 : 0.0;
        const double zoom = aug.scale > 0 ? 1 + (2 * rng.uniform() - 1) * aug.scale : 1.0;
        if (angle == 0 && zoom == 1) {
            for (int yy = 0; yy < S; ++yy) {
                const int sy = (fy ? S - 1 - yy : yy) + dy;
                for (int xx = 0; xx < S; ++xx) {
                    const int sx = (fx ? S - 1 - xx : xx) + dx;
                    const bool inside = sx >= 0 && sx < S && sy >= 0 && sy < S;
                    for (int c = 0; c < C; ++c) dst[(c * S + yy) * S + xx] = inside ? src[(c * S + sy) * S + sx] / 255.f : 0.f;
                    if (dstMask) dstMask[yy * S + xx] = inside ? srcMask[sy * S + sx] : kIgnore;
                }
            }
        } else {
            // Inverse mapping from output to source pixel centres; bilinear for the image, nearest for the mask.
            const double ctr = (S - 1) / 2.0, ca = std::cos(angle) / zoom, sa = std::sin(angle) / zoom;
            for (int yy = 0; yy < S; ++yy)
                for (int xx = 0; xx < S; ++xx) {
                    const double u = xx - ctr - dx, v = yy - ctr - dy;
                    double sx = ca * u + sa * v + ctr, sy = -sa * u + ca * v + ctr;
                    if (fx) sx = S - 1 - sx;
                    if (fy) sy = S - 1 - sy;
                    const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
                    const float ax = static_cast<float>(sx - x0), ay = static_cast<float>(sy - y0);
                    for (int c = 0; c < C; ++c) {
                        auto px = [&](int X, int Y) { return X >= 0 && X < S && Y >= 0 && Y < S ? src[(c * S + Y) * S + X] / 255.f : 0.f; };
                        dst[(c * S + yy) * S + xx] = (1 - ay) * ((1 - ax) * px(x0, y0) + ax * px(x0 + 1, y0)) + ay * ((1 - ax) * px(x0, y0 + 1) + ax * px(x0 + 1, y0 + 1));
                    }
                    if (dstMask) {
                        const int nx = static_cast<int>(std::lround(sx)), ny = static_cast<int>(std::lround(sy));
                        dstMask[yy * S + xx] = nx >= 0 && nx < S && ny >= 0 && ny < S ? srcMask[ny * S + nx] : kIgnore;
                    }
                }
        }

        // Photometric changes touch the image only.
        const float gain = aug.contrast ? static_cast<float>(0.7 + 0.6 * rng.uniform()) : 1.f;
        const float bias = aug.brightness ? static_cast<float>(0.2 * rng.uniform() - 0.1) : 0.f;
        if (aug.contrast || aug.brightness)
            for (std::size_t k = 0; k < per; ++k) dst[k] = std::clamp((dst[k] - 0.5f) * gain + 0.5f + bias, 0.f, 1.f);
        if (aug.gamma) {
            const float g = static_cast<float>(std::exp((2 * rng.uniform() - 1) * std::log(1.5))); // 0.67 .. 1.5
            for (std::size_t k = 0; k < per; ++k) dst[k] = std::pow(dst[k], g);
        }
        if (aug.blur && rng.below(2))
            for (int c = 0; c < C; ++c) blurPlane(dst + static_cast<std::size_t>(c) * plane, S, tmp);
        if (aug.noise) {
            for (std::size_t k = 0; k < per; ++k) { // Gaussian noise, sigma 0.05 (Box-Muller)
                const double u1 = std::max(rng.uniform(), 1e-12), u2 = rng.uniform();
                dst[k] = std::clamp(dst[k] + static_cast<float>(0.05 * std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2)), 0.f, 1.f);
            }
        }
        if (aug.impulse) { // salt and pepper on 2 % of the pixels, all channels of a pixel alike
            for (std::size_t k = 0; k < plane; ++k) {
                const std::uint64_t r = rng.next() % 100;
                if (r >= 2) continue;
                for (int c = 0; c < C; ++c) dst[static_cast<std::size_t>(c) * plane + k] = r == 0 ? 0.f : 1.f;
            }
        }
        if (aug.erase && rng.below(2)) { // random erasing of a box up to a third of each side
            const int w = 1 + rng.below(std::max(1, S / 3)), h = 1 + rng.below(std::max(1, S / 3));
            const int x0 = rng.below(S - w + 1), y0 = rng.below(S - h + 1);
            for (int c = 0; c < C; ++c)
                for (int yy = y0; yy < y0 + h; ++yy)
                    for (int xx = x0; xx < x0 + w; ++xx) dst[(c * S + yy) * S + xx] = 0.f;
        }
    }
    return {x, y};
}

} // namespace training
