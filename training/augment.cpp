#include "training/augment.h"

#include <cmath>
#include <sstream>

using core::ErrorCode;
using core::makeError;

namespace training {

std::string augmentNames()
{
    return "hflip, vflip, crop[:PAD], shift[:PX], rotate[:DEG], scale[:F], brightness, contrast, gamma, noise, impulse, blur, erase";
}

core::Result<Augment> parseAugment(const std::string &text)
{
    Augment a;
    if (text.empty() || text == "none") return a;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto colon = item.find(':');
        const std::string name = item.substr(0, colon);
        double arg = -1;
        if (colon != std::string::npos) {
            std::size_t used = 0;
            try {
                arg = std::stod(item.substr(colon + 1), &used);
            } catch (const std::exception &) {
                used = 0;
            }
            if (used == 0 || used != item.size() - colon - 1 || !(arg >= 0) || arg > 1e4)
                return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "' needs a number >= 0 after the colon");
        }
        const bool has = arg >= 0;
        auto pixels = [&](int fallback) -> core::Result<int> {
            if (has && arg != std::floor(arg)) return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "' needs whole pixels");
            return has ? static_cast<int>(arg) : fallback;
        };
        if (name == "hflip") a.hflip = true;
        else if (name == "vflip") a.vflip = true;
        else if (name == "brightness") a.brightness = true;
        else if (name == "contrast") a.contrast = true;
        else if (name == "gamma") a.gamma = true;
        else if (name == "noise") a.noise = true;
        else if (name == "impulse") a.impulse = true;
        else if (name == "blur") a.blur = true;
        else if (name == "erase") a.erase = true;
        else if (name == "crop" || name == "shift") {
            auto px = pixels(name == "crop" ? 4 : 2);
            if (!px) return px.error();
            (name == "crop" ? a.crop : a.shift) = *px;
        } else if (name == "rotate") a.rotate = has ? arg : 15;
        else if (name == "scale") {
            a.scale = has ? arg : 0.1;
            if (a.scale >= 1) return makeError(ErrorCode::Invalid, {}, {}, "--augment: '" + item + "': the scale range F must be below 1 (0.1: 90 % to 110 %)");
        } else {
            return makeError(ErrorCode::Invalid, {}, {}, "--augment: unknown augmentation '" + name + "' (this build has " + augmentNames() + ")");
        }
    }
    return a;
}

} // namespace training
