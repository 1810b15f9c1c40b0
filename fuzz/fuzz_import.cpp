// libFuzzer target for one importer (FUZZ_FORMAT). The input becomes a file (or,
// for folder formats, a file inside a folder) and goes through Format::read; any
// crash, leak, sanitizer report or hang is a bug. Errors returned as values are fine.
#include "core/format.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::string dir = [] {
        const std::string d = fs::temp_directory_path().string() + "/annotrain-fuzz-" + FUZZ_FORMAT + "-" + std::to_string(::getpid());
        fs::create_directories(d + "/in/labels");
        fs::create_directories(d + "/in/cls");
        fs::create_directories(d + "/out");
        return d;
    }();
    const std::string name = FUZZ_FORMAT;
    const core::Format *f = core::FormatRegistry::instance().find(name);
    if (!f) __builtin_trap();
    std::string target;
    if (name == "yolo") {
        std::ofstream(dir + "/in/classes.txt") << "a\nb\n";
        std::ofstream(dir + "/in/labels/x.txt", std::ios::binary).write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
        target = dir + "/in";
    } else if (name == "idx") {
        std::ofstream(dir + "/in/train-images-idx3-ubyte", std::ios::binary).write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
        std::ofstream(dir + "/in/train-labels-idx1-ubyte", std::ios::binary).write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(std::min<std::size_t>(size, 64)));
        target = dir + "/in";
    } else if (name == "folder") {
        std::ofstream(dir + "/in/cls/x.png", std::ios::binary).write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
        target = dir + "/in";
    } else {
        target = dir + "/input";
        std::ofstream(target, std::ios::binary).write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
    }
    core::ReadOptions opts;
    opts.imagesDir = dir + "/out";
    auto result = f->read(target, opts);
    (void)result;
    return 0;
}
