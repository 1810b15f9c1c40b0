#pragma once
// A folder of image pyramids (ImagePyramid), one file per picture named by the
// hash of its content, so a picture renamed, moved or added twice is built once.
// A small index maps an image path with its size and modification time to that
// hash, so opening an image seen before does not read the whole file again; a
// changed file gets a new hash and a new pyramid.
//
// The folder is bounded: after each build the least recently used pyramids are
// deleted until the total is at most maxBytes (the one just built stays even if
// it alone is larger). Deleting is safe while a pyramid is open (its descriptor
// keeps the data). A missing, cut-short or foreign pyramid file is built again.
//
// Thread-safe: concurrent calls for the same picture build it once.
#include "core/image_pyramid.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace core {

class PyramidCache {
public:
    static constexpr std::uint64_t kDefaultMaxBytes = 8ull << 30;

    explicit PyramidCache(std::string dir, std::uint64_t maxBytes = kDefaultMaxBytes);

    const std::string &dir() const { return m_dir; }
    std::uint64_t maxBytes() const { return m_maxBytes; }

    // The pyramid of `image`, built now (seconds for a large picture) if the folder
    // has none. `built`, when given, says whether it was built by this call.
    Result<std::shared_ptr<const ImagePyramid>> pyramidFor(const std::string &image, const PyramidBuildOptions &options = {}, bool *built = nullptr);
    // The pyramid of `image` if the folder holds one for its current content, else null; never builds.
    Result<std::shared_ptr<const ImagePyramid>> cached(const std::string &image);

    // Bytes of pyramid files in the folder.
    std::uint64_t bytesOnDisk() const;
    // Deletes least recently used pyramids until at most `bytes` remain; never `keep`.
    void evictTo(std::uint64_t bytes, const std::string &keep = {});

private:
    // The content hash of `image`, from the index when its size and time match.
    Result<std::uint64_t> contentKey(const std::string &image);
    std::string pyramidPath(std::uint64_t key) const;
    void evictLocked(std::uint64_t bytes, const std::string &keep);

    std::string m_dir;
    std::uint64_t m_maxBytes;
    std::mutex m_mutex;
};

} // namespace core
