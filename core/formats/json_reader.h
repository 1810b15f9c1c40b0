#pragma once
// simdjson's On-Demand API for the big annotation readers (VIA, VIA project, COCO,
// labelme). The file is indexed once at GB/s and then walked forward; nothing is built
// but what the reader keeps, so a read needs the file, its index and the Dataset, not a
// DOM of ten times the file's size. simdjson skips what a reader leaves unread without
// recursion; the only recursive walk, walk(), stops at kMaxJsonDepth.
//
// Errors: simdjson reports a syntax error as an exception (simdjson_error) at the place
// the walk reached; guard() turns it into one Error{Parse} at line:col. Content errors
// are values, as everywhere in core.
#include "core/json_parse.h"
#include "core/json_path.h"
#include "core/result.h"

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <string>
#include <string_view>

namespace core::json {

namespace od = simdjson::ondemand;
using ojson = nlohmann::ordered_json;

class JsonReader {
public:
    JsonReader() = default;
    JsonReader(const JsonReader &) = delete;
    JsonReader &operator=(const JsonReader &) = delete;

    // Reads and indexes `path`. Called again for the next file, it reuses the parser's buffers.
    Status open(const std::string &path);
    const std::string &file() const { return m_file; }
    od::document &doc() { return m_doc; }
    // Back to the start, for a reader that needs another pass. Strings unescaped before
    // (keys, get_string views) are overwritten by the next pass: copy what must last.
    void rewind() { m_doc.rewind(); }

    // Runs `read`, which walks doc(), and turns a simdjson exception into syntaxError(). A file
    // refused for its content (Error{Invalid}) that also holds a syntax error somewhere the
    // walk did not look gets the syntax error, as a DOM parser would have found it first.
    template <class F>
    auto guard(F &&read) -> decltype(read())
    {
        try {
            auto r = read();
            if (!r.ok() && r.error().code == ErrorCode::Invalid) {
                if (auto e = checkJson(text(), m_file)) return *e;
            }
            return r;
        } catch (const simdjson::simdjson_error &e) {
            return syntaxError(e.error());
        }
    }
    // The syntax error the walk ran into: "invalid JSON: ..." at line:col, in the words of
    // nlohmann's parser, which finds the exact place again (errors only: it costs a parse).
    Error syntaxError(simdjson::error_code code);
    // After the root value: anything but whitespace left is a syntax error.
    Status expectEnd();
    // How far the walk got, 0..1, for progress bars.
    double progress();

    // Converts `v` (and all under it) into *out; with out == nullptr only checks it. Either
    // way a container deeper than kMaxJsonDepth (the depth of `path` is that of `v`) is an
    // error naming the path, and every scalar is validated.
    Status walk(od::value v, ojson *out, JsonPath &path);
    Status toOjson(od::value v, ojson *out, JsonPath &path) { return walk(v, out, path); }
    Status check(od::value v, JsonPath &path) { return walk(v, nullptr, path); }

private:
    std::string_view text() const { return {m_text.data(), m_size}; }

    od::parser m_parser;
    simdjson::padded_string m_text;
    od::document m_doc;
    std::size_t m_size = 0;
    bool m_walking = false; // m_doc is a document being walked
    std::string m_file;
};

// A number, or a string holding one (some VIA files quote numbers), as a finite double.
// False for anything else; a value that is no number is left for simdjson to skip.
bool numberLike(od::value v, double *out);
// The whole of `s` as a finite number (strtod's syntax), for numbers VIA writes as strings.
bool numberFromText(const std::string &s, double *out);
// A JSON number as nlohmann's parser would store it: unsigned or signed integer when the
// token is a whole number that fits, else double.
ojson numberValue(od::value v);

} // namespace core::json
