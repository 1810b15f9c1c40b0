#pragma once
// One SQLite file per project (*.atproj): WAL mode, foreign keys on, schema
// versioned with migrations. Every mutating call is one transaction, so there is
// no unsaved state and a crash (even SIGKILL) leaves either the state before the
// call or the state after it. Images are never copied or modified: the project
// records image roots (folders, stored relative to the project file when they lie
// below its folder) and each image as a path relative to one root.
//
// Every read returns a Result: a failed read is an Error naming the project and the
// cause (locked, I/O error, damaged), never an empty list.
//
// Not thread-safe: use one ProjectStore per thread (open the same file again;
// SQLite's WAL lets a reader see a consistent snapshot while another connection writes).
#include "core/dataset.h"
#include "core/result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace core {

using Id = std::int64_t;

struct RootInfo {
    Id id = 0;
    std::string path;      // absolute, as resolved at open time
};

struct ImageInfo {
    Id id = 0;
    Id rootId = 0;
    std::string relPath;   // '/'-separated, relative to the root
    std::string absPath;   // root + relPath
    int width = 0, height = 0;
    std::int64_t fileSize = -1;
    Split split = Split::Unassigned;
    Id classId = 0;        // image-level class, 0 for none
    int regionCount = 0;
};

struct ClassRecord {
    Id id = 0;
    std::string name;
    std::string color;     // "#rrggbb"
    char hotkey = 0;
};

struct ClassState {
    std::vector<ClassRecord> classes;             // in display order
    std::vector<std::pair<Id, Id>> regionClasses; // region id, class id (0: none)
    std::vector<std::pair<Id, Id>> imageClasses;  // image id, image-level class id (0: none)
};

struct Region {
    Id id = 0;             // 0 until stored
    Id imageId = 0;
    Shape shape;
    Id classId = 0;        // 0: no class
    nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
    Origin origin = Origin::Manual;
    double score = 1.0;
    Id runId = 0;
    bool iscrowd = false;
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

struct RunRecord {
    Id id = 0;
    std::string name;
    std::string createdAt;  // ISO 8601 UTC
    std::string dir;        // run directory (config.json, metrics.jsonl, checkpoints)
    nlohmann::json config = nlohmann::json::object();
    nlohmann::json summary = nlohmann::json::object();
};

struct ImportOptions {
    std::string imageRoot;  // folder the dataset's image paths are relative to (added as a root if new)
    bool replaceRegions = false; // an image already in the project: replace its regions (else append)
    std::function<void(double)> progress;
    const std::atomic<bool> *cancel = nullptr;
};

struct ImportReport {
    int imagesAdded = 0, imagesMatched = 0, regionsAdded = 0, classesAdded = 0;
};

class ProjectStore {
public:
    static constexpr int kSchemaVersion = 1;

    ~ProjectStore();
    ProjectStore(ProjectStore &&) noexcept;
    ProjectStore &operator=(ProjectStore &&) noexcept;

    // Fails if the file exists.
    static Result<ProjectStore> create(const std::string &path);
    // How long a read or write waits for another connection's lock before it fails with ErrorCode::Busy.
    static constexpr int kBusyTimeoutMs = 5000;

    // Fails with ErrorCode::Schema for a project of a newer schema; migrates an older one.
    // The causes of a failure are told apart: no such file, not a project, damaged,
    // locked by another program (Busy, after waiting busyTimeoutMs), an I/O error.
    static Result<ProjectStore> open(const std::string &path, int busyTimeoutMs = kBusyTimeoutMs);

    const std::string &path() const;
    std::string projectDir() const;

    // --- roots and images
    Result<Id> addRoot(const std::string &dir);       // returns the existing id if already a root
    Result<std::vector<RootInfo>> roots() const;
    // Adds every image file (jpg, jpeg, png, bmp, tif, tiff, webp) below `dir`, recursively.
    Result<int> addImagesFromDir(const std::string &dir);
    Result<std::vector<ImageInfo>> images() const;
    // ErrorCode::NotFound when the project has no image `id`.
    Result<ImageInfo> image(Id id) const;
    Result<int> imageCount() const;
    // Resolves `name` against the roots; refuses names that escape every root.
    Result<std::pair<Id, std::string>> resolveImagePath(const std::string &rootDir, const std::string &name) const;
    Status setImageSize(Id image, int width, int height);
    Status setSplits(const std::vector<std::pair<Id, Split>> &splits);
    Status setImageClass(Id image, Id classId);
    Status setImageAttributes(Id image, const nlohmann::ordered_json &attrs);
    Result<nlohmann::ordered_json> imageAttributes(Id image) const;

    // --- classes
    Result<std::vector<ClassRecord>> classes() const;
    Result<Id> addClass(const std::string &name, const std::string &color = {}, char hotkey = 0);
    Status renameClass(Id id, const std::string &newName);
    Status setClassColor(Id id, const std::string &color);
    Status setClassHotkey(Id id, char hotkey);
    // Moves every region and image of `from` into `into`, then deletes `from`.
    Status mergeClasses(Id from, Id into);
    // Deletes the class; its regions and images become unclassed.
    Status removeClass(Id id);
    // How many regions and images (image-level class) each class has; key 0: none.
    // Counted by the database over its class index, without reading the regions.
    struct ClassUsage {
        std::map<Id, int> regions, images;
    };
    Result<ClassUsage> classUsage() const;
    // The class table and which regions and images belong to the classes in
    // `concerned`: taken before and after a class edit, restored to undo or redo it.
    Result<ClassState> classState(const std::vector<Id> &concerned) const;
    // One transaction: the class table becomes exactly state.classes (same ids,
    // names, colours, hotkeys and order) and the listed regions and images get
    // their recorded classes back.
    Status restoreClassState(const ClassState &state);

    // --- attribute schema
    Result<std::vector<AttributeDef>> attributeSchema() const;
    Status setAttributeSchema(const std::vector<AttributeDef> &defs);

    // --- regions
    Result<std::vector<Region>> regions(Id image) const;
    Result<std::vector<Region>> allRegions() const;
    Result<std::vector<Id>> addRegions(const std::vector<Region> &regions); // ids in order
    Status updateRegions(const std::vector<Region> &regions);              // by id, all fields
    Status removeRegions(const std::vector<Id> &ids);
    // Restores regions with their previous ids (undo of a removal).
    Status restoreRegions(const std::vector<Region> &regions);

    // --- whole datasets, each one transaction
    Result<ImportReport> importDataset(const Dataset &data, const ImportOptions &opts);
    // Images of `split` (all when empty) with their regions, classes and schema.
    // Image paths are relative to their root; `rootOf` receives the root of each image in order.
    // Read in one transaction: a consistent snapshot while other connections write.
    Result<Dataset> exportDataset(std::optional<Split> split = std::nullopt,
                                  std::vector<std::string> *rootOf = nullptr) const;

    // --- training runs
    Result<Id> addRun(const RunRecord &run);
    Status updateRun(const RunRecord &run);
    Result<std::vector<RunRecord>> runs() const;

    // --- key/value settings of the project (e.g. "classAttribute")
    Result<std::string> setting(const std::string &key, const std::string &fallback = {}) const;
    Status setSetting(const std::string &key, const std::string &value);

private:
    struct Impl;
    explicit ProjectStore(std::unique_ptr<Impl> d);
    std::unique_ptr<Impl> d;
};

} // namespace core
