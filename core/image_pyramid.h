#pragma once
// A tiled multi-resolution pyramid of one image, in one file: level 0 is the image
// at full resolution, each next level half the width and height (2 x 2 box average,
// the last odd row or column averaged with itself) until one tile holds the whole
// level. Tiles are kTileSize pixels square (smaller at the right and bottom edges),
// 8-bit RGB, each compressed with zstd (lossless) so a tile reads in a millisecond
// and a view of any zoom needs a handful of them.
//
// build() reads the image once, top to bottom in bands of kTileSize rows: its memory
// is a few bands per level (about 4 * 3 * width * kTileSize bytes), not the image.
// The file is written beside its final name and renamed into place, so a reader (or
// a crash) never sees a half-written pyramid.
//
// File layout (little-endian): "ATPYRAM1", u32 version, width, height, tile size,
// levels; the zstd frames of the tiles; the index (per level, row by row: u64 offset,
// u32 bytes, u32 0); u64 offset of the index; "ATPYEND1".
//
// An opened ImagePyramid is immutable and its reads are thread-safe (pread).
#include "core/result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace core {

struct PyramidBuildOptions {
    std::function<void(double)> progress;     // 0..1, from the building thread
    const std::atomic<bool> *cancel = nullptr; // checked once a band: ErrorCode::Cancelled, nothing written
};

// One tile's pixels: RGB, rows packed (3 * width bytes each).
struct TilePixels {
    int width = 0, height = 0;
    std::vector<std::uint8_t> rgb;
};

class ImagePyramid {
public:
    static constexpr int kTileSize = 512;

    ~ImagePyramid();
    ImagePyramid(const ImagePyramid &) = delete;
    ImagePyramid &operator=(const ImagePyramid &) = delete;

    static Status build(const std::string &image, const std::string &file, const PyramidBuildOptions &options = {});
    // Checks the header, the index and that every tile lies inside the file.
    static Result<std::shared_ptr<const ImagePyramid>> open(const std::string &file);

    const std::string &file() const { return m_file; }
    int width() const { return m_width; }   // of the image, level 0
    int height() const { return m_height; }
    int levels() const { return static_cast<int>(m_levels.size()); }
    int levelWidth(int level) const { return m_levels[static_cast<std::size_t>(level)].width; }
    int levelHeight(int level) const { return m_levels[static_cast<std::size_t>(level)].height; }
    int tilesX(int level) const { return (levelWidth(level) + kTileSize - 1) / kTileSize; }
    int tilesY(int level) const { return (levelHeight(level) + kTileSize - 1) / kTileSize; }
    std::uint64_t fileBytes() const { return m_bytes; }

    Result<TilePixels> tile(int level, int tx, int ty) const;

private:
    struct Entry {
        std::uint64_t offset = 0;
        std::uint32_t bytes = 0;
    };
    struct Level {
        int width = 0, height = 0;
        std::vector<Entry> tiles; // row by row
    };
    ImagePyramid() = default;

    std::string m_file;
    int m_fd = -1;
    int m_width = 0, m_height = 0;
    std::uint64_t m_bytes = 0;
    std::vector<Level> m_levels;
};

} // namespace core
