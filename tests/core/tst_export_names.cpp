// Every writer keeps images with the same file name in different folders apart, and
// reports what it wrote. A project holds train/x.png and val/x.png (as droplets holds
// train/ and val/video1image0.jpg, the same picture), in one root and in two roots; each
// format's export has both, with all their regions, and reads back the same. Where
// a format cannot keep two images apart (c/y.jpg and c/y.png are both y.* to YOLO, the
// masks, labelme and VOC) the export is refused, naming both, and writes nothing.
// labelme's own LabelFile opens our labelme export; COCO gives every annotation a category.
#include "core/fileio.h"
#include "core/project_store.h"
#include "core/transfer.h"
#include "tests/must.h"
#include "testutil.h"

#include <opencv2/imgcodecs.hpp>

#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;
using namespace core;

namespace {

void writePng(const std::string &path, int w, int h)
{
    fs::create_directories(fs::path(path).parent_path());
    QVERIFY(cv::imwrite(path, cv::Mat(h, w, CV_8UC3, cv::Scalar(w, h, 90)), {}));
}

// Two regions on `name` (a box and a polygon), classed or not.
ImageEntry entry(const std::string &name, bool classed)
{
    ImageEntry im;
    im.path = name;
    RegionData box;
    box.shape = *Shape::rect(2, 2, 8, 6);
    if (classed) box.className = "cell";
    RegionData poly;
    poly.shape = *Shape::polygon({{3, 3}, {12, 4}, {7, 11}});
    im.regions = {box, poly};
    return im;
}

int filesBelow(const std::string &dir)
{
    int n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        n += it->is_regular_file();
    return n;
}

} // namespace

class TestExportNames : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string m_root;

    std::string out(const std::string &name) const { return m_tmp.filePath(QString::fromStdString("out/" + name)).toStdString(); }

    // A project whose images are `names` below the root (one root), with two regions each.
    std::string project(const std::string &file, const std::vector<std::string> &names, bool classed)
    {
        const std::string p = m_tmp.filePath(QString::fromStdString(file)).toStdString();
        auto s = ProjectStore::create(p);
        Dataset ds;
        ds.ensureClass("cell");
        for (const auto &n : names) ds.images.push_back(entry(n, classed));
        ImportOptions io;
        io.imageRoot = m_root;
        if (!s || !s->importDataset(ds, io)) return {};
        return p;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_root = m_tmp.filePath(QStringLiteral("imgs")).toStdString();
        fs::create_directories(out(""));
        writePng(m_root + "/train/x.png", 32, 24);
        writePng(m_root + "/val/x.png", 40, 30);
        writePng(m_root + "/c/y.png", 20, 20);
        writePng(m_root + "/c/y.jpg", 24, 20);
    }

    void sameNameInTwoFolders_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("target"); // file or folder
        for (const char *f : {"via", "via-project", "via-csv", "coco", "labelme", "yolo", "voc", "masks"})
            QTest::newRow(f) << QString::fromLatin1(f) << QString::fromLatin1(f) + QStringLiteral("-out");
    }

    void sameNameInTwoFolders()
    {
        QFETCH(QString, format);
        QFETCH(QString, target);
        const std::string p = project("same-" + format.toStdString() + ".atproj", {"train/x.png", "val/x.png"}, true);
        QVERIFY(!p.empty());
        auto store = ProjectStore::open(p);
        const Format &f = testutil::format(qPrintable(format));
        ExportRequest req;
        req.out = out(target.toStdString());
        auto rep = exportFrom(*store, f, req);
        QVERIFY2(rep.ok(), rep.ok() ? "" : rep.error().toString().c_str());
        QCOMPARE(rep->images, std::size_t(2));
        QCOMPARE(rep->regions, std::size_t(4));
        if (format == QLatin1String("masks") || format == QLatin1String("yolo")) {
            // One file per image in the image's own folder (YOLO writes labels only; images stay where they are).
            const std::string sub = format == QLatin1String("yolo") ? "/labels" : "";
            const std::string ext = format == QLatin1String("yolo") ? ".txt" : ".png";
            QVERIFY(fs::exists(req.out + sub + "/train/x" + ext));
            QVERIFY(fs::exists(req.out + sub + "/val/x" + ext));
            return;
        }
        ReadOptions ro;
        ro.imagesDir = m_root;
        auto back = f.read(req.out, ro);
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().toString().c_str());
        QCOMPARE(back->images.size(), std::size_t(2));
        // labelme names images relative to its JSON files, the others relative to the image folder.
        const std::string base = format == QLatin1String("labelme") ? req.out : m_root;
        std::vector<std::string> names;
        std::size_t regions = 0;
        for (const auto &im : back->images) {
            names.push_back(fs::path(base).append(im.path).lexically_normal().generic_string());
            regions += im.regions.size();
        }
        std::sort(names.begin(), names.end());
        QCOMPARE(names, (std::vector<std::string>{m_root + "/train/x.png", m_root + "/val/x.png"}));
        QCOMPARE(regions, std::size_t(4));
    }

    // droplets' case: train/ and val/ each have a VIA file that names its image by the
    // same key (same file name, same size); both images and all their regions come out.
    void viaKeysOfTwoSourcesDoNotMeet()
    {
        const std::string p = m_tmp.filePath(QStringLiteral("keys.atproj")).toStdString();
        auto s = ProjectStore::create(p);
        QVERIFY(s->addImagesFromDir(m_root).ok());
        const Format &via = testutil::format("via");
        for (const char *split : {"train", "val"}) {
            const std::string file = m_root + "/" + split + "/via.json";
            std::ofstream(file) << R"({"x.png1234":{"filename":"x.png","size":1234,"regions":[)"
                                   R"({"shape_attributes":{"name":"rect","x":1,"y":1,"width":4,"height":4},"region_attributes":{}}],"file_attributes":{}}})";
            ImportRequest req;
            req.source = file;
            req.images = m_root + "/" + split;
            QVERIFY(importInto(*s, via, req).ok());
        }
        ExportRequest req;
        req.out = out("keys.json");
        auto rep = exportFrom(*s, via, req);
        QVERIFY(rep.ok());
        const auto j = nlohmann::json::parse(must(readFile(req.out)));
        std::size_t regions = 0;
        for (const auto &rec : j) regions += rec["regions"].size();
        QCOMPARE(regions, rep->regions);
        QCOMPARE(j.size(), rep->images);
        QCOMPARE(rep->regions, std::size_t(2));
        QVERIFY(j.contains("train/x.png1234") || j.contains("x.png1234"));
        QVERIFY(j.contains("val/x.png1234"));
    }

    // The same file name below two image roots: the second is named relative to the first.
    void sameNameInTwoRoots()
    {
        const std::string p = m_tmp.filePath(QStringLiteral("roots.atproj")).toStdString();
        auto s = ProjectStore::create(p);
        for (const char *split : {"train", "val"}) {
            Dataset ds;
            ds.images.push_back(entry("x.png", false));
            ImportOptions io;
            io.imageRoot = m_root + "/" + split;
            QVERIFY(s->importDataset(ds, io).ok());
        }
        QCOMPARE(must(s->roots()).size(), std::size_t(2));
        ExportRequest req;
        req.out = out("roots.json");
        auto rep = exportFrom(*s, testutil::format("via"), req);
        QVERIFY(rep.ok());
        QCOMPARE(rep->images, std::size_t(2));
        const auto j = nlohmann::json::parse(must(readFile(req.out)));
        QCOMPARE(j.size(), std::size_t(2));
        std::vector<std::string> files;
        for (const auto &rec : j) files.push_back(rec["filename"]);
        std::sort(files.begin(), files.end());
        QCOMPARE(files, (std::vector<std::string>{"../val/x.png", "x.png"}));
    }

    // One name for two images in the output: refused, both named, nothing written.
    void collisionsRefused_data()
    {
        QTest::addColumn<QString>("format");
        for (const char *f : {"labelme", "yolo", "voc", "masks"}) QTest::newRow(f) << QString::fromLatin1(f);
    }

    void collisionsRefused()
    {
        QFETCH(QString, format);
        const std::string p = project("ext-" + format.toStdString() + ".atproj", {"c/y.jpg", "c/y.png"}, true);
        auto store = ProjectStore::open(p);
        ExportRequest req;
        req.out = out("refused-" + format.toStdString());
        auto rep = exportFrom(*store, testutil::format(qPrintable(format)), req);
        QVERIFY(!rep.ok());
        const QString msg = QString::fromStdString(rep.error().toString());
        QVERIFY2(msg.contains(QStringLiteral("c/y.jpg")) && msg.contains(QStringLiteral("c/y.png")), qPrintable(msg));
        QCOMPARE(filesBelow(req.out), 0);
        // The formats keyed by the whole name keep them apart.
        req.out = out("kept-" + format.toStdString() + ".json");
        auto via = exportFrom(*store, testutil::format("via"), req);
        QVERIFY(via.ok());
        QCOMPARE(via->images, std::size_t(2));
    }

    void duplicateNamesRefusedByEveryWriter()
    {
        Dataset ds;
        ds.ensureClass("cell");
        ds.images = {entry("a/x.png", true), entry("a/x.png", true)};
        for (const Format *f : FormatRegistry::instance().writers()) {
            WriteOptions wo;
            wo.imagesDir = m_root;
            const std::string target = out("dup-" + f->name());
            auto rep = f->write(ds, target, wo);
            QVERIFY2(!rep.ok(), f->name().c_str());
            QVERIFY(QString::fromStdString(rep.error().message).contains(QStringLiteral("both named 'a/x.png'")));
            QVERIFY(!fs::exists(target));
        }
    }

    // Unclassed regions (VIA files of the Mask R-CNN tutorial, droplets) get the default
    // class in COCO; no annotation lacks a category_id; the count of them is reported.
    void cocoGivesEveryRegionACategory()
    {
        const std::string p = project("unclassed.atproj", {"train/x.png", "val/x.png"}, false);
        auto store = ProjectStore::open(p);
        ExportRequest req;
        req.out = out("unclassed.coco.json");
        req.defaultClass = "droplet";
        auto rep = exportFrom(*store, testutil::format("coco"), req);
        QVERIFY(rep.ok());
        QCOMPARE(rep->notes.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(rep->notes[0]).contains(QStringLiteral("4 regions without a class")));
        const auto j = nlohmann::json::parse(must(readFile(req.out)));
        QCOMPARE(j["annotations"].size(), std::size_t(4));
        std::set<long long> ids;
        for (const auto &c : j["categories"]) ids.insert(c["id"].get<long long>());
        QVERIFY(std::any_of(j["categories"].begin(), j["categories"].end(), [](const auto &c) { return c["name"] == "droplet"; }));
        for (const auto &a : j["annotations"]) {
            QVERIFY(a.contains("category_id"));
            QVERIFY(ids.count(a["category_id"].get<long long>()));
        }
    }

    // labelme itself (Debian's labelme 5.1.1) opens our export, from another folder than the images.
    void labelmeOpensOurExport()
    {
        if (!QFileInfo::exists(QStringLiteral("/usr/lib/python3/dist-packages/labelme")))
            QSKIP("Debian's labelme is not installed (scripts/install-deps.sh installs it)");
        const std::string p = project("lm.atproj", {"train/x.png", "val/x.png"}, false);
        auto store = ProjectStore::open(p);
        ExportRequest req;
        req.out = out("labelme-client");
        QVERIFY(exportFrom(*store, testutil::format("labelme"), req).ok());
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"),
                 {QStringLiteral("-c"), QStringLiteral("import sys, glob\nfrom labelme.label_file import LabelFile\n"
                                                       "for f in sorted(glob.glob(sys.argv[1] + '/*/*.json')):\n"
                                                       "    lf = LabelFile(f)\n"
                                                       "    print(f.split('/')[-2], len(lf.shapes), len(lf.imageData))\n"),
                  QString::fromStdString(req.out)});
        QVERIFY(py.waitForFinished(60000));
        const QString output = QString::fromUtf8(py.readAllStandardOutput());
        QVERIFY2(py.exitCode() == 0, qPrintable(QString::fromUtf8(py.readAllStandardError())));
        const QStringList lines = output.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 2);
        QVERIFY(lines[0].startsWith(QStringLiteral("train 2 ")));
        QVERIFY(lines[1].startsWith(QStringLiteral("val 2 ")));
    }
};

QTEST_GUILESS_MAIN(TestExportNames)
#include "tst_export_names.moc"
