#pragma once
// The augmentations a run may ask for (--augment), parsed from their names. Plain
// values: the mapper applies them (training/data.h).
#include "core/result.h"

#include <string>

namespace training {

struct Augment {
    bool hflip = false, vflip = false, brightness = false, contrast = false, gamma = false;
    bool noise = false, impulse = false, blur = false, erase = false;
    int crop = 0, shift = 0;    // pixels
    double rotate = 0;          // degrees, uniform in [-rotate, rotate]
    double scale = 0;           // F: the zoom is uniform in [1 - F, 1 + F]
    bool geometric() const { return hflip || vflip || crop || shift || rotate > 0 || scale > 0; }
};

// "none" or a comma list: hflip, vflip, crop[:PAD], shift[:PX], rotate[:DEG],
// scale[:F], brightness, contrast, gamma, noise, impulse, blur, erase.
core::Result<Augment> parseAugment(const std::string &text);
std::string augmentNames();

} // namespace training
