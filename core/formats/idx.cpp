// IDX ("idx", import): MNIST / Fashion-MNIST files, gzip or raw. The folder holds
// train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] (train split) and
// t10k-* (test split). The images are written once as PNG files into
// ReadOptions.imagesDir/{train,test}/NNNNN.png (existing files are kept), and
// each image's class is its label's name.
#include "core/formats/formats.h"
#include "core/image_size.h"

#include <opencv2/imgcodecs.hpp>

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;

namespace core {

namespace {

const char *const kFashionNames[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

struct IdxData {
    std::vector<int> dims;
    std::vector<unsigned char> bytes;
};

// gzread reads gzip and plain files alike.
Result<IdxData> readIdx(const std::string &path, int wantDims)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) return makeError(ErrorCode::Io, path, {}, "cannot open");
    struct Closer { gzFile f; ~Closer() { gzclose(f); } } closer{f};
    unsigned char head[4];
    if (gzread(f, head, 4) != 4) return makeError(ErrorCode::Parse, path, "byte 0", "truncated: no IDX header");
    if (head[0] != 0 || head[1] != 0 || head[2] != 0x08)
        return makeError(ErrorCode::Parse, path, "byte 0", "not an IDX file of unsigned bytes (bad magic number)");
    if (head[3] != wantDims)
        return makeError(ErrorCode::Invalid, path, "byte 3", "has " + std::to_string(head[3]) + " dimensions, expected " + std::to_string(wantDims));
    IdxData d;
    std::size_t total = 1;
    for (int i = 0; i < wantDims; ++i) {
        unsigned char b[4];
        if (gzread(f, b, 4) != 4) return makeError(ErrorCode::Parse, path, "byte " + std::to_string(4 + 4 * i), "truncated header");
        const unsigned v = (unsigned(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
        if (v == 0 || v > 100000000u) return makeError(ErrorCode::Invalid, path, "byte " + std::to_string(4 + 4 * i), "dimension " + std::to_string(v) + " is out of range");
        d.dims.push_back(static_cast<int>(v));
        total *= v;
        if (total > (std::size_t(1) << 32)) return makeError(ErrorCode::Invalid, path, {}, "data would be larger than 4 GiB");
    }
    // Grow while reading instead of trusting the header: a 16-byte file may claim gigabytes.
    std::size_t got = 0;
    while (got < total) {
        const std::size_t chunk = std::min<std::size_t>(total - got, std::size_t(1) << 20);
        d.bytes.resize(got + chunk);
        const int n = gzread(f, d.bytes.data() + got, static_cast<unsigned>(chunk));
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    d.bytes.resize(got);
    if (got != total) return makeError(ErrorCode::Parse, path, {}, "truncated: " + std::to_string(got) + " of " + std::to_string(total) + " data bytes");
    return d;
}

std::string findFile(const std::string &dir, const std::string &stem)
{
    for (const char *suffix : {"", ".gz"}) {
        for (const std::string &s : {stem, std::string(stem).replace(stem.find("-idx"), 4, ".idx")}) {
            const std::string p = dir + "/" + s + suffix;
            if (fs::exists(p)) return p;
        }
    }
    return {};
}

class IdxFormat : public Format {
public:
    std::string name() const override { return "idx"; }
    std::string description() const override { return "MNIST / Fashion-MNIST IDX (folder, import)"; }
    std::string fileFilter() const override { return "*-ubyte *-ubyte.gz"; }
    unsigned capabilities() const override { return CanRead; }
    bool canRead(const std::string &path) const override
    {
        std::error_code ec;
        return fs::is_directory(path, ec) && (!findFile(path, "train-images-idx3-ubyte").empty() || !findFile(path, "t10k-images-idx3-ubyte").empty());
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        std::error_code ec;
        if (!fs::is_directory(path, ec)) return makeError(ErrorCode::Io, path, {}, "IDX data is a folder holding train-*/t10k-* files");
        if (opts.imagesDir.empty()) return makeError(ErrorCode::Invalid, path, {}, "IDX import needs a folder to write the images into");
        std::string lower = fs::absolute(path).generic_string();
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        const bool fashion = lower.find("fashion") != std::string::npos;
        Dataset ds;
        for (int c = 0; c < 10; ++c)
            ds.ensureClass(fashion ? kFashionNames[c] : std::to_string(c));

        struct Part { const char *prefix; const char *folder; Split split; };
        int found = 0;
        for (const Part &part : {Part{"train", "train", Split::Train}, Part{"t10k", "test", Split::Test}}) {
            const std::string imgFile = findFile(path, std::string(part.prefix) + "-images-idx3-ubyte");
            const std::string lblFile = findFile(path, std::string(part.prefix) + "-labels-idx1-ubyte");
            if (imgFile.empty() && lblFile.empty()) continue;
            if (imgFile.empty() || lblFile.empty())
                return makeError(ErrorCode::Invalid, path, {}, std::string(part.prefix) + ": images and labels must come together");
            auto images = readIdx(imgFile, 3);
            if (!images) return images.error();
            auto labels = readIdx(lblFile, 1);
            if (!labels) return labels.error();
            if (images->dims[0] != labels->dims[0])
                return makeError(ErrorCode::Invalid, lblFile, {}, std::to_string(labels->dims[0]) + " labels for " + std::to_string(images->dims[0]) + " images in " + imgFile);
            for (std::size_t i = 0; i < labels->bytes.size(); ++i)
                if (labels->bytes[i] > 9) return makeError(ErrorCode::Invalid, lblFile, "item " + std::to_string(i), "label " + std::to_string(labels->bytes[i]) + " is not 0..9");
            ++found;
            const int n = images->dims[0], rows = images->dims[1], cols = images->dims[2];
            const std::string outDir = opts.imagesDir + "/" + part.folder;
            fs::create_directories(outDir, ec);
            if (ec) return makeError(ErrorCode::Io, outDir, {}, "cannot create folder: " + ec.message());
            const std::size_t first = ds.images.size();
            for (int i = 0; i < n; ++i) {
                ImageEntry im;
                char name[32];
                std::snprintf(name, sizeof name, "%05d.png", i);
                im.path = std::string(part.folder) + "/" + name;
                im.width = cols;
                im.height = rows;
                im.split = part.split;
                im.imageClass = ds.classes[labels->bytes[static_cast<std::size_t>(i)]].name;
                ds.images.push_back(std::move(im));
            }
            // Encode the PNGs on every core; files already there from an earlier import are kept.
            std::atomic<int> next{0}, done{0};
            std::atomic<bool> failed{false};
            auto work = [&] {
                const std::vector<int> params{cv::IMWRITE_PNG_COMPRESSION, 1};
                std::vector<unsigned char> buf;
                for (int i; (i = next++) < n && !failed;) {
                    if (opts.cancel && opts.cancel->load()) return;
                    const std::string file = opts.imagesDir + "/" + ds.images[first + static_cast<std::size_t>(i)].path;
                    std::error_code e2;
                    if (fs::exists(file, e2)) { ++done; continue; }
                    cv::Mat m(rows, cols, CV_8U, images->bytes.data() + static_cast<std::size_t>(i) * rows * cols);
                    if (!cv::imwrite(file, m, params)) failed = true;
                    ++done;
                }
            };
            const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
            std::vector<std::thread> pool;
            for (unsigned t = 1; t < threads; ++t)
                pool.emplace_back(work);
            work();
            for (auto &t : pool)
                t.join();
            if (failed) return makeError(ErrorCode::Io, outDir, {}, "cannot write the image files");
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, path, {}, "cancelled");
            if (opts.progress) opts.progress(found == 1 ? 0.5 : 1.0);
        }
        if (!found) return makeError(ErrorCode::Invalid, path, {}, "holds no train-images-idx3-ubyte or t10k-images-idx3-ubyte file");
        return ds;
    }
};

// Class-per-folder image trees ("folder", import): <root>/<class>/.../img, or
// <root>/{train,val,test}/<class>/.../img for pre-split data.
class FolderFormat : public Format {
public:
    std::string name() const override { return "folder"; }
    std::string description() const override { return "Class-per-folder image tree (import)"; }
    std::string fileFilter() const override { return "*"; }
    unsigned capabilities() const override { return CanRead; }
    bool canRead(const std::string &path) const override
    {
        std::error_code ec;
        return fs::is_directory(path, ec);
    }

    Result<Dataset> doRead(const std::string &path, const ReadOptions &opts) const override
    {
        std::error_code ec;
        if (!fs::is_directory(path, ec)) return makeError(ErrorCode::Io, path, {}, "not a folder");
        Dataset ds;
        const std::vector<std::string> files = listImageFiles(path);
        for (const std::string &rel : files) {
            const auto slash = rel.find('/');
            if (slash == std::string::npos) continue; // an image at the top has no class folder
            std::string cls = rel.substr(0, slash);
            Split split = Split::Unassigned;
            if (splitFromName(cls, &split) && split != Split::Unassigned) {
                const auto next = rel.find('/', slash + 1);
                if (next == std::string::npos) continue;
                cls = rel.substr(slash + 1, next - slash - 1);
            } else {
                split = Split::Unassigned;
            }
            ImageEntry im;
            im.path = rel;
            im.split = split;
            im.imageClass = cls;
            ds.ensureClass(cls);
            ds.images.push_back(std::move(im));
        }
        if (ds.images.empty()) return makeError(ErrorCode::Invalid, path, {}, "no images in class folders (expected <folder>/<class>/<image>)");
        (void)opts;
        return ds;
    }
};

} // namespace

std::unique_ptr<Format> makeIdxFormat() { return std::make_unique<IdxFormat>(); }
std::unique_ptr<Format> makeFolderFormat() { return std::make_unique<FolderFormat>(); }

} // namespace core
