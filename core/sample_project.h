#pragma once
// The built-in sample project: 48 deterministic 128x128 PNG images of simple
// shapes (classes circle, square, triangle), each labelled with its shapes'
// regions (polygons for circles and triangles, boxes for squares), an image class
// (the largest shape) for classification, and a train/val/test split.
#include "core/result.h"

#include <string>

namespace core {

// The number of images of the sample that `sample`, the GUI's first start and the tests make.
constexpr int kSampleImages = 48;

// Creates <dir>/sample.atproj and <dir>/images/*.png; returns the project path.
// Fails if the project exists already.
Result<std::string> createSampleProject(const std::string &dir, int images = kSampleImages);

} // namespace core
