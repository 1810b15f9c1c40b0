// VIA CSV ("via-csv"): one row per region; images without regions have a row
// with region_count 0. Fields are RFC 4180: quoted with "" for a quote, and a
// quoted field may span lines.
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/formats/via_common.h"
#include "core/json_parse.h"

#include <fstream>
#include <map>

namespace core {

namespace {

using via::ojson;

struct CsvRow {
    std::size_t line = 0; // 1-based line where the row starts
    std::vector<std::string> fields;
};

Result<std::vector<CsvRow>> parseCsv(const std::string &text, const std::string &file)
{
    std::vector<CsvRow> rows;
    std::size_t i = 0, line = 1;
    const std::size_t n = text.size();
    if (n >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3; // UTF-8 BOM
    while (i < n) {
        CsvRow row;
        row.line = line;
        std::string field;
        bool rowDone = false;
        while (!rowDone) {
            field.clear();
            if (i < n && text[i] == '"') {
                const std::size_t openLine = line;
                ++i;
                for (;;) {
                    if (i >= n) return makeError(ErrorCode::Parse, file, std::to_string(openLine), "quoted field is never closed");
                    if (text[i] == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    if (text[i] == '\n') ++line;
                    field += text[i++];
                }
                if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                    return makeError(ErrorCode::Parse, file, std::to_string(line), "unexpected character after a quoted field");
            } else {
                while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    if (text[i] == '"') return makeError(ErrorCode::Parse, file, std::to_string(line), "quote inside an unquoted field");
                    field += text[i++];
                }
            }
            row.fields.push_back(field);
            if (i < n && text[i] == ',') {
                ++i;
            } else {
                if (i < n && text[i] == '\r') ++i;
                if (i < n && text[i] == '\n') ++i;
                ++line;
                rowDone = true;
            }
        }
        if (!(row.fields.size() == 1 && row.fields[0].empty())) rows.push_back(std::move(row));
    }
    return rows;
}

std::string csvQuote(const std::string &s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

class ViaCsvFormat : public Format {
public:
    std::string name() const override { return "via-csv"; }
    std::string description() const override { return "VIA annotations (CSV)"; }
    std::string fileFilter() const override { return "*.csv"; }
    unsigned capabilities() const override { return CanRead | CanWrite; }
    bool canRead(const std::string &path) const override
    {
        std::ifstream in(path);
        std::string first;
        std::getline(in, first);
        return first.find("filename") != std::string::npos && first.find("region_shape_attributes") != std::string::npos;
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        auto text = readFile(path);
        if (!text) return text.error();
        auto rows = parseCsv(*text, path);
        if (!rows) return rows.error();
        if (rows->empty()) return makeError(ErrorCode::Invalid, path, "1", "empty file: no header row");
        static const char *const kColumns[] = {"filename", "file_size", "file_attributes", "region_count",
                                               "region_id", "region_shape_attributes", "region_attributes"};
        const auto &header = (*rows)[0].fields;
        std::map<std::string, std::size_t> col;
        for (std::size_t c = 0; c < header.size(); ++c) {
            std::string h = header[c];
            if (!h.empty() && h[0] == '#') h.erase(0, 1);
            col[h] = c;
        }
        for (const char *c : kColumns)
            if (!col.count(c)) return makeError(ErrorCode::Invalid, path, "1", std::string("header has no column '") + c + "'");

        Dataset ds;
        ClassNames classes(ds);
        std::map<std::string, std::size_t> imageIndex; // filename+size -> index in ds.images
        for (std::size_t r = 1; r < rows->size(); ++r) {
            const CsvRow &row = (*rows)[r];
            const std::string where = std::to_string(row.line);
            if (row.fields.size() != header.size()) {
                return makeError(ErrorCode::Invalid, path, where, "row has " + std::to_string(row.fields.size()) + " fields, header has "
                                                                        + std::to_string(header.size()));
            }
            auto field = [&](const char *name) -> const std::string & { return row.fields[col[name]]; };
            auto parseField = [&](const char *name) -> Result<ojson> {
                auto j = parseJson<ojson>(field(name), path, kMaxJsonDepth, std::string(name) + ": $");
                if (!j && isTooDeep(j.error())) return makeError(ErrorCode::Parse, path, where, j.error().where + ": " + j.error().message);
                if (!j || !j->is_object()) return makeError(ErrorCode::Parse, path, where, std::string(name) + " is not a JSON object");
                return j;
            };
            const std::string key = field("filename") + field("file_size");
            auto it = imageIndex.find(key);
            if (it == imageIndex.end()) {
                ImageEntry im;
                im.path = field("filename");
                if (im.path.empty()) return makeError(ErrorCode::Invalid, path, where, "empty filename");
                if (!via::toFileSize(ojson(field("file_size")), &im.fileSize))
                    return makeError(ErrorCode::Invalid, path, where, "file_size is not a file size");
                auto fa = parseField("file_attributes");
                if (!fa) return fa.error();
                im.fileAttributes = std::move(fa.value());
                it = imageIndex.emplace(key, ds.images.size()).first;
                ds.images.push_back(std::move(im));
            }
            if (field("region_count") == "0") continue;
            auto sa = parseField("region_shape_attributes");
            if (!sa) return sa.error();
            if (sa->empty()) continue;
            auto ra = parseField("region_attributes");
            if (!ra) return ra.error();
            auto rd = via::regionFromCells(*sa, std::move(ra.value()), path, where + " (region " + field("region_id") + ")", opts, classes);
            if (!rd) return rd.error();
            ds.images[it->second].regions.push_back(std::move(rd.value()));
        }
        return ds;
    }

    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        std::string out = "filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\n";
        for (const ImageEntry &im : data.images) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            const std::string prefix = csvQuote(im.path) + "," + std::to_string(via::fileSizeFor(im, opts)) + ","
                                       + csvQuote(im.fileAttributes.is_object() ? im.fileAttributes.dump() : "{}") + ",";
            if (im.regions.empty()) out += prefix + "0,0,\"{}\",\"{}\"\n";
            static const ojson noExtra = ojson::object();
            for (std::size_t i = 0; i < im.regions.size(); ++i) {
                const RegionData &r = im.regions[i];
                out += prefix + std::to_string(im.regions.size()) + "," + std::to_string(i) + ","
                       + csvQuote(via::shapeAttributesJson(r.shape, r.extra.contains("shape_attributes") ? r.extra["shape_attributes"] : noExtra))
                       + "," + csvQuote(via::regionAttributesFor(r, opts).dump()) + "\n";
            }
        }
        if (auto s = writeFileAtomic(path, out); !s) return s.error();
        return WriteReport{data.images.size(), data.regionCount(), {}};
    }
};

} // namespace

std::unique_ptr<Format> makeViaCsvFormat() { return std::make_unique<ViaCsvFormat>(); }

} // namespace core
