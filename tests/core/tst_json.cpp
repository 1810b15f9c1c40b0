// JSON from hostile or broken files: every JSON reader refuses nesting deeper than
// kMaxJsonDepth with the JSON path of the place (issue 9: a 200,000-deep array in a VIA
// region's file_attributes and a 100,000-deep object crashed import, validate and
// convert), accepts nesting up to the limit and can write it back, reports syntax errors
// at line:col, and reads what nlohmann's parser read: same values, repeated keys last-wins.
// The deep files are generated here, not committed.
#include "core/fileio.h"
#include "core/formats/json_reader.h"
#include "core/json_object_builder.h"
#include "core/json_parse.h"
#include "testutil.h"

#include <QElapsedTimer>
#include <QTemporaryDir>

#include <fstream>

using namespace core;
using testutil::format;
using ojson = nlohmann::ordered_json;

namespace {

std::string nestedArray(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }
std::string nestedObject(std::size_t depth) // {"a":{"a":...1...}}
{
    std::string s;
    for (std::size_t i = 0; i < depth; ++i)
        s += "{\"a\":";
    s += '1';
    return s + std::string(depth, '}');
}
// A VIA file whose one image has `value` as file attribute "a".
std::string viaWithFileAttribute(const std::string &value)
{
    return R"({"img.jpg": {"filename": "img.jpg", "size": 1, "regions": [], "file_attributes": {"a": )" + value + "}}}";
}

class Files {
public:
    std::string write(const std::string &name, const std::string &text)
    {
        const std::string p = m_dir.filePath(QString::fromStdString(name)).toStdString();
        QDir().mkpath(QFileInfo(QString::fromStdString(p)).path());
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    std::string path(const std::string &name) const { return m_dir.filePath(QString::fromStdString(name)).toStdString(); }

private:
    QTemporaryDir m_dir;
};

// A read that fails with the depth error at a place starting with `where`.
void expectTooDeep(const Result<Dataset> &r, const std::string &where)
{
    QVERIFY2(!r.ok(), "the deep file was accepted");
    const Error &e = r.error();
    QVERIFY2(isTooDeep(e), e.toString().c_str());
    QVERIFY2(e.where.rfind(where, 0) == 0, e.toString().c_str());
    QVERIFY2(e.message == "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels", e.toString().c_str());
}

// ojson parsed by simdjson's walk, for comparing with parseJson's.
Result<ojson> walked(const std::string &file)
{
    json::JsonReader in;
    if (auto s = in.open(file); !s) return s.error();
    return in.guard([&]() -> Result<ojson> {
        ojson out;
        JsonPath path;
        if (auto s = in.toOjson(in.doc().get_value(), &out, path); !s) return s.error();
        if (auto s = in.expectEnd(); !s) return s.error();
        return out;
    });
}

} // namespace

class TestJson : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void boundedParseRefusesDeepNestingWithItsPath()
    {
        auto ok = parseJson<ojson>(nestedArray(kMaxJsonDepth), "f.json");
        QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().toString().c_str());
        auto deep = parseJson<ojson>(R"({"x": [1, {"b c": )" + nestedArray(300'000) + "}]}", "f.json");
        QVERIFY(!deep.ok());
        QCOMPARE(QString::fromStdString(deep.error().file), QStringLiteral("f.json"));
        QVERIFY(isTooDeep(deep.error()));
        // The path starts where the free-form value starts and stops after 16 components.
        QCOMPARE(QString::fromStdString(deep.error().where), QStringLiteral("$.x[1]['b c'][0][0][0][0][0][0][0][0][0][0][0][0][0]..."));
        auto plain = parseJson<nlohmann::json>(nestedObject(100'000), "g.json");
        QVERIFY(!plain.ok() && isTooDeep(plain.error()));
        QCOMPARE(QString::fromStdString(plain.error().where).left(8), QStringLiteral("$.a.a.a."));
        // A CSV cell's place can root the path.
        auto cell = parseJson<ojson>(nestedArray(1000), "h.csv", kMaxJsonDepth, "file_attributes: $");
        QVERIFY(QString::fromStdString(cell.error().where).startsWith(QStringLiteral("file_attributes: $[0][0]")));
    }

    void boundedParseSyntaxErrorsHaveLineAndColumn()
    {
        auto r = parseJson<ojson>("{\"a\": 1,\n \"b\": tru}", "f.json");
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::Parse);
        QVERIFY2(QString::fromStdString(r.error().where).startsWith(QStringLiteral("2:")), r.error().toString().c_str());
        QVERIFY(QString::fromStdString(r.error().message).startsWith(QStringLiteral("invalid JSON: ")));
        QVERIFY(!parseJson<ojson>("[1] 2", "f.json").ok()); // trailing content
        auto nul = parseJson<ojson>(std::string_view("[1]\0 2", 6), "f.json");
        QVERIFY(!nul.ok());
        QCOMPARE(QString::fromStdString(nul.error().toString()), QStringLiteral("f.json:1:4: invalid JSON: NUL byte"));
        QVERIFY(!parseJson<ojson>("", "f.json").ok());
    }

    void repeatedKeysKeepTheLastValueInTheFirstPlace()
    {
        Files f;
        const std::string text = R"({"b": 1, "a": [1, 2], "b": {"x": null}, "c": -0, "d": 18446744073709551615, "e": 1e2, "f": 123456789012345678901234})";
        auto viaNlohmann = parseJson<ojson>(text, "f.json");
        QVERIFY(viaNlohmann.ok());
        QCOMPARE(QString::fromStdString(viaNlohmann->dump()).left(75),
                 QStringLiteral(R"({"b":{"x":null},"a":[1,2],"c":0,"d":18446744073709551615,"e":100.0,"f":1.23)"));
        QCOMPARE((*viaNlohmann)["f"].get<double>(), 123456789012345678901234.0); // beyond 64 bits: a double
        // simdjson's walk builds the very same value, number types included.
        auto viaSimdjson = walked(f.write("f.json", text));
        QVERIFY2(viaSimdjson.ok(), viaSimdjson.ok() ? "" : viaSimdjson.error().toString().c_str());
        QCOMPARE(QString::fromStdString(viaSimdjson->dump()), QString::fromStdString(viaNlohmann->dump()));
        QVERIFY((*viaSimdjson)["d"].is_number_unsigned() && (*viaSimdjson)["c"].is_number_integer() && (*viaSimdjson)["e"].is_number_float());
    }

    void manyKeysStayLinear()
    {
        // ordered_json searches its keys on every insertion: 200,000 keys took minutes.
        std::string text = "{";
        for (int i = 0; i < 200'000; ++i)
            text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
        text += ",\"k7\":\"again\"}";
        Files f;
        QElapsedTimer t;
        t.start();
        auto a = parseJson<ojson>(text, "f.json");
        auto b = walked(f.write("f.json", text));
        QVERIFY(a.ok() && b.ok());
        QVERIFY2(t.elapsed() < 30'000, "quadratic in the number of keys");
        QCOMPARE(a->size(), std::size_t(200'000));
        QCOMPARE(QString::fromStdString((*a)["k7"].get<std::string>()), QStringLiteral("again"));
        QCOMPARE(a->begin().key(), std::string("k0"));
        QVERIFY(*a == *b);
        // The builder on its own, across the switch from scanning to hashing.
        ojson o;
        JsonObjectBuilder builder(o);
        for (int i = 0; i < 40; ++i)
            builder.set("k" + std::to_string(i % 20), i);
        QCOMPARE(o.size(), std::size_t(20));
        QCOMPARE(o["k3"].get<int>(), 23);
    }

    void simdjsonSyntaxErrorsHaveLineAndColumn_data()
    {
        QTest::addColumn<QByteArray>("text"); // bytes: a QString would repair the invalid UTF-8
        QTest::addColumn<QString>("where");
        QTest::newRow("truncated") << QByteArray("{\"a.jpg1\": {\"filename\": \"a.jpg\",\n \"regions\": [") << "2:";
        QTest::newRow("brace for bracket") << QByteArray("{\"a.jpg1\": {\"filename\": \"a.jpg\",\n  \"regions\": [}\n") << "2:";
        QTest::newRow("bad literal") << QByteArray("{\"a\":\n tru}") << "2:";
        QTest::newRow("number out of range") << QByteArray("{\"a\":\n 1e400}") << "2:";
        QTest::newRow("trailing content") << QByteArray("{\"a\": {}}\n{}") << "2:";
        QTest::newRow("invalid UTF-8") << QByteArray("{\"a\": \"ok\",\n \"b\": \"\xff\"}") << "2:";
        QTest::newRow("control character") << QByteArray("{\"a\":\n\"x\ty\"}") << "2:";
        QTest::newRow("unclosed string") << QByteArray("{\"a\":\n \"xy}") << "2:";
        QTest::newRow("lone surrogate") << QByteArray("{\"a\": \"\\ud800\"}") << "1:";
        QTest::newRow("empty") << QByteArray("  ") << "1:";
        // nlohmann's lexer ends the input at a NUL byte: the old readers took what came before (found by fuzz_json).
        QTest::newRow("NUL byte") << QByteArray("{\"a\": {}}\n\0{garbage", 19) << "2:1";
        QTest::newRow("NUL in a string") << QByteArray("{\"a\":\n \"x\0\"}", 12) << "2:";
    }
    void simdjsonSyntaxErrorsHaveLineAndColumn()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, where);
        Files f;
        for (const char *fmt : {"via", "coco", "labelme", "via-project"}) {
            const std::string p = f.write("bad.json", text.toStdString());
            auto r = format(fmt).read(p, {});
            QVERIFY2(!r.ok(), fmt);
            QCOMPARE(r.error().code, ErrorCode::Parse);
            QCOMPARE(QString::fromStdString(r.error().file), QString::fromStdString(p));
            QVERIFY2(QString::fromStdString(r.error().where).startsWith(where), (std::string(fmt) + ": " + r.error().toString()).c_str());
            QVERIFY2(QString::fromStdString(r.error().message).startsWith(QStringLiteral("invalid JSON: ")), r.error().toString().c_str());
        }
    }

    void everyReaderRefusesDeepNesting_data()
    {
        QTest::addColumn<QString>("fmt");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where");
        const std::string deepArray = nestedArray(200'000), deepObject = nestedObject(100'000);
        auto row = [](const char *name, const char *fmt, const std::string &text, const char *where) {
            QTest::newRow(name) << QString::fromUtf8(fmt) << QString::fromStdString(text) << QString::fromUtf8(where);
        };
        // The two files of issue 9.
        row("via file_attributes", "via", viaWithFileAttribute(deepArray), "$['img.jpg'].file_attributes.a[0][0][0]");
        row("via top-level object", "via", deepObject, "$['a'].a.a.a");
        row("via region_attributes", "via",
            R"({"i": {"filename": "i.jpg", "regions": [{"shape_attributes": {"name": "point", "cx": 1, "cy": 2}, "region_attributes": {"c": )" + deepArray + "}}]}}",
            "$['i'].regions[0].region_attributes.c[0]");
        row("via unknown shape key", "via",
            R"({"i": {"filename": "i.jpg", "regions": {"r1": {"shape_attributes": {"name": "point", "cx": 1, "cy": 2, "z": )" + deepArray + "}}}}}",
            "$['i'].regions['r1'].shape_attributes.z[0]");
        row("via shape name not first", "via",
            R"({"i": {"filename": "i.jpg", "regions": [{"shape_attributes": {"cx": )" + deepArray + R"(, "name": "point"}}]}})",
            "$['i'].regions[0].shape_attributes.cx[0]");
        row("via-project settings", "via-project", R"({"_via_settings": )" + deepObject + R"(, "_via_img_metadata": {}})", "$._via_settings.a.a");
        row("via-project attributes", "via-project", R"({"_via_img_metadata": {}, "_via_attributes": {"region": )" + deepArray + "}}",
            "$._via_attributes.region[0]");
        row("via-project records", "via-project", R"({"_via_img_metadata": )" + viaWithFileAttribute(deepArray) + "}",
            "$._via_img_metadata['img.jpg'].file_attributes.a[0]");
        row("coco info", "coco", R"({"info": )" + deepObject + R"(, "images": []})", "$.info.a.a");
        row("coco unknown top-level key", "coco", R"({"images": [], "extra": )" + deepArray + "}", "$.extra[0][0]");
        row("coco image", "coco", R"({"images": [{"id": 1, "file_name": "a.png", "meta": )" + deepArray + "}]}", "$.images[0].meta[0]");
        row("coco annotation", "coco",
            R"({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 1, "bbox": [0, 0, 1, 1], "attributes": )" + deepObject
                + "}]}",
            "$.annotations[0].attributes.a");
        row("coco segmentation", "coco",
            R"({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 1, "segmentation": {"counts": )" + deepArray + "}}]}",
            "$.annotations[0].segmentation.counts[0]");
        row("labelme shape flags", "labelme", R"({"shapes": [{"points": [[1, 2]], "shape_type": "point", "flags": )" + deepObject + "}]}",
            "$.shapes[0].flags.a");
        row("labelme imageData", "labelme", R"({"shapes": [], "imageData": )" + deepArray + "}", "$.imageData[0]");
        row("labelme top-level object", "labelme", deepObject, "$.a.a.a");
        row("via3 metadata", "via3",
            R"({"project": {}, "file": {}, "view": {}, "metadata": {"m": {"vid": "1", "av": )" + deepObject + "}}}",
            "$.metadata.m.av.a.a");
        row("via3 top-level array", "via3", deepArray, "$[0][0][0]");
    }
    void everyReaderRefusesDeepNesting()
    {
        QFETCH(QString, fmt);
        QFETCH(QString, text);
        QFETCH(QString, where);
        Files f;
        expectTooDeep(format(fmt.toUtf8().constData()).read(f.write("deep.json", text.toStdString()), {}), where.toStdString());
    }

    void csvCellsRefuseDeepNesting()
    {
        Files f;
        const std::string header = "filename,file_size,file_attributes,region_count,region_id,region_shape_attributes,region_attributes\n";
        std::string deep = nestedArray(100'000);
        const std::string p = f.write("deep.csv", header + "a.jpg,1,\"{\"\"a\"\":" + deep + "}\",0,0,\"{}\",\"{}\"\n");
        auto r = format("via-csv").read(p, {});
        QVERIFY(!r.ok());
        QCOMPARE(QString::fromStdString(r.error().where), QStringLiteral("2"));
        QVERIFY2(QString::fromStdString(r.error().message).startsWith(QStringLiteral("file_attributes: $.a[0][0]")), r.error().toString().c_str());
        QVERIFY2(r.error().message.find("nesting deeper than 256 levels") != std::string::npos, r.error().toString().c_str());
    }

    void nestingUpToTheLimitReadsAndWritesBack()
    {
        // The deepest value every reader accepts survives the recursive walks after the read:
        // copies, comparisons and the writer's dump (sanitizer builds run this too).
        Files f;
        const std::size_t room = kMaxJsonDepth - 3; // root, record, file_attributes
        const std::string p = f.write("limit.json", viaWithFileAttribute(nestedArray(room)));
        auto ds = format("via").read(p, {});
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        const std::string out = f.path("back.json");
        QVERIFY(format("via").write(*ds, out, {}).ok());
        auto back = format("via").read(out, {});
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().toString().c_str());
        QVERIFY(back->images[0].fileAttributes == ds->images[0].fileAttributes);
        // One level more is refused.
        expectTooDeep(format("via").read(f.write("over.json", viaWithFileAttribute(nestedArray(room + 1))), {}), "$['img.jpg'].file_attributes.a");
    }

    void viaReadsWhatItReadBefore()
    {
        // Key order, quoted numbers, escaped keys, repeated keys and "name" after the
        // coordinates: the cases where a forward-only reader could differ from a DOM.
        Files f;
        const std::string p = f.write("v.json", R"({
          "a.jpg1": {"filename": "a.jpg", "size": "12", "regions": {"1": {"shape_attributes": {"name": "rect", "x": "1.5", "y": 2, "width": 3, "height": 4, "r": 9},
                                                                          "region_attributes": {"class": "cat"}, "note": [1, {"k": "v"}]},
                                                                    "0": {"region_attributes": {"class": "dog"}, "shape_attributes": {"cx": 5, "cy": 6, "n\u0061me": "point"}}},
                     "file_attributes": {"caption": "x"}, "extra": true},
          "b.jpg": {"regions": [{"shape_attributes": {"name": "polygon", "all_points_x": [0, 4, "4"], "all_points_y": [0, 0, 3]}}]},
          "a.jpg1": {"filename": "a2.jpg", "regions": []}
        })");
        auto ds = format("via").read(p, {});
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(ds->images.size(), std::size_t(2));
        QCOMPARE(ds->images[0].path, std::string("a2.jpg")); // the repeated key replaced the record, in its place
        QCOMPARE(ds->images[1].path, std::string("b.jpg")); // no filename: the key
        QCOMPARE(ds->images[1].regions[0].shape, *Shape::polygon({{0, 0}, {4, 0}, {4, 3}}));

        const std::string q = f.write("w.json", R"({"a.jpg12": {"filename": "a.jpg", "size": "12", "regions": {
            "1": {"shape_attributes": {"name": "rect", "x": "1.5", "y": 2, "width": 3, "height": 4, "r": 9}, "region_attributes": {"class": "cat"}, "note": [1, {"k": "v"}]},
            "0": {"region_attributes": {"class": "dog"}, "shape_attributes": {"cx": 5, "cy": 6, "n\u0061me": "point"}}},
            "file_attributes": {"caption": "x"}, "extra": true}})");
        auto one = format("via").read(q, {});
        QVERIFY2(one.ok(), one.ok() ? "" : one.error().toString().c_str());
        const ImageEntry &im = one->images[0];
        QCOMPARE(im.fileSize, std::int64_t(12));
        QCOMPARE(im.regions.size(), std::size_t(2));
        QCOMPARE(im.regions[0].shape, *Shape::rect(1.5, 2, 3, 4));
        QCOMPARE(im.regions[1].shape, *Shape::point(5, 6));
        QCOMPARE(im.regions[1].className, std::string("dog"));
        // Written back: the same document, unknown keys (at every level) included.
        const std::string out = f.path("w-out.json");
        WriteOptions wo;
        wo.classAttribute.clear();
        QVERIFY(format("via").write(*one, out, wo).ok());
        auto expected = nlohmann::json::parse(*readFile(q));
        expected["a.jpg12"]["regions"]["0"]["shape_attributes"] = {{"name", "point"}, {"cx", 5}, {"cy", 6}};
        expected["a.jpg12"]["regions"]["1"]["shape_attributes"]["x"] = 1.5;
        expected["a.jpg12"]["size"] = 12;
        QCOMPARE(nlohmann::json::parse(*readFile(out)), expected);
    }

    void cocoCategoriesMayFollowAnnotations()
    {
        Files f;
        const std::string p = f.write("c.json", R"({"annotations": [{"id": 5, "image_id": 1, "category_id": 3, "segmentation": [[0, 0, 4, 0, 4, 3]], "area": 6}],
            "images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 6}], "categories": [{"id": 3, "name": "tri", "supercategory": "shape"}]})");
        auto ds = format("coco").read(p, {});
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(ds->images[0].regions.size(), std::size_t(1));
        QCOMPARE(ds->images[0].regions[0].className, std::string("tri"));
        QCOMPARE(ds->images[0].regions[0].extra["coco"]["area"].get<int>(), 6);
        QCOMPARE(ds->extra["coco"]["category_ids"]["tri"].get<int>(), 3);
    }

    void badInputPerReader_data()
    {
        QTest::addColumn<QString>("fmt");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("reason");
        // The checks keep their order whatever order the members come in.
        QTest::newRow("via filename before regions") << "via" << R"({"k": {"regions": [{}], "filename": 7}})" << "$['k'].filename" << "is not a string";
        QTest::newRow("via size") << "via" << R"({"k": {"filename": "a.jpg", "size": 1.5}})" << "$['k'].size" << "is not a file size";
        QTest::newRow("via file_attributes") << "via" << R"({"k": {"regions": [], "file_attributes": [], "filename": "a"}})" << "$['k'].file_attributes" << "is not an object";
        QTest::newRow("via region_attributes after shape") << "via"
                                                           << R"({"k": {"regions": [{"region_attributes": 3, "shape_attributes": {"name": "point", "cx": 1, "cy": "x"}}]}})"
                                                           << "$['k'].regions[0].shape_attributes.cy" << "is not a finite number";
        QTest::newRow("via region_attributes") << "via" << R"({"k": {"regions": [{"region_attributes": 3, "shape_attributes": {"name": "point", "cx": 1, "cy": 2}}]}})"
                                               << "$['k'].regions[0].region_attributes" << "is not an object";
        QTest::newRow("via points") << "via" << R"({"k": {"regions": [{"shape_attributes": {"name": "polyline", "all_points_x": [1, 2, 3], "all_points_y": [1, [2], 3]}}]}})"
                                    << "$['k'].regions[0].shape_attributes.all_points_x[1]" << "is not a finite number";
        QTest::newRow("via missing coordinate") << "via" << R"({"k": {"regions": [{"shape_attributes": {"name": "ellipse", "cx": 1, "cy": 1, "rx": 2}}]}})"
                                                << "$['k'].regions[0].shape_attributes" << "ellipse has no 'ry'";
        QTest::newRow("via regions type") << "via" << R"({"k": {"regions": 5}})" << "$['k'].regions" << "neither an object nor a list";
        QTest::newRow("via project given as via") << "via" << R"({"_via_settings": {}, "_via_img_metadata": {}})" << "$" << "is a VIA project file";
        QTest::newRow("project metadata type") << "via-project" << R"({"_via_img_metadata": []})" << "$._via_img_metadata" << "is not an object of image records";
        QTest::newRow("project shape") << "via-project" << R"({"_via_img_metadata": {"k": {"regions": [{"shape_attributes": {"name": "circle", "cx": 0, "cy": 0, "r": -1}}]}}})"
                                       << "$._via_img_metadata['k'].regions[0].shape_attributes" << "negative radius";
        QTest::newRow("coco not a list") << "coco" << R"({"images": [], "annotations": {}})" << "$.annotations" << "is not a list";
        QTest::newRow("coco no images") << "coco" << R"({"annotations": []})" << "$" << "has no images list";
        QTest::newRow("coco category") << "coco" << R"({"images": [], "categories": [{"id": 1.5, "name": "a"}]})" << "$.categories[0]" << "integer id and a name";
        QTest::newRow("coco image twice") << "coco" << R"({"images": [{"id": 1, "file_name": "a"}, {"id": 1, "file_name": "b"}]})" << "$.images[1].id" << "appears twice";
        QTest::newRow("coco unknown image") << "coco" << R"({"images": [], "annotations": [{"segmentation": [[1]], "image_id": 4}]})" << "$.annotations[0].image_id" << "names image 4";
        QTest::newRow("coco polygon") << "coco" << R"({"images": [{"id": 1, "file_name": "a"}], "annotations": [{"segmentation": [[0, 0, 1, 0, 1, 1], [0, 0, 1]], "image_id": 1}]})"
                                      << "$.annotations[0].segmentation[1]" << "even number (>= 6)";
        QTest::newRow("coco coordinate") << "coco" << R"({"images": [{"id": 1, "file_name": "a"}], "annotations": [{"segmentation": [[0, 0, 1, "a", 1, 1]], "image_id": 1}]})"
                                         << "$.annotations[0].segmentation[0]" << "not a finite number";
        QTest::newRow("coco iscrowd before segmentation") << "coco"
                                                          << R"({"images": [{"id": 1, "file_name": "a"}], "annotations": [{"segmentation": [[0]], "iscrowd": 2, "image_id": 1}]})"
                                                          << "$.annotations[0].iscrowd" << "must be 0 or 1";
        QTest::newRow("coco bbox") << "coco" << R"({"images": [{"id": 1, "file_name": "a"}], "annotations": [{"image_id": 1, "bbox": [0, 0, 1]}]})"
                                   << "$.annotations[0]" << "neither a segmentation nor a bbox";
        QTest::newRow("labelme points") << "labelme" << R"({"shapes": [{"points": [[1, 2], [3]], "shape_type": "line"}]})" << "$.shapes[0].points[1]" << "pair of finite numbers";
        QTest::newRow("labelme type") << "labelme" << R"({"shapes": [{"points": [[1, 2]], "shape_type": "blob"}]})" << "$.shapes[0].shape_type" << "unknown shape type";
        QTest::newRow("labelme size") << "labelme" << R"({"shapes": [], "imageWidth": -3})" << "$" << "imageWidth and imageHeight";
        QTest::newRow("labelme not labelme") << "labelme" << R"([1, 2])" << "$.shapes" << "not a labelme file";
        QTest::newRow("labelme scalar") << "labelme" << R"(7)" << "$.shapes" << "not a labelme file";
        QTest::newRow("via scalar") << "via" << R"("text")" << "$" << "not an object of image records";
        QTest::newRow("coco scalar") << "coco" << R"(null)" << "$" << "is not an object";
        QTest::newRow("project scalar") << "via-project" << R"(12)" << "$" << "has no _via_img_metadata";
    }
    void badInputPerReader()
    {
        QFETCH(QString, fmt);
        QFETCH(QString, text);
        QFETCH(QString, where);
        QFETCH(QString, reason);
        Files f;
        const std::string p = f.write("bad.json", text.toStdString());
        auto r = format(fmt.toUtf8().constData()).read(p, {});
        QVERIFY2(!r.ok(), "accepted");
        QCOMPARE(QString::fromStdString(r.error().file), QString::fromStdString(p));
        QCOMPARE(QString::fromStdString(r.error().where), where);
        QVERIFY2(QString::fromStdString(r.error().message).contains(reason), r.error().toString().c_str());
    }
};

QTEST_GUILESS_MAIN(TestJson)
#include "tst_json.moc"
