#include "core/format.h"

#include "core/fileio.h"
#include "core/formats/formats.h"

#include <unordered_map>

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

namespace {

// Two images that would be one entry (or one file) in the output: refused with both named.
Status distinctNames(const Format &f, const Dataset &data, const std::string &path)
{
    std::unordered_map<std::string, std::size_t> byName, byFile;
    for (std::size_t i = 0; i < data.images.size(); ++i) {
        const ImageEntry &im = data.images[i];
        auto [at, fresh] = byName.emplace(normalizePath(im.path), i);
        if (!fresh)
            return makeError(ErrorCode::Invalid, path, {},
                             "images " + std::to_string(at->second + 1) + " and " + std::to_string(i + 1) + " are both named '"
                                 + im.path + "'; " + f.name() + " cannot keep them apart; nothing was written");
        const std::string file = f.imageOutputFile(im);
        if (file.empty()) continue;
        auto [other, freshFile] = byFile.emplace(file, i);
        if (!freshFile)
            return makeError(ErrorCode::Invalid, path, {},
                             "images '" + data.images[other->second].path + "' and '" + im.path + "' would both be written to " + file
                                 + "; rename one of them or export them separately; nothing was written");
    }
    return {};
}

} // namespace

std::vector<std::string> openShapesNote(std::size_t left, const std::string &format)
{
    if (!left) return {};
    return {std::to_string(left) + " points and polylines were left out: " + format + " holds closed shapes only"};
}

Result<WriteReport> Format::write(const Dataset &data, const std::string &path, const WriteOptions &opts) const
{
    try {
        if (auto s = distinctNames(*this, data, path); !s) return s.error();
        std::size_t unclassed = 0;
        if (needsClasses())
            for (const ImageEntry &im : data.images)
                for (const RegionData &r : im.regions) unclassed += r.className.empty();
        if (unclassed == 0) return doWrite(data, path, opts);
        if (opts.defaultClass.empty())
            return makeError(ErrorCode::Invalid, path, {}, std::to_string(unclassed) + " regions have no class and " + name()
                                                               + " needs one; give a default class; nothing was written");
        Dataset classed = data;
        classed.ensureClass(opts.defaultClass);
        for (ImageEntry &im : classed.images)
            for (RegionData &r : im.regions)
                if (r.className.empty()) r.className = opts.defaultClass;
        auto report = doWrite(classed, path, opts);
        if (report)
            report->notes.insert(report->notes.begin(), std::to_string(unclassed) + " regions without a class were written as class '"
                                                            + opts.defaultClass + "' (--default-class)");
        return report;
    } catch (const std::exception &e) {
        return makeError(ErrorCode::Io, path, {}, "cannot write: " + withoutPrefix(e.what()));
    }
}

Result<Dataset> Format::doRead(const std::string &path, const ReadOptions &) const
{
    return makeError(ErrorCode::Unsupported, path, {}, "format '" + name() + "' cannot be read");
}

Result<WriteReport> Format::doWrite(const Dataset &, const std::string &path, const WriteOptions &) const
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
