// VIA 1.x/2.x annotations JSON ("via") and VIA 2.x project JSON ("via-project").
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/formats/via_common.h"
#include "core/json_object_builder.h"

#include <fstream>
#include <optional>
#include <unordered_map>

namespace core {

namespace {

using via::ojson;

bool startsLikeJsonObject(const std::string &path, const char *needle)
{
    std::ifstream in(path, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    const auto first = head.find_first_not_of(" \t\r\n");
    return first != std::string::npos && head[first] == '{' && (!needle || head.find(needle) != std::string::npos);
}

namespace od = json::od;

const char *const kNotRecords = "is not an object of image records";

// Reads the image records of an annotations object (the whole file, or a project's _via_img_metadata).
// A VIA annotations file (`topLevel`) must not be a project: its records would be read as images.
Status readImageRecords(od::value records, json::JsonReader &in, JsonPath &path, const ReadOptions &opts, Dataset &ds, bool topLevel)
{
    if (records.type() != od::json_type::object) return makeError(ErrorCode::Invalid, in.file(), path.str(), kNotRecords);
    ClassNames classes(ds);
    std::unordered_map<std::string_view, std::size_t> byKey; // a repeated key replaces the record, as JSON parsers do
    std::size_t i = 0;
    for (auto field : records.get_object()) {
        if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, in.file(), {}, "cancelled");
        if (opts.progress && i++ % 256 == 0) opts.progress(in.progress());
        const std::string_view key = field.unescaped_key();
        if (topLevel && key == "_via_img_metadata")
            return makeError(ErrorCode::Invalid, in.file(), "$", "is a VIA project file; import it with --format via-project");
        auto g = path.key(key);
        auto im = via::readImageRecord(key, field.value(), in, path, opts, classes);
        if (!im) return im.error();
        auto [at, added] = byKey.emplace(key, ds.images.size());
        if (added) {
            ds.images.push_back(std::move(im.value()));
        } else {
            ds.images[at->second] = std::move(im.value());
        }
    }
    return {};
}

// The annotations object: {"<key>": <image record>, ...} as JSON text, under `keys`.
std::string writeImageRecords(const Dataset &data, const std::vector<std::string> &keys, const WriteOptions &opts)
{
    std::string out = "{";
    for (std::size_t i = 0; i < data.images.size(); ++i) {
        if (opts.progress && i % 256 == 0) opts.progress(static_cast<double>(i) / static_cast<double>(data.images.size()));
        if (i) out += ',';
        out += ojson(keys[i]).dump();
        out += ':';
        out += via::imageRecordJson(data.images[i], opts);
    }
    return out + "}";
}

// Every image and every region goes into a VIA file.
Result<WriteReport> writeJson(const std::string &text, const Dataset &data, const std::string &path, const WriteOptions &opts)
{
    if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
    if (auto s = writeFileAtomic(path, text); !s) return s.error();
    return WriteReport{data.images.size(), data.regionCount(), {}};
}

const char *const kViaTypes[] = {"text", "checkbox", "radio", "dropdown", "image"};

// VIA's attribute schema, _via_attributes: region attributes first, then file attributes.
Status readAttributeSchema(const ojson &attrs, const std::string &path, Dataset &ds)
{
    if (!attrs.is_object()) return makeError(ErrorCode::Invalid, path, "$._via_attributes", "is not an object");
    for (const char *scope : {"region", "file"}) {
        auto sc = attrs.find(scope);
        if (sc == attrs.end()) continue;
        if (!sc->is_object()) return makeError(ErrorCode::Invalid, path, std::string("$._via_attributes.") + scope, "is not an object");
        for (auto it = sc->begin(); it != sc->end(); ++it) {
            const std::string where = std::string("$._via_attributes.") + scope + jsonKeyPath(it.key());
            const ojson &def = it.value();
            if (!def.is_object()) return makeError(ErrorCode::Invalid, path, where, "is not an object");
            AttributeDef a;
            a.scope = scope;
            a.name = it.key();
            if (def.contains("type") && !def["type"].is_string()) return makeError(ErrorCode::Invalid, path, where + ".type", "is not a string");
            if (def.contains("description") && !def["description"].is_string())
                return makeError(ErrorCode::Invalid, path, where + ".description", "is not a string");
            a.type = def.value("type", "text");
            if (std::find(std::begin(kViaTypes), std::end(kViaTypes), a.type) == std::end(kViaTypes))
                return makeError(ErrorCode::Invalid, path, where + ".type", "unknown attribute type '" + a.type + "'");
            a.description = def.value("description", "");
            if (auto o = def.find("options"); o != def.end() && o->is_object()) a.options = *o;
            if (auto o = def.find("default_options"); o != def.end() && o->is_object())
                for (auto d = o->begin(); d != o->end(); ++d)
                    if (d.value() == true) a.defaults.push_back(d.key());
            if (auto v = def.find("default_value"); v != def.end() && v->is_string()) a.defaultValue = *v;
            ds.attributes.push_back(std::move(a));
        }
    }
    return {};
}

class ViaJsonFormat : public Format {
public:
    std::string name() const override { return "via"; }
    std::string description() const override { return "VIA 1.x/2.x annotations (JSON)"; }
    std::string fileFilter() const override { return "*.json"; }
    unsigned capabilities() const override { return CanRead | CanWrite; }
    bool canRead(const std::string &path) const override
    {
        return startsLikeJsonObject(path, "regions") && !startsLikeJsonObject(path, "_via_img_metadata");
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        json::JsonReader in;
        if (auto s = in.open(path); !s) return s.error();
        return in.guard([&]() -> Result<Dataset> {
            Dataset ds;
            JsonPath where;
            if (in.doc().type() != od::json_type::object) return makeError(ErrorCode::Invalid, path, "$", kNotRecords);
            if (auto s = readImageRecords(in.doc().get_value(), in, where, opts, ds, true); !s) return s.error();
            if (auto s = in.expectEnd(); !s) return s.error();
            return ds;
        });
    }

    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        return writeJson(writeImageRecords(data, via::imageKeys(data, opts), opts), data, path, opts);
    }
};

class ViaProjectFormat : public Format {
public:
    std::string name() const override { return "via-project"; }
    std::string description() const override { return "VIA 2.x project (JSON)"; }
    std::string fileFilter() const override { return "*.json"; }
    unsigned capabilities() const override { return CanRead | CanWrite; }
    bool canRead(const std::string &path) const override { return startsLikeJsonObject(path, "_via_img_metadata"); }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        json::JsonReader in;
        if (auto s = in.open(path); !s) return s.error();
        return in.guard([&]() { return read(in, opts); });
    }

    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        const std::vector<std::string> keys = via::imageKeys(data, opts);
        ojson out = ojson::object();
        out["_via_settings"] = data.extra.contains("_via_settings") ? data.extra["_via_settings"] : defaultSettings();
        out["_via_img_metadata"] = nullptr; // placeholder: the records are spliced in as text below
        ojson attrs = {{"region", ojson::object()}, {"file", ojson::object()}};
        for (const AttributeDef &a : data.attributes) {
            ojson def = {{"type", a.type}, {"description", a.description}};
            if (a.type != "text") {
                def["options"] = a.options;
                ojson defaults = ojson::object();
                for (const auto &d : a.defaults)
                    defaults[d] = true;
                def["default_options"] = defaults;
            } else {
                def["default_value"] = a.defaultValue;
            }
            attrs[a.scope == "file" ? "file" : "region"][a.name] = std::move(def);
        }
        out["_via_attributes"] = std::move(attrs);
        ojson ids = ojson::array();
        for (const std::string &key : keys)
            ids.push_back(key);
        out["_via_image_id_list"] = std::move(ids);
        out["_via_data_format_version"] = data.extra.value("_via_data_format_version", "2.0.10");
        for (auto it = data.extra.begin(); it != data.extra.end(); ++it)
            if (!out.contains(it.key())) out[it.key()] = it.value();
        std::string text = out.dump();
        const std::string placeholder = "\"_via_img_metadata\":null";
        text.replace(text.find(placeholder), placeholder.size(), "\"_via_img_metadata\":" + writeImageRecords(data, keys, opts));
        return writeJson(text, data, path, opts);
    }

private:
    // Three passes over the indexed file, so that problems are reported in the order the
    // fields are checked and a repeated top-level key counts once, its last value (as JSON
    // parsers keep it): which keys are there; the attribute schema; the image records and
    // the other keys, kept for the round trip.
    static Result<Dataset> read(json::JsonReader &in, const ReadOptions &opts)
    {
        const std::string &path = in.file();
        const auto none = SIZE_MAX;
        std::size_t metadataAt = none, attributesAt = none, n = 0;
        if (in.doc().type() == od::json_type::object) {
            for (auto field : in.doc().get_object()) {
                const std::string_view k = field.unescaped_key();
                if (k == "_via_img_metadata") metadataAt = n;
                if (k == "_via_attributes") attributesAt = n;
                ++n;
            }
            if (auto s = in.expectEnd(); !s) return s.error();
        }
        if (metadataAt == none) return makeError(ErrorCode::Invalid, path, "$", "has no _via_img_metadata; not a VIA 2.x project");
        std::optional<ojson> attributes;
        if (attributesAt != none) {
            in.rewind();
            n = 0;
            for (auto field : in.doc().get_object()) {
                if (n++ != attributesAt) continue;
                JsonPath where;
                auto g = where.field("_via_attributes");
                attributes.emplace();
                if (auto s = in.toOjson(field.value(), &*attributes, where); !s) return s.error();
                break;
            }
        }
        Dataset ds;
        // The schema first, so class names follow the attribute order of the project.
        if (attributes) {
            if (auto s = readAttributeSchema(*attributes, path, ds); !s) return s.error();
        }
        in.rewind();
        n = 0;
        JsonObjectBuilder extra(ds.extra);
        for (auto field : in.doc().get_object()) {
            const std::string_view k = field.unescaped_key();
            JsonPath where;
            if (n++ == metadataAt) {
                auto g = where.field("_via_img_metadata");
                if (auto s = readImageRecords(field.value(), in, where, opts, ds, false); !s) return s.error();
            } else if (k != "_via_img_metadata" && k != "_via_attributes") {
                auto g = where.member(k);
                if (auto s = in.toOjson(field.value(), &extra.slot(k), where); !s) return s.error();
            }
        }
        return ds;
    }

    static ojson defaultSettings()
    {
        return {{"ui", {{"annotation_editor_height", 25}, {"annotation_editor_fontsize", 0.8}, {"leftsidebar_width", 18},
                        {"image_grid", {{"img_height", 80}, {"rshape_fill", "none"}, {"rshape_fill_opacity", 0.3},
                                        {"rshape_stroke", "yellow"}, {"rshape_stroke_width", 2}, {"show_region_shape", true},
                                        {"show_image_policy", "all"}}},
                        {"image", {{"region_label", "__via_region_id__"}, {"region_color", "__via_default_region_color__"},
                                   {"region_label_font", "10px Sans"}, {"on_image_annotation_editor_placement", "NEAR_REGION"}}}}},
                {"core", {{"buffer_size", 18}, {"filepath", ojson::object()}, {"default_filepath", ""}}},
                {"project", {{"name", "annotrain_export"}}}};
    }
};

} // namespace

std::unique_ptr<Format> makeViaJsonFormat() { return std::make_unique<ViaJsonFormat>(); }
std::unique_ptr<Format> makeViaProjectFormat() { return std::make_unique<ViaProjectFormat>(); }

} // namespace core
