#pragma once
// Reads an image top to bottom, a band of rows at a time, without holding the
// whole picture: what building a pyramid of a 30,000 x 20,000 image needs (the
// decoded picture alone would take 1.8 GB). PNG (not interlaced), JPEG and TIFF
// (any layout libtiff's RGBA interface reads: strips, tiles, 8 or 16 bits) stream;
// any other file OpenCV reads (BMP, WebP, interlaced PNG) is decoded whole first,
// so only those cost memory in proportion to the image.
//
// Pixels come out as 8-bit RGB, rows packed (3 * width bytes each); alpha is
// dropped, grey is expanded, 16-bit samples keep their high byte. The EXIF
// orientation of a JPEG is not applied (the rows are the file's own).
#include "core/result.h"

#include <cstdint>
#include <memory>
#include <string>

namespace core {

class BandReader {
public:
    virtual ~BandReader() = default;
    // Opens `path` and reads its header; the error names the file and the reason.
    static Result<std::unique_ptr<BandReader>> open(const std::string &path);

    int width() const { return m_width; }
    int height() const { return m_height; }
    // True when the whole image is held in memory (the fallback decoder).
    virtual bool wholeImageInMemory() const { return false; }
    // The next `rows` rows into `rgb` (at least rows * 3 * width() bytes).
    virtual Status readRows(int rows, std::uint8_t *rgb) = 0;

protected:
    int m_width = 0, m_height = 0;
};

} // namespace core
