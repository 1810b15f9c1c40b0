// YOLO txt ("yolo"): a folder with images and one label file per image, either in a
// parallel labels/ tree (images/a/x.jpg -> labels/a/x.txt) or beside the image.
// Lines are `class cx cy w h` (detection) or `class x1 y1 x2 y2 ...` (segmentation),
// normalised to 0..1 by the image size. Class names come from classes.txt,
// obj.names or data.yaml (`names:` as a list or a map), else ReadOptions.classNames,
// else the class ids themselves.
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/image_size.h"

#include <filesystem>
#include <fstream>
#include <cmath>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace core {

namespace {

std::string trim(const std::string &s)
{
    const auto a = s.find_first_not_of(" \t\r\n'\"");
    if (a == std::string::npos) return {};
    const auto b = s.find_last_not_of(" \t\r\n'\"");
    return s.substr(a, b - a + 1);
}

std::vector<std::string> readNames(const std::string &dir)
{
    std::vector<std::string> names;
    for (const char *f : {"classes.txt", "obj.names", "labels/classes.txt"}) {
        std::ifstream in(dir + "/" + f);
        if (!in) continue;
        std::string line;
        while (std::getline(in, line))
            if (!trim(line).empty()) names.push_back(trim(line));
        return names;
    }
    std::ifstream yaml(dir + "/data.yaml");
    std::string line;
    bool inNames = false;
    std::map<int, std::string> byId;
    while (std::getline(yaml, line)) {
        if (line.rfind("names:", 0) == 0) {
            const std::string rest = trim(line.substr(6));
            if (!rest.empty() && rest.front() == '[') { // names: [a, b, c]
                std::stringstream ss(rest.substr(1, rest.find(']') - 1));
                std::string item;
                while (std::getline(ss, item, ','))
                    names.push_back(trim(item));
                return names;
            }
            inNames = true;
            continue;
        }
        if (!inNames) continue;
        if (!line.empty() && line[0] != ' ' && line[0] != '\t' && line[0] != '-') break;
        const std::string t = trim(line);
        if (t.rfind("- ", 0) == 0) {
            names.push_back(trim(t.substr(2)));
        } else if (auto c = t.find(':'); c != std::string::npos) {
            try {
                byId[std::stoi(t.substr(0, c))] = trim(t.substr(c + 1));
            } catch (const std::exception &) {
            }
        }
    }
    for (const auto &[id, n] : byId) {
        if (id >= static_cast<int>(names.size())) names.resize(static_cast<std::size_t>(id) + 1);
        names[static_cast<std::size_t>(id)] = n;
    }
    return names;
}

// labels/ twin of an image path relative to the folder ("images/a/x.jpg" -> "labels/a/x.txt").
std::string labelPathFor(const std::string &imageRel)
{
    fs::path p(imageRel);
    std::string s = p.replace_extension(".txt").generic_string();
    if (s.rfind("images/", 0) == 0) return "labels/" + s.substr(7);
    if (auto k = s.find("/images/"); k != std::string::npos) return s.substr(0, k) + "/labels/" + s.substr(k + 8);
    return s;
}

class YoloFormat : public Format {
public:
    std::string name() const override { return "yolo"; }
    std::string description() const override { return "YOLO detection/segmentation txt (folder)"; }
    std::string fileFilter() const override { return "*.txt"; }
    unsigned capabilities() const override { return CanRead | CanWrite; }
    bool canRead(const std::string &path) const override
    {
        std::error_code ec;
        return fs::is_directory(path, ec) && (fs::exists(path + "/classes.txt") || fs::exists(path + "/obj.names")
                                              || fs::exists(path + "/data.yaml") || fs::is_directory(path + "/labels"));
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        std::error_code ec;
        if (!fs::is_directory(path, ec)) return makeError(ErrorCode::Io, path, {}, "YOLO data is a folder of images and labels");
        std::vector<std::string> names = readNames(path);
        if (names.empty()) names = opts.classNames;
        Dataset ds;
        for (const auto &n : names)
            ds.ensureClass(n);
        const auto images = listImageFiles(path);
        for (std::size_t i = 0; i < images.size(); ++i) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            if (opts.progress && i % 64 == 0) opts.progress(static_cast<double>(i) / static_cast<double>(images.size()));
            ImageEntry im;
            im.path = images[i];
            const std::string stem = fs::path(images[i]).replace_extension(".txt").generic_string();
            std::string labels;
            for (const std::string &candidate : {labelPathFor(images[i]), "labels/" + stem, stem})
                if (labels.empty() && fs::exists(path + "/" + candidate, ec)) labels = path + "/" + candidate;
            std::ifstream in(labels);
            if (in) {
                auto size = readImageSize(path + "/" + images[i]);
                if (!size) return size.error();
                im.width = size->width;
                im.height = size->height;
                std::string line;
                for (int lineNo = 1; std::getline(in, line); ++lineNo) {
                    std::stringstream ss(line);
                    std::vector<double> v;
                    std::string tok;
                    while (ss >> tok) {
                        char *end = nullptr;
                        const double d = std::strtod(tok.c_str(), &end);
                        if (!end || *end || !std::isfinite(d))
                            return makeError(ErrorCode::Parse, labels, std::to_string(lineNo), "'" + tok + "' is not a number");
                        v.push_back(d);
                    }
                    if (v.empty()) continue;
                    const std::string where = std::to_string(lineNo);
                    if (v[0] < 0 || v[0] > 1e6 || v[0] != std::floor(v[0])) return makeError(ErrorCode::Invalid, labels, where, "class id must be a whole number >= 0");
                    const auto cls = static_cast<std::size_t>(v[0]);
                    if (!names.empty() && cls >= names.size())
                        return makeError(ErrorCode::Invalid, labels, where, "class id " + std::to_string(cls) + " is out of range (" + std::to_string(names.size()) + " names)");
                    for (std::size_t k = 1; k < v.size(); ++k)
                        if (v[k] < -0.01 || v[k] > 1.01) return makeError(ErrorCode::Invalid, labels, where, "coordinates must be normalised to 0..1");
                    const double W = im.width, H = im.height;
                    RegionData r;
                    if (v.size() == 5) {
                        r.shape = *Shape::rect((v[1] - v[3] / 2) * W, (v[2] - v[4] / 2) * H, v[3] * W, v[4] * H);
                    } else if (v.size() >= 7 && v.size() % 2 == 1) {
                        std::vector<Point> pts;
                        for (std::size_t k = 1; k + 1 < v.size(); k += 2)
                            pts.push_back({v[k] * W, v[k + 1] * H});
                        r.shape = *Shape::polygon(pts);
                    } else {
                        return makeError(ErrorCode::Invalid, labels, where, "expected 5 values (class cx cy w h) or a class and >= 3 points, got " + std::to_string(v.size()));
                    }
                    r.className = names.empty() ? std::to_string(cls) : names[cls];
                    ds.ensureClass(r.className);
                    im.regions.push_back(std::move(r));
                }
            }
            ds.images.push_back(std::move(im));
        }
        return ds;
    }

    bool needsClasses() const override { return true; }
    std::string imageOutputFile(const ImageEntry &im) const override
    {
        return (fs::path("labels") / fs::path(im.path).replace_extension(".txt")).lexically_normal().generic_string();
    }

    // `path` is the output folder: labels/<image path>.txt and classes.txt. Images are not copied.
    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        std::error_code ec;
        fs::create_directories(path + "/labels", ec);
        if (ec) return makeError(ErrorCode::Io, path, {}, "cannot create folder: " + ec.message());
        std::string names;
        std::map<std::string, std::size_t> id;
        for (std::size_t i = 0; i < data.classes.size(); ++i) {
            names += data.classes[i].name + "\n";
            id[data.classes[i].name] = i;
        }
        if (auto s = writeFileAtomic(path + "/classes.txt", names); !s) return s.error();
        WriteReport report;
        std::size_t open = 0;
        for (const ImageEntry &im : data.images) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            auto size = entryImageSize(im, opts.imagesDir, path);
            if (!size) return size.error();
            const double W = size->width, H = size->height;
            std::ostringstream out;
            out.precision(8);
            for (const RegionData &r : im.regions) {
                if (r.className.empty() || !r.shape.isClosed()) {
                    ++open;
                    continue;
                }
                ++report.regions;
                out << id[r.className];
                if (r.shape.type() == ShapeType::Rect) {
                    const Box b = r.shape.boundingBox();
                    out << ' ' << (b.x + b.w / 2) / W << ' ' << (b.y + b.h / 2) / H << ' ' << b.w / W << ' ' << b.h / H;
                } else {
                    for (const Point &p : r.shape.toPolygon(32))
                        out << ' ' << p.x / W << ' ' << p.y / H;
                }
                out << '\n';
            }
            const fs::path file = fs::path(path) / imageOutputFile(im);
            fs::create_directories(file.parent_path(), ec);
            if (auto s = writeFileAtomic(file.string(), out.str()); !s) return s.error();
            ++report.images;
        }
        report.notes = openShapesNote(open, "YOLO");
        return report;
    }
};

} // namespace

std::unique_ptr<Format> makeYoloFormat() { return std::make_unique<YoloFormat>(); }

} // namespace core
