#pragma once
// Where a value sits in a JSON document, for error messages:
// "$['img.jpg'].regions[3].shape_attributes". A reader pushes a component as it
// descends and the guard pops it again; the text is rendered only when an error needs
// it, so walking 200,000 regions costs no string building. The number of components is
// the depth of the value under the path: the depth limit is checked against it.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace core {

class JsonPath {
public:
    // Components shown before "..." in str(): enough to say where in the schema a deep value starts.
    static constexpr std::size_t kShown = 16;

    // RAII: pops the component its push added.
    class [[nodiscard]] Guard {
    public:
        explicit Guard(JsonPath &p) : m_p(&p) {}
        Guard(Guard &&o) noexcept : m_p(o.m_p) { o.m_p = nullptr; }
        Guard(const Guard &) = delete;
        Guard &operator=(const Guard &) = delete;
        Guard &operator=(Guard &&) = delete;
        ~Guard()
        {
            if (m_p) m_p->pop();
        }

    private:
        JsonPath *m_p;
    };

    // `root` is what the rendered path starts with: "$", or a place outside JSON such as a CSV line.
    explicit JsonPath(std::string root = "$");

    // The name views must outlive the component: literals, or keys the parser keeps for the whole read.
    Guard field(std::string_view name); // ".name": a key the format defines
    Guard key(std::string_view key);    // "['key']": a key the file chose (image keys, ids)
    Guard member(std::string_view key); // ".key" for an identifier, else "['key']": keys of free-form values
    Guard index(std::size_t i);         // "[i]"
    void setIndex(std::size_t i);       // the last component, an index, moves on to i
    void pop();

    std::size_t depth() const { return m_parts.size(); }
    // The root and the first kShown components, then "..." when there are more.
    std::string str() const;

private:
    enum class Kind : unsigned char { Field, Key, Member, Index };
    struct Part {
        Kind kind;
        std::string_view name;
        std::size_t index;
    };
    Guard push(Kind kind, std::string_view name, std::size_t index);

    std::string m_root;
    std::vector<Part> m_parts;
};

// "['name']" with quotes and backslashes escaped: how paths show a key the file chose.
std::string jsonKeyPath(std::string_view key);

} // namespace core
