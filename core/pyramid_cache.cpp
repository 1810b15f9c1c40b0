#include "core/pyramid_cache.h"

#include "core/fileio.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <vector>

#include <sys/stat.h>

namespace fs = std::filesystem;

namespace core {

namespace {

std::string hex(std::uint64_t v)
{
    char b[17];
    std::snprintf(b, sizeof b, "%016" PRIx64, v);
    return b;
}

std::uint64_t stringHash(const std::string &s)
{
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

} // namespace

PyramidCache::PyramidCache(std::string dir, std::uint64_t maxBytes) : m_dir(std::move(dir)), m_maxBytes(maxBytes) {}

std::string PyramidCache::pyramidPath(std::uint64_t key) const { return m_dir + "/" + hex(key) + ".pyr"; }

Result<std::uint64_t> PyramidCache::contentKey(const std::string &image)
{
    struct stat st {};
    if (::stat(image.c_str(), &st) != 0) return makeError(ErrorCode::Io, image, {}, "cannot read: the file is missing");
    const std::string absolute = fs::absolute(image).lexically_normal().string();
    std::ostringstream stamp;
    stamp << st.st_size << ' ' << st.st_mtim.tv_sec << '.' << st.st_mtim.tv_nsec;
    const std::string indexFile = m_dir + "/index/" + hex(stringHash(absolute)) + ".txt";
    // The index entry: the path, then "size mtime hash".
    if (auto text = readFile(indexFile)) {
        std::istringstream in(*text);
        std::string path, size, time, key;
        if (std::getline(in, path) && path == absolute && (in >> size >> time >> key) && size + " " + time == stamp.str())
            return static_cast<std::uint64_t>(std::stoull(key, nullptr, 16));
    }
    auto hash = fileContentHash(image);
    if (!hash) return hash.error();
    std::error_code ec;
    fs::create_directories(m_dir + "/index", ec);
    (void)writeFileAtomic(indexFile, absolute + "\n" + stamp.str() + " " + hex(*hash) + "\n"); // an index that cannot be written only costs a hash next time
    return *hash;
}

Result<std::shared_ptr<const ImagePyramid>> PyramidCache::cached(const std::string &image)
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    auto key = contentKey(image);
    if (!key) return key.error();
    const std::string file = pyramidPath(*key);
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::shared_ptr<const ImagePyramid>();
    auto p = ImagePyramid::open(file);
    if (!p) return std::shared_ptr<const ImagePyramid>(); // damaged: as good as none
    fs::last_write_time(file, fs::file_time_type::clock::now(), ec); // recently used
    return p;
}

Result<std::shared_ptr<const ImagePyramid>> PyramidCache::pyramidFor(const std::string &image, const PyramidBuildOptions &options, bool *built)
{
    if (built) *built = false;
    const std::lock_guard<std::mutex> lock(m_mutex);
    auto key = contentKey(image);
    if (!key) return key.error();
    const std::string file = pyramidPath(*key);
    std::error_code ec;
    if (fs::exists(file, ec)) {
        if (auto p = ImagePyramid::open(file)) {
            fs::last_write_time(file, fs::file_time_type::clock::now(), ec);
            return p;
        }
    }
    fs::create_directories(m_dir, ec);
    if (ec) return makeError(ErrorCode::Io, m_dir, {}, "cannot create the pyramid folder: " + ec.message());
    if (auto s = ImagePyramid::build(image, file, options); !s) return s.error();
    if (built) *built = true;
    auto p = ImagePyramid::open(file);
    if (!p) return p.error();
    evictLocked(m_maxBytes, file); // under the lock: no other build races with the sizes counted
    return p;
}

std::uint64_t PyramidCache::bytesOnDisk() const
{
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(m_dir, ec))
        if (e.is_regular_file(ec) && e.path().extension() == ".pyr") total += e.file_size(ec);
    return total;
}

void PyramidCache::evictTo(std::uint64_t bytes, const std::string &keep)
{
    const std::lock_guard<std::mutex> lock(m_mutex);
    evictLocked(bytes, keep);
}

void PyramidCache::evictLocked(std::uint64_t bytes, const std::string &keep)
{
    std::error_code ec;
    std::uint64_t total = 0;
    std::vector<std::pair<fs::file_time_type, fs::path>> files; // oldest use first
    for (const auto &e : fs::directory_iterator(m_dir, ec))
        if (e.is_regular_file(ec) && e.path().extension() == ".pyr") {
            total += e.file_size(ec);
            files.emplace_back(e.last_write_time(ec), e.path());
        }
    std::sort(files.begin(), files.end());
    for (const auto &[time, path] : files) {
        if (total <= bytes) break;
        if (!keep.empty() && path == fs::path(keep)) continue;
        const auto size = fs::file_size(path, ec);
        if (fs::remove(path, ec)) total -= size;
    }
}

} // namespace core
