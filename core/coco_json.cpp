// Reading COCO instances and results files for evaluation, writing results files.
// Every value is checked before use so that a malformed file gives an Error naming the
// JSON path, never an exception or a wrong number.
#include "core/coco_json.h"

#include "core/fileio.h"
#include "core/json_parse.h"
#include "core/formats/via_common.h"
#include "core/project_store.h"
#include "core/transfer.h"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <unistd.h>

namespace core {

namespace fs = std::filesystem;

namespace {

using Json = nlohmann::json;

Error bad(const std::string &file, const std::string &where, const std::string &message)
{
    return makeError(ErrorCode::Invalid, file, where, message);
}

std::string at(const std::string &base, std::size_t i) { return base + "[" + std::to_string(i) + "]"; }

bool finiteNumber(const Json &v, double *out)
{
    if (!v.is_number()) return false;
    *out = v.get<double>();
    return std::isfinite(*out);
}

// An id: a whole number (numpy writes some as 3.0).
bool wholeNumber(const Json &v, std::int64_t *out)
{
    if (v.is_number_unsigned()) {
        if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
        *out = static_cast<std::int64_t>(v.get<std::uint64_t>());
        return true;
    }
    if (v.is_number_integer()) {
        *out = v.get<std::int64_t>();
        return true;
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9e15) return false;
        *out = static_cast<std::int64_t>(d);
        return true;
    }
    return false;
}

Result<std::int64_t> requireId(const Json &obj, const char *key, const std::string &file, const std::string &where)
{
    auto it = obj.find(key);
    if (it == obj.end()) return bad(file, where, std::string("has no ") + key);
    std::int64_t v = 0;
    if (!wholeNumber(*it, &v)) return bad(file, where + "." + key, "expected a whole number");
    return v;
}

// The "image_id" and "category_id" every annotation and result has.
Status readImageAndCategory(const Json &obj, const std::string &file, const std::string &where, std::int64_t *imageId, std::int64_t *categoryId)
{
    auto image = requireId(obj, "image_id", file, where);
    if (!image) return image.error();
    auto category = requireId(obj, "category_id", file, where);
    if (!category) return category.error();
    *imageId = *image;
    *categoryId = *category;
    return {};
}

Result<Box> readBox(const Json &v, const std::string &file, const std::string &where)
{
    Box b;
    if (!v.is_array() || v.size() != 4 || !finiteNumber(v[0], &b.x) || !finiteNumber(v[1], &b.y) || !finiteNumber(v[2], &b.w)
        || !finiteNumber(v[3], &b.h))
        return bad(file, where, "expected 4 numbers [x, y, width, height]");
    return b;
}

Result<Rle> readRle(const Json &seg, const std::string &file, const std::string &where)
{
    std::int64_t h = -1, w = -1;
    auto size = seg.find("size");
    if (size == seg.end() || !size->is_array() || size->size() != 2 || !wholeNumber((*size)[0], &h) || !wholeNumber((*size)[1], &w) || h < 0 || w < 0)
        return bad(file, where + ".size", "expected [height, width] (whole numbers)");
    if (static_cast<std::uint64_t>(h) * static_cast<std::uint64_t>(w) > 0xffffffffULL || h > 0xffffffffLL || w > 0xffffffffLL)
        return bad(file, where + ".size", "height × width must be below 2^32");
    Rle r;
    r.height = static_cast<std::uint32_t>(h);
    r.width = static_cast<std::uint32_t>(w);
    auto counts = seg.find("counts");
    if (counts == seg.end()) return bad(file, where, "RLE has no counts");
    if (counts->is_string()) {
        if (!rleCountsFromString(counts->get_ref<const std::string &>(), &r.counts))
            return bad(file, where + ".counts", "is not a valid compressed RLE string");
    } else if (counts->is_array()) {
        r.counts.reserve(counts->size());
        for (std::size_t i = 0; i < counts->size(); ++i) {
            std::int64_t c = 0;
            if (!wholeNumber((*counts)[i], &c) || c < 0 || c > 0xffffffffLL) return bad(file, at(where + ".counts", i), "expected a count (a whole number ≥ 0)");
            r.counts.push_back(static_cast<std::uint32_t>(c));
        }
    } else {
        return bad(file, where + ".counts", "expected a string or a list of counts");
    }
    if (!r.isValid()) {
        std::uint64_t sum = 0;
        for (auto c : r.counts)
            sum += c;
        return bad(file, where + ".counts", "runs add up to " + std::to_string(sum) + " pixels, the size " + std::to_string(h) + " × " + std::to_string(w) + " has "
                                                + std::to_string(h * w));
    }
    return r;
}

Status readPolygons(const Json &seg, const std::string &file, const std::string &where, std::vector<std::vector<double>> *out)
{
    for (std::size_t k = 0; k < seg.size(); ++k) {
        const Json &part = seg[k];
        const std::string w = at(where, k);
        if (!part.is_array() || part.empty() || part.size() % 2 != 0)
            return bad(file, w, "expected a polygon: an even number of coordinates x0, y0, x1, y1, …");
        std::vector<double> xy(part.size());
        for (std::size_t q = 0; q < part.size(); ++q)
            if (!finiteNumber(part[q], &xy[q])) return bad(file, at(w, q), "expected a finite number");
        out->push_back(std::move(xy));
    }
    return {};
}

bool readCrowd(const Json &a, bool *out)
{
    auto it = a.find("iscrowd");
    if (it == a.end() || it->is_null()) return true;
    if (it->is_boolean()) {
        *out = it->get<bool>();
        return true;
    }
    std::int64_t v = 0;
    if (!wholeNumber(*it, &v) || (v != 0 && v != 1)) return false;
    *out = v == 1;
    return true;
}

const Json *findList(const Json &j, const char *key) { auto it = j.find(key); return it == j.end() ? nullptr : &*it; }

Result<Json> parseFile(const std::string &path)
{
    auto text = readFile(path);
    if (!text) return text.error();
    auto parsed = parseJson<Json>(*text, path);
    if (!parsed) return parsed.error();
    return std::move(parsed.value());
}

} // namespace

namespace {

Result<CocoGroundTruth> groundTruthFromJson(const Json &j, const std::string &file)
{
    if (!j.is_object()) return bad(file, "$", "expected an object with images, categories and annotations (COCO instances format)");
    const Json *images = findList(j, "images"), *categories = findList(j, "categories"), *annotations = findList(j, "annotations");
    if (!images) return bad(file, "$", "has no images list; not a COCO instances file");
    if (!images->is_array()) return bad(file, "$.images", "expected a list");
    if (!categories) return bad(file, "$", "has no categories list; not a COCO instances file");
    if (!categories->is_array()) return bad(file, "$.categories", "expected a list");
    if (annotations && !annotations->is_array()) return bad(file, "$.annotations", "expected a list");

    CocoGroundTruth gt;
    std::unordered_map<std::int64_t, std::size_t> imageAt;
    for (std::size_t i = 0; i < images->size(); ++i) {
        const Json &im = (*images)[i];
        const std::string where = at("$.images", i);
        if (!im.is_object()) return bad(file, where, "expected an object");
        auto id = requireId(im, "id", file, where);
        if (!id) return id.error();
        CocoImage e;
        e.id = *id;
        for (const char *k : {"width", "height"}) {
            auto it = im.find(k);
            std::int64_t v = 0;
            if (it == im.end() || it->is_null()) continue;
            if (!wholeNumber(*it, &v) || v < 0 || v > 1000000) return bad(file, where + "." + k, "expected a whole number from 0 to 1000000");
            (k[0] == 'w' ? e.width : e.height) = static_cast<int>(v);
        }
        if (auto it = im.find("file_name"); it != im.end() && it->is_string()) e.fileName = it->get<std::string>();
        if (!imageAt.emplace(e.id, gt.images.size()).second) return bad(file, where + ".id", "image id " + std::to_string(e.id) + " appears twice");
        gt.images.push_back(std::move(e));
    }
    std::unordered_set<std::int64_t> categoryIds;
    for (std::size_t i = 0; i < categories->size(); ++i) {
        const Json &c = (*categories)[i];
        const std::string where = at("$.categories", i);
        if (!c.is_object()) return bad(file, where, "expected an object");
        auto id = requireId(c, "id", file, where);
        if (!id) return id.error();
        if (!categoryIds.insert(*id).second) return bad(file, where + ".id", "category id " + std::to_string(*id) + " appears twice");
        CocoCategory cat;
        cat.id = *id;
        if (auto it = c.find("name"); it != c.end() && it->is_string()) cat.name = it->get<std::string>();
        gt.categories.push_back(std::move(cat));
    }
    std::unordered_set<std::int64_t> annotationIds;
    const std::size_t n = annotations ? annotations->size() : 0;
    gt.annotations.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Json &a = (*annotations)[i];
        const std::string where = at("$.annotations", i);
        if (!a.is_object()) return bad(file, where, "expected an object");
        CocoAnnotation g;
        auto id = requireId(a, "id", file, where);
        if (!id) return id.error();
        g.id = *id;
        if (!annotationIds.insert(g.id).second) return bad(file, where + ".id", "annotation id " + std::to_string(g.id) + " appears twice");
        if (auto s = readImageAndCategory(a, file, where, &g.imageId, &g.categoryId); !s) return s.error();
        auto image = imageAt.find(g.imageId);
        if (image == imageAt.end()) return bad(file, where + ".image_id", "image " + std::to_string(g.imageId) + " is not listed in images");
        if (!categoryIds.count(g.categoryId)) return bad(file, where + ".category_id", "category " + std::to_string(g.categoryId) + " is not listed in categories");
        if (!readCrowd(a, &g.iscrowd)) return bad(file, where + ".iscrowd", "expected 0 or 1");

        auto seg = a.find("segmentation");
        if (seg != a.end() && seg->is_object()) {
            auto r = readRle(*seg, file, where + ".segmentation");
            if (!r) return r.error();
            g.rle = std::move(r.value());
        } else if (seg != a.end() && seg->is_array()) {
            if (auto s = readPolygons(*seg, file, where + ".segmentation", &g.polygons); !s) return s.error();
        } else if (seg != a.end() && !seg->is_null()) {
            return bad(file, where + ".segmentation", "expected a list of polygons or an RLE object");
        }
        // Fallbacks for a missing bbox or area come from the mask, when it can be made.
        const CocoImage &im = gt.images[image->second];
        std::optional<Rle> rasterised;
        auto maskOf = [&]() -> const Rle * {
            if (g.rle) return &*g.rle;
            if (!rasterised && !g.polygons.empty() && im.width > 0 && im.height > 0)
                rasterised = rleFromPolygons(g.polygons, static_cast<std::uint32_t>(im.height), static_cast<std::uint32_t>(im.width));
            return rasterised ? &*rasterised : nullptr;
        };
        if (auto bb = a.find("bbox"); bb != a.end() && !bb->is_null()) {
            auto b = readBox(*bb, file, where + ".bbox");
            if (!b) return b.error();
            g.box = *b;
        } else if (const Rle *m = maskOf()) {
            g.box = rleToBox(*m);
        } else {
            return bad(file, where, "has no bbox (and no segmentation to take it from)");
        }
        if (auto ar = a.find("area"); ar != a.end() && !ar->is_null()) {
            if (!finiteNumber(*ar, &g.area)) return bad(file, where + ".area", "expected a finite number");
        } else {
            const Rle *m = maskOf();
            g.area = m ? static_cast<double>(rleArea(*m)) : g.box.w * g.box.h;
        }
        gt.annotations.push_back(std::move(g));
    }
    return gt;
}

} // namespace

Result<CocoGroundTruth> cocoGroundTruthFromJson(const Json &j, const std::string &file)
{
    // Every value is checked before it is read; this catches what was missed, and memory.
    try {
        return groundTruthFromJson(j, file);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, file, {}, std::string("unexpected content: ") + e.what());
    }
}

Result<CocoGroundTruth> readCocoGroundTruth(const std::string &path)
{
    auto j = parseFile(path);
    if (!j) return j.error();
    return cocoGroundTruthFromJson(*j, path);
}

namespace {

Result<std::vector<CocoDetection>> resultsFromJson(const Json &j, const CocoGroundTruth &groundTruth, const std::string &file)
{
    if (!j.is_array()) return bad(file, "$", "expected a list of results (COCO results format)");
    std::unordered_map<std::int64_t, const CocoImage *> images;
    for (const CocoImage &im : groundTruth.images)
        images[im.id] = &im;
    // loadRes: a first result with a non-empty bbox makes every area the box's.
    bool boxMode = false;
    if (!j.empty() && j[0].is_object()) {
        auto bb = j[0].find("bbox");
        boxMode = bb != j[0].end() && !(bb->is_array() && bb->empty());
    }
    std::vector<CocoDetection> out;
    out.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
        const Json &r = j[i];
        const std::string where = at("$", i);
        if (!r.is_object()) return bad(file, where, "expected an object");
        CocoDetection d;
        if (auto s = readImageAndCategory(r, file, where, &d.imageId, &d.categoryId); !s) return s.error();
        auto image = images.find(d.imageId);
        if (image == images.end()) return bad(file, where + ".image_id", "image " + std::to_string(d.imageId) + " is not in the ground truth");
        auto score = r.find("score");
        if (score == r.end()) return bad(file, where, "has no score");
        if (!finiteNumber(*score, &d.score)) return bad(file, where + ".score", "expected a finite number");

        auto bb = r.find("bbox");
        const bool hasBox = bb != r.end() && !(bb->is_array() && bb->empty()) && !bb->is_null();
        if (boxMode && !hasBox) return bad(file, where, "has no bbox (the first result has one, so every result needs one)");
        if (hasBox) {
            auto b = readBox(*bb, file, where + ".bbox");
            if (!b) return b.error();
            d.box = *b;
        }
        auto seg = r.find("segmentation");
        const bool hasSeg = seg != r.end() && !seg->is_null();
        if (!boxMode && !hasSeg) return bad(file, where, "has neither a bbox nor a segmentation");
        if (hasSeg) {
            const std::string sw = where + ".segmentation";
            if (seg->is_object()) {
                auto m = readRle(*seg, file, sw);
                if (!m) return m.error();
                d.mask = std::move(m.value());
            } else if (seg->is_array() && !seg->empty()) {
                std::vector<std::vector<double>> polygons;
                if (auto s = readPolygons(*seg, file, sw, &polygons); !s) return s.error();
                const CocoImage &im = *image->second;
                if (im.width <= 0 || im.height <= 0)
                    return bad(file, sw, "image " + std::to_string(im.id) + " has no width and height in the ground truth, so the polygon cannot be rasterised");
                d.mask = rleFromPolygons(polygons, static_cast<std::uint32_t>(im.height), static_cast<std::uint32_t>(im.width));
            } else if (!boxMode) {
                return bad(file, sw, "expected an RLE object or a list of polygons");
            }
        }
        if (!boxMode) {
            if (!d.mask) return bad(file, where + ".segmentation", "expected an RLE object or a list of polygons");
            d.area = static_cast<double>(rleArea(*d.mask));
            if (!hasBox) d.box = rleToBox(*d.mask);
        }
        out.push_back(std::move(d));
    }
    return out;
}

} // namespace

Result<std::vector<CocoDetection>> cocoResultsFromJson(const Json &j, const CocoGroundTruth &groundTruth, const std::string &file)
{
    try {
        return resultsFromJson(j, groundTruth, file);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, file, {}, std::string("unexpected content: ") + e.what());
    }
}

Result<std::vector<CocoDetection>> readCocoResults(const std::string &path, const CocoGroundTruth &groundTruth)
{
    auto j = parseFile(path);
    if (!j) return j.error();
    return cocoResultsFromJson(*j, groundTruth, path);
}

std::string cocoResultsJson(const std::vector<CocoDetection> &detections)
{
    Json out = Json::array();
    for (const CocoDetection &d : detections) {
        Json o = {{"image_id", d.imageId}, {"category_id", d.categoryId}, {"bbox", {d.box.x, d.box.y, d.box.w, d.box.h}}, {"score", d.score}};
        if (d.mask) o["segmentation"] = {{"size", {d.mask->height, d.mask->width}}, {"counts", rleToString(*d.mask)}};
        out.push_back(std::move(o));
    }
    return out.dump();
}

Status writeCocoResults(const std::string &path, const std::vector<CocoDetection> &detections)
{
    return writeFileAtomic(path, cocoResultsJson(detections));
}

namespace {

// Ground truth through the "coco" codec itself, by way of a temporary file, so that ids,
// default classes and every other choice are the export's own, now and after it changes.
Result<CocoGroundTruth> viaExport(const std::function<Result<WriteReport>(const std::string &)> &exportTo)
{
    static std::atomic<unsigned> serial{0};
    std::error_code ec;
    const fs::path dir = fs::temp_directory_path(ec);
    if (ec) return makeError(ErrorCode::Io, {}, {}, "no folder for temporary files: " + ec.message());
    const std::string tmp = (dir / ("annotrain-coco-gt-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + ".json")).string();
    auto written = exportTo(tmp);
    if (!written) {
        fs::remove(tmp, ec);
        return written.error();
    }
    auto gt = readCocoGroundTruth(tmp);
    fs::remove(tmp, ec);
    return gt;
}

const Format *cocoFormat() { return FormatRegistry::instance().find("coco"); }

} // namespace

Result<CocoGroundTruth> cocoGroundTruthFromDataset(const Dataset &data, const WriteOptions &opts)
{
    const Format *coco = cocoFormat();
    if (!coco) return makeError(ErrorCode::Internal, {}, {}, "the coco format is not registered");
    return viaExport([&](const std::string &tmp) { return coco->write(data, tmp, opts); });
}

Result<CocoGroundTruth> cocoGroundTruthFromProject(const ProjectStore &store, std::optional<Split> split, const std::string &defaultClass)
{
    const Format *coco = cocoFormat();
    if (!coco) return makeError(ErrorCode::Internal, {}, {}, "the coco format is not registered");
    return viaExport([&](const std::string &tmp) {
        ExportRequest r;
        r.out = tmp;
        r.split = split;
        r.defaultClass = defaultClass;
        return exportFrom(store, *coco, r);
    });
}

} // namespace core
