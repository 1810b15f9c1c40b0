// VIA 3.x project JSON ("via3", import only). A VIA 3 project lists files
// (fid -> fname), views (vid -> fid_list), attributes (aid -> aname, anchor,
// type, options) and metadata (vid, xy = [shape_id, coords...], av = aid -> value).
// Metadata with an empty xy holds file attributes.
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/formats/via_common.h"
#include "core/json_parse.h"
#include "core/json_path.h"

#include <cmath>
#include <fstream>
#include <map>

namespace core {

namespace {

using via::ojson;

enum Via3Shape { kPoint = 1, kRect = 2, kCircle = 3, kEllipse = 4, kLine = 5, kPolyline = 6, kPolygon = 7, kExtremeRect = 8, kExtremeCircle = 9 };

Error invalid(const std::string &file, const std::string &where, const std::string &msg)
{
    return makeError(ErrorCode::Invalid, file, where, msg);
}

Result<Shape> shapeFromXy(const ojson &xy, const std::string &file, const std::string &where)
{
    if (!xy.is_array() || xy.empty()) return invalid(file, where, "is not a shape list");
    std::vector<double> v(xy.size());
    for (std::size_t i = 0; i < xy.size(); ++i)
        if (!via::toNumber(xy[i], &v[i])) return invalid(file, where + "[" + std::to_string(i) + "]", "is not a finite number");
    const int id = v[0] >= 0 && v[0] <= 100 ? static_cast<int>(v[0]) : 0;
    const std::size_t n = v.size() - 1;
    const double *c = v.data() + 1;
    auto points = [&]() {
        std::vector<Point> pts(n / 2);
        for (std::size_t i = 0; i < pts.size(); ++i)
            pts[i] = {c[2 * i], c[2 * i + 1]};
        return pts;
    };
    auto need = [&](bool ok, const char *what) -> Status {
        if (!ok) return invalid(file, where, std::string(what) + " has " + std::to_string(n) + " coordinates");
        return {};
    };
    Result<Shape> s = Shape();
    switch (id) {
    case kPoint:
        if (auto e = need(n == 2, "point"); !e) return e.error();
        s = Shape::point(c[0], c[1]);
        break;
    case kRect:
        if (auto e = need(n == 4, "rectangle"); !e) return e.error();
        s = Shape::rect(c[0], c[1], c[2], c[3]);
        break;
    case kCircle:
        if (auto e = need(n == 3, "circle"); !e) return e.error();
        s = Shape::circle(c[0], c[1], c[2]);
        break;
    case kEllipse:
        if (auto e = need(n == 4 || n == 5, "ellipse"); !e) return e.error();
        s = Shape::ellipse(c[0], c[1], c[2], c[3], n == 5 ? c[4] : 0.0);
        break;
    case kLine:
    case kPolyline:
        if (auto e = need(n >= 4 && n % 2 == 0, "polyline"); !e) return e.error();
        s = Shape::polyline(points());
        break;
    case kPolygon:
        if (auto e = need(n >= 6 && n % 2 == 0, "polygon"); !e) return e.error();
        s = Shape::polygon(points());
        break;
    case kExtremeRect: { // four extreme points -> their bounding box
        if (auto e = need(n == 8, "extreme rectangle"); !e) return e.error();
        double x0 = c[0], x1 = c[0], y0 = c[1], y1 = c[1];
        for (std::size_t i = 0; i < 4; ++i) {
            x0 = std::min(x0, c[2 * i]);
            x1 = std::max(x1, c[2 * i]);
            y0 = std::min(y0, c[2 * i + 1]);
            y1 = std::max(y1, c[2 * i + 1]);
        }
        s = Shape::rect(x0, y0, x1 - x0, y1 - y0);
        break;
    }
    case kExtremeCircle: { // three points on the circle -> its circumcircle
        if (auto e = need(n == 6, "extreme circle"); !e) return e.error();
        const double ax = c[0], ay = c[1], bx = c[2], by = c[3], cx = c[4], cy = c[5];
        const double d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by));
        if (std::fabs(d) < 1e-12) return invalid(file, where, "extreme circle's three points are collinear");
        const double ux = ((ax * ax + ay * ay) * (by - cy) + (bx * bx + by * by) * (cy - ay) + (cx * cx + cy * cy) * (ay - by)) / d;
        const double uy = ((ax * ax + ay * ay) * (cx - bx) + (bx * bx + by * by) * (ax - cx) + (cx * cx + cy * cy) * (bx - ax)) / d;
        s = Shape::circle(ux, uy, std::hypot(ax - ux, ay - uy));
        break;
    }
    default:
        return invalid(file, where + "[0]", "unknown VIA 3 shape id " + std::to_string(id));
    }
    if (!s) return invalid(file, where, s.error().message);
    return s;
}

const char *typeName(int t)
{
    switch (t) {
    case 1: return "text";
    case 2: return "checkbox";
    case 3: return "radio";
    case 4: return "dropdown";
    case 5: return "image";
    default: return "text";
    }
}

class Via3Format : public Format {
public:
    std::string name() const override { return "via3"; }
    std::string description() const override { return "VIA 3.x project (JSON, import)"; }
    std::string fileFilter() const override { return "*.json"; }
    unsigned capabilities() const override { return CanRead; }
    bool canRead(const std::string &path) const override
    {
        std::ifstream in(path, std::ios::binary);
        std::string head(8192, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<std::size_t>(in.gcount()));
        return head.find("\"vid_list\"") != std::string::npos || (head.find("\"project\"") != std::string::npos && head.find("\"metadata\"") != std::string::npos);
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        auto text = readFile(path);
        if (!text) return text.error();
        auto parsed = parseJson<ojson>(*text, path);
        if (!parsed) return parsed.error();
        const ojson &j = *parsed;
        for (const char *k : {"project", "file", "view", "metadata"})
            if (!j.is_object() || !j.contains(k) || !j[k].is_object())
                return invalid(path, std::string("$.") + k, "missing or not an object; not a VIA 3 project");

        Dataset ds;
        std::map<std::string, std::string> attrName; // aid -> name
        if (auto attrs = j.find("attribute"); attrs != j.end() && attrs->is_object()) {
            for (auto it = attrs->begin(); it != attrs->end(); ++it) {
                const ojson &a = it.value();
                const std::string where = "$.attribute" + jsonKeyPath(it.key());
                if (!a.is_object() || !a.contains("aname") || !a["aname"].is_string()) return invalid(path, where, "has no aname");
                AttributeDef def;
                def.name = a["aname"].get<std::string>();
                def.scope = a.value("anchor_id", "") == "FILE1_Z0_XY0" ? "file" : "region";
                int type = 1;
                if (!via::readInt(a, "type", 1, 5, &type)) return invalid(path, where + ".type", "must be an attribute type 1..5");
                def.type = typeName(type);
                def.description = a.value("desc", "");
                if (a.contains("options") && a["options"].is_object()) def.options = a["options"];
                if (a.contains("default_option_id") && a["default_option_id"].is_string() && !a["default_option_id"].get<std::string>().empty())
                    def.defaults.push_back(a["default_option_id"].get<std::string>());
                attrName[it.key()] = def.name;
                ds.attributes.push_back(std::move(def));
            }
        }
        // Option ids -> their text, so a class attribute yields names, not ids.
        auto avToAttributes = [&](const ojson &av) {
            ojson out = ojson::object();
            if (!av.is_object()) return out;
            for (auto it = av.begin(); it != av.end(); ++it) {
                auto n = attrName.find(it.key());
                out[n != attrName.end() ? n->second : it.key()] = it.value();
            }
            return out;
        };

        std::map<std::string, std::size_t> imageOfFid;
        const ojson &files = j["file"];
        for (auto it = files.begin(); it != files.end(); ++it) {
            const ojson &f = it.value();
            if (!f.is_object() || !f.contains("fname") || !f["fname"].is_string())
                return invalid(path, "$.file" + jsonKeyPath(it.key()), "has no fname");
            ImageEntry im;
            im.path = f["fname"].get<std::string>();
            if (f.contains("src") && f["src"].is_string() && !f["src"].get<std::string>().empty()) im.extra["src"] = f["src"];
            imageOfFid[it.key()] = ds.images.size();
            ds.images.push_back(std::move(im));
        }
        const ojson &views = j["view"];
        const ojson &meta = j["metadata"];
        for (auto it = meta.begin(); it != meta.end(); ++it) {
            const ojson &m = it.value();
            const std::string where = "$.metadata" + jsonKeyPath(it.key());
            if (!m.is_object() || !m.contains("vid")) return invalid(path, where, "has no vid");
            const std::string vid = m["vid"].is_string() ? m["vid"].get<std::string>() : m["vid"].dump();
            auto v = views.find(vid);
            if (v == views.end() || !v->contains("fid_list") || !(*v)["fid_list"].is_array() || (*v)["fid_list"].empty())
                return invalid(path, where + ".vid", "names view '" + vid + "' which does not exist");
            const ojson &fidj = (*v)["fid_list"][0];
            const std::string fid = fidj.is_string() ? fidj.get<std::string>() : fidj.dump();
            auto f = imageOfFid.find(fid);
            if (f == imageOfFid.end()) return invalid(path, where, "view '" + vid + "' names file '" + fid + "' which does not exist");
            ImageEntry &im = ds.images[f->second];
            const ojson xy = m.value("xy", ojson::array());
            ojson attrs = avToAttributes(m.value("av", ojson::object()));
            if (xy.empty()) { // file-level metadata
                for (auto a = attrs.begin(); a != attrs.end(); ++a)
                    im.fileAttributes[a.key()] = a.value();
                continue;
            }
            auto shape = shapeFromXy(xy, path, where + ".xy");
            if (!shape) return shape.error();
            RegionData r;
            r.shape = std::move(shape.value());
            r.className = via::classFromAttributes(attrs, opts);
            // A dropdown/radio class stores an option id; use the option's text when it has one.
            for (const auto &def : ds.attributes) {
                if (def.scope == "region" && def.options.contains(r.className) && def.options[r.className].is_string()
                    && !def.options[r.className].get<std::string>().empty()
                    && (attrs.contains(def.name) && attrs[def.name] == r.className)) {
                    r.className = def.options[r.className].get<std::string>();
                }
            }
            r.attributes = std::move(attrs);
            if (!r.className.empty()) ds.ensureClass(r.className);
            im.regions.push_back(std::move(r));
        }
        for (const char *k : {"project", "config"})
            if (j.contains(k)) ds.extra["via3_" + std::string(k)] = j[k];
        (void)opts;
        return ds;
    }
};

} // namespace

std::unique_ptr<Format> makeVia3Format() { return std::make_unique<Via3Format>(); }

} // namespace core
