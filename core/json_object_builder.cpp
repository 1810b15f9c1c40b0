#include "core/json_object_builder.h"

namespace core {

nlohmann::ordered_json &JsonObjectBuilder::slot(std::string_view key)
{
    if (m_object->is_null()) *m_object = nlohmann::ordered_json::object();
    auto &members = m_object->get_ref<nlohmann::ordered_json::object_t &>();
    if (members.size() <= kLinear) {
        for (auto &m : members)
            if (m.first == key) return m.second;
    } else {
        if (m_index.empty())
            for (std::size_t i = 0; i < members.size(); ++i)
                m_index.emplace(members.begin()[static_cast<std::ptrdiff_t>(i)].first, i);
        auto [it, added] = m_index.emplace(std::string(key), members.size());
        if (!added) return members.begin()[static_cast<std::ptrdiff_t>(it->second)].second;
    }
    // Append without ordered_map's own (linear) search: the key is known to be new.
    members.Container::emplace_back(std::string(key), nullptr);
    return members.back().second;
}

} // namespace core
