// labelme JSON ("labelme"): one JSON per image. Reads one file or every *.json in a
// folder; writes one file per image into a folder. rectangle = two corners,
// circle = centre + a point on the circle, line/linestrip = polyline.
// imageData (embedded base64 pixels) is not kept: written files reference the image by path.
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/formats/via_common.h"
#include "core/image_size.h"
#include "core/json_object_builder.h"

#include <cmath>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace core {

namespace {

using via::ojson;

Error invalid(const std::string &file, const std::string &where, const std::string &msg)
{
    return makeError(ErrorCode::Invalid, file, where, msg);
}

const char *const kNotLabelme = "missing or not a list; not a labelme file";

// The file's members but imageData (embedded pixels, often megabytes: checked, never copied).
Result<ojson> readMembers(json::JsonReader &in)
{
    namespace od = json::od;
    if (in.doc().type() != od::json_type::object) return invalid(in.file(), "$.shapes", kNotLabelme);
    ojson j = ojson::object();
    JsonObjectBuilder members(j);
    for (auto field : in.doc().get_object()) {
        const std::string_view k = field.unescaped_key();
        JsonPath where;
        auto g = where.member(k);
        if (k == "imageData") {
            if (auto s = in.check(field.value(), where); !s) return s.error();
        } else if (auto s = in.toOjson(field.value(), &members.slot(k), where); !s) {
            return s.error();
        }
    }
    if (auto s = in.expectEnd(); !s) return s.error();
    return j;
}

Status readOne(json::JsonReader &in, const std::string &file, const std::string &relDir, const ReadOptions &opts, ClassNames &classes, Dataset &ds)
{
    if (auto s = in.open(file); !s) return s;
    auto parsed = in.guard([&] { return readMembers(in); });
    if (!parsed) return parsed.error();
    const ojson &j = *parsed;
    if (!j.is_object() || !j.contains("shapes") || !j["shapes"].is_array()) return invalid(file, "$.shapes", kNotLabelme);
    ImageEntry im;
    std::string imagePath = j.value("imagePath", "");
    std::replace(imagePath.begin(), imagePath.end(), '\\', '/');
    if (imagePath.empty()) imagePath = fs::path(file).stem().string() + ".jpg";
    im.path = relDir.empty() ? imagePath : relDir + "/" + imagePath;
    if (!via::readInt(j, "imageWidth", 0, 1000000, &im.width) || !via::readInt(j, "imageHeight", 0, 1000000, &im.height))
        return invalid(file, "$", "imageWidth and imageHeight must be whole numbers from 0 to 1000000");
    if (j.contains("flags") && j["flags"].is_object() && !j["flags"].empty()) im.fileAttributes["flags"] = j["flags"];
    for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() != "shapes" && it.key() != "imagePath" && it.key() != "imageData" && it.key() != "imageWidth"
            && it.key() != "imageHeight" && it.key() != "flags")
            im.extra["labelme"][it.key()] = it.value();
    const ojson &shapes = j["shapes"];
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        const ojson &s = shapes[i];
        const std::string where = "$.shapes[" + std::to_string(i) + "]";
        if (!s.is_object() || !s.contains("points") || !s["points"].is_array()) return invalid(file, where, "shape has no points list");
        std::vector<Point> pts;
        for (std::size_t k = 0; k < s["points"].size(); ++k) {
            const ojson &p = s["points"][k];
            Point q;
            if (!p.is_array() || p.size() != 2 || !via::toNumber(p[0], &q.x) || !via::toNumber(p[1], &q.y))
                return invalid(file, where + ".points[" + std::to_string(k) + "]", "is not a pair of finite numbers");
            pts.push_back(q);
        }
        const std::string type = s.value("shape_type", ojson("polygon")).is_string() ? s.value("shape_type", "polygon") : "polygon";
        Result<Shape> shape = Shape();
        auto need = [&](std::size_t n, bool atLeast) -> Status {
            if (atLeast ? pts.size() < n : pts.size() != n)
                return invalid(file, where + ".points", type + " has " + std::to_string(pts.size()) + " points, needs " + (atLeast ? "at least " : "") + std::to_string(n));
            return {};
        };
        Status ok;
        if (type == "rectangle" || type == "mask") { // a mask shape is its bitmap's box; the bitmap stays in extra
            if (!(ok = need(2, false))) return ok;
            shape = Shape::rect(std::min(pts[0].x, pts[1].x), std::min(pts[0].y, pts[1].y), std::fabs(pts[1].x - pts[0].x), std::fabs(pts[1].y - pts[0].y));
        } else if (type == "circle") {
            if (!(ok = need(2, false))) return ok;
            shape = Shape::circle(pts[0].x, pts[0].y, std::hypot(pts[1].x - pts[0].x, pts[1].y - pts[0].y));
        } else if (type == "point") {
            if (!(ok = need(1, false))) return ok;
            shape = Shape::point(pts[0].x, pts[0].y);
        } else if (type == "line" || type == "linestrip") {
            if (!(ok = need(2, true))) return ok;
            shape = Shape::polyline(pts);
        } else if (type == "polygon") {
            if (!(ok = need(3, true))) return ok;
            shape = Shape::polygon(pts);
        } else {
            return invalid(file, where + ".shape_type", "unknown shape type '" + type + "'");
        }
        if (!shape) return invalid(file, where, shape.error().message);
        RegionData r;
        r.shape = std::move(shape.value());
        if (s.contains("label") && !s["label"].is_string()) return invalid(file, where + ".label", "is not a string");
        r.className = s.value("label", opts.defaultClass);
        if (!r.className.empty()) classes.ensure(r.className);
        if (s.contains("flags") && s["flags"].is_object() && !s["flags"].empty()) r.attributes["flags"] = s["flags"];
        if (s.contains("description") && s["description"].is_string() && !s["description"].get<std::string>().empty())
            r.attributes["description"] = s["description"];
        for (auto it = s.begin(); it != s.end(); ++it)
            if (it.key() != "points" && it.key() != "label" && it.key() != "shape_type" && it.key() != "flags" && it.key() != "description")
                r.extra["labelme"][it.key()] = it.value();
        if (type == "line" || type == "mask") r.extra["labelme"]["shape_type"] = type;
        im.regions.push_back(std::move(r));
    }
    ds.images.push_back(std::move(im));
    return {};
}

class LabelmeFormat : public Format {
public:
    std::string name() const override { return "labelme"; }
    std::string description() const override { return "labelme (one JSON per image)"; }
    std::string fileFilter() const override { return "*.json"; }
    unsigned capabilities() const override { return CanRead | CanWrite; }
    bool canRead(const std::string &path) const override
    {
        std::error_code ec;
        std::string file = path;
        if (fs::is_directory(path, ec)) {
            file.clear();
            for (const auto &e : fs::directory_iterator(path, ec))
                if (e.path().extension() == ".json") { file = e.path().string(); break; }
        }
        std::ifstream in(file, std::ios::binary);
        std::string head(4096, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<std::size_t>(in.gcount()));
        return head.find("\"shapes\"") != std::string::npos;
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        Dataset ds;
        ClassNames classes(ds);
        json::JsonReader in; // one parser for every file of a folder
        std::error_code ec;
        if (fs::is_directory(path, ec)) {
            std::vector<fs::path> files;
            for (const auto &e : fs::recursive_directory_iterator(path, ec))
                if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
            std::sort(files.begin(), files.end());
            if (files.empty()) return makeError(ErrorCode::Invalid, path, {}, "folder holds no labelme .json files");
            for (std::size_t i = 0; i < files.size(); ++i) {
                if (opts.progress) opts.progress(static_cast<double>(i) / static_cast<double>(files.size()));
                std::string rel = fs::relative(files[i].parent_path(), path, ec).generic_string();
                if (rel == ".") rel.clear();
                if (auto s = readOne(in, files[i].string(), rel, opts, classes, ds); !s) return s.error();
            }
        } else {
            if (auto s = readOne(in, path, {}, opts, classes, ds); !s) return s.error();
        }
        return ds;
    }

    bool needsClasses() const override { return true; } // a labelme shape has a label
    std::string imageOutputFile(const ImageEntry &im) const override
    {
        const fs::path rel(im.path);
        return (rel.parent_path() / (rel.stem().string() + ".json")).lexically_normal().generic_string();
    }

    // `path` is a folder; one <image path stem>.json per image. labelme opens the image
    // at imagePath relative to the JSON's folder, and checks imageHeight/imageWidth
    // against it: both are written from the image itself.
    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        std::error_code ec;
        fs::create_directories(path, ec);
        if (ec) return makeError(ErrorCode::Io, path, {}, "cannot create folder: " + ec.message());
        WriteReport report;
        for (const ImageEntry &im : data.images) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            auto size = entryImageSize(im, opts.imagesDir, path);
            if (!size) return size.error();
            const fs::path out = fs::absolute(fs::path(path) / imageOutputFile(im)).lexically_normal();
            ojson j = ojson::object();
            j["version"] = "5.0.1";
            j["flags"] = im.fileAttributes.value("flags", ojson::object());
            ojson shapes = ojson::array();
            for (const RegionData &r : im.regions) {
                ojson s = ojson::object();
                s["label"] = r.className;
                ojson pts = ojson::array();
                const auto &p = r.shape.params();
                std::string type;
                switch (r.shape.type()) {
                case ShapeType::Rect:
                    type = r.extra.contains("labelme") && r.extra["labelme"].value("shape_type", "") == "mask" ? "mask" : "rectangle";
                    pts = {{via::number(p[0]), via::number(p[1])}, {via::number(p[0] + p[2]), via::number(p[1] + p[3])}};
                    break;
                case ShapeType::Circle:
                    type = "circle";
                    pts = {{via::number(p[0]), via::number(p[1])}, {via::number(p[0] + p[2]), via::number(p[1])}};
                    break;
                case ShapeType::Point:
                    type = "point";
                    pts = {{via::number(p[0]), via::number(p[1])}};
                    break;
                case ShapeType::Polyline:
                    type = r.extra.contains("labelme") && r.extra["labelme"].value("shape_type", "") == "line" ? "line" : "linestrip";
                    for (const Point &q : r.shape.vertices()) pts.push_back({via::number(q.x), via::number(q.y)});
                    break;
                default: // polygon; an ellipse becomes its polygon (labelme has no ellipse)
                    type = "polygon";
                    for (const Point &q : r.shape.toPolygon(32)) pts.push_back({via::number(q.x), via::number(q.y)});
                }
                s["points"] = std::move(pts);
                s["group_id"] = nullptr;
                s["description"] = r.attributes.value("description", "");
                s["shape_type"] = type;
                s["flags"] = r.attributes.value("flags", ojson::object());
                if (r.extra.contains("labelme"))
                    for (auto it = r.extra["labelme"].begin(); it != r.extra["labelme"].end(); ++it)
                        if (it.key() != "shape_type") s[it.key()] = it.value();
                shapes.push_back(std::move(s));
            }
            report.regions += shapes.size();
            j["shapes"] = std::move(shapes);
            const fs::path image = fs::absolute(fs::path(opts.imagesDir.empty() ? path : opts.imagesDir) / im.path).lexically_normal();
            j["imagePath"] = image.lexically_relative(out.parent_path()).generic_string();
            j["imageData"] = nullptr;
            j["imageHeight"] = size->height;
            j["imageWidth"] = size->width;
            if (im.extra.contains("labelme"))
                for (auto it = im.extra["labelme"].begin(); it != im.extra["labelme"].end(); ++it)
                    if (!j.contains(it.key())) j[it.key()] = it.value();
            fs::create_directories(out.parent_path(), ec);
            if (auto s = writeFileAtomic(out.string(), j.dump(2)); !s) return s.error();
            ++report.images;
        }
        return report;
    }
};

} // namespace

std::unique_ptr<Format> makeLabelmeFormat() { return std::make_unique<LabelmeFormat>(); }

} // namespace core
