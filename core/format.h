#pragma once
// A format is a codec behind one interface; FormatRegistry lists them for the
// CLI and the file dialogs. Codecs never throw: errors come back as values that
// name the file, the place (line:col or JSON path) and the reason.
#include "core/dataset.h"
#include "core/result.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace core {

struct ReadOptions {
    // Region attribute that names the class. Empty: the first of "class",
    // "label", "category", "name", "type" that a region has with a string value
    // (VIA). Codecs with classes of their own (COCO, labelme, YOLO, VOC) ignore it.
    std::string classAttribute;
    std::string defaultClass;              // class for regions that name none; empty: leave unclassed
    std::vector<std::string> classNames;   // YOLO: names of class ids when no names file is found
    std::string imagesDir;                 // where images are, for formats that must look at them (YOLO, folder, IDX output)
    std::function<void(double)> progress;  // 0..1, may be empty; called from the reading thread
    const std::atomic<bool> *cancel = nullptr;
};

struct WriteOptions {
    std::string imagesDir;                 // where the images are, for formats that must read their size (COCO, YOLO, VOC, masks, labelme)
    std::string classAttribute = "class";  // VIA: region attribute that receives the class when the region has none
    // Formats that need a class for every region (COCO, labelme, YOLO, VOC, masks) give
    // this one to regions without a class; WriteReport::notes says how many.
    std::string defaultClass = "object";
    std::function<void(double)> progress;
    const std::atomic<bool> *cancel = nullptr;
};

// What a write put into its output: the counts a command or dialog reports are these.
struct WriteReport {
    std::size_t images = 0, regions = 0;
    std::vector<std::string> notes;        // what was changed or left out, and why: "3 polylines were left out: ..."
};

enum Capability : unsigned { CanRead = 1, CanWrite = 2 };

class Format {
public:
    virtual ~Format() = default;
    virtual std::string name() const = 0;        // the CLI's --format value: "via", "coco", ...
    virtual std::string description() const = 0; // "VIA 1.x/2.x annotations (JSON)"
    virtual std::string fileFilter() const = 0;   // "*.json"
    virtual unsigned capabilities() const = 0;
    // Cheap sniff of the start of a file or a folder: could this format read it?
    virtual bool canRead(const std::string &path) const = 0;
    // `path` is a file, or a folder for folder-based formats (yolo, voc, folder, idx, masks).
    // Never throws: an exception from a codec (e.g. a JSON value of an unexpected type)
    // comes back as an Error naming the file.
    Result<Dataset> read(const std::string &path, const ReadOptions &opts) const;
    // Refuses, writing nothing, when two images would get the same name in the output
    // (both named in the error); gives unclassed regions opts.defaultClass where the
    // format needs classes; then writes. A failed write leaves no partial output file.
    Result<WriteReport> write(const Dataset &data, const std::string &path, const WriteOptions &opts) const;

    // Formats that write one file per image: that file, relative to the output folder
    // ("labels/a.txt"); empty for formats that write one file for all images.
    virtual std::string imageOutputFile(const ImageEntry &) const { return {}; }
    // True when every region must have a class in this format.
    virtual bool needsClasses() const { return false; }

protected:
    virtual Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const;
    virtual Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const;
};

class FormatRegistry {
public:
    static const FormatRegistry &instance();
    const Format *find(const std::string &name) const;
    std::vector<const Format *> all() const;
    std::vector<const Format *> readers() const;
    std::vector<const Format *> writers() const;
    void add(std::unique_ptr<Format> f);

private:
    std::vector<std::unique_ptr<Format>> m_formats;
};

} // namespace core
