// Per-image mask PNGs ("masks", export): <out>/<image path>.png, one byte per
// pixel: 0 background, class index + 1 inside the class's regions (later regions
// paint over earlier ones). <out>/classes.txt lists the classes in index order.
#include "core/fileio.h"
#include "core/formats/formats.h"
#include "core/image_size.h"
#include "core/rasterize.h"

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace core {

namespace {

class MasksFormat : public Format {
public:
    std::string name() const override { return "masks"; }
    std::string description() const override { return "Class mask PNGs per image (export)"; }
    std::string fileFilter() const override { return "*.png"; }
    unsigned capabilities() const override { return CanWrite; }
    bool canRead(const std::string &) const override { return false; }
    bool needsClasses() const override { return true; }
    std::string imageOutputFile(const ImageEntry &im) const override
    {
        return fs::path(im.path).replace_extension(".png").lexically_normal().generic_string();
    }

    Result<WriteReport> doWrite(const Dataset &data, const std::string &path, const WriteOptions &opts) const override
    {
        if (data.classes.size() > 254) return makeError(ErrorCode::Unsupported, path, {}, "masks hold at most 254 classes");
        std::error_code ec;
        fs::create_directories(path, ec);
        if (ec) return makeError(ErrorCode::Io, path, {}, "cannot create folder: " + ec.message());
        std::map<std::string, int> value;
        std::string names;
        for (std::size_t i = 0; i < data.classes.size(); ++i) {
            value[data.classes[i].name] = static_cast<int>(i) + 1;
            names += data.classes[i].name + "\n";
        }
        if (auto s = writeFileAtomic(path + "/classes.txt", names); !s) return s.error();
        WriteReport report;
        std::size_t open = 0;
        for (std::size_t i = 0; i < data.images.size(); ++i) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            if (opts.progress) opts.progress(static_cast<double>(i) / static_cast<double>(data.images.size()));
            const ImageEntry &im = data.images[i];
            auto size = entryImageSize(im, opts.imagesDir, path);
            if (!size) return size.error();
            const int w = size->width, h = size->height;
            cv::Mat mask = cv::Mat::zeros(h, w, CV_8U);
            for (const RegionData &r : im.regions) {
                auto v = value.find(r.className);
                if (v == value.end() || !r.shape.isClosed()) {
                    ++open;
                    continue;
                }
                fillPolygon(mask.ptr<std::uint8_t>(), w, h, r.shape.toPolygon(64), static_cast<std::uint8_t>(v->second));
                ++report.regions;
            }
            const fs::path file = fs::path(path) / imageOutputFile(im);
            fs::create_directories(file.parent_path(), ec);
            std::vector<unsigned char> png;
            if (!cv::imencode(".png", mask, png)) return makeError(ErrorCode::Io, file.string(), {}, "cannot encode PNG");
            if (auto s = writeFileAtomic(file.string(), std::string(png.begin(), png.end())); !s) return s.error();
            ++report.images;
        }
        report.notes = openShapesNote(open, "a class mask");
        return report;
    }
};

} // namespace

std::unique_ptr<Format> makeMasksFormat() { return std::make_unique<MasksFormat>(); }

} // namespace core
