#include "core/formats/via_common.h"

#include "core/fileio.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <unordered_map>

namespace core::via {

namespace {

const char *const kBookkeeping = "@via"; // our own notes in extra, never written back as VIA keys

Error invalid(const Context &ctx, const std::string &where, const std::string &msg)
{
    return makeError(ErrorCode::Invalid, ctx.file, ctx.path + where, msg);
}

} // namespace

std::string keyPath(const std::string &key)
{
    std::string k;
    for (char c : key) {
        if (c == '\'' || c == '\\') k += '\\';
        k += c;
    }
    return "['" + k + "']";
}

bool toNumber(const ojson &v, double *out)
{
    if (v.is_number()) {
        *out = v.get<double>();
        return std::isfinite(*out);
    }
    if (v.is_string()) {
        const std::string &s = v.get_ref<const std::string &>();
        char *end = nullptr;
        *out = std::strtod(s.c_str(), &end);
        return !s.empty() && end && *end == '\0' && std::isfinite(*out);
    }
    return false;
}

bool readInt(const ojson &obj, const char *key, int lo, int hi, int *out)
{
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return true;
    double d;
    if (!it->is_number() || !toNumber(*it, &d) || d < lo || d > hi || std::floor(d) != d) return false;
    *out = static_cast<int>(d);
    return true;
}

bool toFileSize(const ojson &v, std::int64_t *out)
{
    double d;
    if (!toNumber(v, &d) || d < -1 || d > 9e15 || std::floor(d) != d) return false;
    *out = static_cast<std::int64_t>(d);
    return true;
}

ojson number(double v)
{
    if (std::floor(v) == v && std::fabs(v) < 9e15) return static_cast<std::int64_t>(v);
    return v;
}

namespace {

template <typename Json>
Result<Json> parseJsonAs(const std::string &text, const std::string &file)
{
    try {
        return Json::parse(text);
    } catch (const nlohmann::json::parse_error &e) {
        std::string what = e.what();
        // nlohmann: "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
        if (auto p = what.find(": ", what.find("column")); p != std::string::npos) what = what.substr(p + 2);
        const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
        return makeError(ErrorCode::Parse, file, lineColAt(text, at), "invalid JSON: " + what);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Parse, file, {}, std::string("invalid JSON: ") + e.what());
    }
}

} // namespace

Result<ojson> parseJsonText(const std::string &text, const std::string &file) { return parseJsonAs<ojson>(text, file); }

Result<nlohmann::json> parseJsonTextUnordered(const std::string &text, const std::string &file)
{
    return parseJsonAs<nlohmann::json>(text, file);
}

std::string classFromAttributes(const ojson &attrs, const ReadOptions &opts)
{
    if (!attrs.is_object()) return opts.defaultClass;
    auto pick = [&](const std::string &name) -> std::string {
        auto it = attrs.find(name);
        if (it == attrs.end()) return {};
        if (it->is_string()) return it->get<std::string>();
        if (it->is_object()) { // checkbox/radio stored as {option: true}
            for (auto o = it->begin(); o != it->end(); ++o)
                if (o.value() == true) return o.key();
        }
        return {};
    };
    std::string c;
    if (!opts.classAttribute.empty()) {
        c = pick(opts.classAttribute);
    } else {
        for (const char *name : {"class", "label", "category", "name", "type"})
            if (!(c = pick(name)).empty()) break;
    }
    return c.empty() ? opts.defaultClass : c;
}

Result<Shape> readShapeAttributes(const ojson &sa, const Context &ctx, ojson *unknown)
{
    if (!sa.is_object()) return invalid(ctx, ".shape_attributes", "is not an object");
    auto nameIt = sa.find("name");
    if (nameIt == sa.end() || !nameIt->is_string()) return invalid(ctx, ".shape_attributes", "has no shape name");
    const std::string name = nameIt->get<std::string>();
    ShapeType type;
    if (!shapeTypeFromName(name, &type)) return invalid(ctx, ".shape_attributes.name", "unknown shape '" + name + "'");

    auto num = [&](const char *key, double *out, bool required = true) -> Status {
        auto it = sa.find(key);
        if (it == sa.end()) {
            if (!required) return {};
            return invalid(ctx, ".shape_attributes", name + " has no '" + key + "'");
        }
        if (!toNumber(*it, out)) return invalid(ctx, ".shape_attributes." + std::string(key), "is not a finite number");
        return {};
    };
    std::vector<std::string> known{"name"};
    Result<Shape> shape = Shape();
    double a = 0, b = 0, c = 0, e = 0, th = 0;
    switch (type) {
    case ShapeType::Rect:
        known.insert(known.end(), {"x", "y", "width", "height"});
        for (auto [k, p] : {std::pair{"x", &a}, {"y", &b}, {"width", &c}, {"height", &e}})
            if (auto s = num(k, p); !s) return s.error();
        shape = Shape::rect(a, b, c, e);
        break;
    case ShapeType::Circle:
        known.insert(known.end(), {"cx", "cy", "r"});
        for (auto [k, p] : {std::pair{"cx", &a}, {"cy", &b}, {"r", &c}})
            if (auto s = num(k, p); !s) return s.error();
        shape = Shape::circle(a, b, c);
        break;
    case ShapeType::Ellipse:
        known.insert(known.end(), {"cx", "cy", "rx", "ry", "theta"});
        for (auto [k, p] : {std::pair{"cx", &a}, {"cy", &b}, {"rx", &c}, {"ry", &e}})
            if (auto s = num(k, p); !s) return s.error();
        if (auto s = num("theta", &th, false); !s) return s.error();
        shape = Shape::ellipse(a, b, c, e, th);
        break;
    case ShapeType::Point:
        known.insert(known.end(), {"cx", "cy"});
        for (auto [k, p] : {std::pair{"cx", &a}, {"cy", &b}})
            if (auto s = num(k, p); !s) return s.error();
        shape = Shape::point(a, b);
        break;
    case ShapeType::Polygon:
    case ShapeType::Polyline: {
        known.insert(known.end(), {"all_points_x", "all_points_y"});
        auto xs = sa.find("all_points_x"), ys = sa.find("all_points_y");
        if (xs == sa.end() || ys == sa.end() || !xs->is_array() || !ys->is_array())
            return invalid(ctx, ".shape_attributes", name + " needs arrays all_points_x and all_points_y");
        if (xs->size() != ys->size()) {
            return invalid(ctx, ".shape_attributes", "all_points_x has " + std::to_string(xs->size()) + " values, all_points_y "
                                                         + std::to_string(ys->size()));
        }
        std::vector<Point> pts(xs->size());
        for (std::size_t i = 0; i < pts.size(); ++i) {
            if (!toNumber((*xs)[i], &pts[i].x) || !toNumber((*ys)[i], &pts[i].y))
                return invalid(ctx, ".shape_attributes.all_points_x[" + std::to_string(i) + "]", "is not a finite number");
        }
        shape = type == ShapeType::Polygon ? Shape::polygon(std::move(pts)) : Shape::polyline(std::move(pts));
        break;
    }
    }
    if (!shape) return invalid(ctx, ".shape_attributes", shape.error().message);
    for (auto it = sa.begin(); it != sa.end(); ++it)
        if (std::find(known.begin(), known.end(), it.key()) == known.end()) (*unknown)[it.key()] = it.value();
    if (type == ShapeType::Ellipse && sa.contains("theta")) (*unknown)[kBookkeeping]["theta"] = true;
    return shape;
}

Result<RegionData> readRegion(const ojson &region, const Context &ctx, const ReadOptions &opts, Dataset &ds)
{
    if (!region.is_object()) return invalid(ctx, "", "region is not an object");
    auto sa = region.find("shape_attributes");
    if (sa == region.end()) return invalid(ctx, "", "region has no shape_attributes");
    RegionData r;
    ojson unknownShape = ojson::object();
    auto shape = readShapeAttributes(*sa, ctx, &unknownShape);
    if (!shape) return shape.error();
    r.shape = std::move(shape.value());
    if (!unknownShape.empty()) r.extra["shape_attributes"] = std::move(unknownShape);
    if (auto ra = region.find("region_attributes"); ra != region.end()) {
        if (!ra->is_object()) return invalid(ctx, ".region_attributes", "is not an object");
        r.attributes = *ra;
    }
    for (auto it = region.begin(); it != region.end(); ++it)
        if (it.key() != "shape_attributes" && it.key() != "region_attributes") r.extra["region"][it.key()] = it.value();
    r.className = classFromAttributes(r.attributes, opts);
    if (!r.className.empty()) ds.ensureClass(r.className);
    return r;
}

Result<ImageEntry> readImageRecord(const std::string &key, const ojson &rec, const Context &ctx,
                                   const ReadOptions &opts, Dataset &ds)
{
    if (!rec.is_object()) return invalid(ctx, "", "image record is not an object");
    ImageEntry im;
    auto fn = rec.find("filename");
    if (fn != rec.end() && !fn->is_string()) return invalid(ctx, ".filename", "is not a string");
    im.path = fn != rec.end() ? fn->get<std::string>() : key;
    if (im.path.empty()) return invalid(ctx, ".filename", "is empty");
    if (auto sz = rec.find("size"); sz != rec.end()) {
        if (!toFileSize(*sz, &im.fileSize)) return invalid(ctx, ".size", "is not a file size");
    }
    if (key != im.path + (im.fileSize >= 0 ? std::to_string(im.fileSize) : std::string()))
        im.extra[kBookkeeping]["key"] = key;
    if (auto fa = rec.find("file_attributes"); fa != rec.end()) {
        if (!fa->is_object()) return invalid(ctx, ".file_attributes", "is not an object");
        im.fileAttributes = *fa;
    }
    if (auto rs = rec.find("regions"); rs != rec.end()) {
        if (rs->is_object()) {
            im.extra[kBookkeeping]["regions"] = "object";
            for (auto it = rs->begin(); it != rs->end(); ++it) {
                auto r = readRegion(it.value(), {ctx.file, ctx.path + ".regions" + keyPath(it.key())}, opts, ds);
                if (!r) return r.error();
                r->extra[kBookkeeping]["key"] = it.key(); // VIA keys need not be 0..n-1
                im.regions.push_back(std::move(r.value()));
            }
        } else if (rs->is_array()) {
            for (std::size_t i = 0; i < rs->size(); ++i) {
                auto r = readRegion((*rs)[i], {ctx.file, ctx.path + ".regions[" + std::to_string(i) + "]"}, opts, ds);
                if (!r) return r.error();
                im.regions.push_back(std::move(r.value()));
            }
        } else {
            return invalid(ctx, ".regions", "is neither an object nor a list");
        }
    }
    for (auto it = rec.begin(); it != rec.end(); ++it) {
        const std::string &k = it.key();
        if (k != "filename" && k != "size" && k != "file_attributes" && k != "regions") im.extra[k] = it.value();
    }
    return im;
}

namespace {

// Numbers as VIA writes them: whole numbers as integers, others in the shortest form that reads back exactly.
void appendNumber(std::string &out, double v)
{
    char buf[32];
    const bool whole = std::floor(v) == v && std::fabs(v) < 9e15;
    auto r = whole ? std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v)) : std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void appendKey(std::string &out, const std::string &key)
{
    out += ojson(key).dump();
    out += ':';
}

// Appends `,"key":value` for every key of `extra` but our bookkeeping.
void appendExtra(std::string &out, const ojson &extra)
{
    for (auto it = extra.begin(); it != extra.end(); ++it) {
        if (it.key() == kBookkeeping) continue;
        out += ',';
        appendKey(out, it.key());
        out += it.value().dump();
    }
}

} // namespace

std::string shapeAttributesJson(const Shape &s, const ojson &extra)
{
    const auto &p = s.params();
    std::string out = "{\"name\":\"";
    out += shapeTypeName(s.type());
    out += '"';
    auto field = [&](const char *name, double v) {
        out += ",\"";
        out += name;
        out += "\":";
        appendNumber(out, v);
    };
    switch (s.type()) {
    case ShapeType::Rect:
        field("x", p[0]);
        field("y", p[1]);
        field("width", p[2]);
        field("height", p[3]);
        break;
    case ShapeType::Circle:
        field("cx", p[0]);
        field("cy", p[1]);
        field("r", p[2]);
        break;
    case ShapeType::Ellipse: {
        field("cx", p[0]);
        field("cy", p[1]);
        field("rx", p[2]);
        field("ry", p[3]);
        const bool hadTheta = extra.contains(kBookkeeping) && extra[kBookkeeping].value("theta", false);
        if (p[4] != 0 || hadTheta) field("theta", p[4]);
        break;
    }
    case ShapeType::Point:
        field("cx", p[0]);
        field("cy", p[1]);
        break;
    case ShapeType::Polygon:
    case ShapeType::Polyline:
        for (int axis = 0; axis < 2; ++axis) {
            out += axis ? ",\"all_points_y\":[" : ",\"all_points_x\":[";
            for (std::size_t i = static_cast<std::size_t>(axis); i < p.size(); i += 2) {
                if (i > 1) out += ',';
                appendNumber(out, p[i]);
            }
            out += ']';
        }
        break;
    }
    appendExtra(out, extra);
    out += '}';
    return out;
}

ojson regionAttributesFor(const RegionData &r, const WriteOptions &opts)
{
    ojson attrs = r.attributes.is_object() ? r.attributes : ojson::object();
    // A class the attributes do not carry yet (set in the editor, or from another format) is written under the class attribute.
    if (!r.className.empty() && !opts.classAttribute.empty() && !attrs.contains(opts.classAttribute)) {
        bool carried = false;
        for (auto it = attrs.begin(); it != attrs.end(); ++it)
            if (it.value() == r.className) carried = true;
        if (!carried) attrs[opts.classAttribute] = r.className;
    }
    return attrs;
}

std::string regionJson(const RegionData &r, const WriteOptions &opts)
{
    static const ojson noExtra = ojson::object();
    std::string out = "{\"shape_attributes\":";
    out += shapeAttributesJson(r.shape, r.extra.contains("shape_attributes") ? r.extra["shape_attributes"] : noExtra);
    out += ",\"region_attributes\":";
    out += regionAttributesFor(r, opts).dump();
    if (r.extra.contains("region")) appendExtra(out, r.extra["region"]);
    out += '}';
    return out;
}

std::int64_t fileSizeFor(const ImageEntry &im, const WriteOptions &opts)
{
    std::int64_t size = im.fileSize;
    if (size < 0 && !opts.imagesDir.empty()) {
        std::error_code ec;
        auto s = std::filesystem::file_size(std::filesystem::path(opts.imagesDir) / im.path, ec);
        if (!ec) size = static_cast<std::int64_t>(s);
    }
    return size;
}

std::vector<std::string> imageKeys(const Dataset &data, const WriteOptions &opts)
{
    std::vector<std::string> keys(data.images.size());
    std::unordered_map<std::string, int> uses;
    for (std::size_t i = 0; i < data.images.size(); ++i) {
        const ImageEntry &im = data.images[i];
        if (im.extra.contains(kBookkeeping)) {
            const ojson &book = im.extra[kBookkeeping];
            if (book.contains("key") && book["key"].is_string()) keys[i] = book["key"].get<std::string>();
        }
        if (!keys[i].empty()) ++uses[keys[i]];
    }
    // Image paths are distinct (Format::write checks), so filename + size is too.
    for (std::size_t i = 0; i < data.images.size(); ++i)
        if (keys[i].empty() || uses[keys[i]] > 1) keys[i] = data.images[i].path + std::to_string(fileSizeFor(data.images[i], opts));
    return keys;
}

std::string imageRecordJson(const ImageEntry &im, const WriteOptions &opts)
{
    const std::int64_t size = fileSizeFor(im, opts);
    std::string out = "{\"filename\":";
    out += ojson(im.path).dump();
    out += ",\"size\":" + std::to_string(size) + ",\"regions\":";
    const ojson *book = im.extra.contains(kBookkeeping) ? &im.extra[kBookkeeping] : nullptr;
    const bool asObject = book && book->value("regions", "") == "object";
    out += asObject ? '{' : '[';
    for (std::size_t i = 0; i < im.regions.size(); ++i) {
        if (i) out += ',';
        if (asObject) {
            const ojson &e = im.regions[i].extra;
            const bool hasKey = e.contains(kBookkeeping) && e[kBookkeeping].contains("key") && e[kBookkeeping]["key"].is_string();
            appendKey(out, hasKey ? e[kBookkeeping]["key"].get<std::string>() : std::to_string(i));
        }
        out += regionJson(im.regions[i], opts);
    }
    out += asObject ? '}' : ']';
    out += ",\"file_attributes\":";
    out += im.fileAttributes.is_object() ? im.fileAttributes.dump() : std::string("{}");
    appendExtra(out, im.extra);
    out += '}';
    return out;
}

} // namespace core::via
