// Image pyramids as a user of a huge image would notice them: a generated
// 30,000 x 20,000 PNG (600 megapixels, 1.8 GB decoded) is built into a pyramid
// with the memory of a few bands, not of the image, and every level's tiles equal
// a direct area-average downscale of the picture; small PNG, JPEG and TIFF files
// give back their decoded pixels at level 0. The cache finds a picture again by its
// content (renamed, it is not rebuilt), rebuilds a changed or damaged one, stays
// within its size bound, and a cancelled build leaves nothing behind.
#include "core/image_pyramid.h"
#include "core/pyramid_cache.h"
#include "tests/png_rows.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

namespace fs = std::filesystem;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

namespace {

// The test picture, computed for any pixel so that nothing needs the whole image:
// an XOR texture (detail at every scale), a gradient and a checkerboard.
struct Pattern {
    int width, height;
    void at(int x, int y, std::uint8_t *rgb) const
    {
        rgb[0] = static_cast<std::uint8_t>((x ^ y) & 255);
        rgb[1] = static_cast<std::uint8_t>(static_cast<long long>(x) * 255 / (width - 1));
        rgb[2] = ((x / 37 + y / 53) & 1) ? 230 : 20;
    }
};

long peakRssKb()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// Max |tile - direct downscale| over `samples` pixels of tile (tx, ty) at `level`:
// the direct downscale of a pixel is the average of the 2^level square it covers
// (clipped at the image's edge).
int worstSample(const core::ImagePyramid &p, const Pattern &pat, int level, int tx, int ty, int samples, std::mt19937 &rng)
{
    auto tile = p.tile(level, tx, ty);
    if (!tile) return 999;
    const int block = 1 << level;
    int worst = 0;
    std::uniform_int_distribution<int> ux(0, tile->width - 1), uy(0, tile->height - 1);
    for (int s = 0; s < samples; ++s) {
        const int x = ux(rng), y = uy(rng);
        const int gx = (tx * core::ImagePyramid::kTileSize + x) * block, gy = (ty * core::ImagePyramid::kTileSize + y) * block;
        double sum[3] = {0, 0, 0};
        int n = 0;
        for (int yy = gy; yy < std::min(gy + block, pat.height); ++yy)
            for (int xx = gx; xx < std::min(gx + block, pat.width); ++xx) {
                std::uint8_t px[3];
                pat.at(xx, yy, px);
                for (int c = 0; c < 3; ++c) sum[c] += px[c];
                ++n;
            }
        for (int c = 0; c < 3; ++c) {
            const int got = tile->rgb[(static_cast<std::size_t>(y) * tile->width + x) * 3 + c];
            worst = std::max(worst, static_cast<int>(std::lround(std::abs(got - sum[c] / n))));
        }
    }
    return worst;
}

} // namespace

class TestImagePyramid : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    std::string file(const char *name) const { return m_dir.filePath(QString::fromUtf8(name)).toStdString(); }

private Q_SLOTS:
    void hugePngInBoundedMemory()
    {
        const Pattern pat{30000, 20000};
        const std::string png = file("huge.png");
        QVERIFY(testutil::writePngRows(png, pat.width, pat.height, [&](int y, std::uint8_t *row) {
            for (int x = 0; x < pat.width; ++x) pat.at(x, y, row + 3 * x);
        }));
        const long before = peakRssKb();
        QElapsedTimer clock;
        clock.start();
        const std::string pyr = file("huge.pyr");
        double lastProgress = 0;
        core::PyramidBuildOptions options;
        options.progress = [&](double f) { lastProgress = f; };
        auto built = core::ImagePyramid::build(png, pyr, options);
        QVERIFY2(built.ok(), built.ok() ? "" : built.error().toString().c_str());
        const double seconds = clock.elapsed() / 1000.0;
        const long after = peakRssKb();
        QCOMPARE(lastProgress, 1.0);
        auto p = core::ImagePyramid::open(pyr);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().toString().c_str());
        QCOMPARE((*p)->width(), 30000);
        QCOMPARE((*p)->height(), 20000);
        QCOMPARE((*p)->levels(), 7); // 30000, 15000, 7500, 3750, 1875, 938, 469: one tile at the top
        QCOMPARE((*p)->levelWidth(6), 469);
        QCOMPARE((*p)->levelHeight(6), 313);
        qInfo("built in %.1f s; pyramid %.0f MB; peak RSS %ld MB before the build, %ld MB after", seconds, (*p)->fileBytes() / 1e6, before / 1024, after / 1024);
        // The picture alone would take 1.8 GB; the build may use a few bands. Under AddressSanitizer
        // freed blocks wait in its quarantine (256 MB by default) before they are reused.
        QVERIFY2(after < (kSanitized ? 400 + 256 : 400) * 1024, qPrintable(QStringLiteral("peak RSS %1 MB").arg(after / 1024)));

        // Level 0 equals the picture exactly; each coarser level its area average (a
        // rounding of at most half a unit per halving).
        std::mt19937 rng(7);
        for (int level = 0; level < (*p)->levels(); ++level) {
            const int tilesX = (*p)->tilesX(level), tilesY = (*p)->tilesY(level);
            const std::vector<std::pair<int, int>> tiles = {{0, 0}, {tilesX / 2, tilesY / 2}, {tilesX - 1, tilesY - 1}, {tilesX - 1, 0}};
            for (const auto &[tx, ty] : tiles) {
                const int worst = worstSample(**p, pat, level, tx, ty, level >= 4 ? 40 : 200, rng);
                QVERIFY2(worst <= (level + 1) / 2, qPrintable(QStringLiteral("level %1 tile %2,%3: off by %4").arg(level).arg(tx).arg(ty).arg(worst)));
            }
        }
        std::remove(png.c_str());
        std::remove(pyr.c_str());
    }

    void smallFilesOfEachStreamedFormat_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("png") << QStringLiteral("small.png");
        QTest::newRow("tiff") << QStringLiteral("small.tif");
        QTest::newRow("jpeg") << QStringLiteral("small.jpg");
        QTest::newRow("bmp (decoded whole)") << QStringLiteral("small.bmp");
    }
    void smallFilesOfEachStreamedFormat()
    {
        QFETCH(QString, name);
        cv::Mat bgr(1100, 1500, CV_8UC3);
        cv::randu(bgr, 0, 255);
        cv::GaussianBlur(bgr, bgr, {9, 9}, 3); // something a JPEG keeps
        const std::string image = file(name.toUtf8().constData());
        QVERIFY(cv::imwrite(image, bgr));
        const cv::Mat decoded = cv::imread(image, cv::IMREAD_COLOR); // the reference: what the file holds
        const std::string pyr = image + ".pyr";
        QVERIFY(core::ImagePyramid::build(image, pyr).ok());
        auto p = core::ImagePyramid::open(pyr);
        QVERIFY(p.ok());
        QCOMPARE((*p)->levels(), 3);
        for (int ty = 0; ty < (*p)->tilesY(0); ++ty)
            for (int tx = 0; tx < (*p)->tilesX(0); ++tx) {
                auto t = (*p)->tile(0, tx, ty);
                QVERIFY(t.ok());
                int worst = 0;
                for (int y = 0; y < t->height; ++y)
                    for (int x = 0; x < t->width; ++x) {
                        const cv::Vec3b ref = decoded.at<cv::Vec3b>(ty * 512 + y, tx * 512 + x);
                        for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(int(t->rgb[(std::size_t(y) * t->width + x) * 3 + c]) - int(ref[2 - c])));
                    }
                QVERIFY2(worst <= 1, qPrintable(QStringLiteral("tile %1,%2 off by %3").arg(tx).arg(ty).arg(worst))); // libjpeg's and OpenCV's IDCT may differ by one
            }
        // The top level, one tile, against OpenCV's own area downscale.
        cv::Mat small;
        cv::resize(decoded, small, cv::Size(375, 275), 0, 0, cv::INTER_AREA);
        auto top = (*p)->tile(2, 0, 0);
        QVERIFY(top.ok());
        QCOMPARE(top->width, 375);
        QCOMPARE(top->height, 275);
        double diff = 0;
        for (int y = 0; y < 275; ++y)
            for (int x = 0; x < 375; ++x)
                for (int c = 0; c < 3; ++c) diff += std::abs(int(top->rgb[(std::size_t(y) * 375 + x) * 3 + c]) - int(small.at<cv::Vec3b>(y, x)[2 - c]));
        QVERIFY(diff / (275.0 * 375 * 3) < 0.6);
    }

    void refusesWhatIsNotAPyramid()
    {
        const std::string junk = file("junk.pyr");
        std::ofstream(junk) << "ATPYRAM1 but nothing else";
        QVERIFY(!core::ImagePyramid::open(junk).ok());
        QVERIFY(!core::ImagePyramid::build(file("missing.png"), file("missing.pyr")).ok());
        QVERIFY(!fs::exists(file("missing.pyr")));
    }

    void cacheFindsContentRebuildsChangesAndStaysBounded()
    {
        const std::string dir = file("cache");
        auto picture = [this](const char *name, int seed) {
            cv::Mat bgr(700, 900, CV_8UC3);
            cv::randu(bgr, seed, seed + 60);
            const std::string path = file(name);
            cv::imwrite(path, bgr);
            return path;
        };
        const std::string a = picture("a.png", 0), b = picture("b.png", 100);
        core::PyramidCache cache(dir, 1); // one byte: everything but the last one built goes
        bool built = false;
        auto pa = cache.pyramidFor(a, {}, &built);
        QVERIFY(pa.ok() && built);
        QVERIFY(cache.pyramidFor(a, {}, &built).ok() && !built); // found by the index
        // The same picture under another name: found by its content.
        fs::copy_file(a, file("a-copy.png"));
        auto again = cache.pyramidFor(file("a-copy.png"), {}, &built);
        QVERIFY(again.ok() && !built);
        QCOMPARE((*again)->file(), (*pa)->file());
        // Another picture: built; the bound evicts the first, which stays readable while open.
        QVERIFY(cache.pyramidFor(b, {}, &built).ok() && built);
        QVERIFY(!fs::exists((*pa)->file()));
        QVERIFY((*pa)->tile(0, 0, 0).ok());
        QVERIFY(cache.cached(a).ok() && !*cache.cached(a));
        QVERIFY(cache.pyramidFor(a, {}, &built).ok() && built);
        // A changed file gets a new pyramid.
        picture("a.png", 50);
        auto changed = cache.pyramidFor(a, {}, &built);
        QVERIFY(changed.ok() && built);
        // A damaged pyramid is built again.
        core::PyramidCache roomy(file("roomy"));
        auto first = roomy.pyramidFor(b, {}, &built);
        QVERIFY(first.ok() && built);
        fs::resize_file((*first)->file(), 100);
        QVERIFY(roomy.pyramidFor(b, {}, &built).ok() && built);
        QVERIFY(roomy.bytesOnDisk() > 0);
        roomy.evictTo(0);
        QCOMPARE(roomy.bytesOnDisk(), std::uint64_t(0));
    }

    void cancelledBuildLeavesNothing()
    {
        cv::Mat bgr(3000, 600, CV_8UC3, cv::Scalar(10, 20, 30));
        const std::string image = file("tall.png");
        cv::imwrite(image, bgr);
        std::atomic<bool> cancel{false};
        core::PyramidBuildOptions options;
        options.cancel = &cancel;
        options.progress = [&cancel](double f) {
            if (f > 0.3) cancel = true;
        };
        core::PyramidCache cache(file("cancel-cache"));
        auto p = cache.pyramidFor(image, options);
        QVERIFY(!p.ok());
        QCOMPARE(p.error().code, core::ErrorCode::Cancelled);
        QCOMPARE(cache.bytesOnDisk(), std::uint64_t(0));
        for (const auto &e : fs::directory_iterator(file("cancel-cache"))) QVERIFY2(e.path().extension() != ".pyr", e.path().c_str());
    }
};

QTEST_MAIN(TestImagePyramid)
#include "tst_image_pyramid.moc"
