// annotrain-cli end to end, in-process: exit codes, the error format, stats JSON,
// import refusing paths outside the roots without changing the project, convert,
// split determinism and validate finding the droplets leak.
#include "app/cli/cli.h"
#include "tests/cli/run_cli.h"
#include "core/json_parse.h"
#include "tests/must.h"
#include "core/project_store.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace {
std::string shared(const std::string &rel) { return std::string(ANNOTRAIN_SHARED_DATA) + "/" + rel; }
} // namespace

class TestCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string tmp(const char *n) { return m_tmp.filePath(QString::fromUtf8(n)).toStdString(); }

private Q_SLOTS:
    void usageErrorsExitTwo()
    {
        QCOMPARE(runCli({}).rc, 2);
        QCOMPARE(runCli({"frobnicate"}).rc, 2);
        QCOMPARE(runCli({"import", tmp("x.atproj"), "y.json", "--format", "nosuch"}).rc, 2);
        auto help = runCli({"import", "--help"});
        QCOMPARE(help.rc, 0);
        QVERIFY(QString::fromStdString(help.out).contains(QStringLiteral("--class-attribute")));
        QCOMPARE(runCli({"stats", tmp("missing.atproj"), "--json"}).rc, 2);
    }

    void sampleStatsJson()
    {
        auto r = runCli({"sample", tmp("sample")});
        QCOMPARE(r.rc, 0);
        auto s = runCli({"stats", tmp("sample") + "/sample.atproj", "--json"});
        QCOMPARE(s.rc, 0);
        auto j = nlohmann::json::parse(s.out);
        for (const char *k : {"images", "annotated_images", "regions", "classes", "shapes", "splits"})
            QVERIFY2(j.contains(k), k);
        QCOMPARE(j["images"].get<int>(), 48);
        QCOMPARE(j["splits"]["train"].get<int>() + j["splits"]["val"].get<int>() + j["splits"]["test"].get<int>(), 48);
        QCOMPARE(j["classes"].size(), std::size_t(3));
        QCOMPARE(runCli({"validate", tmp("sample") + "/sample.atproj"}).rc, 0); // the sample is clean
    }

    // --images sizes the sample for experiments; fewer than one image a split is bad usage.
    void sampleImagesOption()
    {
        QCOMPARE(runCli({"sample", tmp("twelve"), "--images", "12"}).rc, 0);
        auto s = runCli({"stats", tmp("twelve") + "/sample.atproj", "--json"});
        QCOMPARE(s.rc, 0);
        const auto j = nlohmann::json::parse(s.out);
        QCOMPARE(j["images"].get<int>(), 12);
        QCOMPARE(j["annotated_images"].get<int>(), 12);
        auto r = runCli({"sample", tmp("two"), "--images", "2"});
        QCOMPARE(r.rc, 2);
        QVERIFY2(QString::fromStdString(r.err).contains(QStringLiteral("--images")), r.err.c_str());
        QVERIFY(!std::filesystem::exists(tmp("two") + "/sample.atproj"));
    }

    void malformedImportNamesLineAndColumn()
    {
        const std::string project = tmp("m.atproj");
        QCOMPARE(runCli({"new", project}).rc, 0);
        const std::string bad = tmp("bad.json");
        std::ofstream(bad) << "{\"a.jpg1\": {\"filename\": \"a.jpg\",\n  \"regions\": [}\n";
        auto r = runCli({"import", project, bad, "--format", "via"});
        QCOMPARE(r.rc, 2);
        QVERIFY2(QString::fromStdString(r.err).startsWith(QString::fromStdString("error: " + bad + ":2:")), r.err.c_str());
    }

    void deeplyNestedJsonIsRefusedWithItsPath()
    {
        // Issue 9: these crashed import, validate and convert with SIGSEGV.
        const std::string project = tmp("deep.atproj");
        QCOMPARE(runCli({"new", project}).rc, 0);
        const std::string deepArray = tmp("deep_array.json"), deepObject = tmp("deep_object.json");
        std::ofstream(deepArray) << R"({"img.jpg": {"filename": "img.jpg", "size": 1, "regions": [], "file_attributes": {"a": )"
                                 << std::string(200000, '[') << std::string(200000, ']') << "}}}";
        {
            std::ofstream o(deepObject);
            for (int i = 0; i < 100000; ++i) o << "{\"a\":";
            o << "1" << std::string(100000, '}');
        }
        const std::string limit = std::to_string(core::kMaxJsonDepth);
        const std::pair<std::string, std::string> cases[] = {
            {deepArray, "$['img.jpg'].file_attributes.a[0][0][0][0][0][0][0][0][0][0][0][0][0]...: nesting deeper than " + limit + " levels"},
            {deepObject, "$['a'].a.a.a.a.a.a.a.a.a.a.a.a.a.a.a...: nesting deeper than " + limit + " levels"}};
        for (const auto &[file, where] : cases) {
            const std::string expected = "error: " + file + ":" + where + "\n";
            auto imp = runCli({"import", project, file, "--format", "via"});
            QCOMPARE(imp.rc, 2);
            QCOMPARE(QString::fromStdString(imp.err), QString::fromStdString(expected));
            auto val = runCli({"validate", file, "--format", "via"});
            QCOMPARE(val.rc, 2);
            QCOMPARE(QString::fromStdString(val.err), QString::fromStdString(expected));
            const std::string out = tmp("deep-out.json");
            auto conv = runCli({"convert", file, out, "--from", "via", "--to", "coco"});
            QCOMPARE(conv.rc, 2);
            QCOMPARE(QString::fromStdString(conv.err), QString::fromStdString(expected));
            QVERIFY(!QFileInfo::exists(QString::fromStdString(out)));
        }
        auto s = nlohmann::json::parse(runCli({"stats", project, "--json"}).out);
        QCOMPARE(s["images"].get<int>(), 0); // nothing changed in the project
    }

    void importOutsideRootsChangesNothing()
    {
        const std::string project = tmp("o.atproj");
        QCOMPARE(runCli({"new", project}).rc, 0);
        QDir().mkpath(QString::fromStdString(tmp("imgs")));
        const std::string good = tmp("imgs/good.json");
        std::ofstream(good) << R"({"a.jpg1": {"filename": "a.jpg", "size": 1, "regions": [{"shape_attributes": {"name": "point", "cx": 1, "cy": 2}, "region_attributes": {"class": "x"}}]}})";
        QCOMPARE(runCli({"import", project, good, "--format", "via"}).rc, 0);
        const std::string evil = tmp("imgs/evil.json");
        std::ofstream(evil) << R"({"b.jpg1": {"filename": "b.jpg", "regions": [{"shape_attributes": {"name": "point", "cx": 1, "cy": 2}, "region_attributes": {"class": "y"}}]},
                                   "c1": {"filename": "../../../etc/passwd", "regions": []}})";
        auto r = runCli({"import", project, evil, "--format", "via"});
        QCOMPARE(r.rc, 2);
        QVERIFY2(QString::fromStdString(r.err).contains(QStringLiteral("outside")), r.err.c_str());
        auto s = nlohmann::json::parse(runCli({"stats", project, "--json"}).out);
        QCOMPARE(s["images"].get<int>(), 1);
        QCOMPARE(s["classes"].size(), std::size_t(1));
    }

    void convertViaToCocoAndBack()
    {
        const std::string coco = tmp("via.coco.json");
        auto r = runCli({"convert", shared("droplets/val/via_region_data.json"), coco, "--from", "via", "--to", "coco"});
        QCOMPARE(r.rc, 0);
        auto j = nlohmann::json::parse(std::ifstream(coco));
        QCOMPARE(j["images"].size(), std::size_t(2));
        QCOMPARE(j["annotations"].size(), std::size_t(63));
        for (const auto &a : j["annotations"]) // area and bbox agree with the polygon
            QVERIFY(a["area"].get<double>() > 0 && a["area"].get<double>() <= a["bbox"][2].get<double>() * a["bbox"][3].get<double>());
        for (const auto &im : j["images"]) // sizes come from the image files
            QVERIFY(im["width"].get<int>() > 0 && im["height"].get<int>() > 0);
        QCOMPARE(runCli({"convert", coco, tmp("back.json"), "--from", "coco", "--to", "via"}).rc, 0);
        // A VIA file whose images are not there cannot become COCO (COCO needs image sizes): exit 1, with the reason.
        auto missing = runCli({"convert", shared("via/v1-tests/unit_test_annotation2.json"), tmp("x.json"), "--from", "via", "--to", "coco"});
        QCOMPARE(missing.rc, 1);
        QVERIFY(QString::fromStdString(missing.err).contains(QStringLiteral("cannot get the size")));
    }

    void splitIsDeterministicAndStratified()
    {
        QCOMPARE(runCli({"sample", tmp("s2")}).rc, 0);
        const std::string p = tmp("s2") + "/sample.atproj";
        auto assignment = [&] {
            std::vector<int> v;
            for (const auto &im : must(core::ProjectStore::open(p)->images()))
                v.push_back(static_cast<int>(im.split));
            return v;
        };
        QCOMPARE(runCli({"split", p, "--ratios", "0.5,0.25,0.25", "--seed", "3", "--stratify"}).rc, 0);
        const auto first = assignment();
        QCOMPARE(runCli({"split", p, "--ratios", "0.5,0.25,0.25", "--seed", "4", "--stratify"}).rc, 0);
        QVERIFY(assignment() != first);
        QCOMPARE(runCli({"split", p, "--ratios", "0.5,0.25,0.25", "--seed", "3", "--stratify"}).rc, 0);
        QCOMPARE(assignment(), first);
        auto s = nlohmann::json::parse(runCli({"stats", p, "--json"}).out);
        // Rounding happens per class, so the counts may differ from 24/12/12 by a little.
        QVERIFY(std::abs(s["splits"]["train"].get<int>() - 24) <= 3);
        QCOMPARE(s["splits"]["train"].get<int>() + s["splits"]["val"].get<int>() + s["splits"]["test"].get<int>(), 48);
        QCOMPARE(runCli({"split", p, "--ratios", "0.5,0.5,0.5", "--seed", "1"}).rc, 2);
        // k-fold: fold I is val, the rest train; every image is val in exactly one fold.
        QCOMPARE(runCli({"split", p, "--ratios", "1,0,0", "--seed", "1"}).rc, 0); // k-fold keeps the test split; start with none
        std::vector<int> timesVal(48, 0);
        for (int fold = 0; fold < 4; ++fold) {
            QCOMPARE(runCli({"split", p, "--ratios", "1,0,0", "--seed", "9", "--kfold", "4", "--fold", std::to_string(fold)}).rc, 0);
            auto a = assignment();
            for (std::size_t i = 0; i < a.size(); ++i)
                timesVal[i] += a[i] == static_cast<int>(core::Split::Val);
        }
        QVERIFY(std::all_of(timesVal.begin(), timesVal.end(), [](int n) { return n == 1; }));
    }

    void validateFindsDropletsLeak()
    {
        const std::string p = tmp("drops.atproj");
        QCOMPARE(runCli({"new", p}).rc, 0);
        QCOMPARE(runCli({"import", p, shared("droplets/train/via_region_data.json"), "--format", "via", "--default-class", "droplet"}).rc, 0);
        QCOMPARE(runCli({"import", p, shared("droplets/val/via_region_data.json"), "--format", "via", "--default-class", "droplet"}).rc, 0);
        // Put the val folder's images into val, train's into train.
        auto store = core::ProjectStore::open(p);
        std::vector<std::pair<core::Id, core::Split>> splits;
        for (const auto &im : must(store->images()))
            splits.emplace_back(im.id, im.absPath.find("/val/") != std::string::npos ? core::Split::Val : core::Split::Train);
        QVERIFY(store->setSplits(splits).ok());
        auto r = runCli({"validate", p, "--json"});
        QCOMPARE(r.rc, 1);
        auto j = nlohmann::json::parse(r.out);
        bool leak = false;
        for (const auto &pr : j["problems"])
            if (pr["kind"] == "split_leak" && pr["message"].get<std::string>().find("video1image0.jpg") != std::string::npos) leak = true;
        QVERIFY2(leak, r.out.c_str());
        auto stats = nlohmann::json::parse(runCli({"stats", p, "--json"}).out);
        QCOMPARE(stats["regions"].get<int>(), 1304);
        QCOMPARE(stats["classes"]["droplet"].get<int>(), 1304);
    }

    void validateReportsEachProblemKind()
    {
        QDir().mkpath(QString::fromStdString(tmp("v")));
        // A real 10x10 PNG (validate decodes it whole), a corrupt file and a missing one.
        const unsigned char png[] = {0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
                                     0x00, 0x0a, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x00, 0x00, 0x00, 0x00, 0xa8, 0x59, 0x90, 0x61, 0x00, 0x00, 0x00,
                                     0x0e, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x68, 0x80, 0x03, 0x06, 0xda, 0x33, 0x01, 0xbf, 0x04, 0x32,
                                     0x01, 0x1c, 0xa7, 0xf3, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
        std::ofstream(tmp("v/ok.png"), std::ios::binary).write(reinterpret_cast<const char *>(png), sizeof png);
        std::ofstream(tmp("v/corrupt.jpg")) << "not an image";
        const std::string f = tmp("v/ann.json");
        std::ofstream(f) << R"({"ok.png1": {"filename": "ok.png", "regions": [
            {"shape_attributes": {"name": "polygon", "all_points_x": [1, 1, 1], "all_points_y": [1, 1, 1]}, "region_attributes": {"class": "a"}},
            {"shape_attributes": {"name": "polygon", "all_points_x": [0, 6, 6, 0], "all_points_y": [0, 4, 0, 6]}, "region_attributes": {"class": "a"}},
            {"shape_attributes": {"name": "rect", "x": 5, "y": 5, "width": 20, "height": 2}, "region_attributes": {"class": "a"}},
            {"shape_attributes": {"name": "point", "cx": 2, "cy": 2}, "region_attributes": {}}]},
          "corrupt.jpg1": {"filename": "corrupt.jpg", "regions": []},
          "missing.jpg1": {"filename": "missing.jpg", "regions": []}})";
        auto r = runCli({"validate", f, "--json", "--format", "via"});
        QCOMPARE(r.rc, 1);
        auto j = nlohmann::json::parse(r.out);
        std::set<std::string> kinds;
        for (const auto &pr : j["problems"])
            kinds.insert(pr["kind"].get<std::string>());
        for (const char *k : {"degenerate_shape", "self_intersection", "outside_image", "no_class", "unreadable_image", "missing_image"})
            QVERIFY2(kinds.count(k), k);
    }

    void exportEveryWriter()
    {
        QCOMPARE(runCli({"sample", tmp("s3")}).rc, 0);
        const std::string p = tmp("s3") + "/sample.atproj";
        for (const char *fmt : {"via", "via-project", "via-csv", "coco", "labelme", "yolo", "voc", "masks"}) {
            const std::string out = tmp("s3") + "/out-" + fmt + (std::string(fmt).find("via") == 0 || std::string(fmt) == "coco" ? ".json" : "");
            auto r = runCli({"export", p, out, "--format", fmt, "--split", "train"});
            QVERIFY2(r.rc == 0, (std::string(fmt) + ": " + r.err).c_str());
            QVERIFY(QFileInfo::exists(QString::fromStdString(out)));
        }
        // The masks hold class values where the shapes are.
        QVERIFY(QFileInfo::exists(QString::fromStdString(tmp("s3") + "/out-masks/classes.txt")));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
