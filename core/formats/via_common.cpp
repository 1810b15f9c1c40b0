#include "core/formats/via_common.h"

#include "core/fileio.h"
#include "core/json_object_builder.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <unordered_map>

namespace core::via {

namespace {

const char *const kBookkeeping = "@via"; // our own notes in extra, never written back as VIA keys

namespace od = json::od;

// The members of one shape_attributes object, gathered before the shape's type decides
// which are missing or invalid, so that both ways of reading it (a simdjson walk, an
// ordered_json from a CSV cell) report the same errors in the same order.
struct ShapeFields {
    enum Slot { X, Y, Width, Height, Cx, Cy, R, Rx, Ry, Theta, kSlots, Xs = 100, Ys, Unknown = -1 };
    struct Number {
        bool present = false, finite = false;
        double v = 0;
    };
    struct Points {
        bool present = false, isArray = false;
        std::vector<double> v;
        std::size_t firstBad = SIZE_MAX;
        void reset()
        {
            present = true;
            isArray = false;
            v.clear();
            firstBad = SIZE_MAX;
        }
    };
    std::string name;
    ShapeType type = ShapeType::Point;
    Number num[kSlots];
    Points xs, ys;

    // The slot of `key` for this shape's type; Unknown for keys the type does not define (kept in extra).
    int slotOf(std::string_view key) const
    {
        auto is = [&](const char *k) { return key == k; };
        switch (type) {
        case ShapeType::Rect:
            return is("x") ? X : is("y") ? Y : is("width") ? Width : is("height") ? Height : Unknown;
        case ShapeType::Circle:
            return is("cx") ? Cx : is("cy") ? Cy : is("r") ? R : Unknown;
        case ShapeType::Ellipse:
            return is("cx") ? Cx : is("cy") ? Cy : is("rx") ? Rx : is("ry") ? Ry : is("theta") ? Theta : Unknown;
        case ShapeType::Point:
            return is("cx") ? Cx : is("cy") ? Cy : Unknown;
        case ShapeType::Polygon:
        case ShapeType::Polyline:
            return is("all_points_x") ? Xs : is("all_points_y") ? Ys : Unknown;
        }
        return Unknown;
    }
};

const char *const kSlotNames[ShapeFields::kSlots] = {"x", "y", "width", "height", "cx", "cy", "r", "rx", "ry", "theta"};

// Reading shape members from a simdjson walk.
struct WalkedValues {
    json::JsonReader &in;
    JsonPath &path;
    bool number(od::value v, double *out) { return json::numberLike(v, out); }
    Status points(od::value v, ShapeFields::Points *p)
    {
        p->reset();
        if (v.type() != od::json_type::array) return {};
        p->isArray = true;
        for (auto element : v.get_array()) {
            double d = 0;
            if (!json::numberLike(element.value(), &d) && p->firstBad == SIZE_MAX) p->firstBad = p->v.size();
            p->v.push_back(d);
        }
        return {};
    }
    Status keep(od::value v, std::string_view key, ojson *slot)
    {
        auto g = path.member(key);
        return in.toOjson(v, slot, path);
    }
};

// Reading shape members from an ordered_json (VIA CSV cells).
struct JsonValues {
    bool number(const ojson &v, double *out) { return toNumber(v, out); }
    Status points(const ojson &v, ShapeFields::Points *p)
    {
        p->reset();
        if (!v.is_array()) return {};
        p->isArray = true;
        for (const ojson &e : v) {
            double d = 0;
            if (!toNumber(e, &d) && p->firstBad == SIZE_MAX) p->firstBad = p->v.size();
            p->v.push_back(d);
        }
        return {};
    }
    Status keep(const ojson &v, std::string_view, ojson *slot)
    {
        *slot = v;
        return {};
    }
};

template <class Values, class Value>
Status takeShapeMember(ShapeFields &f, std::string_view key, Value &&v, Values &values, JsonObjectBuilder &unknown)
{
    if (key == "name") return {}; // read first: it gave the type
    const int slot = f.slotOf(key);
    if (slot == ShapeFields::Unknown) return values.keep(v, key, &unknown.slot(key));
    if (slot == ShapeFields::Xs || slot == ShapeFields::Ys) return values.points(v, slot == ShapeFields::Xs ? &f.xs : &f.ys);
    ShapeFields::Number &n = f.num[slot];
    n.present = true;
    n.finite = values.number(v, &n.v);
    return {};
}

// The shape from its gathered members, checked in the order VIA's fields are listed;
// `invalid(suffix, message)` makes the error at the shape_attributes' path + suffix.
template <class Invalid>
Result<Shape> buildShape(const ShapeFields &f, ojson *unknown, const Invalid &invalid)
{
    auto num = [&](ShapeFields::Slot s, double *out, bool required = true) -> Status {
        const ShapeFields::Number &n = f.num[s];
        if (!n.present) {
            if (!required) return {};
            return invalid("", f.name + " has no '" + kSlotNames[s] + "'");
        }
        if (!n.finite) return invalid(std::string(".") + kSlotNames[s], "is not a finite number");
        *out = n.v;
        return {};
    };
    using S = ShapeFields;
    Result<Shape> shape = Shape();
    double a = 0, b = 0, c = 0, e = 0, th = 0;
    switch (f.type) {
    case ShapeType::Rect:
        for (auto [k, p] : {std::pair{S::X, &a}, {S::Y, &b}, {S::Width, &c}, {S::Height, &e}})
            if (auto s = num(k, p); !s) return s.error();
        shape = Shape::rect(a, b, c, e);
        break;
    case ShapeType::Circle:
        for (auto [k, p] : {std::pair{S::Cx, &a}, {S::Cy, &b}, {S::R, &c}})
            if (auto s = num(k, p); !s) return s.error();
        shape = Shape::circle(a, b, c);
        break;
    case ShapeType::Ellipse:
        for (auto [k, p] : {std::pair{S::Cx, &a}, {S::Cy, &b}, {S::Rx, &c}, {S::Ry, &e}})
            if (auto s = num(k, p); !s) return s.error();
        if (auto s = num(S::Theta, &th, false); !s) return s.error();
        shape = Shape::ellipse(a, b, c, e, th);
        break;
    case ShapeType::Point:
        for (auto [k, p] : {std::pair{S::Cx, &a}, {S::Cy, &b}})
            if (auto s = num(k, p); !s) return s.error();
        shape = Shape::point(a, b);
        break;
    case ShapeType::Polygon:
    case ShapeType::Polyline: {
        if (!f.xs.present || !f.ys.present || !f.xs.isArray || !f.ys.isArray)
            return invalid("", f.name + " needs arrays all_points_x and all_points_y");
        if (f.xs.v.size() != f.ys.v.size())
            return invalid("", "all_points_x has " + std::to_string(f.xs.v.size()) + " values, all_points_y " + std::to_string(f.ys.v.size()));
        if (const std::size_t bad = std::min(f.xs.firstBad, f.ys.firstBad); bad != SIZE_MAX)
            return invalid(".all_points_x[" + std::to_string(bad) + "]", "is not a finite number");
        std::vector<Point> pts(f.xs.v.size());
        for (std::size_t i = 0; i < pts.size(); ++i)
            pts[i] = {f.xs.v[i], f.ys.v[i]};
        shape = f.type == ShapeType::Polygon ? Shape::polygon(std::move(pts)) : Shape::polyline(std::move(pts));
        break;
    }
    }
    if (!shape) return invalid("", shape.error().message);
    if (f.type == ShapeType::Ellipse && f.num[S::Theta].present) (*unknown)[kBookkeeping]["theta"] = true;
    return shape;
}

// shape_attributes from an ordered_json: a CSV cell, or a walked object whose name did not come first.
template <class Invalid>
Result<Shape> shapeFromJson(const ojson &sa, ojson *unknown, const Invalid &invalid)
{
    if (!sa.is_object()) return invalid("", "is not an object");
    auto nameIt = sa.find("name");
    if (nameIt == sa.end() || !nameIt->is_string()) return invalid("", "has no shape name");
    ShapeFields f;
    f.name = nameIt->get<std::string>();
    if (!shapeTypeFromName(f.name, &f.type)) return invalid(".name", "unknown shape '" + f.name + "'");
    JsonValues values;
    JsonObjectBuilder unknownMembers(*unknown);
    for (auto it = sa.begin(); it != sa.end(); ++it)
        if (auto s = takeShapeMember(f, it.key(), it.value(), values, unknownMembers); !s) return s.error();
    return buildShape(f, unknown, invalid);
}

// shape_attributes from a simdjson walk. VIA writes "name" first, so its type is known before
// the coordinates come and they are read straight into doubles; an object that starts with
// another key is gathered as ordered_json and read as a CSV cell is.
Result<Shape> walkShape(od::value sa, json::JsonReader &in, JsonPath &path, ojson *unknown)
{
    auto invalid = [&](const std::string &suffix, const std::string &msg) {
        return makeError(ErrorCode::Invalid, in.file(), path.str() + suffix, msg);
    };
    if (sa.type() != od::json_type::object) return invalid("", "is not an object");
    ShapeFields f;
    WalkedValues values{in, path};
    JsonObjectBuilder unknownMembers(*unknown);
    std::optional<ojson> gathered; // set when "name" was not first
    std::optional<JsonObjectBuilder> gatheredMembers;
    bool first = true;
    for (auto field : sa.get_object()) {
        const std::string_view key = field.unescaped_key();
        od::value v = field.value();
        if (first) {
            first = false;
            if (key == "name") {
                if (v.type() != od::json_type::string) return invalid("", "has no shape name");
                f.name = std::string(std::string_view(v.get_string()));
                if (!shapeTypeFromName(f.name, &f.type)) return invalid(".name", "unknown shape '" + f.name + "'");
                continue;
            }
            gathered.emplace(ojson::object());
            gatheredMembers.emplace(*gathered);
        }
        if (gathered) {
            auto g = path.member(key);
            if (auto s = in.toOjson(v, &gatheredMembers->slot(key), path); !s) return s.error();
        } else if (auto s = takeShapeMember(f, key, v, values, unknownMembers); !s) {
            return s.error();
        }
    }
    if (first) return invalid("", "has no shape name");
    if (gathered) return shapeFromJson(*gathered, unknown, invalid);
    return buildShape(f, unknown, invalid);
}

// A region {shape_attributes, region_attributes, ...} from a simdjson walk.
Result<RegionData> walkRegion(od::value region, json::JsonReader &in, JsonPath &path, const ReadOptions &opts, ClassNames &classes)
{
    auto invalid = [&](const std::string &suffix, const std::string &msg) {
        return makeError(ErrorCode::Invalid, in.file(), path.str() + suffix, msg);
    };
    if (region.type() != od::json_type::object) return invalid("", "region is not an object");
    RegionData r;
    bool hasShape = false, attributesBad = false;
    ojson unknownShape, others; // null unless the file has such members
    JsonObjectBuilder otherMembers(others);
    for (auto field : region.get_object()) {
        const std::string_view key = field.unescaped_key();
        od::value v = field.value();
        if (key == "shape_attributes") {
            hasShape = true;
            auto g = path.field("shape_attributes");
            unknownShape = nullptr;
            auto shape = walkShape(v, in, path, &unknownShape);
            if (!shape) return shape.error();
            r.shape = std::move(shape.value());
        } else if (key == "region_attributes") {
            // Reported after the shape's errors, as the fields are checked in that order.
            attributesBad = v.type() != od::json_type::object;
            if (attributesBad) continue;
            auto g = path.field("region_attributes");
            if (auto s = in.toOjson(v, &r.attributes, path); !s) return s.error();
        } else {
            auto g = path.member(key);
            if (auto s = in.toOjson(v, &otherMembers.slot(key), path); !s) return s.error();
        }
    }
    if (!hasShape) return invalid("", "region has no shape_attributes");
    if (attributesBad) return invalid(".region_attributes", "is not an object");
    if (!unknownShape.empty()) r.extra["shape_attributes"] = std::move(unknownShape);
    if (!others.empty()) r.extra["region"] = std::move(others);
    r.className = classFromAttributes(r.attributes, opts);
    if (!r.className.empty()) classes.ensure(r.className);
    return r;
}

bool fileSizeFromNumber(double d, std::int64_t *out)
{
    if (d < -1 || d > 9e15 || std::floor(d) != d) return false;
    *out = static_cast<std::int64_t>(d);
    return true;
}

} // namespace

bool toNumber(const ojson &v, double *out)
{
    if (v.is_number()) {
        *out = v.get<double>();
        return std::isfinite(*out);
    }
    if (v.is_string()) return json::numberFromText(v.get_ref<const std::string &>(), out);
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
    return toNumber(v, &d) && fileSizeFromNumber(d, out);
}

ojson number(double v)
{
    if (std::floor(v) == v && std::fabs(v) < 9e15) return static_cast<std::int64_t>(v);
    return v;
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

Result<RegionData> regionFromCells(const ojson &shapeAttributes, ojson regionAttributes, const std::string &file,
                                   const std::string &where, const ReadOptions &opts, ClassNames &classes)
{
    auto invalid = [&](const std::string &suffix, const std::string &msg) {
        return makeError(ErrorCode::Invalid, file, where + ".shape_attributes" + suffix, msg);
    };
    RegionData r;
    ojson unknownShape = ojson::object();
    auto shape = shapeFromJson(shapeAttributes, &unknownShape, invalid);
    if (!shape) return shape.error();
    r.shape = std::move(shape.value());
    if (!unknownShape.empty()) r.extra["shape_attributes"] = std::move(unknownShape);
    r.attributes = std::move(regionAttributes);
    r.className = classFromAttributes(r.attributes, opts);
    if (!r.className.empty()) classes.ensure(r.className);
    return r;
}

Result<ImageEntry> readImageRecord(std::string_view key, od::value rec, json::JsonReader &in, JsonPath &path,
                                   const ReadOptions &opts, ClassNames &classes)
{
    auto invalid = [&](const std::string &suffix, const std::string &msg) {
        return makeError(ErrorCode::Invalid, in.file(), path.str() + suffix, msg);
    };
    if (rec.type() != od::json_type::object) return invalid("", "image record is not an object");
    ImageEntry im;
    // Problems are reported in the order VIA lists the fields, whatever order the file has.
    bool hasFilename = false, filenameBad = false, sizeBad = false, attributesBad = false, regionsAsObject = false;
    std::optional<Error> regionsError;
    ojson others; // null unless the file has other members
    JsonObjectBuilder otherMembers(others);
    for (auto field : rec.get_object()) {
        const std::string_view k = field.unescaped_key();
        od::value v = field.value();
        if (k == "filename") {
            hasFilename = true;
            filenameBad = v.type() != od::json_type::string;
            if (!filenameBad) im.path = std::string(std::string_view(v.get_string()));
        } else if (k == "size") {
            double d = 0;
            im.fileSize = -1;
            sizeBad = !json::numberLike(v, &d) || !fileSizeFromNumber(d, &im.fileSize);
        } else if (k == "file_attributes") {
            attributesBad = v.type() != od::json_type::object;
            if (attributesBad) continue;
            auto g = path.field("file_attributes");
            if (auto s = in.toOjson(v, &im.fileAttributes, path); !s) return s.error();
        } else if (k == "regions") {
            auto g = path.field("regions");
            im.regions.clear();
            regionsError.reset();
            const od::json_type t = v.type();
            regionsAsObject = t == od::json_type::object;
            if (t == od::json_type::object) {
                std::unordered_map<std::string_view, std::size_t> byKey; // a repeated key replaces the region, as JSON parsers do
                for (auto member : v.get_object()) {
                    const std::string_view rk = member.unescaped_key();
                    auto gk = path.key(rk);
                    auto r = walkRegion(member.value(), in, path, opts, classes);
                    if (!r) {
                        if (r.error().code == ErrorCode::Parse) return r.error();
                        regionsError = r.error();
                        break;
                    }
                    r->extra[kBookkeeping]["key"] = std::string(rk); // VIA keys need not be 0..n-1
                    auto [at, added] = byKey.emplace(rk, im.regions.size());
                    if (added) {
                        im.regions.push_back(std::move(r.value()));
                    } else {
                        im.regions[at->second] = std::move(r.value());
                    }
                }
            } else if (t == od::json_type::array) {
                auto gi = path.index(0);
                std::size_t i = 0;
                for (auto element : v.get_array()) {
                    path.setIndex(i++);
                    auto r = walkRegion(element.value(), in, path, opts, classes);
                    if (!r) {
                        if (r.error().code == ErrorCode::Parse) return r.error();
                        regionsError = r.error();
                        break;
                    }
                    im.regions.push_back(std::move(r.value()));
                }
            } else {
                regionsError = invalid("", "is neither an object nor a list");
            }
        } else {
            auto g = path.member(k);
            if (auto s = in.toOjson(v, &otherMembers.slot(k), path); !s) return s.error();
        }
    }
    if (filenameBad) return invalid(".filename", "is not a string");
    if (!hasFilename) im.path = std::string(key);
    if (im.path.empty()) return invalid(".filename", "is empty");
    if (sizeBad) return invalid(".size", "is not a file size");
    if (attributesBad) return invalid(".file_attributes", "is not an object");
    if (regionsError) return *regionsError;
    if (key != im.path + (im.fileSize >= 0 ? std::to_string(im.fileSize) : std::string())) im.extra[kBookkeeping]["key"] = std::string(key);
    if (regionsAsObject) im.extra[kBookkeeping]["regions"] = "object";
    if (!others.is_null()) {
        JsonObjectBuilder extra(im.extra);
        for (auto &m : others.get_ref<ojson::object_t &>())
            extra.set(m.first, std::move(m.second));
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
