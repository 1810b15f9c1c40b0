#pragma once
// Decoding an image file for training and inference, all of it or not at all.
// cv::imread hands over a JPEG cut short with its missing rows filled in grey and
// only a warning on stderr; here such a file (and a PNG without its end) is an
// error naming it, as is a header claiming more than core's pixel limit
// (core/image_size.h: 2^30 unless ANNOTRAIN_MAX_IMAGE_PIXELS says otherwise), a
// path that is not a regular file, and anything OpenCV cannot decode. Nothing
// throws: every failure is an Error{Io, Invalid or TooLarge, path, reason}.
#include "core/result.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>

namespace training {

// The image as OpenCV decodes it with IMREAD_UNCHANGED (any depth, 1-4 channels, BGR order).
core::Result<cv::Mat> decodeImageFile(const std::string &path);

// True when the bytes hold a JPEG (or PNG) that ends properly: every segment and
// the entropy-coded data up to the end-of-image marker (the PNG's IEND chunk) is
// there. Other formats are left to the decoder and count as complete.
bool encodedImageComplete(const unsigned char *data, std::size_t size);

} // namespace training
