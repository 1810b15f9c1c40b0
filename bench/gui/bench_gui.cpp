// The editor's speed goals, measured on the real MainWindow (offscreen platform,
// software raster painting as on an X11 desktop without GL):
//  - project open: openProject() and the time until the first image is on the canvas;
//  - image switch in a 10,000-image project: showImage() until imageShown();
//  - frame time while panning and zooming an image with 5,000 polygons of 50 points.
//  - with --huge, instead: a 30,000 x 20,000 PNG - the first open (its pyramid is built),
//    the time to the first view and to a sharp view once the pyramid exists, the time
//    until the view is sharp after each of 24 zooms and pans, and the peak memory.
// Usage: bench_gui [WORKDIR] [--huge]   (generates the projects on first use; prints JSON lines)
#include "core/project_store.h"
#include "tests/must.h"
#include "core/random.h"
#include "annotation/canvas.h"
#include "ui/annotateworkspace.h"
#include "tests/png_rows.h"
#include "ui/mainwindow.h"
#include "annotation/imagelayer.h"
#include "annotation/regionlayer.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QGraphicsView>
#include <QScrollBar>
#include <QTimer>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <time.h>

namespace fs = std::filesystem;

namespace {

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

double mean(const std::vector<double> &v)
{
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// 10,000 images: ten distinct 1024x768 JPEGs, each hard-linked 1,000 times under its own name
// (the store and the decoder see 10,000 files), 20 polygons of 12 points on each.
// Plus one 4000x3000 image with 5,000 polygons of 50 points.
bool generate(const std::string &dir)
{
    const std::string project = dir + "/big.atproj";
    if (fs::exists(project)) return true;
    fs::create_directories(dir + "/img");
    for (int k = 0; k < 10; ++k) {
        cv::Mat m(768, 1024, CV_8UC3, cv::Scalar(40 + 20 * k, 90, 160 - 10 * k));
        for (int c = 0; c < 60; ++c)
            cv::circle(m, {(c * 97 + k * 31) % 1024, (c * 53 + k * 17) % 768}, 10 + (c * 7) % 40, cv::Scalar((c * 40) % 255, 200, 90), -1);
        const std::string first = dir + "/img/base" + std::to_string(k) + ".jpg";
        cv::imwrite(first, m);
        for (int i = 0; i < 1000; ++i) {
            char name[64];
            std::snprintf(name, sizeof name, "/img/im%02d_%04d.jpg", k, i);
            fs::create_hard_link(first, dir + name);
        }
        fs::remove(first);
    }
    cv::Mat big(3000, 4000, CV_8UC3, cv::Scalar(70, 70, 70));
    cv::imwrite(dir + "/img/aaa_dense.jpg", big);
    auto store = core::ProjectStore::create(project);
    if (!store) return false;
    if (!store->addImagesFromDir(dir + "/img")) return false;
    auto cls = store->addClass("thing");
    if (!cls) return false;
    std::vector<core::Region> regions;
    core::SplitMix64 rng{1};
    for (const auto &im : must(store->images())) {
        const bool dense = im.relPath == "aaa_dense.jpg";
        const int n = dense ? 5000 : 20, pts = dense ? 50 : 12;
        const double w = dense ? 4000 : 1024, h = dense ? 3000 : 768, r = dense ? 18 : 30;
        for (int i = 0; i < n; ++i) {
            const double cx = r + rng.uniform() * (w - 2 * r), cy = r + rng.uniform() * (h - 2 * r);
            std::vector<core::Point> poly;
            for (int k = 0; k < pts; ++k) {
                const double a = 2 * M_PI * k / pts, rr = r * (0.7 + 0.3 * rng.uniform());
                poly.push_back({cx + rr * std::cos(a), cy + rr * std::sin(a)});
            }
            core::Region reg;
            reg.imageId = im.id;
            reg.classId = *cls;
            reg.shape = *core::Shape::polygon(poly);
            regions.push_back(std::move(reg));
        }
    }
    return store->addRegions(regions).ok();
}

// Waits until the window reports the image on the canvas.
bool waitShown(ui::MainWindow &w, int row, int timeoutMs = 20000)
{
    QEventLoop loop;
    bool done = false;
    auto c = QObject::connect(&w, &ui::MainWindow::imageShown, &loop, [&](int r) {
        if (r == row) {
            done = true;
            loop.quit();
        }
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!done) loop.exec();
    QObject::disconnect(c);
    return done;
}

// Lets the layer's refine timer fire and its worker render land.
void waitSharp(ui::MainWindow &w)
{
    const int before = w.annotate()->canvas()->regionLayer()->renders();
    QElapsedTimer rest;
    rest.start();
    while (rest.elapsed() < 3000 && (w.annotate()->canvas()->regionLayer()->renders() == before || w.annotate()->canvas()->regionLayer()->rendering()))
        QApplication::processEvents(QEventLoop::AllEvents, 20);
}

long peakRssMb()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
    return -1;
}

// Repaints until the picture is sharp at the current view (or 10 s pass); returns the milliseconds.
double threadCpuMs()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

double untilSharp(annotation::Canvas *canvas)
{
    QElapsedTimer t;
    t.start();
    canvas->viewport()->repaint();
    while (!canvas->imageLayer()->isSharp() && t.elapsed() < 10000) QApplication::processEvents(QEventLoop::AllEvents, 5);
    return t.nsecsElapsed() / 1e6;
}

int huge(const std::string &dir)
{
    const std::string folder = dir + "/huge", png = folder + "/img/huge-30000x20000.png", project = folder + "/huge.atproj";
    QElapsedTimer t;
    t.start();
    if (!fs::exists(png)) {
        fs::create_directories(folder + "/img");
        // An aerial-like picture: fields, a grid of roads, and sensor noise on every pixel, so
        // that it compresses about as badly as a photograph (a clean pattern would flatter the
        // decoder and the tiles).
        const bool ok = testutil::writePngRows(png + ".part", 30000, 20000, [](int y, std::uint8_t *row) {
            std::uint64_t h = 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(y + 1);
            for (int x = 0; x < 30000; ++x) {
                h ^= h >> 27;
                h *= 0x3c79ac492ba7b653ULL;
                h ^= h >> 33;
                const int noise = static_cast<int>(h & 31) - 16;
                const bool road = x % 1500 < 12 || y % 1100 < 12;
                const int field = ((x / 300) * 7 + (y / 250) * 13) % 5;
                auto put = [&](int c, int v) { row[3 * x + c] = static_cast<std::uint8_t>(std::clamp(v + noise, 0, 255)); };
                put(0, road ? 200 : 60 + field * 25);
                put(1, road ? 200 : 90 + field * 18);
                put(2, road ? 190 : 40 + field * 10);
            }
        });
        if (!ok) return 2;
        fs::rename(png + ".part", png);
        std::fprintf(stderr, "wrote %s (%.0f MB) in %.1f s\n", png.c_str(), fs::file_size(png) / 1e6, t.elapsed() / 1000.0);
    }
    if (!fs::exists(project)) {
        auto store = core::ProjectStore::create(project);
        if (!store || !store->addImagesFromDir(folder + "/img")) return 2;
    }
    std::error_code ec;
    fs::remove_all(folder + "/huge.cache", ec); // the first open builds the pyramid
    double buildMs = 0;
    {
        ui::MainWindow w;
        w.resize(1600, 1000);
        w.show();
        t.restart();
        if (!w.openProject(QString::fromStdString(project)).ok() || !waitShown(w, 0, 900000)) return 1;
        buildMs = t.nsecsElapsed() / 1e6;
    }
    const long afterBuildMb = peakRssMb();
    ui::MainWindow w;
    w.resize(1600, 1000);
    w.show();
    annotation::Canvas *canvas = w.annotate()->canvas();
    t.restart();
    if (!w.openProject(QString::fromStdString(project)).ok() || !waitShown(w, 0, 20000)) return 1;
    const double firstViewMs = t.nsecsElapsed() / 1e6;
    untilSharp(canvas);
    const double firstSharpMs = t.nsecsElapsed() / 1e6;
    // Zooms around places all over the image and pans at each zoom, as a person looks around.
    std::vector<double> sharpMs, frameMs, frameCpuMs;
    core::SplitMix64 rng{11};
    const double zooms[] = {0.06, 0.15, 0.4, 1.0, 2.0, 0.7};
    for (int i = 0; i < 24; ++i) {
        QElapsedTimer f;
        f.start();
        const double cpu0 = threadCpuMs();
        if (i % 2 == 0) {
            const double z = zooms[(i / 2) % 6];
            canvas->setTransform(QTransform::fromScale(z, z));
            canvas->centerOn(rng.uniform() * 30000, rng.uniform() * 20000);
        } else { // a pan of most of a view
            canvas->horizontalScrollBar()->setValue(canvas->horizontalScrollBar()->value() + (rng.below(2) ? 1 : -1) * 1200);
            canvas->verticalScrollBar()->setValue(canvas->verticalScrollBar()->value() + (rng.below(2) ? 1 : -1) * 700);
        }
        canvas->viewport()->repaint(); // the frame itself: what the layer has, coarser where it waits for tiles
        frameMs.push_back(f.nsecsElapsed() / 1e6);
        frameCpuMs.push_back(threadCpuMs() - cpu0);
        sharpMs.push_back(untilSharp(canvas) + frameMs.back());
    }
    std::printf("{\"bench\": \"huge image\", \"image\": \"30000x20000 png\", \"png_mb\": %.0f, \"pyramid_mb\": %.0f, \"first_open_with_build_s\": %.1f, "
                "\"open_to_first_view_ms\": %.1f, \"open_to_sharp_ms\": %.1f, \"sharp_after_view_change_mean_ms\": %.1f, \"p95_ms\": %.1f, \"max_ms\": %.1f, "
                "\"frame_mean_ms\": %.1f, \"frame_p95_ms\": %.1f, \"frame_cpu_mean_ms\": %.1f, \"tiles_in_memory\": %d, \"peak_rss_build_mb\": %ld, \"peak_rss_mb\": %ld}\n",
                fs::file_size(png) / 1e6, canvas->imageLayer()->pyramid() ? canvas->imageLayer()->pyramid()->fileBytes() / 1e6 : 0.0, buildMs / 1000.0,
                firstViewMs, firstSharpMs, mean(sharpMs), percentile(sharpMs, 0.95), percentile(sharpMs, 1.0), mean(frameMs), percentile(frameMs, 0.95), mean(frameCpuMs),
                canvas->imageLayer()->tilesInMemory(), afterBuildMb, peakRssMb());
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const std::string dir = argc > 1 && argv[1][0] != '-' ? argv[1] : "/tmp/annotrain-bench-gui";
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]) == "--huge") return huge(dir);
    QElapsedTimer t;
    t.start();
    if (!generate(dir)) {
        std::fprintf(stderr, "cannot generate the benchmark project in %s\n", dir.c_str());
        return 2;
    }
    std::fprintf(stderr, "project ready in %.1f s\n", t.elapsed() / 1000.0);
    const QString project = QString::fromStdString(dir + "/big.atproj");

    ui::MainWindow w;
    w.resize(1600, 1000);
    w.show();
    t.restart();
    if (!w.openProject(project).ok()) return 2;
    const double openMs = t.nsecsElapsed() / 1e6;
    waitShown(w, 0); // row 0 is aaa_dense.jpg: the 5,000-polygon image
    const double firstImageMs = t.nsecsElapsed() / 1e6;
    std::printf("{\"bench\": \"open\", \"images\": %d, \"open_ms\": %.1f, \"first_image_ms\": %.1f}\n", w.annotate()->imageCount(), openMs, firstImageMs);

    // Frame time on the dense image: zoom steps and pan steps, each followed by a synchronous repaint.
    QGraphicsView *view = w.annotate()->canvas();
    view->fitInView(w.annotate()->canvas()->scene()->sceneRect(), Qt::KeepAspectRatio);
    view->viewport()->repaint();
    waitSharp(w);
    std::vector<double> zoomMs, panMs;
    for (int i = 0; i < 40; ++i) {
        QElapsedTimer f;
        f.start();
        const double s = i < 20 ? 1.08 : 1 / 1.08;
        view->scale(s, s);
        view->viewport()->repaint();
        zoomMs.push_back(f.nsecsElapsed() / 1e6);
    }
    view->fitInView(QRectF(1000, 700, 2000, 1500), Qt::KeepAspectRatio);
    QApplication::processEvents();
    for (int i = 0; i < 60; ++i) {
        QElapsedTimer f;
        f.start();
        view->horizontalScrollBar()->setValue(view->horizontalScrollBar()->value() + (i < 30 ? 15 : -15));
        view->verticalScrollBar()->setValue(view->verticalScrollBar()->value() + (i < 30 ? 10 : -10));
        view->viewport()->repaint();
        panMs.push_back(f.nsecsElapsed() / 1e6);
    }
    // The sharp image after a zoom comes to rest (or a pan past the margin): a full render of the
    // visible regions, on a worker thread; the frames meanwhile show the last image scaled.
    std::vector<double> sharpMs;
    for (int i = 0; i < 6; ++i) {
        view->scale(i % 2 ? 1.25 : 0.8, i % 2 ? 1.25 : 0.8);
        view->viewport()->repaint();
        waitSharp(w);
        sharpMs.push_back(w.annotate()->canvas()->regionLayer()->lastRenderMs());
    }
    view->fitInView(w.annotate()->canvas()->scene()->sceneRect(), Qt::KeepAspectRatio);
    QApplication::processEvents();
    std::vector<double> sharpFitMs;
    for (int i = 0; i < 3; ++i) { // the whole image in view: all 5,000 polygons
        view->scale(i % 2 ? 1.02 : 1 / 1.02, i % 2 ? 1.02 : 1 / 1.02);
        view->viewport()->repaint();
        waitSharp(w);
        sharpFitMs.push_back(w.annotate()->canvas()->regionLayer()->lastRenderMs());
    }
    std::printf("{\"bench\": \"frame\", \"polygons\": 5000, \"points\": 50, \"viewport\": \"%dx%d\", \"zoom_mean_ms\": %.1f, \"zoom_p95_ms\": %.1f, "
                "\"pan_mean_ms\": %.1f, \"pan_p95_ms\": %.1f, \"sharp_zoomed_ms\": %.1f, \"sharp_whole_image_ms\": %.1f}\n",
                view->viewport()->width(), view->viewport()->height(), mean(zoomMs), percentile(zoomMs, 0.95), mean(panMs), percentile(panMs, 0.95),
                mean(sharpMs), mean(sharpFitMs));

    // Image switches: 60 images spread over the project, each until it is on the canvas.
    std::vector<double> switchMs;
    core::SplitMix64 rng{7};
    for (int i = 0; i < 60; ++i) {
        const int row = 1 + rng.below(w.annotate()->imageCount() - 1);
        QElapsedTimer s;
        s.start();
        w.annotate()->showImage(row);
        if (!waitShown(w, row)) return 1;
        switchMs.push_back(s.nsecsElapsed() / 1e6);
    }
    std::printf("{\"bench\": \"switch\", \"images\": %d, \"regions_per_image\": 20, \"image\": \"1024x768 jpeg\", \"mean_ms\": %.1f, \"p50_ms\": %.1f, "
                "\"p95_ms\": %.1f}\n",
                w.annotate()->imageCount(), mean(switchMs), percentile(switchMs, 0.5), percentile(switchMs, 0.95));
    return 0;
}
