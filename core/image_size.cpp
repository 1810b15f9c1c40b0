#include "core/image_size.h"

#include <opencv2/imgcodecs.hpp>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

namespace core {

namespace {

unsigned be16(const unsigned char *p) { return (p[0] << 8) | p[1]; }
unsigned be32(const unsigned char *p) { return (unsigned(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
unsigned le16(const unsigned char *p) { return p[0] | (p[1] << 8); }
int le32(const unsigned char *p) { return static_cast<int>(p[0] | (p[1] << 8) | (p[2] << 16) | (unsigned(p[3]) << 24)); }

bool jpegSize(std::ifstream &in, ImageSize *out)
{
    in.seekg(2);
    unsigned char b[9];
    for (int guard = 0; guard < 10000; ++guard) {
        int c = in.get();
        while (c == 0xFF) c = in.get();
        if (c == EOF) return false;
        const int marker = c;
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) continue;
        if (!in.read(reinterpret_cast<char *>(b), 2)) return false;
        const unsigned len = be16(b);
        if (len < 2) return false;
        const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (sof) {
            if (!in.read(reinterpret_cast<char *>(b), 5)) return false;
            out->height = static_cast<int>(be16(b + 1));
            out->width = static_cast<int>(be16(b + 3));
            return out->width > 0 && out->height > 0;
        }
        in.seekg(len - 2, std::ios::cur);
    }
    return false;
}

} // namespace

std::int64_t maxImagePixels()
{
    static const std::int64_t limit = [] {
        constexpr std::int64_t kDefault = std::int64_t(1) << 30;
        const char *env = std::getenv("ANNOTRAIN_MAX_IMAGE_PIXELS");
        if (!env || !*env) return kDefault;
        char *end = nullptr;
        const long long v = std::strtoll(env, &end, 10);
        return end && !*end && v > 0 ? static_cast<std::int64_t>(v) : kDefault;
    }();
    return limit;
}

Status checkPixelLimit(const std::string &path, int width, int height)
{
    const std::int64_t pixels = std::int64_t(width) * std::int64_t(height);
    if (pixels <= maxImagePixels()) return {};
    return makeError(ErrorCode::TooLarge, path, {},
                     "image of " + std::to_string(width) + " x " + std::to_string(height) + " pixels is larger than the limit of "
                         + std::to_string(maxImagePixels()) + " pixels (ANNOTRAIN_MAX_IMAGE_PIXELS); refused");
}

Status checkComplete(const std::string &path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return makeError(ErrorCode::Io, path, {}, std::string("cannot open image: ") + std::strerror(errno));
    const std::streamoff size = in.tellg();
    unsigned char head[8] = {};
    in.seekg(0);
    in.read(reinterpret_cast<char *>(head), sizeof head);
    // Look at the end of the file, allowing for a little padding after the end marker.
    const std::streamoff tail = std::min<std::streamoff>(size, 4096);
    std::string end(static_cast<std::size_t>(tail), '\0');
    in.seekg(size - tail);
    in.read(end.data(), tail);
    if (head[0] == 0xFF && head[1] == 0xD8) {
        // In entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so FF D9 is the end.
        if (end.find("\xFF\xD9") == std::string::npos)
            return makeError(ErrorCode::Invalid, path, {}, "JPEG data ends early (no end-of-image marker): the file is truncated");
    } else if (std::memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0) {
        if (end.find("IEND") == std::string::npos)
            return makeError(ErrorCode::Invalid, path, {}, "PNG data ends early (no IEND chunk): the file is truncated");
    }
    return {};
}

Result<ImageSize> readImageSize(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError(ErrorCode::Io, path, {}, std::string("cannot open image: ") + std::strerror(errno));
    unsigned char h[32] = {};
    in.read(reinterpret_cast<char *>(h), sizeof h);
    const auto got = in.gcount();
    in.clear();
    ImageSize s;
    bool header = false;
    if (got >= 24 && std::memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0) {
        const unsigned w = be32(h + 16), hh = be32(h + 20);
        s.width = w > 0x7fffffffu ? -1 : static_cast<int>(w);
        s.height = hh > 0x7fffffffu ? -1 : static_cast<int>(hh);
        header = true;
    } else if (got >= 4 && h[0] == 0xFF && h[1] == 0xD8) {
        header = jpegSize(in, &s);
    } else if (got >= 26 && h[0] == 'B' && h[1] == 'M') {
        s.width = le32(h + 18);
        s.height = le32(h + 22) == INT32_MIN ? -1 : std::abs(le32(h + 22));
        header = true;
    } else if (got >= 10 && std::memcmp(h, "GIF8", 4) == 0) {
        s.width = static_cast<int>(le16(h + 6));
        s.height = static_cast<int>(le16(h + 8));
        header = true;
    }
    if (header && s.width > 0 && s.height > 0) {
        if (auto st = checkPixelLimit(path, s.width, s.height); !st) return st.error();
        return s;
    }
    // Other formats (TIFF, WebP): OpenCV decodes, under its own pixel limit (OPENCV_IO_MAX_IMAGE_PIXELS).
    try {
        cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
        if (!m.empty()) {
            if (auto st = checkPixelLimit(path, m.cols, m.rows); !st) return st.error();
            return ImageSize{m.cols, m.rows};
        }
    } catch (const cv::Exception &) {
    }
    return makeError(ErrorCode::Invalid, path, {}, "not a readable image (unknown or corrupt format)");
}

Result<ImageSize> entryImageSize(const ImageEntry &im, const std::string &imagesDir, const std::string &outPath)
{
    if (im.width > 0 && im.height > 0) return ImageSize{im.width, im.height};
    if (imagesDir.empty()) return makeError(ErrorCode::Invalid, outPath, {}, "size of image " + im.path + " is unknown; give the image folder");
    auto size = readImageSize(imagesDir + "/" + im.path);
    if (!size) {
        const ErrorCode code = size.error().code == ErrorCode::TooLarge ? ErrorCode::TooLarge : ErrorCode::Io;
        return makeError(code, outPath, {}, "cannot get the size of image " + im.path + ": " + size.error().message);
    }
    return size;
}

} // namespace core

namespace core {

bool isImageFileName(const std::string &name)
{
    const auto dot = name.rfind('.');
    if (dot == std::string::npos) return false;
    std::string ext = name.substr(dot);
    for (char &c : ext)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char *e : {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
        if (ext == e) return true;
    return false;
}

std::vector<std::string> listImageFiles(const std::string &dir)
{
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && isImageFileName(it->path().filename().string()))
            out.push_back(fs::relative(it->path(), dir, ec).generic_string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace core
