#include "core/format.h"

#include "core/formats/formats.h"

namespace core {

namespace {
// "[json.exception.type_error.302] type must be string, but is number" -> "type must be string, but is number"
std::string withoutPrefix(const std::string &what)
{
    const auto close = what.rfind("] ", what.find(']'));
    return what.rfind('[', 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}
} // namespace

Result<Dataset> Format::read(const std::string &path, const ReadOptions &opts) const
{
    try {
        return doRead(path, opts);
    } catch (const std::bad_alloc &) {
        return makeError(ErrorCode::Invalid, path, {}, "too large to read into memory");
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Invalid, path, {}, "unexpected content: " + withoutPrefix(e.what()));
    }
}

Status Format::write(const Dataset &data, const std::string &path, const WriteOptions &opts) const
{
    try {
        return doWrite(data, path, opts);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Io, path, {}, "cannot write: " + withoutPrefix(e.what()));
    }
}

Result<Dataset> Format::doRead(const std::string &path, const ReadOptions &) const
{
    return makeError(ErrorCode::Unsupported, path, {}, "format '" + name() + "' cannot be read");
}

Status Format::doWrite(const Dataset &, const std::string &path, const WriteOptions &) const
{
    return makeError(ErrorCode::Unsupported, path, {}, "format '" + name() + "' cannot be written");
}

const FormatRegistry &FormatRegistry::instance()
{
    static const FormatRegistry registry = [] {
        FormatRegistry r;
        registerBuiltinFormats(r);
        return r;
    }();
    return registry;
}

const Format *FormatRegistry::find(const std::string &name) const
{
    for (const auto &f : m_formats)
        if (f->name() == name) return f.get();
    return nullptr;
}

std::vector<const Format *> FormatRegistry::all() const
{
    std::vector<const Format *> v;
    for (const auto &f : m_formats)
        v.push_back(f.get());
    return v;
}

std::vector<const Format *> FormatRegistry::readers() const
{
    std::vector<const Format *> v;
    for (const auto &f : m_formats)
        if (f->capabilities() & CanRead) v.push_back(f.get());
    return v;
}

std::vector<const Format *> FormatRegistry::writers() const
{
    std::vector<const Format *> v;
    for (const auto &f : m_formats)
        if (f->capabilities() & CanWrite) v.push_back(f.get());
    return v;
}

void FormatRegistry::add(std::unique_ptr<Format> f) { m_formats.push_back(std::move(f)); }

} // namespace core
