#include "annotation/clipboard.h"

#include "annotation/document.h"

namespace annotation {

int Clipboard::copy(const Document &doc, const std::vector<core::Id> &ids)
{
    std::vector<core::Region> copied;
    for (core::Id id : ids)
        if (const core::Region *r = doc.region(id)) copied.push_back(*r);
    if (copied.empty()) return 0;
    m_regions = std::move(copied);
    return static_cast<int>(m_regions.size());
}

std::vector<core::Region> Clipboard::pasteOnto(core::Id image)
{
    if (m_regions.empty()) return {};
    const bool sameImage = m_regions.front().imageId == image;
    if (sameImage)
        for (auto &r : m_regions) r.shape = r.shape.translated(10, 10); // this paste and the next step on
    std::vector<core::Region> out = m_regions;
    for (auto &r : out) r.origin = core::Origin::Manual;
    return out;
}

} // namespace annotation
