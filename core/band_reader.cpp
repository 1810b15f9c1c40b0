#include "core/band_reader.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include <jpeglib.h>
#include <png.h>
#include <tiffio.h>

namespace core {

namespace {

Error readError(const std::string &path, const std::string &why) { return makeError(ErrorCode::Io, path, {}, why); }

// libpng and libjpeg report errors by longjmp; the frames they jump over hold only
// plain values (no destructors run or are skipped).
class PngReader : public BandReader {
public:
    ~PngReader() override
    {
        if (m_png) png_destroy_read_struct(&m_png, m_info ? &m_info : nullptr, nullptr);
        if (m_file) std::fclose(m_file);
    }

    // Fails with Unsupported for an interlaced PNG (its rows are final only after the last pass).
    Status open(const std::string &path)
    {
        m_path = path;
        m_file = std::fopen(path.c_str(), "rb");
        if (!m_file) return readError(path, std::strerror(errno));
        m_png = png_create_read_struct(PNG_LIBPNG_VER_STRING, this, &PngReader::onError, &PngReader::onWarning);
        if (!m_png) return readError(path, "out of memory");
        m_info = png_create_info_struct(m_png);
        if (!m_info) return readError(path, "out of memory");
        if (setjmp(png_jmpbuf(m_png))) return readError(path, "not a readable PNG: " + m_error);
        png_init_io(m_png, m_file);
        png_set_user_limits(m_png, 1u << 20, 1u << 20); // 1M pixels a side: huge images are the point here
        png_read_info(m_png, m_info);
        if (png_get_interlace_type(m_png, m_info) != PNG_INTERLACE_NONE) return makeError(ErrorCode::Unsupported, path, {}, "interlaced PNG");
        png_set_expand(m_png);
        png_set_strip_16(m_png);
        png_set_gray_to_rgb(m_png);
        png_set_strip_alpha(m_png);
        png_read_update_info(m_png, m_info);
        m_width = static_cast<int>(png_get_image_width(m_png, m_info));
        m_height = static_cast<int>(png_get_image_height(m_png, m_info));
        if (png_get_rowbytes(m_png, m_info) != static_cast<png_size_t>(m_width) * 3) return readError(path, "unexpected PNG row layout");
        return {};
    }

    Status readRows(int rows, std::uint8_t *rgb) override
    {
        if (setjmp(png_jmpbuf(m_png))) return readError(m_path, "cannot decode: " + m_error);
        for (int i = 0; i < rows; ++i) png_read_row(m_png, rgb + static_cast<std::size_t>(i) * 3 * static_cast<std::size_t>(m_width), nullptr);
        return {};
    }

private:
    static void onError(png_structp png, png_const_charp message)
    {
        static_cast<PngReader *>(png_get_error_ptr(png))->m_error = message ? message : "error";
        longjmp(png_jmpbuf(png), 1);
    }
    static void onWarning(png_structp, png_const_charp) {}

    std::string m_path, m_error;
    std::FILE *m_file = nullptr;
    png_structp m_png = nullptr;
    png_infop m_info = nullptr;
};

class JpegReader : public BandReader {
public:
    ~JpegReader() override
    {
        if (m_created) jpeg_destroy_decompress(&m_jpeg);
        if (m_file) std::fclose(m_file);
    }

    Status open(const std::string &path)
    {
        m_path = path;
        m_file = std::fopen(path.c_str(), "rb");
        if (!m_file) return readError(path, std::strerror(errno));
        m_jpeg.err = jpeg_std_error(&m_err.pub);
        m_err.pub.error_exit = &JpegReader::onError;
        m_err.pub.output_message = [](j_common_ptr) {};
        if (setjmp(m_err.jump)) return readError(path, std::string("not a readable JPEG: ") + m_err.message);
        jpeg_create_decompress(&m_jpeg);
        m_created = true;
        jpeg_stdio_src(&m_jpeg, m_file);
        jpeg_read_header(&m_jpeg, TRUE);
        m_cmyk = m_jpeg.jpeg_color_space == JCS_CMYK || m_jpeg.jpeg_color_space == JCS_YCCK;
        m_jpeg.out_color_space = m_cmyk ? JCS_CMYK : JCS_RGB;
        jpeg_start_decompress(&m_jpeg);
        m_width = static_cast<int>(m_jpeg.output_width);
        m_height = static_cast<int>(m_jpeg.output_height);
        if (m_cmyk) m_row.resize(static_cast<std::size_t>(m_width) * 4);
        return {};
    }

    Status readRows(int rows, std::uint8_t *rgb) override
    {
        if (setjmp(m_err.jump)) return readError(m_path, std::string("cannot decode: ") + m_err.message);
        const std::size_t stride = static_cast<std::size_t>(m_width) * 3;
        for (int i = 0; i < rows; ++i) {
            std::uint8_t *out = rgb + static_cast<std::size_t>(i) * stride;
            JSAMPROW row = m_cmyk ? m_row.data() : out;
            if (jpeg_read_scanlines(&m_jpeg, &row, 1) != 1) return readError(m_path, "the JPEG ends early");
            if (m_cmyk) // Adobe writes CMYK inverted: the stored values are 255 - ink
                for (int x = 0; x < m_width; ++x) {
                    const unsigned k = m_row[4 * x + 3];
                    for (int c = 0; c < 3; ++c) out[3 * x + c] = static_cast<std::uint8_t>(m_row[4 * x + c] * k / 255);
                }
        }
        return {};
    }

private:
    struct ErrorManager {
        jpeg_error_mgr pub;
        std::jmp_buf jump;
        char message[JMSG_LENGTH_MAX];
    };
    static void onError(j_common_ptr info)
    {
        auto *err = reinterpret_cast<ErrorManager *>(info->err);
        (*info->err->format_message)(info, err->message);
        std::longjmp(err->jump, 1);
    }

    std::string m_path;
    std::FILE *m_file = nullptr;
    jpeg_decompress_struct m_jpeg{};
    ErrorManager m_err{};
    bool m_created = false, m_cmyk = false;
    std::vector<std::uint8_t> m_row;
};

// libtiff's RGBA interface reads any photometric, bit depth and layout into ABGR words;
// TIFFRGBAImageGet with a row offset reads one band of it.
class TiffReader : public BandReader {
public:
    ~TiffReader() override
    {
        if (m_begun) TIFFRGBAImageEnd(&m_img);
        if (m_tif) TIFFClose(m_tif);
        if (m_options) TIFFOpenOptionsFree(m_options);
    }

    Status open(const std::string &path)
    {
        m_path = path;
        m_options = TIFFOpenOptionsAlloc();
        TIFFOpenOptionsSetErrorHandlerExtR(m_options, &TiffReader::onError, this);
        TIFFOpenOptionsSetWarningHandlerExtR(m_options, [](TIFF *, void *, const char *, const char *, va_list) { return 1; }, nullptr);
        m_tif = TIFFOpenExt(path.c_str(), "r", m_options);
        if (!m_tif) return readError(path, "not a readable TIFF: " + m_error);
        char message[1024] = {0};
        if (!TIFFRGBAImageOK(m_tif, message) || !TIFFRGBAImageBegin(&m_img, m_tif, 0, message)) return readError(path, std::string("cannot read this TIFF: ") + message);
        m_begun = true;
        m_img.req_orientation = ORIENTATION_TOPLEFT;
        m_width = static_cast<int>(m_img.width);
        m_height = static_cast<int>(m_img.height);
        return {};
    }

    Status readRows(int rows, std::uint8_t *rgb) override
    {
        m_raster.resize(static_cast<std::size_t>(m_width) * static_cast<std::size_t>(rows));
        m_img.row_offset = m_next;
        m_img.col_offset = 0;
        if (!TIFFRGBAImageGet(&m_img, m_raster.data(), static_cast<uint32_t>(m_width), static_cast<uint32_t>(rows)))
            return readError(m_path, "cannot decode rows " + std::to_string(m_next) + "-: " + m_error);
        m_next += rows;
        for (std::size_t i = 0; i < m_raster.size(); ++i) {
            const uint32_t p = m_raster[i];
            rgb[3 * i] = static_cast<std::uint8_t>(TIFFGetR(p));
            rgb[3 * i + 1] = static_cast<std::uint8_t>(TIFFGetG(p));
            rgb[3 * i + 2] = static_cast<std::uint8_t>(TIFFGetB(p));
        }
        return {};
    }

private:
    static int onError(TIFF *, void *self, const char *, const char *fmt, va_list ap)
    {
        char buf[512];
        std::vsnprintf(buf, sizeof buf, fmt, ap);
        static_cast<TiffReader *>(self)->m_error = buf;
        return 1;
    }

    std::string m_path, m_error;
    TIFFOpenOptions *m_options = nullptr;
    TIFF *m_tif = nullptr;
    TIFFRGBAImage m_img{};
    bool m_begun = false;
    int m_next = 0;
    std::vector<uint32_t> m_raster;
};

// Anything else OpenCV decodes: whole, then handed out band by band.
class WholeImageReader : public BandReader {
public:
    Status open(const std::string &path)
    {
        try {
            cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
            if (bgr.empty()) return readError(path, "not an image this build can read");
            cv::cvtColor(bgr, m_rgb, cv::COLOR_BGR2RGB);
        } catch (const cv::Exception &e) {
            return readError(path, e.what());
        }
        m_width = m_rgb.cols;
        m_height = m_rgb.rows;
        return {};
    }
    bool wholeImageInMemory() const override { return true; }
    Status readRows(int rows, std::uint8_t *rgb) override
    {
        const std::size_t stride = static_cast<std::size_t>(m_width) * 3;
        for (int i = 0; i < rows; ++i) std::memcpy(rgb + i * stride, m_rgb.ptr(m_next + i), stride);
        m_next += rows;
        return {};
    }

private:
    cv::Mat m_rgb;
    int m_next = 0;
};

enum class Kind { Png, Jpeg, Tiff, Other };

Kind sniff(const std::string &path)
{
    unsigned char magic[8] = {0};
    if (std::FILE *f = std::fopen(path.c_str(), "rb")) {
        const std::size_t n = std::fread(magic, 1, sizeof magic, f);
        std::fclose(f);
        if (n >= 8 && std::memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0) return Kind::Png;
        if (n >= 3 && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF) return Kind::Jpeg;
        if (n >= 4 && (std::memcmp(magic, "II*\0", 4) == 0 || std::memcmp(magic, "MM\0*", 4) == 0 || std::memcmp(magic, "II+\0", 4) == 0 ||
                       std::memcmp(magic, "MM\0+", 4) == 0))
            return Kind::Tiff;
    }
    return Kind::Other;
}

template <typename R>
Result<std::unique_ptr<BandReader>> openAs(const std::string &path)
{
    auto r = std::make_unique<R>();
    if (auto s = r->open(path); !s) return s.error();
    return std::unique_ptr<BandReader>(std::move(r));
}

} // namespace

Result<std::unique_ptr<BandReader>> BandReader::open(const std::string &path)
{
    switch (sniff(path)) {
    case Kind::Png: {
        auto r = openAs<PngReader>(path);
        if (r || r.error().code != ErrorCode::Unsupported) return r;
        return openAs<WholeImageReader>(path); // interlaced
    }
    case Kind::Jpeg:
        return openAs<JpegReader>(path);
    case Kind::Tiff:
        return openAs<TiffReader>(path);
    case Kind::Other:
        break;
    }
    return openAs<WholeImageReader>(path);
}

} // namespace core
