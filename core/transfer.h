#pragma once
// Importing annotation files into a project and exporting a project to a format:
// the steps the CLI's `import` / `export` and the GUI's dialogs share. Both run
// on any thread (they open nothing themselves: the caller passes its store),
// report progress from 0 to 1 and stop when *cancel becomes true, changing nothing.
#include "core/format.h"
#include "core/project_store.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>

namespace core {

struct ImportRequest {
    std::string source;          // file, or folder for folder-based formats
    std::string images;          // image folder; empty: the source folder, else the folder of the source file
    std::string classAttribute;  // empty: the project's setting, else auto
    std::string defaultClass;
    std::optional<Split> split;  // the imported images go into this split (a train/ and a val/ folder, say)
    bool replaceRegions = false;
    std::function<void(double)> progress;
    const std::atomic<bool> *cancel = nullptr;
};

// The format that can read `path` (never "folder", which reads any folder), or null.
const Format *detectFormat(const std::string &path);
// Where an import's images are when none is named.
std::string defaultImagesDir(const std::string &source);

Result<ImportReport> importInto(ProjectStore &store, const Format &format, const ImportRequest &request);

struct ExportRequest {
    std::string out;
    std::optional<Split> split;  // all images when empty
    std::string defaultClass = "object"; // for regions without a class, in formats that need one
    std::function<void(double)> progress;
    const std::atomic<bool> *cancel = nullptr;
};

// The report counts what was written; its notes say what was changed or left out.
Result<WriteReport> exportFrom(const ProjectStore &store, const Format &format, const ExportRequest &request);

} // namespace core
