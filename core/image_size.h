#pragma once
// Width and height of an image file from its header (PNG, JPEG, BMP, GIF), without
// decoding the pixels; other formats fall back to decoding with OpenCV.
#include "core/dataset.h"
#include "core/result.h"

#include <string>
#include <vector>

namespace core {

struct ImageSize {
    int width = 0, height = 0;
};

Result<ImageSize> readImageSize(const std::string &path);

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
