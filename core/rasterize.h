#pragma once
// Polygon rasterisation with the project's pixel convention: pixel (x, y) covers
// [x, x+1) x [y, y+1) and belongs to a polygon when its centre (x+0.5, y+0.5) is
// inside (even-odd rule). A w x h box at integer corners therefore covers exactly w*h pixels.
#include "core/shape.h"

#include <cstdint>
#include <vector>

namespace core {

// Sets mask[y * width + x] = value for every pixel inside `poly`; pixels outside the
// width x height grid are clipped.
void fillPolygon(std::uint8_t *mask, int width, int height, const std::vector<Point> &poly, std::uint8_t value);

} // namespace core
