#pragma once
// Copied regions (shapes, classes, attributes), pasted onto any image of the
// project. In-process: regions are project data (class ids), not text for other
// programs. Pasted onto the image they came from, they land 10 px right and down
// so they can be told apart, and each further paste steps on by another 10 px.
#include "core/project_store.h"

#include <vector>

namespace annotation {

class Document;

class Clipboard {
public:
    // Copies the regions `ids` of `doc`; returns how many were copied (0 leaves the clipboard as it was).
    int copy(const Document &doc, const std::vector<core::Id> &ids);
    bool isEmpty() const { return m_regions.empty(); }
    int size() const { return static_cast<int>(m_regions.size()); }
    // The regions to add to `image` (manual origin, offset when it is the image they came from).
    std::vector<core::Region> pasteOnto(core::Id image);

private:
    std::vector<core::Region> m_regions;
};

} // namespace annotation
