#pragma once
// Width and height of an image file from its header (PNG, JPEG, BMP, GIF), without
// decoding the pixels; other formats fall back to decoding with OpenCV.
#include "core/dataset.h"
#include "core/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace core {

struct ImageSize {
    int width = 0, height = 0;
};

// The most pixels (width x height) an image may have: every size read from a header
// and every decode is checked against it, so a small file that claims 100000 x 100000
// pixels is refused by name instead of allocating tens of gigabytes. Default 2^30
// (32768 x 32768, or 40000 x 26000: whole-slide tiles and aerial scenes fit); the
// environment variable ANNOTRAIN_MAX_IMAGE_PIXELS sets another.
std::int64_t maxImagePixels();
// An Error naming `path` when width x height is above maxImagePixels().
Status checkPixelLimit(const std::string &path, int width, int height);

// From the header (checked against maxImagePixels()), else by decoding with OpenCV.
Result<ImageSize> readImageSize(const std::string &path);

// Whether the file's data runs to the end its format marks (JPEG's EOI marker, PNG's
// IEND chunk): a file cut off in transfer decodes half grey without an error otherwise.
// Other formats: true.
Status checkComplete(const std::string &path);

// The size of a dataset image for a writer: the entry's own when known, else read
// from imagesDir/path. Errors name `outPath` (the file being written) and the image.
Result<ImageSize> entryImageSize(const ImageEntry &im, const std::string &imagesDir, const std::string &outPath);

} // namespace core

namespace core {

// True for the image file names the project takes (jpg, jpeg, png, bmp, tif, tiff, webp; any case).
bool isImageFileName(const std::string &name);
// Image files below `dir`, recursively, as sorted '/'-separated paths relative to `dir`.
std::vector<std::string> listImageFiles(const std::string &dir);

} // namespace core
