#include "core/dataset.h"

#include <cmath>
#include <cstdio>

namespace core {

namespace {
const char *const kSplitNames[] = {"unassigned", "train", "val", "test"};
}

const char *splitName(Split s) { return kSplitNames[static_cast<int>(s)]; }

bool splitFromName(const std::string &name, Split *out)
{
    for (int i = 0; i < 4; ++i) {
        if (name == kSplitNames[i]) {
            *out = static_cast<Split>(i);
            return true;
        }
    }
    return false;
}

std::size_t Dataset::ensureClass(const std::string &name)
{
    for (std::size_t i = 0; i < classes.size(); ++i)
        if (classes[i].name == name) return i;
    classes.push_back({name, defaultClassColor(classes.size()), 0});
    return classes.size() - 1;
}

std::size_t Dataset::regionCount() const
{
    std::size_t n = 0;
    for (const auto &im : images)
        n += im.regions.size();
    return n;
}

std::string defaultClassColor(std::size_t index)
{
    // A qualitative palette (Tableau 10), then golden-angle hues.
    static const char *const kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    if (index < 10) return kPalette[index];
    const double h = std::fmod(static_cast<double>(index) * 137.508, 360.0) / 60.0;
    const double x = 1 - std::fabs(std::fmod(h, 2.0) - 1);
    double r = 0, g = 0, b = 0;
    switch (static_cast<int>(h)) {
    case 0: r = 1; g = x; break;
    case 1: r = x; g = 1; break;
    case 2: g = 1; b = x; break;
    case 3: g = x; b = 1; break;
    case 4: r = x; b = 1; break;
    default: r = 1; b = x; break;
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(40 + r * 200), static_cast<int>(40 + g * 200),
                  static_cast<int>(40 + b * 200));
    return buf;
}

} // namespace core
