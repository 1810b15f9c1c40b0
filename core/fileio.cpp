#include "core/fileio.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace core {

Status readFileInto(const std::string &path, const std::function<char *(std::size_t)> &buffer)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return makeError(ErrorCode::Io, path, {}, std::string("cannot open: ") + std::strerror(errno));
    in.seekg(0, std::ios::end);
    const auto size = in.tellg();
    if (size < 0) return makeError(ErrorCode::Io, path, {}, "cannot read (not a regular file?)");
    char *data = buffer(static_cast<std::size_t>(size));
    in.seekg(0);
    in.read(data, static_cast<std::streamsize>(size));
    if (!in) return makeError(ErrorCode::Io, path, {}, "read failed");
    return {};
}

Result<std::string> readFile(const std::string &path)
{
    std::string s;
    auto st = readFileInto(path, [&](std::size_t n) {
        s.resize(n);
        return s.data();
    });
    if (!st) return st.error();
    return s;
}

Result<std::uint64_t> fileContentHash(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return makeError(ErrorCode::Io, path, {}, std::string("cannot open: ") + std::strerror(errno));
    std::uint64_t h = 0xcbf29ce484222325ULL;
    std::vector<unsigned char> buf(1 << 20);
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            return makeError(ErrorCode::Io, path, {}, std::string("read failed: ") + std::strerror(e));
        }
        if (n == 0) break;
        for (ssize_t i = 0; i < n; ++i) {
            h ^= buf[static_cast<std::size_t>(i)];
            h *= 0x100000001b3ULL;
        }
    }
    ::close(fd);
    return h;
}

Status writeFileAtomic(const std::string &path, const std::string &data)
{
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return makeError(ErrorCode::Io, path, {}, std::string("cannot write: ") + std::strerror(errno));
    std::size_t off = 0;
    while (off < data.size()) {
        const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return makeError(ErrorCode::Io, path, {}, std::string("write failed: ") + std::strerror(e));
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return makeError(ErrorCode::Io, path, {}, std::string("write failed: ") + std::strerror(e));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return makeError(ErrorCode::Io, path, {}, std::string("cannot replace file: ") + std::strerror(e));
    }
    return {};
}

std::string lineColAt(std::string_view text, std::size_t offset)
{
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return std::to_string(line) + ":" + std::to_string(col);
}

std::string normalizePath(const std::string &path)
{
    const bool absolute = !path.empty() && path[0] == '/';
    std::vector<std::string> parts;
    std::stringstream ss(path);
    std::string part;
    while (std::getline(ss, part, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == ".." && !parts.empty() && parts.back() != "..") {
            parts.pop_back();
            continue;
        }
        if (part == ".." && absolute) continue;
        parts.push_back(part);
    }
    std::string out = absolute ? "/" : "";
    for (std::size_t i = 0; i < parts.size(); ++i)
        out += (i ? "/" : "") + parts[i];
    return out.empty() ? "." : out;
}

bool staysInside(const std::string &rel)
{
    if (rel.empty() || rel[0] == '/' || rel.find('\\') != std::string::npos) return false;
    if (rel.size() > 1 && rel[1] == ':') return false; // "C:..."
    const std::string n = normalizePath(rel);
    return n != "." && n != ".." && n.rfind("../", 0) != 0;
}

} // namespace core
