// COCO instances JSON ("coco"). One annotation may hold several polygons: each
// becomes a region, and the parts of one annotation share extra.coco.id so they
// are written back as one annotation. RLE segmentations (compressed or not) are
// decoded to a mask and traced to a polygon; the RLE itself is kept and written
// back while the shape is unchanged. Category ids are kept in Dataset.extra.
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/formats/via_common.h"
#include "core/image_size.h"
#include "core/json_object_builder.h"

#include <opencv2/imgproc.hpp>

#include <fstream>
#include <map>
#include <optional>

namespace core {

namespace {

using via::ojson;

Error invalid(const std::string &file, const std::string &where, const std::string &msg)
{
    return makeError(ErrorCode::Invalid, file, where, msg);
}

// COCO's compressed RLE string: LEB128-like 5-bit groups, offset by 48, deltas from the count two back.
bool decodeRleString(const std::string &s, std::vector<std::uint32_t> *counts)
{
    std::size_t p = 0;
    while (p < s.size()) {
        long long x = 0;
        int k = 0;
        bool more = true;
        while (more) {
            if (p >= s.size() || k > 60) return false;
            const long long c = static_cast<long long>(s[p]) - 48;
            if (c < 0 || c > 63) return false;
            x |= (c & 0x1f) << (5 * k);
            more = (c & 0x20) != 0;
            ++p;
            ++k;
            if (!more && (c & 0x10)) x |= static_cast<long long>(~0ULL << (5 * k));
        }
        if (counts->size() > 2) x += (*counts)[counts->size() - 2];
        if (x < 0 || x > 0xffffffffLL) return false;
        counts->push_back(static_cast<std::uint32_t>(x));
    }
    return true;
}

// Runs alternate 0s and 1s, column-major (Fortran order), starting with 0s.
Result<cv::Mat> rleToMask(const ojson &seg, const std::string &file, const std::string &where)
{
    if (!seg.contains("size") || !seg["size"].is_array() || seg["size"].size() != 2 || !seg["size"][0].is_number_integer()
        || !seg["size"][1].is_number_integer())
        return invalid(file, where + ".size", "RLE needs size [height, width]");
    const long long h = seg["size"][0].get<long long>(), w = seg["size"][1].get<long long>();
    if (h <= 0 || w <= 0 || h > 100000 || w > 100000 || h * w > 400000000LL)
        return invalid(file, where + ".size", "RLE size is out of range");
    std::vector<std::uint32_t> counts;
    const auto &c = seg.value("counts", ojson());
    if (c.is_string()) {
        if (!decodeRleString(c.get<std::string>(), &counts)) return invalid(file, where + ".counts", "is not a valid compressed RLE string");
    } else if (c.is_array()) {
        for (const auto &v : c) {
            if (!v.is_number_integer() || v.get<long long>() < 0) return invalid(file, where + ".counts", "holds a value that is not a count");
            counts.push_back(v.get<std::uint32_t>());
        }
    } else {
        return invalid(file, where + ".counts", "RLE counts must be a string or a list");
    }
    cv::Mat mask = cv::Mat::zeros(static_cast<int>(h), static_cast<int>(w), CV_8U);
    unsigned long long pos = 0;
    const unsigned long long total = static_cast<unsigned long long>(h * w);
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (pos + counts[i] > total) return invalid(file, where + ".counts", "runs add up to more than the image size");
        if (i % 2 == 1)
            for (unsigned long long q = pos; q < pos + counts[i]; ++q)
                mask.at<unsigned char>(static_cast<int>(q % h), static_cast<int>(q / h)) = 1;
        pos += counts[i];
    }
    return mask;
}

// Outer contours of a binary mask as polygons in pixel-corner coordinates.
std::vector<std::vector<Point>> maskToPolygons(const cv::Mat &mask)
{
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask.clone(), contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    std::vector<std::vector<Point>> out;
    for (const auto &c : contours) {
        if (c.size() < 3) continue;
        std::vector<Point> poly;
        for (const auto &p : c)
            poly.push_back({p.x + 0.5, p.y + 0.5}); // pixel centres
        out.push_back(std::move(poly));
    }
    return out;
}

ojson shapeToCocoPolygon(const Shape &s)
{
    ojson flat = ojson::array();
    for (const Point &p : s.toPolygon(32)) {
        flat.push_back(via::number(p.x));
        flat.push_back(via::number(p.y));
    }
    return flat;
}

ojson paramsJson(const Shape &s) { return s.params(); }

namespace od = json::od;

// One annotation as read from the file, checked once all its members are in (they come in any order).
struct AnnotationFields {
    ojson ids = ojson::object(); // image_id, category_id, iscrowd: small values checked as ordered_json
    ojson others = ojson::object();
    enum { None, Polygons, Rle } segmentation = None;
    std::vector<std::vector<double>> polygons;
    std::optional<Error> polygonError; // the first polygon that is not one
    ojson rle, bbox;
};

// segmentation as a list of polygons [[x0, y0, x1, y1, ...], ...], read straight into doubles.
Status readPolygons(od::value seg, json::JsonReader &in, JsonPath &path, AnnotationFields *a)
{
    auto g = path.index(0);
    std::size_t k = 0;
    for (auto element : seg.get_array()) {
        path.setIndex(k++);
        od::value p = element.value();
        std::vector<double> xy;
        std::size_t firstBad = SIZE_MAX;
        if (p.type() == od::json_type::array) {
            for (auto c : p.get_array()) {
                double d = 0;
                if (!json::numberLike(c.value(), &d) && firstBad == SIZE_MAX) firstBad = xy.size();
                xy.push_back(d);
            }
        }
        if (p.type() != od::json_type::array || xy.size() % 2 != 0 || xy.size() < 6) {
            a->polygonError = invalid(in.file(), path.str(), "polygon needs an even number (>= 6) of coordinates");
        } else if (firstBad != SIZE_MAX) {
            a->polygonError = invalid(in.file(), path.str(), "holds a value that is not a finite number");
        }
        if (a->polygonError) return {}; // the rest is left for simdjson to skip
        a->polygons.push_back(std::move(xy));
    }
    return {};
}

Status readAnnotationFields(od::value v, json::JsonReader &in, JsonPath &path, AnnotationFields *a)
{
    JsonObjectBuilder ids(a->ids), others(a->others);
    for (auto field : v.get_object()) {
        const std::string_view k = field.unescaped_key();
        od::value x = field.value();
        auto g = path.member(k);
        Status s;
        if (k == "image_id" || k == "category_id" || k == "iscrowd") {
            s = in.toOjson(x, &ids.slot(k), path);
        } else if (k == "segmentation") {
            a->segmentation = AnnotationFields::None;
            a->polygons.clear();
            a->polygonError.reset();
            const od::json_type t = x.type();
            if (t == od::json_type::array) {
                a->segmentation = AnnotationFields::Polygons;
                s = readPolygons(x, in, path, a);
                if (s && a->polygons.empty() && !a->polygonError) a->segmentation = AnnotationFields::None;
            } else if (t == od::json_type::object) {
                a->segmentation = AnnotationFields::Rle;
                s = in.toOjson(x, &a->rle, path);
            } else {
                s = in.check(x, path);
            }
        } else if (k == "bbox") {
            s = in.toOjson(x, &a->bbox, path);
        } else {
            s = in.toOjson(x, &others.slot(k), path);
        }
        if (!s) return s;
    }
    return {};
}

// The regions of one annotation: a region per polygon (sharing extra.coco, with extra.coco.part),
// the polygons traced from an RLE mask, or the bbox.
Status addAnnotation(AnnotationFields &a, bool isObject, const JsonPath &at, const std::string &path,
                     const std::map<long long, std::string> &categoryName, const std::map<long long, std::size_t> &imageIndex, Dataset &ds)
{
    auto where = [&] { return at.str(); };
    const ojson &ids = a.ids;
    if (!isObject || !ids.contains("image_id") || !ids["image_id"].is_number_integer())
        return invalid(path, where(), "annotation needs an integer image_id");
    auto im = imageIndex.find(ids["image_id"].get<long long>());
    if (im == imageIndex.end()) return invalid(path, where() + ".image_id", "names image " + ids["image_id"].dump() + " which is not listed");
    std::string cls;
    if (ids.contains("category_id")) {
        if (!ids["category_id"].is_number_integer()) return invalid(path, where() + ".category_id", "is not an integer");
        auto c = categoryName.find(ids["category_id"].get<long long>());
        if (c == categoryName.end()) return invalid(path, where() + ".category_id", "names category " + ids["category_id"].dump() + " which is not listed");
        cls = c->second;
    }
    RegionData base;
    base.className = cls;
    int crowd = 0;
    if (!via::readInt(ids, "iscrowd", 0, 1, &crowd)) return invalid(path, where() + ".iscrowd", "must be 0 or 1");
    base.iscrowd = crowd != 0;
    if (!a.others.empty()) base.extra["coco"] = std::move(a.others);
    std::vector<RegionData> parts;
    if (a.segmentation == AnnotationFields::Polygons) {
        if (a.polygonError) return *a.polygonError;
        for (std::size_t k = 0; k < a.polygons.size(); ++k) {
            const std::vector<double> &xy = a.polygons[k];
            std::vector<Point> pts(xy.size() / 2);
            for (std::size_t q = 0; q < pts.size(); ++q)
                pts[q] = {xy[2 * q], xy[2 * q + 1]};
            RegionData r = base;
            r.shape = *Shape::polygon(std::move(pts));
            if (a.polygons.size() > 1) r.extra["coco"]["part"] = k;
            parts.push_back(std::move(r));
        }
    } else if (a.segmentation == AnnotationFields::Rle) {
        const ojson &seg = a.rle;
        auto mask = rleToMask(seg, path, where() + ".segmentation");
        if (!mask) return mask.error();
        auto polys = maskToPolygons(*mask);
        for (std::size_t k = 0; k < polys.size(); ++k) {
            RegionData r = base;
            r.shape = *Shape::polygon(polys[k]);
            if (k == 0) {
                r.extra["coco"]["rle"] = seg;
                r.extra["coco"]["rle_shape"] = paramsJson(r.shape);
            }
            if (polys.size() > 1) r.extra["coco"]["part"] = k;
            parts.push_back(std::move(r));
        }
    }
    if (parts.empty()) { // bbox only
        const ojson &bb = a.bbox;
        double v[4];
        if (!bb.is_array() || bb.size() != 4) return invalid(path, where(), "has neither a segmentation nor a bbox [x, y, w, h]");
        for (int k = 0; k < 4; ++k)
            if (!via::toNumber(bb[k], &v[k])) return invalid(path, where() + ".bbox", "holds a value that is not a finite number");
        auto s = Shape::rect(v[0], v[1], v[2], v[3]);
        if (!s) return invalid(path, where() + ".bbox", s.error().message);
        RegionData r = base;
        r.shape = *s;
        r.extra["coco"]["bbox_only"] = true;
        parts.push_back(std::move(r));
    }
    for (auto &r : parts)
        ds.images[im->second].regions.push_back(std::move(r));
    return {};
}

// The element at position `at` of the root object, for the pass that reads it.
template <class F>
Status atMember(json::JsonReader &in, std::size_t at, F &&read)
{
    in.rewind();
    std::size_t n = 0;
    for (auto field : in.doc().get_object()) {
        if (n++ != at) continue;
        return read(field.value());
    }
    return {};
}

// Four passes over the indexed file: which lists there are (and info, licenses), the
// categories, the images, the annotations. Annotations refer to both by id and often
// come before the categories; simdjson re-walks the index without parsing anew, and each
// pass skips what it does not read. A repeated top-level key counts once, its last value.
Result<Dataset> readCoco(json::JsonReader &in, const ReadOptions &opts)
{
    const std::string &path = in.file();
    if (in.doc().type() != od::json_type::object) return invalid(path, "$", "is not an object");
    const char *const lists[] = {"images", "annotations", "categories"};
    enum { Images, Annotations, Categories };
    std::size_t at[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX};
    bool isList[3] = {false, false, false};
    std::optional<ojson> kept[2]; // info, licenses
    std::size_t n = 0;
    for (auto field : in.doc().get_object()) {
        const std::string_view k = field.unescaped_key();
        od::value v = field.value();
        JsonPath where;
        auto g = where.member(k);
        bool listed = false;
        for (int l = 0; l < 3; ++l) {
            if (k != lists[l]) continue;
            at[l] = n;
            isList[l] = v.type() == od::json_type::array;
            listed = true;
        }
        if (!listed) {
            const int keep = k == "info" ? 0 : k == "licenses" ? 1 : -1;
            if (keep >= 0) kept[keep].emplace();
            if (auto s = keep >= 0 ? in.toOjson(v, &*kept[keep], where) : in.check(v, where); !s) return s.error();
        }
        ++n;
    }
    if (auto s = in.expectEnd(); !s) return s.error();
    for (int l = 0; l < 3; ++l)
        if (at[l] != SIZE_MAX && !isList[l]) return invalid(path, std::string("$.") + lists[l], "is not a list");
    if (at[Images] == SIZE_MAX) return invalid(path, "$", "has no images list; not a COCO instances file");

    Dataset ds;
    ClassNames classes(ds);
    std::map<long long, std::string> categoryName;
    ojson categoryIds = ojson::object(), supercategories = ojson::object();
    // Categories and images are small objects: each is read into an ordered_json and checked there.
    auto eachElement = [&](int list, auto &&check) -> Status {
        return atMember(in, at[list], [&](od::value v) -> Status {
            JsonPath where;
            auto g = where.field(lists[list]);
            auto gi = where.index(0);
            std::size_t i = 0;
            for (auto element : v.get_array()) {
                where.setIndex(i);
                ojson e;
                if (auto s = in.toOjson(element.value(), &e, where); !s) return s;
                if (auto s = check(e, "$." + std::string(lists[list]) + "[" + std::to_string(i) + "]"); !s) return s;
                ++i;
            }
            return {};
        });
    };
    if (at[Categories] != SIZE_MAX) {
        auto s = eachElement(Categories, [&](const ojson &c, const std::string &where) -> Status {
            if (!c.is_object() || !c.contains("id") || !c["id"].is_number_integer() || !c.contains("name") || !c["name"].is_string())
                return invalid(path, where, "category needs an integer id and a name");
            const std::string name = c["name"].get<std::string>();
            categoryName[c["id"].get<long long>()] = name;
            categoryIds[name] = c["id"];
            if (c.contains("supercategory")) supercategories[name] = c["supercategory"];
            classes.ensure(name);
            return {};
        });
        if (!s) return s.error();
    }
    std::map<long long, std::size_t> imageIndex;
    auto images = eachElement(Images, [&](const ojson &im, const std::string &where) -> Status {
        if (!im.is_object() || !im.contains("id") || !im["id"].is_number_integer() || !im.contains("file_name") || !im["file_name"].is_string())
            return invalid(path, where, "image needs an integer id and a file_name");
        ImageEntry e;
        e.path = im["file_name"].get<std::string>();
        if (!via::readInt(im, "width", 0, 1000000, &e.width) || !via::readInt(im, "height", 0, 1000000, &e.height))
            return invalid(path, where, "width and height must be whole numbers from 0 to 1000000");
        for (auto it = im.begin(); it != im.end(); ++it)
            if (it.key() != "file_name" && it.key() != "width" && it.key() != "height") e.extra["coco"][it.key()] = it.value();
        if (!imageIndex.emplace(im["id"].get<long long>(), ds.images.size()).second)
            return invalid(path, where + ".id", "image id " + im["id"].dump() + " appears twice");
        ds.images.push_back(std::move(e));
        return {};
    });
    if (!images) return images.error();

    if (at[Annotations] != SIZE_MAX) {
        auto s = atMember(in, at[Annotations], [&](od::value list) -> Status {
            JsonPath path2;
            auto g = path2.field("annotations");
            auto gi = path2.index(0);
            std::size_t i = 0;
            for (auto element : list.get_array()) {
                if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
                if (opts.progress && i % 1024 == 0) opts.progress(in.progress());
                path2.setIndex(i++);
                od::value v = element.value();
                AnnotationFields a;
                const bool isObject = v.type() == od::json_type::object;
                if (isObject) {
                    if (auto r = readAnnotationFields(v, in, path2, &a); !r) return r;
                }
                if (auto r = addAnnotation(a, isObject, path2, path, categoryName, imageIndex, ds); !r) return r;
            }
            return {};
        });
        if (!s) return s.error();
    }
    ds.extra["coco"] = {{"category_ids", categoryIds}, {"supercategories", supercategories}};
    for (int k = 0; k < 2; ++k)
        if (kept[k]) ds.extra["coco"][k == 0 ? "info" : "licenses"] = std::move(*kept[k]);
    return ds;
}

class CocoFormat : public Format {
public:
    std::string name() const override { return "coco"; }
    std::string description() const override { return "COCO instances (JSON)"; }
    std::string fileFilter() const override { return "*.json"; }
    unsigned capabilities() const override { return CanRead | CanWrite; }
    bool canRead(const std::string &path) const override
    {
        std::ifstream in(path, std::ios::binary);
        std::string head(65536, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<std::size_t>(in.gcount()));
        return head.find("\"images\"") != std::string::npos
               && (head.find("\"annotations\"") != std::string::npos || head.find("\"categories\"") != std::string::npos);
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        json::JsonReader in;
        if (auto s = in.open(path); !s) return s.error();
        return in.guard([&]() { return readCoco(in, opts); });
    }

    bool needsClasses() const override { return true; } // pycocotools and detectron2 reject an annotation without a category

    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        const ojson coco = data.extra.value("coco", ojson::object());
        const ojson knownIds = coco.value("category_ids", ojson::object());
        const ojson supers = coco.value("supercategories", ojson::object());
        ojson out = ojson::object();
        out["info"] = coco.value("info", ojson({{"description", "exported by Annotrain Studio"}}));
        out["licenses"] = coco.value("licenses", ojson::array());
        // Category ids: keep the source's, number new classes after the largest.
        std::map<std::string, long long> catId;
        long long next = 1;
        for (auto it = knownIds.begin(); it != knownIds.end(); ++it)
            if (it.value().is_number_integer()) next = std::max(next, it.value().get<long long>() + 1);
        ojson categories = ojson::array();
        for (const ClassInfo &c : data.classes) {
            const long long id = knownIds.contains(c.name) ? knownIds[c.name].get<long long>() : next++;
            catId[c.name] = id;
            categories.push_back({{"id", id}, {"name", c.name}, {"supercategory", supers.value(c.name, ojson(""))}});
        }
        ojson images = ojson::array(), annotations = ojson::array();
        long long annId = 1;
        WriteReport report;
        std::size_t open = 0;
        for (std::size_t i = 0; i < data.images.size(); ++i) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            if (opts.progress && i % 128 == 0) opts.progress(static_cast<double>(i) / static_cast<double>(data.images.size()));
            const ImageEntry &im = data.images[i];
            auto size = entryImageSize(im, opts.imagesDir, path);
            if (!size) return size.error();
            const int w = size->width, h = size->height;
            const long long imageId = static_cast<long long>(i) + 1;
            ojson imj = {{"id", imageId}, {"file_name", im.path}, {"width", w}, {"height", h}};
            if (im.extra.contains("coco"))
                for (auto it = im.extra["coco"].begin(); it != im.extra["coco"].end(); ++it)
                    if (it.key() != "id") imj[it.key()] = it.value();
            images.push_back(std::move(imj));

            ojson *current = nullptr;
            ojson currentSourceId;
            for (const RegionData &r : im.regions) {
                if (!r.shape.isClosed()) { // points and polylines are not instances
                    ++open;
                    continue;
                }
                ++report.regions;
                const ojson rc = r.extra.value("coco", ojson::object());
                const Box bb = r.shape.boundingBox();
                // Parts of one source annotation continue it.
                if (current && rc.contains("part") && rc.value("part", 0) > 0 && rc.value("id", ojson()) == currentSourceId) {
                    if (!rc.contains("rle")) (*current)["segmentation"].push_back(shapeToCocoPolygon(r.shape));
                    Box u{(*current)["bbox"][0].get<double>(), (*current)["bbox"][1].get<double>(), (*current)["bbox"][2].get<double>(), (*current)["bbox"][3].get<double>()};
                    const double x0 = std::min(u.x, bb.x), y0 = std::min(u.y, bb.y);
                    const double x1 = std::max(u.right(), bb.right()), y1 = std::max(u.bottom(), bb.bottom());
                    (*current)["bbox"] = {via::number(x0), via::number(y0), via::number(x1 - x0), via::number(y1 - y0)};
                    (*current)["area"] = (*current)["area"].get<double>() + r.shape.area();
                    continue;
                }
                ojson a = ojson::object();
                a["id"] = annId++;
                a["image_id"] = imageId;
                // Format::write gave every region a class; one missing from the class list is added.
                auto cat = catId.find(r.className);
                if (cat == catId.end()) {
                    cat = catId.emplace(r.className, next++).first;
                    categories.push_back({{"id", cat->second}, {"name", r.className}, {"supercategory", ""}});
                }
                a["category_id"] = cat->second;
                if (rc.contains("rle") && rc.value("rle_shape", ojson()) == paramsJson(r.shape)) {
                    a["segmentation"] = rc["rle"];
                } else if (rc.value("bbox_only", false) && r.shape.type() == ShapeType::Rect) {
                    a["segmentation"] = ojson::array();
                } else {
                    a["segmentation"] = ojson::array({shapeToCocoPolygon(r.shape)});
                }
                a["area"] = r.shape.area();
                a["bbox"] = {via::number(bb.x), via::number(bb.y), via::number(bb.w), via::number(bb.h)};
                a["iscrowd"] = r.iscrowd ? 1 : 0;
                if (r.origin == Origin::Model) a["score"] = r.score;
                annotations.push_back(std::move(a));
                current = &annotations.back();
                currentSourceId = rc.value("id", ojson());
            }
        }
        out["images"] = std::move(images);
        out["annotations"] = std::move(annotations);
        out["categories"] = std::move(categories);
        if (auto s = writeFileAtomic(path, out.dump()); !s) return s.error();
        report.images = data.images.size();
        report.notes = openShapesNote(open, "COCO");
        return report;
    }
};

} // namespace

std::unique_ptr<Format> makeCocoFormat() { return std::make_unique<CocoFormat>(); }

} // namespace core
