#pragma once
// Helpers shared by the core tests.
#include "core/dataset.h"
#include "core/format.h"

#include <QtTest>

#include <string>

namespace testutil {

inline std::string sharedData(const std::string &rel) { return std::string(ANNOTRAIN_SHARED_DATA) + "/" + rel; }

inline const core::Format &format(const char *name)
{
    const core::Format *f = core::FormatRegistry::instance().find(name);
    if (!f) qFatal("format %s is not registered", name);
    return *f;
}

// Shapes, classes, attributes and image names equal, image by image and region by region.
inline bool sameAnnotations(const core::Dataset &a, const core::Dataset &b, std::string *why)
{
    if (a.images.size() != b.images.size()) {
        *why = "image count " + std::to_string(a.images.size()) + " vs " + std::to_string(b.images.size());
        return false;
    }
    for (std::size_t i = 0; i < a.images.size(); ++i) {
        const auto &x = a.images[i], &y = b.images[i];
        if (x.path != y.path) { *why = "image " + std::to_string(i) + " path " + x.path + " vs " + y.path; return false; }
        if (x.regions.size() != y.regions.size()) { *why = x.path + ": region count differs"; return false; }
        if (nlohmann::json(x.fileAttributes) != nlohmann::json(y.fileAttributes)) { *why = x.path + ": file attributes differ"; return false; }
        for (std::size_t k = 0; k < x.regions.size(); ++k) {
            const auto &r = x.regions[k], &s = y.regions[k];
            if (r.shape != s.shape) { *why = x.path + ": region " + std::to_string(k) + " shape differs"; return false; }
            if (r.className != s.className) { *why = x.path + ": region " + std::to_string(k) + " class " + r.className + " vs " + s.className; return false; }
            if (nlohmann::json(r.attributes) != nlohmann::json(s.attributes)) {
                *why = x.path + ": region " + std::to_string(k) + " attributes " + r.attributes.dump() + " vs " + s.attributes.dump();
                return false;
            }
        }
    }
    return true;
}

} // namespace testutil
