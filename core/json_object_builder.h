#pragma once
// Fills an ordered_json object member by member in file order. A repeated key
// replaces the earlier value in its place, as nlohmann's own parser does, but without
// the linear search ordered_json makes on every insertion: a hostile object with a
// million keys would otherwise take 10^12 string comparisons.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <unordered_map>

namespace core {

class JsonObjectBuilder {
public:
    // `object` (an object, or null to become one at the first member) must stay where it is
    // while the builder lives.
    explicit JsonObjectBuilder(nlohmann::ordered_json &object) : m_object(&object) {}

    // The value under `key`, appended as null when new; valid until the next slot().
    nlohmann::ordered_json &slot(std::string_view key);
    void set(std::string_view key, nlohmann::ordered_json value) { slot(key) = std::move(value); }

private:
    static constexpr std::size_t kLinear = 16; // up to this many members a scan beats hashing

    nlohmann::ordered_json *m_object;
    std::unordered_map<std::string, std::size_t> m_index; // key -> position, once there are more than kLinear
};

} // namespace core
