#pragma once
// Writes a PNG row by row, so a test or a benchmark can make a picture larger than
// memory (30,000 x 20,000 RGB is 1.8 GB decoded): 8-bit RGB, zlib level 1, no filter.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace testutil {

// `row(y, out)` fills row y: 3 * width bytes. False if the file cannot be written.
inline bool writePngRows(const std::string &path, int width, int height, const std::function<void(int y, std::uint8_t *row)> &row)
{
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    auto chunk = [f](const char *type, const unsigned char *data, std::size_t n) {
        unsigned char len[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16), static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
        std::fwrite(len, 1, 4, f);
        std::fwrite(type, 1, 4, f);
        if (n) std::fwrite(data, 1, n, f);
        uLong crc = crc32(0, reinterpret_cast<const Bytef *>(type), 4);
        if (n) crc = crc32(crc, data, static_cast<uInt>(n));
        unsigned char c[4] = {static_cast<unsigned char>(crc >> 24), static_cast<unsigned char>(crc >> 16), static_cast<unsigned char>(crc >> 8), static_cast<unsigned char>(crc)};
        std::fwrite(c, 1, 4, f);
    };
    std::fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    const unsigned char ihdr[13] = {static_cast<unsigned char>(width >> 24), static_cast<unsigned char>(width >> 16), static_cast<unsigned char>(width >> 8),
                                    static_cast<unsigned char>(width), static_cast<unsigned char>(height >> 24), static_cast<unsigned char>(height >> 16),
                                    static_cast<unsigned char>(height >> 8), static_cast<unsigned char>(height), 8, 2, 0, 0, 0};
    chunk("IHDR", ihdr, 13);
    z_stream z{};
    deflateInit(&z, 1);
    std::vector<unsigned char> line(1 + static_cast<std::size_t>(width) * 3), out(1 << 20);
    auto pump = [&](int flush) { // deflates what is in, writing IDAT chunks; true at the stream's end
        int rc = Z_OK;
        do {
            z.next_out = out.data();
            z.avail_out = static_cast<uInt>(out.size());
            rc = deflate(&z, flush);
            if (const std::size_t n = out.size() - z.avail_out) chunk("IDAT", out.data(), n);
        } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
        return rc == Z_STREAM_END;
    };
    for (int y = 0; y < height; ++y) {
        line[0] = 0; // filter: none
        row(y, line.data() + 1);
        z.next_in = line.data();
        z.avail_in = static_cast<uInt>(line.size());
        pump(Z_NO_FLUSH);
    }
    pump(Z_FINISH);
    deflateEnd(&z);
    chunk("IEND", nullptr, 0);
    return std::fclose(f) == 0;
}


} // namespace testutil
