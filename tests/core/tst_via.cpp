// VIA codecs: round trips over VIA's own test files and the droplets dataset,
// every shape, unicode, and malformed input with the place of the error.
#include "core/fileio.h"
#include "testutil.h"

#include <QTemporaryDir>

#include <fstream>

using namespace core;
using testutil::format;
using testutil::sharedData;

namespace {
std::string writeText(const QTemporaryDir &dir, const char *name, const std::string &text)
{
    const std::string p = dir.filePath(QString::fromUtf8(name)).toStdString();
    std::ofstream(p, std::ios::binary) << text;
    return p;
}
nlohmann::json loadJson(const std::string &p) { return nlohmann::json::parse(*readFile(p)); }
} // namespace

class TestVia : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void viaUnitTestFileIsLossless()
    {
        // VIA's own test file: regions as object, every shape, quotes and unicode in attributes.
        const std::string src = sharedData("via/v1-tests/unit_test_annotation2.json");
        auto ds = format("via").read(src, {});
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(ds->images.size(), std::size_t(3));
        std::map<ShapeType, int> shapes;
        for (const auto &im : ds->images)
            for (const auto &r : im.regions)
                ++shapes[r.shape.type()];
        for (ShapeType t : {ShapeType::Rect, ShapeType::Circle, ShapeType::Ellipse, ShapeType::Polygon, ShapeType::Point})
            QVERIFY2(shapes[t] > 0, shapeTypeName(t));

        QTemporaryDir tmp;
        const std::string out = tmp.filePath(QStringLiteral("out.json")).toStdString();
        WriteOptions wo;
        wo.classAttribute.clear(); // no class attribute added: the file must come back as it was
        QVERIFY(format("via").write(*ds, out, wo).ok());
        // Same JSON document as VIA wrote, key order aside.
        QCOMPARE(loadJson(out), loadJson(src));
    }

    void dropletsRoundTrip_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("polygons");
        QTest::newRow("train") << QStringLiteral("droplets/train/via_region_data.json") << 1241;
        QTest::newRow("val") << QStringLiteral("droplets/val/via_region_data.json") << 63;
    }
    void dropletsRoundTrip()
    {
        QFETCH(QString, file);
        QFETCH(int, polygons);
        const std::string src = sharedData(file.toStdString());
        auto ds = format("via").read(src, {});
        QVERIFY(ds.ok());
        QCOMPARE(int(ds->regionCount()), polygons);
        QTemporaryDir tmp;
        for (const char *fmt : {"via", "via-project", "via-csv"}) {
            const std::string out = tmp.filePath(QString::fromUtf8(fmt)).toStdString();
            QVERIFY(format(fmt).write(*ds, out, {}).ok());
            auto back = format(fmt).read(out, {});
            QVERIFY2(back.ok(), back.ok() ? "" : back.error().toString().c_str());
            std::string why;
            QVERIFY2(testutil::sameAnnotations(*ds, *back, &why), (std::string(fmt) + ": " + why).c_str());
        }
        QCOMPARE(loadJson(tmp.filePath(QStringLiteral("via")).toStdString()), loadJson(src));
    }

    void csvMatchesJson()
    {
        // VIA's CSV test file holds the same annotations as its JSON test file.
        auto csv = format("via-csv").read(sharedData("via/v1-tests/unit_test_annotation1.csv"), {});
        QVERIFY2(csv.ok(), csv.ok() ? "" : csv.error().toString().c_str());
        auto js = format("via").read(sharedData("via/v1-tests/unit_test_annotation2.json"), {});
        QCOMPARE(csv->regionCount(), js->regionCount());
        QCOMPARE(csv->images[0].fileAttributes["caption"].get<std::string>(), std::string("+-08374*&$£*"));
    }

    void everyShapeAndUnicodeInMemory()
    {
        Dataset ds;
        ImageEntry im;
        im.path = "dir/画像 1.jpg";
        im.fileSize = 1234;
        im.fileAttributes = {{"caption", "ünïcödé \"quoted\""}};
        auto add = [&](Result<Shape> s, const char *cls) {
            RegionData r;
            r.shape = *s;
            r.className = cls;
            r.attributes = {{"class", cls}, {"flags", {{"occluded", true}}}};
            im.regions.push_back(r);
            ds.ensureClass(cls);
        };
        add(Shape::rect(1.5, 2, 3, 4), "box");
        add(Shape::polygon({{0, 0}, {10, 0.25}, {5, 8}}), "三角");
        add(Shape::polyline({{0, 0}, {3, 3}}), "line");
        add(Shape::circle(5, 5, 2), "disc");
        add(Shape::ellipse(5, 5, 3, 2, 0.3), "oval");
        add(Shape::point(7, 7), "dot");
        ds.images.push_back(im);
        AttributeDef def;
        def.name = "class";
        def.type = "dropdown";
        def.options = {{"box", "a box"}, {"dot", "a dot"}};
        def.defaults = {"box"};
        ds.attributes.push_back(def);
        QTemporaryDir tmp;
        for (const char *fmt : {"via", "via-project", "via-csv"}) {
            const std::string out = tmp.filePath(QString::fromUtf8(fmt)).toStdString();
            QVERIFY(format(fmt).write(ds, out, {}).ok());
            auto back = format(fmt).read(out, {});
            QVERIFY(back.ok());
            std::string why;
            QVERIFY2(testutil::sameAnnotations(ds, *back, &why), (std::string(fmt) + ": " + why).c_str());
            QCOMPARE(back->images[0].fileSize, std::int64_t(1234));
        }
        auto proj = format("via-project").read(tmp.filePath(QStringLiteral("via-project")).toStdString(), {});
        QCOMPARE(proj->attributes.size(), std::size_t(1));
        QCOMPARE(proj->attributes[0].type, std::string("dropdown"));
        QCOMPARE(proj->attributes[0].defaults, std::vector<std::string>{"box"});
    }

    void regionsAsListSizeAsStringOtherKeys()
    {
        QTemporaryDir tmp;
        const std::string p = writeText(tmp, "a.json", R"({"whatever": {"filename": "a.png", "size": "17",
            "regions": [{"shape_attributes": {"name": "rect", "x": 1, "y": 2, "width": 3, "height": 4},
                         "region_attributes": {"label": "cat"}}], "file_attributes": {}}})");
        auto ds = format("via").read(p, {});
        QVERIFY(ds.ok());
        QCOMPARE(ds->images[0].fileSize, std::int64_t(17));
        QCOMPARE(ds->images[0].regions[0].className, std::string("cat"));
        QCOMPARE(ds->classes.size(), std::size_t(1));
        // The unusual key survives a write.
        const std::string out = tmp.filePath(QStringLiteral("b.json")).toStdString();
        QVERIFY(format("via").write(*ds, out, {}).ok());
        QVERIFY(loadJson(out).contains("whatever"));
    }

    void malformed_data()
    {
        QTest::addColumn<QString>("fmt");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("reason");
        QTest::newRow("truncated") << "via" << "{\"a.jpg1\": {\"filename\": \"a.jpg\",\n \"regions\": [" << "2:" << "invalid JSON";
        QTest::newRow("xy mismatch") << "via"
                                     << R"({"a.jpg1": {"filename": "a.jpg", "size": 1, "regions": [{}, {"shape_attributes":
            {"name": "polygon", "all_points_x": [1,2,3], "all_points_y": [1,2]}, "region_attributes": {}}]}})"
                                     << "$['a.jpg1'].regions[0]" << "no shape_attributes";
        QTest::newRow("xy mismatch 2") << "via"
                                       << R"({"a.jpg1": {"filename": "a.jpg", "size": 1, "regions": [{"shape_attributes":
            {"name": "polygon", "all_points_x": [1,2,3], "all_points_y": [1,2]}, "region_attributes": {}}]}})"
                                       << "$['a.jpg1'].regions[0].shape_attributes" << "all_points_x has 3 values, all_points_y 2";
        QTest::newRow("unknown shape") << "via"
                                       << R"({"a.jpg1": {"filename": "a.jpg", "regions": {"0": {"shape_attributes": {"name": "blob"}}}}})"
                                       << "$['a.jpg1'].regions['0'].shape_attributes.name" << "unknown shape 'blob'";
        QTest::newRow("negative radius") << "via"
                                         << R"({"a.jpg1": {"filename": "a.jpg", "regions": [{"shape_attributes": {"name": "circle", "cx": 1, "cy": 1, "r": -3}}]}})"
                                         << "$['a.jpg1'].regions[0].shape_attributes" << "negative radius";
        QTest::newRow("not a number") << "via"
                                      << R"({"a.jpg1": {"filename": "a.jpg", "regions": [{"shape_attributes": {"name": "point", "cx": "abc", "cy": 1}}]}})"
                                      << "$['a.jpg1'].regions[0].shape_attributes.cx" << "not a finite number";
        QTest::newRow("top level array") << "via" << "[1, 2]" << "$" << "not an object";
        QTest::newRow("csv open quote") << "via-csv" << "#filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\na.jpg,1,\"{}" << "2" << "never closed";
        QTest::newRow("csv bad json") << "via-csv" << "filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\na.jpg,1,{},1,0,\"{\"\"name\"\":}\",{}\n" << "2" << "region_shape_attributes is not a JSON object";
        QTest::newRow("csv missing column") << "via-csv" << "filename,file_size\na.jpg,1\n" << "1" << "no column";
        QTest::newRow("project no metadata") << "via-project" << R"({"_via_settings": {}})" << "$" << "no _via_img_metadata";
        QTest::newRow("project attribute type") << "via-project" << R"({"_via_img_metadata": {}, "_via_attributes": {"region": {"kind": {"type": 5}}}})"
                                                << "$._via_attributes.region['kind'].type" << "is not a string";
        QTest::newRow("via3 bad shape") << "via3"
                                        << R"({"project": {"vid_list": ["1"]}, "file": {"1": {"fid": "1", "fname": "a.jpg"}},
            "view": {"1": {"fid_list": ["1"]}}, "metadata": {"m1": {"vid": "1", "xy": [7, 1, 2], "av": {}}}})"
                                        << "$.metadata['m1'].xy" << "polygon has 2 coordinates";
    }
    void malformed()
    {
        QFETCH(QString, fmt);
        QFETCH(QString, text);
        QFETCH(QString, where);
        QFETCH(QString, reason);
        QTemporaryDir tmp;
        const std::string p = writeText(tmp, "bad.txt", text.toStdString());
        auto ds = format(fmt.toUtf8().constData()).read(p, {});
        QVERIFY(!ds.ok());
        const Error &e = ds.error();
        QCOMPARE(QString::fromStdString(e.file), QString::fromStdString(p));
        QVERIFY2(QString::fromStdString(e.where).startsWith(where), e.toString().c_str());
        QVERIFY2(QString::fromStdString(e.message).contains(reason), e.toString().c_str());
    }

    void via3Import()
    {
        QTemporaryDir tmp;
        const std::string p = writeText(tmp, "v3.json", R"({"project": {"pid": "__VIA_PROJECT_ID__", "vid_list": ["1"]},
          "config": {}, "attribute": {"1": {"aname": "class", "anchor_id": "FILE1_Z0_XY1", "type": 4, "desc": "",
             "options": {"0": "cat", "1": "dog"}, "default_option_id": ""},
             "2": {"aname": "caption", "anchor_id": "FILE1_Z0_XY0", "type": 1, "desc": "", "options": {}, "default_option_id": ""}},
          "file": {"1": {"fid": "1", "fname": "x.jpg", "type": 2, "loc": 1, "src": ""}},
          "view": {"1": {"fid_list": ["1"]}},
          "metadata": {"1_a": {"vid": "1", "flg": 0, "z": [], "xy": [2, 10, 20, 30, 40], "av": {"1": "1"}},
                       "1_b": {"vid": "1", "flg": 0, "z": [], "xy": [7, 0, 0, 10, 0, 5, 5], "av": {"1": "0"}},
                       "1_c": {"vid": "1", "flg": 0, "z": [], "xy": [], "av": {"2": "a caption"}},
                       "1_d": {"vid": "1", "flg": 0, "z": [], "xy": [9, 0, 1, 1, 0, 0, -1], "av": {}}}})");
        auto ds = format("via3").read(p, {});
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(ds->images.size(), std::size_t(1));
        const auto &im = ds->images[0];
        QCOMPARE(im.regions.size(), std::size_t(3));
        QCOMPARE(im.regions[0].shape, *Shape::rect(10, 20, 30, 40));
        QCOMPARE(im.regions[0].className, std::string("dog"));
        QCOMPARE(im.regions[1].className, std::string("cat"));
        QCOMPARE(im.regions[1].shape.type(), ShapeType::Polygon);
        QCOMPARE(im.fileAttributes["caption"].get<std::string>(), std::string("a caption"));
        QCOMPARE(im.regions[2].shape.type(), ShapeType::Circle); // extreme circle through 3 points of the unit circle
        QVERIFY(std::abs(im.regions[2].shape.params()[2] - 1.0) < 1e-9);
    }

    void atomicOverwrite()
    {
        auto ds = format("via").read(sharedData("via/v1-tests/unit_test_annotation2.json"), {});
        QTemporaryDir tmp;
        const std::string out = writeText(tmp, "keep.json", "old content");
        // Writing into a folder that does not exist fails and leaves nothing behind.
        QVERIFY(!format("via").write(*ds, tmp.filePath(QStringLiteral("missing/x.json")).toStdString(), {}).ok());
        QVERIFY(format("via").write(*ds, out, {}).ok());
        QVERIFY(readFile(out)->size() > 100);
        QCOMPARE(QDir(tmp.path()).entryList(QDir::Files).size(), 1); // no temporary file left
    }
};

QTEST_GUILESS_MAIN(TestVia)
#include "tst_via.moc"
