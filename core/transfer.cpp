#include "core/transfer.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace core {

const Format *detectFormat(const std::string &path)
{
    for (const Format *f : FormatRegistry::instance().readers())
        if (f->name() != "folder" && f->canRead(path)) return f;
    return nullptr;
}

std::string defaultImagesDir(const std::string &source)
{
    std::error_code ec;
    if (fs::is_directory(source, ec)) return source;
    const fs::path parent = fs::path(source).parent_path();
    return parent.empty() ? "." : parent.string();
}

Result<ImportReport> importInto(ProjectStore &store, const Format &format, const ImportRequest &r)
{
    ReadOptions ro;
    if (r.classAttribute.empty()) {
        auto attr = store.setting("classAttribute");
        if (!attr) return attr.error();
        ro.classAttribute = *attr;
    } else {
        ro.classAttribute = r.classAttribute;
    }
    ro.defaultClass = r.defaultClass;
    ro.imagesDir = r.images.empty() ? defaultImagesDir(r.source) : r.images;
    if (format.name() == "idx" && r.images.empty()) // IDX holds pixels, not files: they are written beside the project
        ro.imagesDir = (fs::path(store.path()).parent_path() / (fs::path(store.path()).stem().string() + "-images")).string();
    ro.cancel = r.cancel;
    if (r.progress) ro.progress = [&r](double p) { r.progress(0.7 * p); };
    auto ds = format.read(r.source, ro);
    if (!ds) return ds.error();
    if (r.split)
        for (ImageEntry &im : ds->images) im.split = *r.split;
    ImportOptions io;
    io.imageRoot = ro.imagesDir;
    io.replaceRegions = r.replaceRegions;
    io.cancel = r.cancel;
    if (r.progress) io.progress = [&r](double p) { r.progress(0.7 + 0.3 * p); };
    auto rep = store.importDataset(*ds, io);
    if (!rep) {
        Error e = rep.error();
        if (e.file.empty()) e.file = r.source;
        return e;
    }
    return rep;
}

Result<WriteReport> exportFrom(const ProjectStore &store, const Format &format, const ExportRequest &r)
{
    std::vector<std::string> roots;
    auto read = store.exportDataset(r.split, &roots);
    if (!read) return read.error();
    auto classAttribute = store.setting("classAttribute", "class");
    if (!classAttribute) return classAttribute.error();
    Dataset &ds = *read;
    WriteOptions wo;
    wo.imagesDir = roots.empty() ? std::string() : roots.front();
    wo.classAttribute = *classAttribute;
    wo.defaultClass = r.defaultClass;
    wo.progress = r.progress;
    wo.cancel = r.cancel;
    // Image paths are relative to their own root; with several roots, name them relative to the first.
    for (std::size_t i = 0; i < ds.images.size(); ++i)
        if (roots[i] != wo.imagesDir) ds.images[i].path = fs::relative(fs::path(roots[i]) / ds.images[i].path, wo.imagesDir).generic_string();
    return format.write(ds, r.out, wo);
}

} // namespace core
