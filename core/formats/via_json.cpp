// VIA 1.x/2.x annotations JSON ("via") and VIA 2.x project JSON ("via-project").
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/formats/via_common.h"

#include <fstream>

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

// Reads the per-image records of an annotations object (the whole file, or a project's _via_img_metadata).
Status readImageRecords(const ojson &records, const std::string &file, const std::string &prefix,
                        const ReadOptions &opts, Dataset &ds)
{
    if (!records.is_object()) return makeError(ErrorCode::Invalid, file, prefix.empty() ? "$" : prefix, "is not an object of image records");
    const std::size_t n = records.size();
    std::size_t i = 0;
    ds.images.reserve(ds.images.size() + n);
    for (auto it = records.begin(); it != records.end(); ++it, ++i) {
        if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, file, {}, "cancelled");
        if (opts.progress && i % 256 == 0) opts.progress(static_cast<double>(i) / static_cast<double>(n));
        auto im = via::readImageRecord(it.key(), it.value(), {file, (prefix.empty() ? "$" : prefix) + via::keyPath(it.key())}, opts, ds);
        if (!im) return im.error();
        ds.images.push_back(std::move(im.value()));
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
        auto text = readFile(path);
        if (!text) return text.error();
        auto j = via::parseJsonText(*text, path);
        if (!j) return j.error();
        if (j->is_object() && j->contains("_via_img_metadata"))
            return makeError(ErrorCode::Invalid, path, "$", "is a VIA project file; import it with --format via-project");
        Dataset ds;
        if (auto s = readImageRecords(*j, path, {}, opts, ds); !s) return s.error();
        return ds;
    }

    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        return writeJson(writeImageRecords(data, via::imageKeys(data, opts), opts), data, path, opts);
    }
};

const char *const kViaTypes[] = {"text", "checkbox", "radio", "dropdown", "image"};

class ViaProjectFormat : public Format {
public:
    std::string name() const override { return "via-project"; }
    std::string description() const override { return "VIA 2.x project (JSON)"; }
    std::string fileFilter() const override { return "*.json"; }
    unsigned capabilities() const override { return CanRead | CanWrite; }
    bool canRead(const std::string &path) const override { return startsLikeJsonObject(path, "_via_img_metadata"); }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        auto text = readFile(path);
        if (!text) return text.error();
        auto j = via::parseJsonText(*text, path);
        if (!j) return j.error();
        if (!j->is_object() || !j->contains("_via_img_metadata"))
            return makeError(ErrorCode::Invalid, path, "$", "has no _via_img_metadata; not a VIA 2.x project");
        Dataset ds;
        // The schema first, so class names follow the attribute order of the project.
        if (auto attrs = j->find("_via_attributes"); attrs != j->end()) {
            if (!attrs->is_object()) return makeError(ErrorCode::Invalid, path, "$._via_attributes", "is not an object");
            for (const char *scope : {"region", "file"}) {
                auto sc = attrs->find(scope);
                if (sc == attrs->end()) continue;
                if (!sc->is_object()) return makeError(ErrorCode::Invalid, path, std::string("$._via_attributes.") + scope, "is not an object");
                for (auto it = sc->begin(); it != sc->end(); ++it) {
                    const std::string where = std::string("$._via_attributes.") + scope + via::keyPath(it.key());
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
        }
        if (auto s = readImageRecords((*j)["_via_img_metadata"], path, "$._via_img_metadata", opts, ds); !s) return s.error();
        for (auto it = j->begin(); it != j->end(); ++it)
            if (it.key() != "_via_img_metadata" && it.key() != "_via_attributes") ds.extra[it.key()] = it.value();
        return ds;
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
