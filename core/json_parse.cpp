#include "core/json_parse.h"

#include "core/fileio.h"
#include "core/json_object_builder.h"
#include "core/json_path.h"

#include <optional>
#include <vector>

namespace core {

namespace {

const char *const kTooDeep = "nesting deeper than ";

// nlohmann's SAX events turned into a value, as its own DOM parser does (or, with keep
// false, only checked), refusing a container that would open below maxDepth and
// remembering the path of every open level for that error.
template <class Json>
class BoundedSax {
public:
    using Int = typename Json::number_integer_t;
    using Unsigned = typename Json::number_unsigned_t;
    using Float = typename Json::number_float_t;
    using String = typename Json::string_t;
    using Binary = typename Json::binary_t;
    static constexpr bool kOrdered = std::is_same_v<Json, nlohmann::ordered_json>;

    BoundedSax(int maxDepth, const std::string &root, bool keep) : m_maxDepth(maxDepth), m_root(root), m_keep(keep) {}

    bool null() { return add(nullptr); }
    bool boolean(bool v) { return add(v); }
    bool number_integer(Int v) { return add(v); }
    bool number_unsigned(Unsigned v) { return add(v); }
    bool number_float(Float v, const String &) { return add(v); }
    bool string(String &v) { return add(std::move(v)); }
    bool binary(Binary &v) { return add(Json::binary(std::move(v))); }
    bool start_object(std::size_t) { return open(false); }
    bool start_array(std::size_t) { return open(true); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(String &k)
    {
        Level &l = m_levels.back();
        l.key = std::move(k);
        if (!m_keep) return true;
        if constexpr (kOrdered) {
            m_next = &l.builder->slot(l.key);
        } else {
            m_next = &(*l.value)[l.key];
        }
        return true;
    }
    bool parse_error(std::size_t position, const std::string &, const nlohmann::detail::exception &e)
    {
        m_errorAt = position;
        m_errorWhat = e.what();
        return false;
    }

    Json take() { return std::move(m_value); }
    // Set when the parse stopped at a syntax error.
    std::optional<std::size_t> errorAt() const { return m_errorAt; }
    const std::string &errorWhat() const { return m_errorWhat; }
    // Set when it stopped at a value nested too deep: the path to that value.
    const std::optional<std::string> &tooDeep() const { return m_tooDeep; }

private:
    struct Level {
        bool isArray;
        Json *value;                              // null when only checking
        std::optional<JsonObjectBuilder> builder; // objects of ordered_json only
        String key;                               // objects: the key of the member being read
        std::size_t count = 0;                    // arrays: elements so far
    };

    // Where the next value goes: the root, the end of the open array, or the member named by key().
    Json *place()
    {
        if (m_levels.empty()) return &m_value;
        Level &l = m_levels.back();
        if (!l.isArray) return m_next;
        ++l.count;
        if (!m_keep) return nullptr;
        l.value->push_back(nullptr);
        return &l.value->back();
    }
    template <class V>
    bool add(V &&v)
    {
        Json *p = place();
        if (m_keep) *p = Json(std::forward<V>(v));
        return true;
    }
    bool open(bool isArray)
    {
        if (static_cast<int>(m_levels.size()) >= m_maxDepth) {
            JsonPath path(m_root);
            std::vector<JsonPath::Guard> guards;
            for (std::size_t i = 0; i < m_levels.size(); ++i) {
                const Level &l = m_levels[i];
                // An open list's last element holds the deeper levels; the innermost one is about to get the refused value.
                const std::size_t at = i + 1 < m_levels.size() ? l.count - 1 : l.count;
                guards.push_back(l.isArray ? path.index(at) : path.member(l.key));
            }
            m_tooDeep = path.str();
            return false;
        }
        Json *p = place();
        Level l{isArray, nullptr, std::nullopt, {}, 0};
        if (m_keep) {
            *p = isArray ? Json::array() : Json::object();
            l.value = p;
            if constexpr (kOrdered) {
                if (!isArray) l.builder.emplace(*p);
            }
        }
        m_levels.push_back(std::move(l));
        return true;
    }
    bool close()
    {
        m_levels.pop_back();
        return true;
    }

    int m_maxDepth;
    std::string m_root;
    bool m_keep;
    Json m_value;
    std::vector<Level> m_levels;
    Json *m_next = nullptr;
    std::optional<std::size_t> m_errorAt;
    std::string m_errorWhat;
    std::optional<std::string> m_tooDeep;
};

// The error a parse stopped at, if it stopped.
template <class Json>
std::optional<Error> stopped(const BoundedSax<Json> &sax, std::string_view text, const std::string &file, int maxDepth)
{
    if (sax.tooDeep()) return jsonTooDeep(file, *sax.tooDeep(), maxDepth);
    if (!sax.errorAt()) return std::nullopt;
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." -> "syntax error ..."
    std::string what = sax.errorWhat();
    if (auto p = what.find(": ", what.find("column")); p != std::string::npos) what = what.substr(p + 2);
    const std::size_t at = *sax.errorAt() > 0 ? *sax.errorAt() - 1 : 0;
    return makeError(ErrorCode::Parse, file, lineColAt(text, at), "invalid JSON: " + what);
}

} // namespace

Error jsonTooDeep(const std::string &file, const std::string &path, int maxDepth)
{
    return makeError(ErrorCode::Parse, file, path, kTooDeep + std::to_string(maxDepth) + " levels");
}

bool isTooDeep(const Error &e) { return e.code == ErrorCode::Parse && e.message.rfind(kTooDeep, 0) == 0; }

// nlohmann's lexer takes a NUL byte for the end of the input, so "{}\0garbage" would pass.
// No JSON text holds one (inside a string it must be escaped).
std::optional<Error> nulByte(std::string_view text, const std::string &file)
{
    const auto at = text.find('\0');
    if (at == std::string_view::npos) return std::nullopt;
    return makeError(ErrorCode::Parse, file, lineColAt(text, at), "invalid JSON: NUL byte");
}

template <class Json>
Result<Json> parseJson(std::string_view text, const std::string &file, int maxDepth, const std::string &root)
{
    BoundedSax<Json> sax(maxDepth, root, true);
    if (Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json, true)) {
        if (auto e = nulByte(text, file)) return *e;
        return sax.take();
    }
    if (auto e = stopped(sax, text, file, maxDepth)) return *e;
    return makeError(ErrorCode::Parse, file, {}, "invalid JSON");
}

template Result<nlohmann::ordered_json> parseJson(std::string_view, const std::string &, int, const std::string &);
template Result<nlohmann::json> parseJson(std::string_view, const std::string &, int, const std::string &);

std::optional<Error> checkJson(std::string_view text, const std::string &file, int maxDepth)
{
    BoundedSax<nlohmann::json> sax(maxDepth, "$", false);
    if (nlohmann::json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json, true)) return nulByte(text, file);
    if (auto e = stopped(sax, text, file, maxDepth)) return e;
    return makeError(ErrorCode::Parse, file, {}, "invalid JSON");
}

} // namespace core
