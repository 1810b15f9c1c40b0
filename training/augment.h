#pragma once
// The augmentations a run may ask for (--augment), and their application to one
// sample: a geometric transform drawn per sample that moves the image and, with it,
// every target (class masks, outlines, boxes); then photometric changes that touch
// the image only. Plain C++ on raw buffers: the mappers (training/mapper.h) call it.
//
// Coordinates: the S x S canvas a mapper works on, in pixel corners (pixel (x, y)
// covers [x, x+1) x [y, y+1)), as core's rasteriser counts them, x right, y down.
#include "core/random.h"
#include "core/result.h"
#include "core/shape.h"

#include <cstdint>
#include <string>
#include <vector>

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

// One sample's geometry: flips, a shift of -PAD..PAD pixels (crop:PAD pads by PAD
// and crops back to the size, which is the same), a rotation and a zoom about the
// canvas centre. The output pixel whose centre is (x+0.5, y+0.5) shows the source
// point source(...) of it; forward() is its inverse, for outlines and boxes.
class SampleTransform {
public:
    // Draws from `rng` in a fixed order (flips, shift, angle, zoom): the same stream gives the same transform.
    static SampleTransform draw(const Augment &aug, int size, core::SplitMix64 &rng);
    static SampleTransform identity(int size);

    bool isIdentity() const { return !m_fx && !m_fy && m_dx == 0 && m_dy == 0 && !m_rotates; }
    int size() const { return m_size; }
    // Source point (corners) shown at output point p (corners).
    core::Point source(core::Point p) const;
    // Output point (corners) where source point p lands.
    core::Point forward(core::Point p) const;
    // C planes of S x S bytes -> C planes of S x S floats in [0, 1], bilinear (nearest
    // is exact when the transform only flips and shifts); 0 outside the source.
    void warpImage(const std::uint8_t *src, int channels, float *dst) const;
    // S x S labels, nearest; `outside` where the output shows no source pixel.
    void warpLabels(const std::uint8_t *src, std::int64_t *dst, std::int64_t outside) const;

private:
    int m_size = 0;
    bool m_fx = false, m_fy = false, m_rotates = false;
    int m_dx = 0, m_dy = 0;
    double m_cos = 1, m_sin = 0; // cos(angle)/zoom, sin(angle)/zoom
};

// Brightness, contrast, gamma, blur, noise, impulse and erase of one C x S x S float
// image in place, drawn from `rng` after the geometry.
void applyPhotometric(const Augment &aug, float *image, int channels, int size, core::SplitMix64 &rng);

} // namespace training
