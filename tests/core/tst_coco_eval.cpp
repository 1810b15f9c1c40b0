// The COCO evaluator and RLE primitives against pycocotools itself. pycocotools is not
// packaged by Debian: initTestCase builds it from ../shared/peers/cocoapi into the build
// tree (scripts/build_pycocotools.py) and tests/core/coco_reference.py runs it with
// /usr/bin/python3. Seeded ground truth and detections (several images and categories,
// crowd regions, all three area ranges and their boundaries, images without ground
// truth, categories without detections, more than 100 detections in one image, polygons
// of several parts, RLE ground truth with string and list counts, tied scores) and the
// labelme COCO export in ../shared/data must give pycocotools' 12 numbers within 1e-4.
#include "core/coco_eval.h"
#include "core/coco_json.h"
#include "core/coco_rle.h"
#include "core/fileio.h"
#include "core/format.h"
#include "core/project_store.h"
#include "core/transfer.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace core;
using json = nlohmann::json;

namespace {

const double kTolerance = 1e-4;

std::string errorText(const Error &e) { return e.toString(); }

// ---- random ground truth and detections ------------------------------------------

struct Generated {
    std::string name;
    CocoGroundTruth gt;
    std::vector<CocoDetection> dts;
    std::vector<std::vector<std::vector<double>>> dtPolygons; // per detection, empty when it has none
    json gtJson;
};

class Generator {
public:
    explicit Generator(std::uint64_t seed) : m_rng(seed) {}

    double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(m_rng); }
    int integer(int a, int b) { return std::uniform_int_distribution<int>(a, b)(m_rng); }
    bool chance(double p) { return uniform(0, 1) < p; }

    // A star-shaped polygon around (cx, cy); coordinates sometimes on a 0.1 or 0.5 grid so
    // that pycocotools' rounding of x * 5 + 0.5 meets exact halves.
    std::vector<double> star(double cx, double cy, double r)
    {
        const int n = integer(3, 14);
        std::vector<double> angles(static_cast<std::size_t>(n));
        for (double &a : angles)
            a = uniform(0, 2 * M_PI);
        std::sort(angles.begin(), angles.end());
        const double grid = chance(0.3) ? (chance(0.5) ? 0.1 : 0.5) : 0;
        std::vector<double> xy;
        for (double a : angles) {
            const double rr = r * uniform(0.55, 1.0);
            double x = cx + rr * std::cos(a), y = cy + rr * std::sin(a);
            if (grid > 0) {
                x = std::round(x / grid) * grid;
                y = std::round(y / grid) * grid;
            }
            xy.push_back(x);
            xy.push_back(y);
        }
        return xy;
    }

    std::vector<double> jitter(const std::vector<double> &xy, double amount)
    {
        std::vector<double> out = xy;
        for (double &v : out)
            v += uniform(-amount, amount);
        return out;
    }

    std::mt19937_64 m_rng;
};

struct Options {
    std::uint64_t seed = 1;
    bool zeroAnnotationId = false;
    int images = 14;
};

Box polygonsBox(const std::vector<std::vector<double>> &parts)
{
    std::vector<double> all;
    for (const auto &p : parts)
        all.insert(all.end(), p.begin(), p.end());
    return boundingBoxOf(all);
}

json rleJson(const Rle &r, bool compressed)
{
    json c;
    if (compressed)
        c = rleToString(r);
    else
        c = r.counts;
    return {{"size", {r.height, r.width}}, {"counts", c}};
}

Generated generate(const std::string &name, const Options &o)
{
    Generator g(o.seed);
    Generated out;
    out.name = name;
    const std::vector<std::int64_t> catIds = {1, 3, 4, 8, 11, 20, 21}; // 20: no ground truth, only detections; 21: nothing
    for (std::int64_t c : catIds)
        out.gt.categories.push_back({c, "class" + std::to_string(c)});
    // Image ids out of order in the file: the evaluation sorts them.
    std::vector<std::int64_t> imageIds;
    for (int i = 0; i < o.images; ++i)
        imageIds.push_back(100 + 7 * i);
    std::shuffle(imageIds.begin(), imageIds.end(), g.m_rng);
    for (std::int64_t id : imageIds)
        out.gt.images.push_back({id, "img" + std::to_string(id) + ".jpg", g.integer(160, 420), g.integer(160, 420)});

    json gtAnns = json::array();
    std::int64_t annId = 1;
    const std::vector<std::int64_t> gtCats = {1, 3, 4, 8, 11};
    for (std::size_t i = 0; i + 2 < out.gt.images.size(); ++i) { // the last two images have no ground truth
        const CocoImage &im = out.gt.images[i];
        const int n = g.integer(1, 9);
        for (int k = 0; k < n; ++k) {
            CocoAnnotation a;
            a.id = annId++;
            a.imageId = im.id;
            a.categoryId = gtCats[static_cast<std::size_t>(g.integer(0, static_cast<int>(gtCats.size()) - 1))];
            const int sizeClass = g.integer(0, 2);
            const double r = sizeClass == 0 ? g.uniform(2, 14) : sizeClass == 1 ? g.uniform(22, 50) : g.uniform(62, 110);
            const double cx = g.uniform(0, im.width), cy = g.uniform(0, im.height);
            std::vector<std::vector<double>> parts = {g.star(cx, cy, r)};
            if (g.chance(0.2)) parts.push_back(g.star(cx + g.uniform(-2, 2) * r, cy + g.uniform(-2, 2) * r, r * g.uniform(0.2, 0.7)));
            if (g.chance(0.05)) parts.push_back(g.star(cx + g.uniform(-2, 2) * r, cy + g.uniform(-2, 2) * r, r * g.uniform(0.2, 0.5)));
            a.iscrowd = g.chance(0.1);
            const Rle mask = rleFromPolygons(parts, static_cast<std::uint32_t>(im.height), static_cast<std::uint32_t>(im.width));
            json seg;
            const double kind = g.uniform(0, 1);
            if (kind < 0.7 && !a.iscrowd) {
                a.polygons = parts;
                a.box = polygonsBox(parts);
                json ps = json::array();
                for (const auto &p : parts)
                    ps.push_back(p);
                seg = ps;
            } else {
                a.rle = mask;
                a.box = rleToBox(mask);
                seg = rleJson(mask, kind < 0.85);
            }
            a.area = static_cast<double>(rleArea(mask));
            if (g.chance(0.04)) a.area = g.chance(0.5) ? 32.0 * 32.0 : 96.0 * 96.0; // on a range's boundary: in both
            gtAnns.push_back({{"id", a.id},
                              {"image_id", a.imageId},
                              {"category_id", a.categoryId},
                              {"bbox", {a.box.x, a.box.y, a.box.w, a.box.h}},
                              {"area", a.area},
                              {"iscrowd", a.iscrowd ? 1 : 0},
                              {"segmentation", seg}});
            out.gt.annotations.push_back(std::move(a));
        }
    }
    if (o.zeroAnnotationId) { // pycocotools counts a match to annotation id 0 as none
        std::size_t i = 0;
        while (out.gt.annotations[i].iscrowd)
            ++i;
        out.gt.annotations[i].id = 0;
        gtAnns[i]["id"] = 0;
    }

    auto score = [&] { return g.chance(0.3) ? std::round(g.uniform(0, 1) * 20) / 20 : g.uniform(0, 1); };
    auto addDetection = [&](const CocoImage &im, std::int64_t cat, const Box &b, const std::vector<std::vector<double>> &polys) {
        CocoDetection d;
        d.imageId = im.id;
        d.categoryId = cat;
        d.box = b;
        d.score = score();
        if (!polys.empty() && g.chance(0.85))
            d.mask = rleFromPolygons(polys, static_cast<std::uint32_t>(im.height), static_cast<std::uint32_t>(im.width));
        out.dts.push_back(d);
        out.dtPolygons.push_back(d.mask ? polys : std::vector<std::vector<double>>{});
    };
    auto imageOf = [&](std::int64_t id) -> const CocoImage & {
        return *std::find_if(out.gt.images.begin(), out.gt.images.end(), [&](const CocoImage &im) { return im.id == id; });
    };
    for (const CocoAnnotation &a : out.gt.annotations) {
        if (!g.chance(a.iscrowd ? 0.5 : 0.85)) continue;
        const int copies = g.chance(0.2) ? g.integer(2, 3) : 1;
        const CocoImage &im = imageOf(a.imageId);
        for (int c = 0; c < copies; ++c) {
            const double s = g.uniform(0.01, 0.12), size = std::max(a.box.w, a.box.h);
            const Box b{a.box.x + g.uniform(-s, s) * a.box.w, a.box.y + g.uniform(-s, s) * a.box.h, a.box.w * g.uniform(1 - s, 1 + s),
                        a.box.h * g.uniform(1 - s, 1 + s)};
            std::vector<std::vector<double>> polys;
            if (!a.polygons.empty())
                for (const auto &p : a.polygons)
                    polys.push_back(g.jitter(p, s * size * 0.3));
            else
                polys.push_back({b.x, b.y, b.x + b.w, b.y, b.x + b.w, b.y + b.h, b.x, b.y + b.h});
            const std::int64_t cat = g.chance(0.9) ? a.categoryId : catIds[static_cast<std::size_t>(g.integer(0, 5))];
            addDetection(im, cat, b, polys);
        }
    }
    // False positives everywhere, also on the images without ground truth; some name a
    // category the ground truth does not list (ignored).
    for (std::size_t i = 0; i + 1 < out.gt.images.size(); ++i) {
        const CocoImage &im = out.gt.images[i];
        for (int k = g.integer(0, 5); k > 0; --k) {
            const double w = g.uniform(3, 120), h = g.uniform(3, 120), x = g.uniform(-10, im.width), y = g.uniform(-10, im.height);
            const std::int64_t cat = g.chance(0.05) ? 999 : catIds[static_cast<std::size_t>(g.integer(0, 5))];
            addDetection(im, cat, {x, y, w, h}, {g.star(x + w / 2, y + h / 2, std::min(w, h) / 2)});
        }
    }
    // More than 100 detections of one category on one image.
    {
        const CocoAnnotation &a = out.gt.annotations.front();
        const CocoImage &im = imageOf(a.imageId);
        for (int k = 0; k < 130; ++k) {
            const double w = g.uniform(4, 40), h = g.uniform(4, 40);
            const double x = k % 3 == 0 ? a.box.x + g.uniform(-5, 5) : g.uniform(0, im.width), y = k % 3 == 0 ? a.box.y + g.uniform(-5, 5) : g.uniform(0, im.height);
            addDetection(im, a.categoryId, {x, y, w, h}, {g.star(x + w / 2, y + h / 2, std::min(w, h) / 2)});
        }
    }
    // Category 8 has ground truth and no detections.
    std::vector<CocoDetection> kept;
    std::vector<std::vector<std::vector<double>>> keptPolys;
    for (std::size_t i = 0; i < out.dts.size(); ++i)
        if (out.dts[i].categoryId != 8) {
            kept.push_back(out.dts[i]);
            keptPolys.push_back(out.dtPolygons[i]);
        }
    out.dts = std::move(kept);
    out.dtPolygons = std::move(keptPolys);

    json images = json::array(), categories = json::array();
    for (const CocoImage &im : out.gt.images)
        images.push_back({{"id", im.id}, {"file_name", im.fileName}, {"width", im.width}, {"height", im.height}});
    for (const CocoCategory &c : out.gt.categories)
        categories.push_back({{"id", c.id}, {"name", c.name}, {"supercategory", "thing"}});
    out.gtJson = {{"images", images}, {"categories", categories}, {"annotations", gtAnns}};
    return out;
}

// Results JSON in other forms than cocoResultsJson writes: without boxes (areas then come
// from the masks), or with polygon segmentations.
json resultsWithoutBoxes(const Generated &s)
{
    json out = json::array();
    for (const CocoDetection &d : s.dts) {
        const CocoImage &im = *std::find_if(s.gt.images.begin(), s.gt.images.end(), [&](const CocoImage &x) { return x.id == d.imageId; });
        const Rle m = d.mask ? *d.mask : rleFromBox(d.box, static_cast<std::uint32_t>(im.height), static_cast<std::uint32_t>(im.width));
        out.push_back({{"image_id", d.imageId}, {"category_id", d.categoryId}, {"score", d.score}, {"segmentation", rleJson(m, true)}});
    }
    return out;
}

json resultsWithPolygons(const Generated &s)
{
    json out = json::parse(cocoResultsJson(s.dts));
    for (std::size_t i = 0; i < s.dts.size(); ++i)
        if (!s.dtPolygons[i].empty()) out[i]["segmentation"] = s.dtPolygons[i];
    return out;
}

// A perturbed copy of a real ground truth as detections.
std::vector<CocoDetection> perturbed(const CocoGroundTruth &gt, std::uint64_t seed)
{
    Generator g(seed);
    std::vector<CocoDetection> out;
    for (const CocoAnnotation &a : gt.annotations) {
        if (!g.chance(0.85)) continue;
        const CocoImage &im = *std::find_if(gt.images.begin(), gt.images.end(), [&](const CocoImage &x) { return x.id == a.imageId; });
        CocoDetection d;
        d.imageId = a.imageId;
        d.categoryId = a.categoryId;
        const double s = g.uniform(0.01, 0.15);
        d.box = {a.box.x + g.uniform(-s, s) * a.box.w, a.box.y + g.uniform(-s, s) * a.box.h, a.box.w * g.uniform(1 - s, 1 + s), a.box.h * g.uniform(1 - s, 1 + s)};
        d.score = g.uniform(0.3, 1);
        std::vector<std::vector<double>> polys;
        for (const auto &p : a.polygons)
            polys.push_back(g.jitter(p, s * 20));
        d.mask = rleFromPolygons(polys, static_cast<std::uint32_t>(im.height), static_cast<std::uint32_t>(im.width));
        out.push_back(d);
    }
    for (const CocoImage &im : gt.images) {
        CocoDetection d;
        d.imageId = im.id;
        d.categoryId = gt.annotations[static_cast<std::size_t>(g.integer(0, static_cast<int>(gt.annotations.size()) - 1))].categoryId;
        d.box = {g.uniform(0, im.width / 2.0), g.uniform(0, im.height / 2.0), g.uniform(10, 150), g.uniform(10, 150)};
        d.score = g.uniform(0, 0.6);
        out.push_back(d);
    }
    return out;
}

// ---- running the reference ---------------------------------------------------------

struct Python {
    QString pythonPath;
    std::string error;

    // Runs coco_reference.py with `args`; the JSON it wrote to `out`.
    json run(const QStringList &args, const std::string &out)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PYTHONPATH"), pythonPath);
        env.insert(QStringLiteral("MPLBACKEND"), QStringLiteral("Agg"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral("/usr/bin/python3"), QStringList{QStringLiteral(ANNOTRAIN_SOURCE_DIR "/tests/core/coco_reference.py")} + args);
        p.waitForFinished(-1);
        if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
            error = "coco_reference.py " + args.join(QLatin1Char(' ')).toStdString() + " failed: " + p.readAllStandardError().right(3000).toStdString();
            return json();
        }
        auto text = readFile(out);
        return text ? json::parse(*text) : json();
    }
};

std::string writeText(const QTemporaryDir &dir, const std::string &name, const std::string &text)
{
    const std::string path = dir.filePath(QString::fromStdString(name)).toStdString();
    if (!writeFileAtomic(path, text).ok()) qFatal("cannot write %s", path.c_str());
    return path;
}

std::vector<std::uint8_t> toColumnMajor(const std::vector<std::vector<int>> &rows)
{
    const std::size_t h = rows.size(), w = h ? rows[0].size() : 0;
    std::vector<std::uint8_t> m(h * w);
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x)
            m[x * h + y] = static_cast<std::uint8_t>(rows[y][x]);
    return m;
}

struct Job {
    std::string name;
    std::string gtPath, dtPath;
    CocoIouType type;
};

} // namespace

class TestCocoEval : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    Python m_py;
    std::vector<Job> m_jobs;
    json m_reference; // pycocotools' results, one per job
    Generated m_standard;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QProcess build;
        build.start(QStringLiteral("/usr/bin/python3"),
                    {QStringLiteral(ANNOTRAIN_SOURCE_DIR "/scripts/build_pycocotools.py"), QStringLiteral(ANNOTRAIN_SHARED_DATA "/../peers/cocoapi"),
                     QStringLiteral(ANNOTRAIN_BINARY_DIR "/pycocotools-ref")});
        build.waitForFinished(-1);
        QVERIFY2(build.exitStatus() == QProcess::NormalExit && build.exitCode() == 0,
                 qPrintable(QStringLiteral("building the pycocotools reference failed: ") + QString::fromUtf8(build.readAllStandardError())));
        m_py.pythonPath = QString::fromUtf8(build.readAllStandardOutput()).trimmed();

        // Every evaluation scenario, written to files and run through pycocotools once.
        auto add = [&](const std::string &name, const std::string &gtPath, const std::string &dtPath) {
            for (CocoIouType t : {CocoIouType::Bbox, CocoIouType::Segm})
                m_jobs.push_back({name + "/" + cocoIouTypeName(t), gtPath, dtPath, t});
        };
        for (std::uint64_t seed : {1, 2, 3}) {
            Options o;
            o.seed = seed;
            o.zeroAnnotationId = seed == 2;
            o.images = seed == 3 ? 30 : 14;
            Generated s = generate("seed" + std::to_string(seed), o);
            const std::string gt = writeText(m_tmp, s.name + "-gt.json", s.gtJson.dump());
            const std::string dt = m_tmp.filePath(QString::fromStdString(s.name + "-dt.json")).toStdString();
            QVERIFY(writeCocoResults(dt, s.dts).ok());
            add(s.name, gt, dt);
            if (seed == 1) {
                add("masks-only-results", gt, writeText(m_tmp, "masksonly-dt.json", resultsWithoutBoxes(s).dump()));
                add("polygon-results", gt, writeText(m_tmp, "polygons-dt.json", resultsWithPolygons(s).dump()));
                m_standard = s;
            }
        }
        const std::string labelme = ANNOTRAIN_SHARED_DATA "/labelme/coco/annotations.json";
        auto lgt = readCocoGroundTruth(labelme);
        QVERIFY2(lgt.ok(), lgt.ok() ? "" : errorText(lgt.error()).c_str());
        const std::string ldt = m_tmp.filePath(QStringLiteral("labelme-dt.json")).toStdString();
        QVERIFY(writeCocoResults(ldt, perturbed(*lgt, 7)).ok());
        add("labelme-coco-export", labelme, ldt);

        json jobs = json::array();
        for (const Job &j : m_jobs)
            jobs.push_back({{"gt", j.gtPath}, {"dt", j.dtPath}, {"iouType", cocoIouTypeName(j.type)}});
        const std::string jobsPath = writeText(m_tmp, "jobs.json", jobs.dump());
        const std::string out = m_tmp.filePath(QStringLiteral("reference.json")).toStdString();
        m_reference = m_py.run({QStringLiteral("eval"), QString::fromStdString(jobsPath), QString::fromStdString(out)}, out);
        QVERIFY2(m_reference.is_array() && m_reference.size() == m_jobs.size(), m_py.error.c_str());
    }

    void thresholdsAreNumpys()
    {
        const std::string out = m_tmp.filePath(QStringLiteral("thresholds.json")).toStdString();
        const json j = m_py.run({QStringLiteral("thresholds"), QString::fromStdString(out)}, out);
        QVERIFY2(j.is_object(), m_py.error.c_str());
        for (std::size_t i = 0; i < 10; ++i)
            QCOMPARE(cocoIouThresholds()[i], j["iouThrs"][i].get<double>()); // bit for bit: matching compares with <
        for (std::size_t i = 0; i < 101; ++i)
            QCOMPARE(cocoRecallThresholds()[i], j["recThrs"][i].get<double>());
    }

    void rlePrimitivesMatchPycocotools()
    {
        Generator g(11);
        json masks = json::array();
        std::vector<std::vector<std::uint8_t>> ours; // column-major
        std::vector<std::pair<int, int>> sizes;
        // Groups of six masks of one size (merges and IoUs need equal sizes).
        const std::vector<std::pair<int, int>> shapes = {{1, 1}, {1, 9}, {7, 1}, {5, 5}, {13, 29}, {32, 17}, {40, 40}, {3, 64}};
        for (const auto &hw : shapes) {
            for (int k = 0; k < 6; ++k) {
                const int h = hw.first, w = hw.second;
                std::vector<std::vector<int>> rows(static_cast<std::size_t>(h), std::vector<int>(static_cast<std::size_t>(w), 0));
                const int kind = k % 6;
                const double density = kind == 2 ? 0.1 : kind == 3 ? 0.5 : 0.9;
                for (int y = 0; y < h; ++y)
                    for (int x = 0; x < w; ++x) {
                        int v = kind == 0 ? 0 : kind == 1 ? 1 : g.chance(density);
                        if (kind == 5) { // blobs: a union of rectangles
                            v = 0;
                        }
                        rows[static_cast<std::size_t>(y)][static_cast<std::size_t>(x)] = v;
                    }
                if (kind == 5)
                    for (int b = 0; b < 3; ++b) {
                        const int x0 = g.integer(0, w - 1), y0 = g.integer(0, h - 1), x1 = g.integer(x0, w - 1), y1 = g.integer(y0, h - 1);
                        for (int y = y0; y <= y1; ++y)
                            for (int x = x0; x <= x1; ++x)
                                rows[static_cast<std::size_t>(y)][static_cast<std::size_t>(x)] = 1;
                    }
                masks.push_back({{"h", h}, {"w", w}, {"rows", rows}});
                ours.push_back(toColumnMajor(rows));
                sizes.push_back(hw);
            }
        }
        json merges = json::array(), ious = json::array(), boxIous = json::array(), polygons = json::array(), boxes = json::array();
        for (std::size_t s = 0; s < shapes.size(); ++s) {
            const int b = static_cast<int>(s) * 6;
            merges.push_back({{"masks", {b + 2, b + 3}}, {"intersect", 0}});
            merges.push_back({{"masks", {b + 2, b + 3, b + 5}}, {"intersect", 1}});
            merges.push_back({{"masks", {b + 4, b + 5}}, {"intersect", 0}});
            ious.push_back({{"dt", {b + 1, b + 2, b + 3, b + 5}}, {"gt", {b + 2, b + 4, b + 5}}, {"iscrowd", {0, 1, g.integer(0, 1)}}});
        }
        ious.push_back({{"dt", {6 * 4 + 3}}, {"gt", {6 * 5 + 3, 6 * 4 + 4}}, {"iscrowd", {0, 0}}}); // different sizes: -1 where boxes overlap
        for (int k = 0; k < 30; ++k) {
            json dt = json::array(), gt = json::array(), crowd = json::array();
            for (int i = 0; i < 3; ++i) {
                dt.push_back({g.uniform(-5, 50), g.uniform(-5, 50), g.chance(0.1) ? 0.0 : g.uniform(0, 40), g.uniform(0, 40)});
                gt.push_back({g.uniform(-5, 50), g.uniform(-5, 50), g.uniform(0, 40), g.chance(0.1) ? 0.0 : g.uniform(0, 40)});
                crowd.push_back(g.integer(0, 1));
            }
            boxIous.push_back({{"dt", dt}, {"gt", gt}, {"iscrowd", crowd}});
        }
        for (int k = 0; k < 400; ++k) {
            const int h = g.integer(1, 60), w = g.integer(1, 60);
            // Most inside the image or near it; some far outside, with long edges that
            // cross the image (the walk skips what lies beside it).
            const double reach = k % 4 == 3 ? (k % 8 == 7 ? 5000.0 : 300.0) : 10.0;
            json parts = json::array();
            for (int p = g.chance(0.25) ? g.integer(2, 3) : 1; p > 0; --p) {
                std::vector<double> xy;
                const int n = g.chance(0.05) ? g.integer(1, 2) : g.integer(3, 12);
                const double grid = g.chance(0.5) ? (g.chance(0.5) ? 0.1 : 0.5) : g.chance(0.3) ? 1.0 : 0.0;
                for (int i = 0; i < n; ++i) {
                    double x = g.uniform(-reach, w + reach), y = g.uniform(-reach, h + reach);
                    if (grid > 0) {
                        x = std::round(x / grid) * grid;
                        y = std::round(y / grid) * grid;
                    }
                    xy.push_back(x);
                    xy.push_back(y);
                    if (g.chance(0.05)) { // a repeated vertex
                        xy.push_back(x);
                        xy.push_back(y);
                    }
                }
                parts.push_back(xy);
            }
            polygons.push_back({{"h", h}, {"w", w}, {"parts", parts}});
        }
        for (int k = 0; k < 60; ++k)
            boxes.push_back({{"h", g.integer(1, 50)}, {"w", g.integer(1, 50)}, {"box", {g.uniform(-10, 50), g.uniform(-10, 50), g.uniform(0, 40), g.uniform(0, 40)}}});
        const json cases = {{"masks", masks}, {"merges", merges}, {"ious", ious}, {"boxIous", boxIous}, {"polygons", polygons}, {"boxes", boxes}};
        const std::string in = writeText(m_tmp, "mask-cases.json", cases.dump());
        const std::string out = m_tmp.filePath(QStringLiteral("mask-ref.json")).toStdString();
        const json ref = m_py.run({QStringLiteral("mask"), QString::fromStdString(in), QString::fromStdString(out)}, out);
        QVERIFY2(ref.is_object(), m_py.error.c_str());

        std::vector<Rle> rles;
        for (std::size_t i = 0; i < ours.size(); ++i) {
            const auto h = static_cast<std::uint32_t>(sizes[i].first), w = static_cast<std::uint32_t>(sizes[i].second);
            const Rle r = rleEncode(ours[i].data(), h, w);
            const json &e = ref["masks"][i];
            QVERIFY(e["roundTrip"].get<bool>());
            QCOMPARE(rleToString(r), e["counts"].get<std::string>());
            QCOMPARE(rleArea(r), e["area"].get<std::uint64_t>());
            const Box b = rleToBox(r);
            QCOMPARE((json{b.x, b.y, b.w, b.h}), e["bbox"]);
            // Row-major input encodes the same; decoding pycocotools' string gives the mask back.
            std::vector<std::uint8_t> rowMajor(ours[i].size());
            for (std::uint32_t x = 0; x < w; ++x)
                for (std::uint32_t y = 0; y < h; ++y)
                    rowMajor[y * w + x] = ours[i][x * h + y];
            QCOMPARE(rleEncode(rowMajor.data(), h, w, MaskOrder::RowMajor), r);
            Rle parsed{h, w, {}};
            QVERIFY(rleCountsFromString(e["counts"].get<std::string>(), &parsed.counts));
            QVERIFY(parsed.isValid());
            QCOMPARE(rleDecode(parsed), ours[i]);
            QCOMPARE(rleDecode(parsed, MaskOrder::RowMajor), rowMajor);
            rles.push_back(r);
        }
        for (std::size_t i = 0; i < merges.size(); ++i) {
            std::vector<Rle> in;
            for (const auto &m : merges[i]["masks"])
                in.push_back(rles[m.get<std::size_t>()]);
            const Rle r = rleMerge(in, merges[i]["intersect"].get<int>() != 0);
            QCOMPARE(rleToString(r), ref["merges"][i]["counts"].get<std::string>());
            QCOMPARE((json{r.height, r.width}), ref["merges"][i]["size"]);
        }
        for (std::size_t i = 0; i < ious.size(); ++i) {
            const json &q = ious[i], &o = ref["ious"][i];
            for (std::size_t d = 0; d < q["dt"].size(); ++d)
                for (std::size_t k = 0; k < q["gt"].size(); ++k) {
                    const double v = rleIou(rles[q["dt"][d].get<std::size_t>()], rles[q["gt"][k].get<std::size_t>()], q["iscrowd"][k].get<int>() != 0);
                    QCOMPARE(v, o[d][k].get<double>());
                }
        }
        auto box = [](const json &v) { return Box{v[0].get<double>(), v[1].get<double>(), v[2].get<double>(), v[3].get<double>()}; };
        for (std::size_t i = 0; i < boxIous.size(); ++i) {
            const json &q = boxIous[i], &o = ref["boxIous"][i];
            for (std::size_t d = 0; d < 3; ++d)
                for (std::size_t k = 0; k < 3; ++k)
                    QCOMPARE(boxIou(box(q["dt"][d]), box(q["gt"][k]), q["iscrowd"][k].get<int>() != 0), o[d][k].get<double>());
        }
        for (std::size_t i = 0; i < polygons.size(); ++i) {
            const json &p = polygons[i];
            const auto h = p["h"].get<std::uint32_t>(), w = p["w"].get<std::uint32_t>();
            std::vector<std::vector<double>> parts;
            for (std::size_t k = 0; k < p["parts"].size(); ++k) {
                parts.push_back(p["parts"][k].get<std::vector<double>>());
                const Rle r = rleFromPolygon(parts.back(), h, w);
                QVERIFY(r.isValid());
                QVERIFY2(rleToString(r) == ref["polygons"][i]["parts"][k].get<std::string>(), p["parts"][k].dump().c_str());
            }
            QCOMPARE(rleToString(rleFromPolygons(parts, h, w)), ref["polygons"][i]["merged"].get<std::string>());
        }
        for (std::size_t i = 0; i < boxes.size(); ++i)
            QCOMPARE(rleToString(rleFromBox(box(boxes[i]["box"]), boxes[i]["h"].get<std::uint32_t>(), boxes[i]["w"].get<std::uint32_t>())),
                     ref["boxes"][i].get<std::string>());
    }

    void matchesPycocotools_data()
    {
        QTest::addColumn<int>("job");
        for (std::size_t i = 0; i < m_jobs.size(); ++i)
            QTest::newRow(m_jobs[i].name.c_str()) << static_cast<int>(i);
    }

    void matchesPycocotools()
    {
        QFETCH(int, job);
        const Job &j = m_jobs[static_cast<std::size_t>(job)];
        auto gt = readCocoGroundTruth(j.gtPath);
        QVERIFY2(gt.ok(), gt.ok() ? "" : errorText(gt.error()).c_str());
        auto dts = readCocoResults(j.dtPath, *gt);
        QVERIFY2(dts.ok(), dts.ok() ? "" : errorText(dts.error()).c_str());
        auto s = evaluateCoco(*gt, *dts, j.type);
        QVERIFY2(s.ok(), s.ok() ? "" : errorText(s.error()).c_str());
        const json &ref = m_reference[static_cast<std::size_t>(job)];
        double worst = 0;
        for (std::size_t i = 0; i < 12; ++i) {
            const double theirs = ref["stats"][i].get<double>(), mine = s->stats[i];
            worst = std::max(worst, std::abs(theirs - mine));
            QVERIFY2(std::abs(theirs - mine) <= kTolerance,
                     qPrintable(QStringLiteral("%1: ours %2, pycocotools %3").arg(QString::fromUtf8(CocoSummary::statNames()[i])).arg(mine, 0, 'g', 10).arg(theirs, 0, 'g', 10)));
        }
        for (const CocoCategoryAp &c : s->perCategory) {
            const double theirs = ref["perCategory"][std::to_string(c.categoryId)].get<double>();
            QVERIFY2(std::abs(theirs - c.ap) <= kTolerance, qPrintable(QStringLiteral("category %1: ours %2, pycocotools %3").arg(c.categoryId).arg(c.ap).arg(theirs)));
        }
        // The data must exercise what it claims: some numbers are neither 0 nor 1, and the
        // categories without ground truth get -1.
        QVERIFY(s->stats[0] > 0.02 && s->stats[0] < 0.98);
        qInfo("%s: AP %.4f AP50 %.4f APs %.4f APl %.4f AR100 %.4f; largest difference to pycocotools %.3g", j.name.c_str(), s->stats[0], s->stats[1],
              s->stats[3], s->stats[5], s->stats[8], worst);
    }

    void inMemoryEqualsFiles()
    {
        // The trainer's path (value types) and the CLI's (files) give the same numbers.
        const Job &j = m_jobs.front();
        auto gt = readCocoGroundTruth(j.gtPath);
        auto dts = readCocoResults(j.dtPath, *gt);
        QVERIFY(gt.ok() && dts.ok());
        CocoEvaluator ev(m_standard.gt, {CocoIouType::Bbox, CocoIouType::Segm});
        const std::size_t half = m_standard.dts.size() / 2;
        ev.process(std::vector<CocoDetection>(m_standard.dts.begin(), m_standard.dts.begin() + static_cast<std::ptrdiff_t>(half)));
        for (std::size_t i = half; i < m_standard.dts.size(); ++i)
            ev.process(m_standard.dts[i]);
        auto mem = ev.evaluate();
        QVERIFY(mem.ok());
        QCOMPARE(mem->size(), std::size_t(2));
        for (const CocoSummary &s : *mem) {
            auto file = evaluateCoco(*gt, *dts, s.iouType);
            QVERIFY(file.ok());
            for (std::size_t i = 0; i < 12; ++i)
                QCOMPARE(s.stats[i], file->stats[i]);
        }
        // reset() forgets the detections: nothing detected, every AP with ground truth is 0.
        ev.reset();
        QCOMPARE(ev.detectionCount(), std::size_t(0));
        auto none = ev.evaluate();
        QVERIFY(none.ok());
        QCOMPARE((*none)[0].stats[0], 0.0);
    }

    void perfectAndEmptyDetections()
    {
        // Three objects, one per area range, on three images; an exact detection of each
        // gives 1 everywhere, no detections 0; without large objects APl and ARl are -1.
        CocoGroundTruth gt;
        gt.categories = {{1, "a"}, {2, "b"}};
        const Box boxes[3] = {{5, 5, 10, 10}, {10, 10, 40, 50}, {0, 0, 150, 120}};
        for (int i = 0; i < 3; ++i) {
            gt.images.push_back({i + 1, "", 200, 200});
            CocoAnnotation a;
            a.id = i + 1;
            a.imageId = i + 1;
            a.categoryId = 1 + i % 2;
            a.box = boxes[i];
            a.area = boxes[i].w * boxes[i].h;
            gt.annotations.push_back(a);
        }
        std::vector<CocoDetection> perfect;
        for (const CocoAnnotation &a : gt.annotations)
            perfect.push_back({a.imageId, a.categoryId, a.box, 0.9, std::nullopt, std::nullopt});
        for (CocoIouType t : {CocoIouType::Bbox, CocoIouType::Segm}) {
            auto s = evaluateCoco(gt, perfect, t);
            QVERIFY(s.ok());
            for (double v : s->stats)
                QCOMPARE(v, 1.0);
            auto e = evaluateCoco(gt, {}, t);
            QVERIFY(e.ok());
            for (double v : e->stats)
                QCOMPARE(v, 0.0);
        }
        CocoGroundTruth small = gt;
        small.annotations.pop_back();
        auto s = evaluateCoco(small, perfect, CocoIouType::Bbox);
        QVERIFY(s.ok());
        QCOMPARE(s->stat("APl"), -1.0);
        QCOMPARE(s->stat("ARl"), -1.0);
        QCOMPARE(s->stat("AP"), 1.0);
        QCOMPARE(s->perCategory.size(), std::size_t(2));
        // A crowd region: a detection on it is neither a hit nor a miss; with only crowd
        // ground truth a category has nothing to count and gets -1.
        CocoGroundTruth crowd = small;
        crowd.annotations[1].iscrowd = true;
        auto c = evaluateCoco(crowd, perfect, CocoIouType::Bbox);
        QVERIFY(c.ok());
        QCOMPARE(c->perCategory[1].ap, -1.0);
        QCOMPARE(c->perCategory[0].ap, 1.0);
        // An image the ground truth does not have is an error, not a number.
        auto bad = evaluateCoco(gt, {{99, 1, {0, 0, 1, 1}, 0.5, std::nullopt, std::nullopt}}, CocoIouType::Bbox);
        QVERIFY(!bad.ok());
        QVERIFY(bad.error().toString().find("image 99") != std::string::npos);
    }

    void summaryTableAndJson()
    {
        CocoSummary s;
        s.stats = {0.5, 0.75, 0.25, -1, 0.125, 1, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
        const std::string t = s.table();
        QVERIFY2(t.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500\n") == 0, t.c_str());
        QVERIFY(t.find(" Average Precision  (AP) @[ IoU=0.50      | area= small | maxDets=100 ] = ") == std::string::npos); // AP50 is "all"
        QVERIFY(t.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = -1.000\n") != std::string::npos);
        QVERIFY(t.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.100\n") != std::string::npos);
        const json j = s.toJson();
        QCOMPARE(j.size(), std::size_t(12));
        QCOMPARE(j["APm"].get<double>(), 0.125);
        QCOMPARE(j["ARl"].get<double>(), 0.6);
    }

    void resultsWriterRoundTrip()
    {
        const std::string path = m_tmp.filePath(QStringLiteral("rt.json")).toStdString();
        QVERIFY(writeCocoResults(path, m_standard.dts).ok());
        auto back = readCocoResults(path, m_standard.gt);
        QVERIFY2(back.ok(), back.ok() ? "" : errorText(back.error()).c_str());
        QCOMPARE(back->size(), m_standard.dts.size());
        for (std::size_t i = 0; i < back->size(); ++i) {
            const CocoDetection &a = m_standard.dts[i], &b = (*back)[i];
            QCOMPARE(b.imageId, a.imageId);
            QCOMPARE(b.categoryId, a.categoryId);
            QCOMPARE(b.box, a.box);
            QCOMPARE(b.score, a.score);
            QCOMPARE(b.mask.has_value(), a.mask.has_value());
            if (a.mask) QVERIFY(*b.mask == *a.mask);
        }
    }

    void groundTruthErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("reason");
        const QString img = QStringLiteral(R"("images": [{"id": 1, "width": 10, "height": 8}], "categories": [{"id": 3, "name": "c"}])");
        auto withAnn = [&](const char *ann) { return QStringLiteral("{") + img + QStringLiteral(", \"annotations\": [") + QString::fromUtf8(ann) + QStringLiteral("]}"); };
        QTest::newRow("not an object") << QStringLiteral("[]") << QStringLiteral("$") << QStringLiteral("expected an object");
        QTest::newRow("no images") << QStringLiteral(R"({"categories": []})") << QStringLiteral("$") << QStringLiteral("has no images list");
        QTest::newRow("images not a list") << QStringLiteral(R"({"images": {}, "categories": []})") << QStringLiteral("$.images") << QStringLiteral("expected a list");
        QTest::newRow("image id text") << QStringLiteral(R"({"images": [{"id": "a"}], "categories": []})") << QStringLiteral("$.images[0].id")
                                       << QStringLiteral("expected a whole number");
        QTest::newRow("image id twice") << QStringLiteral(R"({"images": [{"id": 1}, {"id": 1}], "categories": []})") << QStringLiteral("$.images[1].id")
                                        << QStringLiteral("appears twice");
        QTest::newRow("negative width") << QStringLiteral(R"({"images": [{"id": 1, "width": -3}], "categories": []})") << QStringLiteral("$.images[0].width")
                                        << QStringLiteral("whole number");
        QTest::newRow("bbox of 3") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3]})") << QStringLiteral("$.annotations[0].bbox")
                                   << QStringLiteral("expected 4 numbers");
        QTest::newRow("bbox text") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, "4"]})") << QStringLiteral("$.annotations[0].bbox")
                                   << QStringLiteral("expected 4 numbers");
        QTest::newRow("unknown image") << withAnn(R"({"id": 1, "image_id": 2, "category_id": 3, "bbox": [1, 2, 3, 4]})")
                                       << QStringLiteral("$.annotations[0].image_id") << QStringLiteral("image 2 is not listed");
        QTest::newRow("unknown category") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 4, "bbox": [1, 2, 3, 4]})")
                                          << QStringLiteral("$.annotations[0].category_id") << QStringLiteral("category 4 is not listed");
        QTest::newRow("no id") << withAnn(R"({"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]})") << QStringLiteral("$.annotations[0]")
                               << QStringLiteral("has no id");
        QTest::newRow("annotation id twice") << withAnn(R"({"id": 5, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]}, {"id": 5, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]})")
                                             << QStringLiteral("$.annotations[1].id") << QStringLiteral("appears twice");
        QTest::newRow("odd polygon") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "segmentation": [[1, 2, 3, 4, 5, 6], [1, 2, 3]]})")
                                     << QStringLiteral("$.annotations[0].segmentation[1]") << QStringLiteral("even number");
        QTest::newRow("polygon text") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "segmentation": [[1, 2, 3, "x", 5, 6]]})")
                                      << QStringLiteral("$.annotations[0].segmentation[0][3]") << QStringLiteral("finite number");
        QTest::newRow("rle sum") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "segmentation": {"size": [8, 10], "counts": [3, 2, 1]}})")
                                 << QStringLiteral("$.annotations[0].segmentation.counts") << QStringLiteral("add up to 6 pixels");
        QTest::newRow("rle string") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "segmentation": {"size": [8, 10], "counts": "3 2"}})")
                                    << QStringLiteral("$.annotations[0].segmentation.counts") << QStringLiteral("not a valid compressed RLE string");
        QTest::newRow("rle size") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "segmentation": {"size": [8], "counts": "3"}})")
                                  << QStringLiteral("$.annotations[0].segmentation.size") << QStringLiteral("[height, width]");
        QTest::newRow("crowd 2") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "iscrowd": 2})")
                                 << QStringLiteral("$.annotations[0].iscrowd") << QStringLiteral("0 or 1");
        QTest::newRow("area text") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "area": "big"})")
                                   << QStringLiteral("$.annotations[0].area") << QStringLiteral("finite number");
        QTest::newRow("nothing to box") << withAnn(R"({"id": 1, "image_id": 1, "category_id": 3})") << QStringLiteral("$.annotations[0]")
                                        << QStringLiteral("has no bbox");
        QTest::newRow("syntax") << QStringLiteral("{\"images\": [\n  {\"id\": 1,}]}") << QStringLiteral("2:") << QStringLiteral("invalid JSON");
    }

    void groundTruthErrors()
    {
        QFETCH(QString, text);
        QFETCH(QString, where);
        QFETCH(QString, reason);
        const std::string path = writeText(m_tmp, "bad-gt.json", text.toStdString());
        auto r = readCocoGroundTruth(path);
        QVERIFY(!r.ok());
        const Error &e = r.error();
        QCOMPARE(e.file, path);
        QVERIFY2(QString::fromStdString(e.where).startsWith(where), e.toString().c_str());
        QVERIFY2(QString::fromStdString(e.message).contains(reason), e.toString().c_str());
    }

    void resultsErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("reason");
        const char *ok = R"({"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5})";
        auto list = [&](std::initializer_list<const char *> items) {
            QStringList parts;
            for (const char *i : items)
                parts << QString::fromUtf8(i);
            return QStringLiteral("[") + parts.join(QStringLiteral(", ")) + QStringLiteral("]");
        };
        QTest::newRow("not a list") << QStringLiteral("{}") << QStringLiteral("$") << QStringLiteral("expected a list of results");
        QTest::newRow("bbox of 3 at 3") << list({ok, ok, ok, R"({"image_id": 1, "category_id": 3, "bbox": [1, 2, 3], "score": 0.5})"})
                                        << QStringLiteral("$[3].bbox") << QStringLiteral("expected 4 numbers");
        QTest::newRow("not an object") << list({ok, "7"}) << QStringLiteral("$[1]") << QStringLiteral("expected an object");
        QTest::newRow("bbox missing later") << list({ok, R"({"image_id": 1, "category_id": 3, "score": 0.5, "segmentation": {"size": [8, 10], "counts": "0`2"}})"})
                                            << QStringLiteral("$[1]") << QStringLiteral("has no bbox");
        QTest::newRow("unknown image") << list({R"({"image_id": 9, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5})"}) << QStringLiteral("$[0].image_id")
                                       << QStringLiteral("image 9 is not in the ground truth");
        QTest::newRow("no score") << list({R"({"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]})"}) << QStringLiteral("$[0]") << QStringLiteral("has no score");
        QTest::newRow("score text") << list({R"({"image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "score": "high"})"}) << QStringLiteral("$[0].score")
                                    << QStringLiteral("finite number");
        QTest::newRow("category text") << list({R"({"image_id": 1, "category_id": "c", "bbox": [1, 2, 3, 4], "score": 1})"}) << QStringLiteral("$[0].category_id")
                                       << QStringLiteral("whole number");
        QTest::newRow("neither") << list({R"({"image_id": 1, "category_id": 3, "score": 1})"}) << QStringLiteral("$[0]") << QStringLiteral("neither a bbox nor a segmentation");
        QTest::newRow("rle size") << list({R"({"image_id": 1, "category_id": 3, "score": 1, "segmentation": {"size": [8, -1], "counts": "0"}})"})
                                  << QStringLiteral("$[0].segmentation.size") << QStringLiteral("[height, width]");
        QTest::newRow("rle sum") << list({R"({"image_id": 1, "category_id": 3, "score": 1, "segmentation": {"size": [8, 10], "counts": "55"}})"})
                                 << QStringLiteral("$[0].segmentation.counts") << QStringLiteral("add up to");
        QTest::newRow("polygon, no size") << list({R"({"image_id": 2, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 1, "segmentation": [[1, 1, 5, 1, 5, 5]]})"})
                                          << QStringLiteral("$[0].segmentation") << QStringLiteral("no width and height");
        QTest::newRow("syntax") << QStringLiteral("[{\"image_id\": 1,\n\n ]") << QStringLiteral("3:") << QStringLiteral("invalid JSON");
    }

    void resultsErrors()
    {
        QFETCH(QString, text);
        QFETCH(QString, where);
        QFETCH(QString, reason);
        CocoGroundTruth gt;
        gt.images = {{1, "a.png", 10, 8}, {2, "b.png", 0, 0}};
        gt.categories = {{3, "c"}};
        const std::string path = writeText(m_tmp, "bad-dt.json", text.toStdString());
        auto r = readCocoResults(path, gt);
        QVERIFY(!r.ok());
        const Error &e = r.error();
        QCOMPARE(e.file, path);
        QVERIFY2(QString::fromStdString(e.where).startsWith(where), e.toString().c_str());
        QVERIFY2(QString::fromStdString(e.message).contains(reason), e.toString().c_str());
        if (std::string(QTest::currentDataTag()) == "bbox of 3 at 3")
            QVERIFY2(e.toString().find("bad-dt.json:$[3].bbox: expected 4 numbers") != std::string::npos, e.toString().c_str());
    }

    void missingFilesAreIoErrors()
    {
        auto gt = readCocoGroundTruth(m_tmp.filePath(QStringLiteral("nope.json")).toStdString());
        QVERIFY(!gt.ok());
        QCOMPARE(gt.error().code, ErrorCode::Io);
        auto dt = readCocoResults(m_tmp.filePath(QStringLiteral("nope.json")).toStdString(), m_standard.gt);
        QVERIFY(!dt.ok());
        QCOMPARE(dt.error().code, ErrorCode::Io);
    }

    void groundTruthHasTheExportsIds()
    {
        // What `export --format coco` writes and what the trainer and predict evaluate
        // against are one thing: the same image, category and annotation ids, classes
        // (unclassed regions get the default class), boxes, areas and polygons.
        Dataset ds;
        ds.classes = {{"cat", "#ff0000", 0}, {"dog", "#00ff00", 0}, {"bird", "#0000ff", 0}};
        ds.extra["coco"]["category_ids"] = {{"dog", 7}};
        for (int i = 0; i < 4; ++i) {
            ImageEntry im;
            im.path = "im" + std::to_string(i) + ".png";
            im.width = 120 + i;
            im.height = 80;
            im.split = i == 1 ? Split::Train : Split::Val;
            ds.images.push_back(im);
        }
        auto region = [](Shape s, const char *cls, bool crowd = false) {
            RegionData r;
            r.shape = std::move(s);
            r.className = cls;
            r.iscrowd = crowd;
            return r;
        };
        ds.images[0].regions.push_back(region(*Shape::rect(10, 10, 30, 20), "dog"));
        ds.images[0].regions.push_back(region(*Shape::polygon({{1, 1}, {40, 2}, {20, 30}}), "cat", true));
        ds.images[1].regions.push_back(region(*Shape::rect(1, 1, 5, 5), "bird"));
        ds.images[2].regions.push_back(region(*Shape::circle(50, 40, 12), "bird"));
        ds.images[2].regions.push_back(region(*Shape::polygon({{5, 5}, {25, 5}, {25, 25}}), "dog"));
        ds.images[3].regions.push_back(region(*Shape::rect(3, 4, 10, 10), "")); // no class
        auto same = [](const CocoGroundTruth &a, const CocoGroundTruth &b) {
            QCOMPARE(a.images.size(), b.images.size());
            for (std::size_t i = 0; i < a.images.size(); ++i) {
                QCOMPARE(a.images[i].id, b.images[i].id);
                QCOMPARE(a.images[i].fileName, b.images[i].fileName);
                QCOMPARE(a.images[i].width, b.images[i].width);
                QCOMPARE(a.images[i].height, b.images[i].height);
            }
            QCOMPARE(a.categories.size(), b.categories.size());
            for (std::size_t i = 0; i < a.categories.size(); ++i) {
                QCOMPARE(a.categories[i].id, b.categories[i].id);
                QCOMPARE(a.categories[i].name, b.categories[i].name);
            }
            QCOMPARE(a.annotations.size(), b.annotations.size());
            for (std::size_t i = 0; i < a.annotations.size(); ++i) {
                const CocoAnnotation &x = a.annotations[i], &y = b.annotations[i];
                QCOMPARE(x.id, y.id);
                QCOMPARE(x.imageId, y.imageId);
                QCOMPARE(x.categoryId, y.categoryId);
                QCOMPARE(x.box, y.box);
                QCOMPARE(x.area, y.area);
                QCOMPARE(x.iscrowd, y.iscrowd);
                QCOMPARE(x.polygons, y.polygons);
            }
        };

        // A dataset, against the codec's file.
        const std::string path = m_tmp.filePath(QStringLiteral("export.json")).toStdString();
        const Format *coco = FormatRegistry::instance().find("coco");
        QVERIFY(coco && coco->write(ds, path, {}).ok());
        auto fromFile = readCocoGroundTruth(path);
        QVERIFY2(fromFile.ok(), fromFile.ok() ? "" : errorText(fromFile.error()).c_str());
        auto direct = cocoGroundTruthFromDataset(ds, {});
        QVERIFY2(direct.ok(), direct.ok() ? "" : errorText(direct.error()).c_str());
        same(*direct, *fromFile);
        QCOMPARE(direct->images[2].id, std::int64_t(3)); // ids 1..n in image order
        QCOMPARE(direct->categories[1].id, std::int64_t(7)); // the source's id kept
        QCOMPARE(direct->categories.back().name, std::string("object")); // the default class
        QCOMPARE(direct->annotations.size(), std::size_t(6));
        QVERIFY(direct->annotations[1].iscrowd);

        // A project's split, against `annotrain-cli export … --format coco --split val`.
        const std::string project = m_tmp.filePath(QStringLiteral("ids.atproj")).toStdString();
        auto store = ProjectStore::create(project);
        QVERIFY(store.ok());
        ImportOptions io;
        io.imageRoot = m_tmp.path().toStdString();
        QVERIFY(store->importDataset(ds, io).ok());
        const std::string exported = m_tmp.filePath(QStringLiteral("val.json")).toStdString();
        ExportRequest r;
        r.out = exported;
        r.split = Split::Val;
        QVERIFY(exportFrom(*store, *coco, r).ok());
        auto valFile = readCocoGroundTruth(exported);
        QVERIFY(valFile.ok());
        auto val = cocoGroundTruthFromProject(*store, Split::Val);
        QVERIFY2(val.ok(), val.ok() ? "" : errorText(val.error()).c_str());
        same(*val, *valFile);
        QCOMPARE(val->images.size(), std::size_t(3));
        QCOMPARE(val->images[1].fileName, std::string("im2.png"));
        QCOMPARE(val->images[1].id, std::int64_t(2));
    }
};

QTEST_GUILESS_MAIN(TestCocoEval)
#include "tst_coco_eval.moc"
