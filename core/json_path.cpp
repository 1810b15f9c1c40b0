#include "core/json_path.h"

namespace core {

namespace {

bool isIdentifier(std::string_view s)
{
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

} // namespace

std::string jsonKeyPath(std::string_view key)
{
    std::string k = "['";
    for (char c : key) {
        if (c == '\'' || c == '\\') k += '\\';
        k += c;
    }
    return k + "']";
}

JsonPath::JsonPath(std::string root) : m_root(std::move(root)) {}

JsonPath::Guard JsonPath::push(Kind kind, std::string_view name, std::size_t index)
{
    m_parts.push_back({kind, name, index});
    return Guard(*this);
}

JsonPath::Guard JsonPath::field(std::string_view name) { return push(Kind::Field, name, 0); }
JsonPath::Guard JsonPath::key(std::string_view key) { return push(Kind::Key, key, 0); }
JsonPath::Guard JsonPath::member(std::string_view key) { return push(Kind::Member, key, 0); }
JsonPath::Guard JsonPath::index(std::size_t i) { return push(Kind::Index, {}, i); }

void JsonPath::setIndex(std::size_t i)
{
    if (!m_parts.empty()) m_parts.back().index = i;
}

void JsonPath::pop()
{
    if (!m_parts.empty()) m_parts.pop_back();
}

std::string JsonPath::str() const
{
    std::string s = m_root;
    for (std::size_t i = 0; i < m_parts.size() && i < kShown; ++i) {
        const Part &p = m_parts[i];
        switch (p.kind) {
        case Kind::Field:
            s += '.';
            s += p.name;
            break;
        case Kind::Member:
            if (isIdentifier(p.name)) {
                s += '.';
                s += p.name;
            } else {
                s += jsonKeyPath(p.name);
            }
            break;
        case Kind::Key:
            s += jsonKeyPath(p.name);
            break;
        case Kind::Index:
            s += '[' + std::to_string(p.index) + ']';
            break;
        }
    }
    if (m_parts.size() > kShown) s += "...";
    return s;
}

} // namespace core
