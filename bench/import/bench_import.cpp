// Import/export benchmark. Generates two VIA files on first use:
//   big_via.json      10,000 images, 200,000 polygons of 20 points (53 MB)
//   big_regions.json  10,000 images, 1,000,000 rectangles (~120 MB)
// and times, alternating the sides for --rounds rounds (medians reported): Python's plain
// json.load of the file (the floor), our import (parse only, VIA read, store import) in a
// child process each round so that its peak RSS is its own, and, for each --cli NAME=PATH,
// that annotrain-cli's `new` + `import` as a process (this build's, or another build's to
// compare, e.g. before a change). Then, once: export to VIA and COCO, and project open.
// Usage: bench_import WORKDIR [--rounds N] [--cli NAME=PATH]...
#include "core/format.h"
#include "core/formats/json_reader.h"
#include "core/project_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <fcntl.h>
#include <functional>
#include <iostream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v)
{
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Lcg {
    std::uint64_t s = 42;
    int next(int n)
    {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<int>((s >> 33) % static_cast<std::uint64_t>(n));
    }
};

void writePolygons(const std::string &path)
{
    std::ofstream out(path);
    Lcg rnd;
    out << "{";
    for (int i = 0; i < 10000; ++i) {
        out << (i ? "," : "") << "\"img" << i << ".jpg123\":{\"filename\":\"img" << i << ".jpg\",\"size\":123,\"regions\":[";
        for (int r = 0; r < 20; ++r) {
            out << (r ? "," : "") << "{\"shape_attributes\":{\"name\":\"polygon\",\"all_points_x\":[";
            for (int k = 0; k < 20; ++k) out << (k ? "," : "") << rnd.next(600);
            out << "],\"all_points_y\":[";
            for (int k = 0; k < 20; ++k) out << (k ? "," : "") << rnd.next(600);
            out << "]},\"region_attributes\":{\"class\":\"c" << (r % 5) << "\"}}";
        }
        out << "],\"file_attributes\":{}}";
    }
    out << "}";
}

void writeRectangles(const std::string &path)
{
    std::ofstream out(path);
    Lcg rnd;
    out << "{";
    for (int i = 0; i < 10000; ++i) {
        out << (i ? "," : "") << "\"img" << i << ".jpg123\":{\"filename\":\"img" << i << ".jpg\",\"size\":123,\"regions\":[";
        for (int r = 0; r < 100; ++r) {
            out << (r ? "," : "") << "{\"shape_attributes\":{\"name\":\"rect\",\"x\":" << rnd.next(500) << ",\"y\":" << rnd.next(500)
                << ",\"width\":" << 1 + rnd.next(99) << ",\"height\":" << 1 + rnd.next(99) << "},\"region_attributes\":{\"class\":\"c"
                << (r % 7) << "\"}}";
        }
        out << "],\"file_attributes\":{\"caption\":\"image " << i << "\"}}";
    }
    out << "}";
}

struct Run {
    std::vector<double> values; // what the child reported
    double wall = 0, rssMb = 0;
    bool ok = false;
};

// Runs `work` in a child; it writes up to 8 doubles to the pipe. Wall time and peak RSS are the child's.
Run inChild(const std::function<std::vector<double>()> &work)
{
    int fds[2];
    if (pipe(fds) != 0) return {};
    const auto t = Clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        std::vector<double> v = work();
        const ssize_t n = write(fds[1], v.data(), v.size() * sizeof(double));
        _exit(n == static_cast<ssize_t>(v.size() * sizeof(double)) ? 0 : 1);
    }
    close(fds[1]);
    Run r;
    double buf[8];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    close(fds[0]);
    int status = 0;
    rusage ru{};
    wait4(pid, &status, 0, &ru);
    r.wall = secondsSince(t);
    r.rssMb = static_cast<double>(ru.ru_maxrss) / 1024.0;
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (n > 0) r.values.assign(buf, buf + n / static_cast<ssize_t>(sizeof(double)));
    return r;
}

Run command(const std::vector<std::string> &args)
{
    return inChild([&] {
        std::vector<char *> argv;
        for (const auto &a : args)
            argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        const int devnull = ::open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        execv(argv[0], argv.data());
        _exit(127);
        return std::vector<double>{};
    });
}

void removeProject(const std::string &p)
{
    for (const char *s : {"", "-wal", "-shm"})
        fs::remove(p + s);
}

// Ours, in this build: parse only (index + a walk that checks every value), the VIA read, the store import.
std::vector<double> ourImport(const std::string &file, const std::string &project, const std::string &root)
{
    auto t = Clock::now();
    {
        core::json::JsonReader in;
        if (!in.open(file)) _exit(2);
        core::JsonPath path;
        auto st = in.guard([&] { return in.check(in.doc().get_value(), path); });
        if (!st) _exit(2);
    }
    const double parse = secondsSince(t);
    t = Clock::now();
    auto ds = core::FormatRegistry::instance().find("via")->read(file, {});
    const double read = secondsSince(t);
    if (!ds) _exit(3);
    removeProject(project);
    t = Clock::now();
    auto store = core::ProjectStore::create(project);
    core::ImportOptions io;
    io.imageRoot = root;
    if (!store || !store->importDataset(*ds, io)) _exit(4);
    const double insert = secondsSince(t);
    return {parse, read, insert};
}

struct Cli {
    std::string name, path;
    std::vector<double> seconds, rssMb;
};

void benchFile(const std::string &file, const std::string &dir, int rounds, std::vector<Cli> clis)
{
    std::printf("\n%s (%.1f MB), %d rounds, medians (min-max)\n", file.c_str(), static_cast<double>(fs::file_size(file)) / 1e6, rounds);
    std::vector<double> py, pyRss, parse, read, insert, whole, rss;
    const std::string project = dir + "/bench.atproj";
    for (int i = 0; i < rounds; ++i) {
        // Alternate which side goes first, so drifts of a shared machine hit both alike.
        auto python = [&] {
            Run r = command({"/usr/bin/python3", "-c", "import json, sys; json.load(open(sys.argv[1]))", file});
            if (!r.ok) std::puts("python3 failed");
            py.push_back(r.wall);
            pyRss.push_back(r.rssMb);
        };
        auto ours = [&] {
            Run r = inChild([&] { return ourImport(file, project, dir); });
            if (!r.ok || r.values.size() != 3) {
                std::puts("our import failed");
                return;
            }
            parse.push_back(r.values[0]);
            read.push_back(r.values[1]);
            insert.push_back(r.values[2]);
            whole.push_back(r.values[1] + r.values[2]);
            rss.push_back(r.rssMb);
        };
        auto viaCli = [&] {
            for (Cli &cli : clis) {
                const std::string p = dir + "/cli.atproj";
                removeProject(p);
                Run a = command({cli.path, "new", p});
                Run b = command({cli.path, "import", p, file, "--format", "via", "--images", dir});
                if (!a.ok || !b.ok) std::printf("%s: import failed\n", cli.name.c_str());
                cli.seconds.push_back(a.wall + b.wall);
                cli.rssMb.push_back(b.rssMb);
            }
        };
        if (i % 2 == 0) {
            python();
            ours();
            viaCli();
        } else {
            viaCli();
            ours();
            python();
        }
    }
    auto row = [](const char *name, const std::vector<double> &v, const char *unit = "s") {
        if (v.empty()) return;
        std::printf("  %-34s %8.3f %s  (%.3f-%.3f)\n", name, median(v), unit, *std::min_element(v.begin(), v.end()),
                    *std::max_element(v.begin(), v.end()));
    };
    row("python json.load (floor)", py);
    row("python peak RSS", pyRss, "MB");
    row("ours: parse only (index + walk)", parse);
    row("ours: VIA read (parse + Dataset)", read);
    row("ours: store import (one transaction)", insert);
    row("ours: whole import (read + store)", whole);
    row("ours: peak RSS of the import", rss, "MB");
    if (!py.empty() && !whole.empty()) std::printf("  ratio whole import / python: %.2fx (goal <= 1.5x)\n", median(whole) / median(py));
    for (const Cli &cli : clis) {
        row((cli.name + ": annotrain-cli new + import").c_str(), cli.seconds);
        row((cli.name + ": peak RSS of the import").c_str(), cli.rssMb, "MB");
        if (!py.empty() && !cli.seconds.empty()) std::printf("  ratio %s / python: %.2fx\n", cli.name.c_str(), median(cli.seconds) / median(py));
    }
}

} // namespace

int main(int argc, char **argv)
{
    std::string dir = "/tmp/annotrain-bench-import";
    std::vector<Cli> clis;
    int rounds = 5;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--rounds" && i + 1 < argc) {
            rounds = std::max(1, std::atoi(argv[++i]));
        } else if (a == "--cli" && i + 1 < argc) {
            const std::string v = argv[++i];
            const auto eq = v.find('=');
            if (eq == std::string::npos) {
                std::cerr << "--cli takes NAME=PATH\n";
                return 2;
            }
            clis.push_back({v.substr(0, eq), fs::absolute(v.substr(eq + 1)).string(), {}, {}});
        } else {
            dir = a;
        }
    }
    fs::create_directories(dir);
    const std::string via = dir + "/big_via.json", rects = dir + "/big_regions.json";
    if (!fs::exists(via)) writePolygons(via);
    if (!fs::exists(rects)) writeRectangles(rects);
    benchFile(via, dir, rounds, clis);
    benchFile(rects, dir, rounds, clis);

    // Exports and project open, once, from the polygon file's project.
    auto ds = core::FormatRegistry::instance().find("via")->read(via, {});
    if (!ds) {
        std::cerr << ds.error().toString() << "\n";
        return 1;
    }
    const std::string project = dir + "/bench.atproj";
    removeProject(project);
    auto store = core::ProjectStore::create(project);
    core::ImportOptions io;
    io.imageRoot = dir;
    if (!store || !store->importDataset(*ds, io)) return 1;
    auto t = Clock::now();
    auto exported = store->exportDataset();
    const double load = secondsSince(t);
    if (!exported) {
        std::cerr << exported.error().toString() << "\n";
        return 1;
    }
    core::Dataset &back = *exported;
    t = Clock::now();
    if (!core::FormatRegistry::instance().find("via")->write(back, dir + "/out_via.json", {})) return 1;
    const double viaOut = secondsSince(t);
    for (auto &im : back.images) { // COCO needs sizes; no image files here
        im.width = 640;
        im.height = 480;
    }
    t = Clock::now();
    if (!core::FormatRegistry::instance().find("coco")->write(back, dir + "/out_coco.json", {})) return 1;
    const double cocoOut = secondsSince(t);
    store = core::ProjectStore::open(project); // release and reopen
    t = Clock::now();
    auto reopened = core::ProjectStore::open(project);
    const auto images = reopened->images();
    const double open = secondsSince(t);
    if (!images) {
        std::cerr << images.error().toString() << "\n";
        return 1;
    }
    std::printf("\nexport: load from store     %7.3f s\n", load);
    std::printf("export: write VIA           %7.3f s   (load+write %.3f s, goal <= 2 s)\n", viaOut, load + viaOut);
    std::printf("export: write COCO          %7.3f s   (load+write %.3f s, goal <= 2 s)\n", cocoOut, load + cocoOut);
    std::printf("project open + image list   %7.3f s   (%zu images, goal <= 0.2 s)\n", open, images->size());
    return 0;
}
