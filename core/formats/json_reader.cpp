#include "core/formats/json_reader.h"

#include "core/fileio.h"
#include "core/json_object_builder.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace core::json {

namespace {

std::string describe(simdjson::error_code code)
{
    switch (code) {
    case simdjson::TAPE_ERROR: return "misplaced or missing comma, colon, brace, bracket or key";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT: return "the document ends inside an object or a list";
    case simdjson::NUMBER_ERROR: return "not a number, or a number out of range";
    case simdjson::STRING_ERROR: return "invalid escape or surrogate in a string";
    case simdjson::UNCLOSED_STRING: return "a string is never closed";
    case simdjson::UNESCAPED_CHARS: return "control character inside a string (it must be escaped)";
    case simdjson::UTF8_ERROR: return "not valid UTF-8";
    case simdjson::EMPTY: return "the file holds no JSON value";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
    case simdjson::INCORRECT_TYPE: return "invalid literal (expected a value: true, false, null, a number, a string, a list or an object)";
    case simdjson::MEMALLOC: return "out of memory";
    case simdjson::CAPACITY: return "the file is too large";
    default: return simdjson::error_message(code);
    }
}

std::string_view trimRight(std::string_view s)
{
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

} // namespace

Status JsonReader::open(const std::string &path)
{
    m_file = path;
    m_size = 0;
    auto st = readFileInto(path, [&](std::size_t n) {
        m_size = n;
        m_text = simdjson::padded_string(n);
        return m_text.data();
    });
    if (!st) return st;
    // A UTF-8 byte order mark, which nlohmann's parser skips too.
    if (m_size >= 3 && std::memcmp(m_text.data(), "\xEF\xBB\xBF", 3) == 0) std::memset(m_text.data(), ' ', 3);
    // Indexing finds invalid UTF-8, unclosed strings and control characters, but not where.
    m_walking = false;
    if (auto err = m_parser.iterate(m_text).get(m_doc); err) return syntaxError(err);
    m_walking = true;
    return {};
}

Error JsonReader::syntaxError(simdjson::error_code code)
{
    if (auto e = checkJson(text(), m_file)) return *e;
    // nlohmann's parser takes the file: a limit of simdjson's (its 4 GB capacity) or a disagreement.
    if (!m_walking) return makeError(ErrorCode::Parse, m_file, {}, "invalid JSON: " + describe(code));
    auto loc = m_doc.current_location();
    const std::size_t at = loc.error() ? trimRight(text()).size() : static_cast<std::size_t>(loc.value_unsafe() - m_text.data());
    return makeError(ErrorCode::Parse, m_file, lineColAt(text(), at), "invalid JSON: " + describe(code));
}

Status JsonReader::expectEnd()
{
    auto loc = m_doc.current_location();
    if (loc.error()) return {};
    return syntaxError(simdjson::TAPE_ERROR);
}

double JsonReader::progress()
{
    auto loc = m_doc.current_location();
    if (loc.error() || m_size == 0) return 1.0;
    return static_cast<double>(loc.value_unsafe() - m_text.data()) / static_cast<double>(m_size);
}

Status JsonReader::walk(od::value v, ojson *out, JsonPath &path)
{
    switch (v.type()) {
    case od::json_type::object: {
        if (path.depth() >= static_cast<std::size_t>(kMaxJsonDepth)) return jsonTooDeep(m_file, path.str());
        if (out) *out = ojson::object();
        std::optional<JsonObjectBuilder> members;
        if (out) members.emplace(*out);
        for (auto field : v.get_object()) {
            const std::string_view key = field.unescaped_key();
            auto g = path.member(key);
            if (auto s = walk(field.value(), out ? &members->slot(key) : nullptr, path); !s) return s;
        }
        return {};
    }
    case od::json_type::array: {
        if (path.depth() >= static_cast<std::size_t>(kMaxJsonDepth)) return jsonTooDeep(m_file, path.str());
        if (out) *out = ojson::array();
        auto g = path.index(0);
        std::size_t i = 0;
        for (auto element : v.get_array()) {
            path.setIndex(i++);
            ojson item;
            if (auto s = walk(element.value(), out ? &item : nullptr, path); !s) return s;
            if (out) out->push_back(std::move(item));
        }
        return {};
    }
    case od::json_type::number: {
        ojson n = numberValue(v);
        if (out) *out = std::move(n);
        return {};
    }
    case od::json_type::string: {
        const std::string_view s = v.get_string();
        if (out) *out = std::string(s);
        return {};
    }
    case od::json_type::boolean: {
        const bool b = v.get_bool();
        if (out) *out = b;
        return {};
    }
    case od::json_type::null:
        if (!v.is_null()) throw simdjson::simdjson_error(simdjson::N_ATOM_ERROR);
        if (out) *out = nullptr;
        return {};
    }
    throw simdjson::simdjson_error(simdjson::TAPE_ERROR);
}

bool numberLike(od::value v, double *out)
{
    switch (v.type()) {
    case od::json_type::number:
        *out = v.get_double();
        return std::isfinite(*out);
    case od::json_type::string: {
        const std::string s(std::string_view(v.get_string()));
        return numberFromText(s, out);
    }
    default:
        return false;
    }
}

bool numberFromText(const std::string &s, double *out)
{
    char *end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return !s.empty() && end && *end == '\0' && std::isfinite(*out);
}

ojson numberValue(od::value v)
{
    const std::string_view token = trimRight(v.raw_json_token());
    const double d = v.get_double(); // validates the token; throws on a malformed or out-of-range number
    if (token.find_first_of(".eE") == std::string_view::npos && !token.empty()) {
        const char *first = token.data(), *last = token.data() + token.size();
        if (token[0] == '-') {
            std::int64_t i = 0;
            auto r = std::from_chars(first, last, i);
            if (r.ec == std::errc() && r.ptr == last) return i;
        } else {
            std::uint64_t u = 0;
            auto r = std::from_chars(first, last, u);
            if (r.ec == std::errc() && r.ptr == last) return u;
        }
    }
    return d;
}

} // namespace core::json
