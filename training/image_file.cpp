#include "training/image_file.h"

#include "core/image_size.h"

#include <opencv2/imgcodecs.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace fs = std::filesystem;
using core::ErrorCode;
using core::makeError;

namespace training {

namespace {

// Walks the JPEG's markers: segments by their lengths, entropy-coded data after
// each start-of-scan (0xFF is followed by 0x00 stuffing or a restart marker inside
// it), until the end-of-image marker. Running out of bytes first means a cut file.
bool jpegComplete(const unsigned char *p, std::size_t n)
{
    std::size_t i = 2;
    for (;;) {
        while (i < n && p[i] != 0xFF) ++i; // stray bytes between segments: the decoder skips them too
        while (i < n && p[i] == 0xFF) ++i; // fill bytes
        if (i >= n) return false;
        const unsigned char m = p[i++];
        if (m == 0xD9) return true;                              // EOI
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;     // TEM, RSTn: no length
        if (n - i < 2) return false;
        const std::size_t len = static_cast<std::size_t>(p[i]) << 8 | p[i + 1];
        if (len < 2 || n - i < len) return false;
        i += len;
        if (m != 0xDA) continue;                                 // SOS: scan data follows
        for (;;) {
            const void *ff = std::memchr(p + i, 0xFF, n - i);
            if (!ff) return false;
            i = static_cast<std::size_t>(static_cast<const unsigned char *>(ff) - p);
            if (i + 1 >= n) return false;
            const unsigned char q = p[i + 1];
            if (q == 0x00 || (q >= 0xD0 && q <= 0xD7) || q == 0xFF) {
                i += q == 0xFF ? 1 : 2;
                continue;
            }
            break; // a marker: the next segment, another scan or EOI
        }
    }
}

// PNG: 8-byte signature, then chunks (length, type, data, CRC) up to IEND.
bool pngComplete(const unsigned char *p, std::size_t n)
{
    std::size_t i = 8;
    while (n - i >= 12) {
        const std::size_t len = static_cast<std::size_t>(p[i]) << 24 | static_cast<std::size_t>(p[i + 1]) << 16 |
                                static_cast<std::size_t>(p[i + 2]) << 8 | p[i + 3];
        if (std::memcmp(p + i + 4, "IEND", 4) == 0) return true;
        if (len > n - i - 12) return false;
        i += 12 + len;
    }
    return false;
}

} // namespace

bool encodedImageComplete(const unsigned char *data, std::size_t size)
{
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return jpegComplete(data, size);
    if (size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) return pngComplete(data, size);
    return true;
}

core::Result<cv::Mat> decodeImageFile(const std::string &path)
{
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return makeError(ErrorCode::Io, path, {}, "cannot read image: no such file");
    if (!fs::is_regular_file(st)) return makeError(ErrorCode::Io, path, {}, "cannot read image: not a regular file");
    // core's pixel limit (ANNOTRAIN_MAX_IMAGE_PIXELS), checked on the header before any decode.
    if (auto size = core::readImageSize(path); !size && size.error().code == ErrorCode::TooLarge) return size.error();
    try {
        std::ifstream in(path, std::ios::binary);
        if (!in) return makeError(ErrorCode::Io, path, {}, "cannot read image: " + std::string(std::strerror(errno)));
        std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (bytes.empty()) return makeError(ErrorCode::Invalid, path, {}, "the image file is empty");
        if (!encodedImageComplete(bytes.data(), bytes.size()))
            return makeError(ErrorCode::Invalid, path, {}, "the image is truncated (its data ends before the end of the image)");
        cv::Mat m = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
        if (m.empty()) return makeError(ErrorCode::Invalid, path, {}, "cannot decode the image (not an image, or corrupt)");
        return m;
    } catch (const cv::Exception &e) {
        return makeError(ErrorCode::Invalid, path, {}, "cannot decode the image (" + e.err.substr(0, 200) + ")");
    } catch (const std::bad_alloc &) {
        return makeError(ErrorCode::Invalid, path, {}, "out of memory while decoding the image");
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Io, path, {}, std::string("cannot read image: ") + e.what());
    }
}

} // namespace training
