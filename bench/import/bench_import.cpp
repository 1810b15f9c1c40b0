// Import/export benchmark (issue: foundation). Generates a VIA JSON with 10,000
// images and 200,000 polygons of 20 points (~66 MB), then times, in one run:
// Python's plain json.load of the file (the floor), our VIA read, import into a new
// project, export to VIA and COCO, and project open (open + image list), and prints
// peak RSS. Usage: bench_import WORKDIR
#include "core/format.h"
#include "core/project_store.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/resource.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

static double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char **argv)
{
    const std::string dir = argc > 1 ? argv[1] : "/tmp/annotrain-bench-import";
    fs::create_directories(dir);
    const std::string via = dir + "/big_via.json";
    if (!fs::exists(via)) {
        std::ofstream out(via);
        std::uint64_t s = 42;
        auto rnd = [&] { s = s * 6364136223846793005ULL + 1442695040888963407ULL; return static_cast<int>((s >> 33) % 600); };
        out << "{";
        for (int i = 0; i < 10000; ++i) {
            out << (i ? "," : "") << "\"img" << i << ".jpg123\":{\"filename\":\"img" << i << ".jpg\",\"size\":123,\"regions\":[";
            for (int r = 0; r < 20; ++r) {
                out << (r ? "," : "") << "{\"shape_attributes\":{\"name\":\"polygon\",\"all_points_x\":[";
                for (int k = 0; k < 20; ++k) out << (k ? "," : "") << rnd();
                out << "],\"all_points_y\":[";
                for (int k = 0; k < 20; ++k) out << (k ? "," : "") << rnd();
                out << "]},\"region_attributes\":{\"class\":\"c" << (r % 5) << "\"}}";
            }
            out << "],\"file_attributes\":{}}";
        }
        out << "}";
    }
    std::printf("file: %s (%.1f MB)\n", via.c_str(), static_cast<double>(fs::file_size(via)) / 1e6);

    auto t = Clock::now();
    const std::string py = "/usr/bin/python3 -c \"import json; json.load(open('" + via + "'))\"";
    if (std::system(py.c_str()) != 0) std::puts("python3 failed");
    const double python = secondsSince(t);

    t = Clock::now();
    auto ds = core::FormatRegistry::instance().find("via")->read(via, {});
    const double read = secondsSince(t);
    if (!ds) { std::cerr << ds.error().toString() << "\n"; return 1; }

    const std::string project = dir + "/bench.atproj";
    fs::remove(project);
    fs::remove(project + "-wal");
    fs::remove(project + "-shm");
    t = Clock::now();
    auto store = core::ProjectStore::create(project);
    core::ImportOptions io;
    io.imageRoot = dir;
    auto rep = store->importDataset(*ds, io);
    const double insert = secondsSince(t);
    if (!rep) { std::cerr << rep.error().toString() << "\n"; return 1; }

    t = Clock::now();
    auto exported = store->exportDataset();
    const double load = secondsSince(t);
    if (!exported) { std::cerr << exported.error().toString() << "\n"; return 1; }
    core::Dataset &back = *exported;
    t = Clock::now();
    if (!core::FormatRegistry::instance().find("via")->write(back, dir + "/out_via.json", {})) return 1;
    const double viaOut = secondsSince(t);
    for (auto &im : back.images) { im.width = 640; im.height = 480; } // COCO needs sizes; no image files here
    t = Clock::now();
    if (!core::FormatRegistry::instance().find("coco")->write(back, dir + "/out_coco.json", {})) return 1;
    const double cocoOut = secondsSince(t);

    store = core::ProjectStore::open(project); // release and reopen
    t = Clock::now();
    auto reopened = core::ProjectStore::open(project);
    const auto images = reopened->images();
    const double open = secondsSince(t);
    if (!images) { std::cerr << images.error().toString() << "\n"; return 1; }

    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("python json.load            %7.3f s\n", python);
    std::printf("VIA read                    %7.3f s\n", read);
    std::printf("store import (insert)       %7.3f s\n", insert);
    std::printf("whole import (read+insert)  %7.3f s   ratio to python %.2fx (goal <= 1.5x)\n", read + insert, (read + insert) / python);
    std::printf("export: load from store     %7.3f s\n", load);
    std::printf("export: write VIA           %7.3f s   (load+write %.3f s, goal <= 2 s)\n", viaOut, load + viaOut);
    std::printf("export: write COCO          %7.3f s   (load+write %.3f s, goal <= 2 s)\n", cocoOut, load + cocoOut);
    std::printf("project open + image list   %7.3f s   (%zu images, goal <= 0.2 s)\n", open, images->size());
    std::printf("peak RSS                    %7.1f MB\n", static_cast<double>(ru.ru_maxrss) / 1024.0);
    return 0;
}
