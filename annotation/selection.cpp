#include "annotation/selection.h"

#include "annotation/document.h"

#include <algorithm>

namespace annotation {

bool Selection::contains(core::Id id) const { return std::find(m_ids.begin(), m_ids.end(), id) != m_ids.end(); }

void Selection::set(std::vector<core::Id> ids)
{
    if (ids == m_ids) return;
    m_ids = std::move(ids);
    Q_EMIT changed();
}

void Selection::toggle(core::Id id)
{
    std::vector<core::Id> next = m_ids;
    if (auto it = std::find(next.begin(), next.end(), id); it != next.end()) next.erase(it);
    else next.push_back(id);
    set(std::move(next));
}

void Selection::prune(const Document &doc)
{
    m_ids.erase(std::remove_if(m_ids.begin(), m_ids.end(), [&doc](core::Id id) { return !doc.region(id); }), m_ids.end());
}

} // namespace annotation
