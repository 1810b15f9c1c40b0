#include "core/image_pyramid.h"

#include "core/band_reader.h"

#include <zstd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace core {

namespace {

constexpr char kMagic[8] = {'A', 'T', 'P', 'Y', 'R', 'A', 'M', '1'};
constexpr char kEnd[8] = {'A', 'T', 'P', 'Y', 'E', 'N', 'D', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr int kZstdLevel = 1; // the fastest proper level: even so, compressing is most of a build's time

Error ioError(const std::string &file, const std::string &why) { return makeError(ErrorCode::Io, file, {}, why); }

template <typename T>
void put(std::string &out, T v)
{
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}

template <typename T>
T get(const char *p)
{
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// The band of one level being filled: `rows` of up to kTileSize rows, RGB.
struct Band {
    int width = 0, height = 0; // of the level
    int rows = 0, bandRow = 0; // rows filled; index of this band (tile row)
    std::vector<std::uint8_t> rgb;
};

class Writer {
public:
    explicit Writer(std::string path) : m_path(std::move(path)) {}
    ~Writer()
    {
        if (m_f) std::fclose(m_f);
    }
    Status open()
    {
        m_f = std::fopen(m_path.c_str(), "wb");
        return m_f ? Status{} : ioError(m_path, std::strerror(errno));
    }
    Status write(const void *data, std::size_t n)
    {
        if (std::fwrite(data, 1, n, m_f) != n) return ioError(m_path, std::strerror(errno));
        m_offset += n;
        return {};
    }
    Status close()
    {
        const bool ok = std::fflush(m_f) == 0 && ::fsync(::fileno(m_f)) == 0;
        const int err = errno;
        std::fclose(m_f);
        m_f = nullptr;
        return ok ? Status{} : ioError(m_path, std::strerror(err));
    }
    std::uint64_t offset() const { return m_offset; }

private:
    std::string m_path;
    std::FILE *m_f = nullptr;
    std::uint64_t m_offset = 0;
};

// Where a tile lies in the file.
struct TilePlace {
    std::uint64_t offset = 0;
    std::uint32_t bytes = 0;
};

// Compresses tiles on worker threads (zstd is most of a build's time) and appends
// them to the file in the order they finish; each tile's place goes into its index slot.
// At most 2 tiles per worker wait, so memory stays a few tiles.
class TileCompressor {
public:
    TileCompressor(Writer &out, int workers) : m_out(out)
    {
        for (int i = 0; i < workers; ++i) m_threads.emplace_back([this] { work(); });
    }
    ~TileCompressor() { (void)finish(); } // after an early return: the error is the caller's already

    // Queues `rgb` (moved) to land in `*slot`; blocks while the queue is full. False after an error.
    bool add(std::vector<std::uint8_t> rgb, TilePlace *slot)
    {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_room.wait(lock, [this] { return m_jobs.size() < 2 * m_threads.size() || !m_error.ok(); });
        if (!m_error.ok()) return false;
        m_jobs.push_back({std::move(rgb), slot});
        m_ready.notify_one();
        return true;
    }
    // Waits for every queued tile; the first error any of them met.
    Status finish()
    {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_closing = true;
        }
        m_ready.notify_all();
        for (auto &t : m_threads) t.join();
        m_threads.clear();
        return m_error;
    }

private:
    struct Job {
        std::vector<std::uint8_t> rgb;
        TilePlace *slot;
    };
    void work()
    {
        ZSTD_CCtx *cctx = ZSTD_createCCtx();
        std::vector<char> packed;
        for (;;) {
            Job job;
            {
                std::unique_lock<std::mutex> lock(m_mutex);
                m_ready.wait(lock, [this] { return !m_jobs.empty() || m_closing; });
                if (m_jobs.empty()) break;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            m_room.notify_one();
            packed.resize(ZSTD_compressBound(job.rgb.size()));
            const std::size_t n = ZSTD_compressCCtx(cctx, packed.data(), packed.size(), job.rgb.data(), job.rgb.size(), kZstdLevel);
            std::lock_guard<std::mutex> lock(m_mutex);
            if (!m_error.ok()) continue;
            if (ZSTD_isError(n)) {
                m_error = makeError(ErrorCode::Internal, {}, {}, ZSTD_getErrorName(n));
            } else {
                *job.slot = {m_out.offset(), static_cast<std::uint32_t>(n)};
                if (auto w = m_out.write(packed.data(), n); !w) m_error = w;
            }
            if (!m_error.ok()) m_room.notify_all();
        }
        ZSTD_freeCCtx(cctx);
    }

    Writer &m_out;
    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_ready, m_room;
    std::deque<Job> m_jobs;
    bool m_closing = false;
    Status m_error;
};

// 2 x 2 box average of `rows` rows of `in` (width w) appended to `out` at its row `out.rows`.
void downscaleInto(const Band &in, Band &out)
{
    const int w = in.width, ow = out.width, orows = (in.rows + 1) / 2;
    for (int oy = 0; oy < orows; ++oy) {
        const std::uint8_t *r0 = in.rgb.data() + static_cast<std::size_t>(2 * oy) * 3 * w;
        const std::uint8_t *r1 = 2 * oy + 1 < in.rows ? r0 + 3 * static_cast<std::size_t>(w) : r0;
        std::uint8_t *o = out.rgb.data() + static_cast<std::size_t>(out.rows + oy) * 3 * ow;
        for (int ox = 0; ox < ow; ++ox) {
            const int x0 = 2 * ox, x1 = std::min(2 * ox + 1, w - 1);
            for (int c = 0; c < 3; ++c)
                o[3 * ox + c] = static_cast<std::uint8_t>((r0[3 * x0 + c] + r0[3 * x1 + c] + r1[3 * x0 + c] + r1[3 * x1 + c] + 2) >> 2);
        }
    }
    out.rows += orows;
}

} // namespace

ImagePyramid::~ImagePyramid()
{
    if (m_fd >= 0) ::close(m_fd);
}

Status ImagePyramid::build(const std::string &image, const std::string &file, const PyramidBuildOptions &options)
{
    auto reader = BandReader::open(image);
    if (!reader) return reader.error();
    const int width = (*reader)->width(), height = (*reader)->height();
    if (width <= 0 || height <= 0) return makeError(ErrorCode::Invalid, image, {}, "the image has no pixels");
    std::vector<Band> bands;
    for (int w = width, h = height;; w = (w + 1) / 2, h = (h + 1) / 2) {
        Band b;
        b.width = w;
        b.height = h;
        b.rgb.resize(static_cast<std::size_t>(w) * 3 * kTileSize);
        bands.push_back(std::move(b));
        if (std::max(w, h) <= kTileSize) break;
    }
    std::vector<std::vector<TilePlace>> index(bands.size());
    for (std::size_t k = 0; k < bands.size(); ++k)
        index[k].resize(static_cast<std::size_t>((bands[k].width + kTileSize - 1) / kTileSize) * ((bands[k].height + kTileSize - 1) / kTileSize));

    const std::string part = file + ".part" + std::to_string(::getpid());
    struct Cleanup {
        std::string path;
        bool keep = false;
        ~Cleanup()
        {
            if (!keep) std::remove(path.c_str());
        }
    } cleanup{part};
    Writer out(part);
    if (auto s = out.open(); !s) return s;
    std::string header(kMagic, 8);
    for (std::uint32_t v : {kVersion, std::uint32_t(width), std::uint32_t(height), std::uint32_t(kTileSize), std::uint32_t(bands.size())}) put(header, v);
    if (auto s = out.write(header.data(), header.size()); !s) return s;

    // The decoding and halving stay on this thread; the tiles are compressed beside it.
    TileCompressor compressor(out, static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 8u)) - 1);

    // Writes the tiles of band k's current row and passes its half-size rows on to level k + 1.
    std::function<Status(std::size_t)> flush = [&](std::size_t k) -> Status {
        Band &b = bands[k];
        const int tilesX = (b.width + kTileSize - 1) / kTileSize;
        for (int tx = 0; tx < tilesX; ++tx) {
            const int x0 = tx * kTileSize, tw = std::min(kTileSize, b.width - x0);
            std::vector<std::uint8_t> tile(static_cast<std::size_t>(tw) * 3 * b.rows);
            for (int y = 0; y < b.rows; ++y)
                std::memcpy(tile.data() + static_cast<std::size_t>(y) * 3 * tw, b.rgb.data() + (static_cast<std::size_t>(y) * b.width + x0) * 3,
                            static_cast<std::size_t>(tw) * 3);
            if (!compressor.add(std::move(tile), &index[k][static_cast<std::size_t>(b.bandRow) * tilesX + tx])) return compressor.finish();
        }
        if (k + 1 < bands.size()) {
            downscaleInto(b, bands[k + 1]);
            if (bands[k + 1].rows == kTileSize)
                if (auto s = flush(k + 1); !s) return s;
        }
        b.rows = 0;
        ++b.bandRow;
        return {};
    };

    for (int y = 0; y < height; y += kTileSize) {
        if (options.cancel && options.cancel->load()) return makeError(ErrorCode::Cancelled, image, {}, "cancelled");
        Band &b = bands[0];
        const int rows = std::min(kTileSize, height - y);
        b.rows = rows;
        if (auto s = (*reader)->readRows(rows, b.rgb.data()); !s) return s;
        if (auto s = flush(0); !s) return s;
        if (options.progress) options.progress(static_cast<double>(y + rows) / height);
    }
    for (std::size_t k = 1; k < bands.size(); ++k) // the last, partial bands of the smaller levels
        if (bands[k].rows > 0)
            if (auto s = flush(k); !s) return s;

    if (auto s = compressor.finish(); !s) return s;
    std::string tail;
    const std::uint64_t indexOffset = out.offset();
    for (const auto &level : index)
        for (const TilePlace &e : level) {
            put(tail, e.offset);
            put(tail, e.bytes);
            put(tail, std::uint32_t(0));
        }
    put(tail, indexOffset);
    tail.append(kEnd, 8);
    if (auto s = out.write(tail.data(), tail.size()); !s) return s;
    if (auto s = out.close(); !s) return s;
    std::error_code ec;
    std::filesystem::rename(part, file, ec);
    if (ec) return ioError(file, ec.message());
    cleanup.keep = true;
    return {};
}

Result<std::shared_ptr<const ImagePyramid>> ImagePyramid::open(const std::string &file)
{
    std::shared_ptr<ImagePyramid> p(new ImagePyramid);
    p->m_file = file;
    p->m_fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (p->m_fd < 0) return ioError(file, std::strerror(errno));
    struct stat st {};
    if (::fstat(p->m_fd, &st) != 0) return ioError(file, std::strerror(errno));
    p->m_bytes = static_cast<std::uint64_t>(st.st_size);
    auto bad = [&file](const std::string &why) { return makeError(ErrorCode::Invalid, file, {}, "not a pyramid file: " + why); };
    constexpr std::size_t kHeader = 8 + 5 * 4, kFooter = 16;
    if (p->m_bytes < kHeader + kFooter) return bad("too short");
    char header[kHeader], footer[kFooter];
    if (::pread(p->m_fd, header, kHeader, 0) != static_cast<ssize_t>(kHeader) ||
        ::pread(p->m_fd, footer, kFooter, static_cast<off_t>(p->m_bytes - kFooter)) != static_cast<ssize_t>(kFooter))
        return ioError(file, "cannot read the header");
    if (std::memcmp(header, kMagic, 8) != 0 || std::memcmp(footer + 8, kEnd, 8) != 0) return bad("wrong magic (written by another program, or cut short)");
    if (get<std::uint32_t>(header + 8) != kVersion) return bad("version " + std::to_string(get<std::uint32_t>(header + 8)));
    p->m_width = static_cast<int>(get<std::uint32_t>(header + 12));
    p->m_height = static_cast<int>(get<std::uint32_t>(header + 16));
    const auto tileSize = get<std::uint32_t>(header + 20), levels = get<std::uint32_t>(header + 24);
    if (tileSize != kTileSize || levels == 0 || levels > 32 || p->m_width <= 0 || p->m_height <= 0) return bad("implausible header");
    std::size_t tiles = 0;
    for (int w = p->m_width, h = p->m_height, k = 0; k < static_cast<int>(levels); ++k, w = (w + 1) / 2, h = (h + 1) / 2) {
        Level l;
        l.width = w;
        l.height = h;
        l.tiles.resize(static_cast<std::size_t>((w + kTileSize - 1) / kTileSize) * ((h + kTileSize - 1) / kTileSize));
        tiles += l.tiles.size();
        p->m_levels.push_back(std::move(l));
    }
    const auto indexOffset = get<std::uint64_t>(footer);
    if (indexOffset + tiles * 16 + kFooter != p->m_bytes) return bad("the index does not fit the file");
    std::vector<char> index(tiles * 16);
    if (::pread(p->m_fd, index.data(), index.size(), static_cast<off_t>(indexOffset)) != static_cast<ssize_t>(index.size())) return ioError(file, "cannot read the index");
    std::size_t i = 0;
    for (Level &l : p->m_levels)
        for (Entry &e : l.tiles) {
            e.offset = get<std::uint64_t>(index.data() + 16 * i);
            e.bytes = get<std::uint32_t>(index.data() + 16 * i + 8);
            ++i;
            if (e.offset < kHeader || e.offset + e.bytes > indexOffset || e.bytes == 0) return bad("tile " + std::to_string(i - 1) + " lies outside the data");
        }
    return std::shared_ptr<const ImagePyramid>(std::move(p));
}

Result<TilePixels> ImagePyramid::tile(int level, int tx, int ty) const
{
    if (level < 0 || level >= levels() || tx < 0 || ty < 0 || tx >= tilesX(level) || ty >= tilesY(level))
        return makeError(ErrorCode::Invalid, m_file, {}, "no tile " + std::to_string(tx) + "," + std::to_string(ty) + " at level " + std::to_string(level));
    const Entry &e = m_levels[static_cast<std::size_t>(level)].tiles[static_cast<std::size_t>(ty) * tilesX(level) + tx];
    TilePixels t;
    t.width = std::min(kTileSize, levelWidth(level) - tx * kTileSize);
    t.height = std::min(kTileSize, levelHeight(level) - ty * kTileSize);
    std::vector<char> packed(e.bytes);
    if (::pread(m_fd, packed.data(), packed.size(), static_cast<off_t>(e.offset)) != static_cast<ssize_t>(packed.size()))
        return ioError(m_file, "cannot read a tile: " + std::string(std::strerror(errno)));
    t.rgb.resize(static_cast<std::size_t>(t.width) * t.height * 3);
    const std::size_t n = ZSTD_decompress(t.rgb.data(), t.rgb.size(), packed.data(), packed.size());
    if (ZSTD_isError(n) || n != t.rgb.size()) return makeError(ErrorCode::Invalid, m_file, {}, "a damaged tile at level " + std::to_string(level));
    return t;
}

} // namespace core
