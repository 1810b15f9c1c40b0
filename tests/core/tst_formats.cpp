// COCO, labelme, YOLO, VOC, IDX, class-folder and mask codecs: real-file round
// trips on labelme's examples and its COCO export, in-memory round trips, and
// malformed input naming the file, the place and the reason.
#include "core/fileio.h"
#include "testutil.h"

#include <QTemporaryDir>

#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include <fstream>
#include <set>

using namespace core;
using testutil::format;
using testutil::sharedData;

namespace {
std::string write(const QTemporaryDir &d, const std::string &name, const std::string &text)
{
    const std::string p = d.path().toStdString() + "/" + name;
    QDir().mkpath(QFileInfo(QString::fromStdString(p)).path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
}
void writeImage(const QTemporaryDir &d, const std::string &name, int w, int h)
{
    QDir().mkpath(QFileInfo(QString::fromStdString(d.path().toStdString() + "/" + name)).path());
    cv::imwrite(d.path().toStdString() + "/" + name, cv::Mat(h, w, CV_8UC3, cv::Scalar(10, 20, 30)));
}
Dataset boxesAndPolygons()
{
    Dataset ds;
    ImageEntry im;
    im.path = "a.png";
    im.width = 200;
    im.height = 100;
    RegionData r;
    r.className = "cat";
    r.shape = *Shape::rect(10, 20, 30, 40);
    im.regions.push_back(r);
    r.className = "dog";
    r.shape = *Shape::polygon({{100, 10}, {150, 10}, {125, 60}});
    im.regions.push_back(r);
    ds.ensureClass("cat");
    ds.ensureClass("dog");
    ds.images.push_back(im);
    return ds;
}
void expectError(const Result<Dataset> &r, const std::string &fileEnd, const std::string &reason)
{
    QVERIFY(!r.ok());
    const std::string s = r.error().toString();
    QVERIFY2(r.error().file.size() >= fileEnd.size() && r.error().file.compare(r.error().file.size() - fileEnd.size(), fileEnd.size(), fileEnd) == 0, s.c_str());
    QVERIFY2(s.find(reason) != std::string::npos, s.c_str());
}
void gzWrite(const std::string &path, const std::vector<unsigned char> &bytes)
{
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
}
std::vector<unsigned char> idxHeader(unsigned char dims, std::vector<unsigned> sizes)
{
    std::vector<unsigned char> v{0, 0, 8, dims};
    for (unsigned s : sizes)
        for (int k = 3; k >= 0; --k)
            v.push_back(static_cast<unsigned char>(s >> (8 * k)));
    return v;
}
} // namespace

class TestFormats : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cocoFromLabelme()
    {
        const std::string src = sharedData("labelme/coco/annotations.json");
        auto ds = format("coco").read(src, {});
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        const auto orig = nlohmann::json::parse(*readFile(src));
        QCOMPARE(ds->images.size(), orig["images"].size());
        QTemporaryDir tmp;
        const std::string out = tmp.filePath(QStringLiteral("c.json")).toStdString();
        QVERIFY(format("coco").write(*ds, out, {}).ok());
        auto back = format("coco").read(out, {});
        QVERIFY(back.ok());
        std::string why;
        QVERIFY2(testutil::sameAnnotations(*ds, *back, &why), why.c_str());
        // Same annotations: count, categories, bboxes of polygon annotations. labelme's export
        // computes bboxes from a rasterised mask (whole pixels, inclusive), ours from the polygon,
        // so they agree to within two pixels.
        const auto written = nlohmann::json::parse(*readFile(out));
        QCOMPARE(written["annotations"].size(), orig["annotations"].size());
        for (std::size_t i = 0; i < orig["annotations"].size(); ++i) {
            const auto &a = orig["annotations"][i], &b = written["annotations"][i];
            QCOMPARE(b["category_id"], a["category_id"]);
            if (a["segmentation"].is_array())
                for (int k = 0; k < 4; ++k)
                    QVERIFY(std::abs(a["bbox"][k].get<double>() - b["bbox"][k].get<double>()) < 2.0);
            QCOMPARE(b["segmentation"].is_object(), a["segmentation"].is_object()); // RLE stays RLE
        }
    }

    void cocoAreaAndBbox()
    {
        QTemporaryDir tmp;
        const std::string out = tmp.filePath(QStringLiteral("c.json")).toStdString();
        QVERIFY(format("coco").write(boxesAndPolygons(), out, {}).ok());
        const auto j = nlohmann::json::parse(*readFile(out));
        QCOMPARE(j["annotations"][0]["area"].get<double>(), 1200.0);
        QCOMPARE(j["annotations"][1]["area"].get<double>(), 1250.0); // triangle 50 wide, 50 high
        QCOMPARE(j["annotations"][1]["bbox"], nlohmann::json({100, 10, 50, 50}));
        QCOMPARE(j["annotations"][1]["iscrowd"].get<int>(), 0);
        QCOMPARE(j["categories"].size(), std::size_t(2));
        QCOMPARE(j["images"][0]["width"].get<int>(), 200);
    }

    void unexpectedValueTypesAreErrors()
    {
        // Values of the wrong JSON type anywhere come back as errors naming the file, never as crashes.
        QTemporaryDir tmp;
        const std::string c = write(tmp, "w.json", R"({"images": [{"id": 1, "file_name": "a.png", "width": "wide"}], "annotations": [], "categories": []})");
        expectError(format("coco").read(c, {}), "w.json", "$.images[0]: width and height must be whole numbers");
        const std::string l = write(tmp, "l.json", R"({"shapes": [], "imagePath": 7})");
        expectError(format("labelme").read(l, {}), "l.json", "unexpected content");
    }

    void cocoRle()
    {
        // Uncompressed and compressed RLE of the same 3x4 mask (column-major): a 2x2 block.
        QTemporaryDir tmp;
        const std::string p = write(tmp, "r.json", R"({"images": [{"id": 1, "file_name": "x.png", "width": 4, "height": 3}],
          "categories": [{"id": 7, "name": "blob"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 7, "iscrowd": 1, "segmentation": {"size": [3, 4], "counts": [3, 2, 1, 2, 4]}},
                          {"id": 2, "image_id": 1, "category_id": 7, "iscrowd": 0, "bbox": [1, 1, 2, 2]}]})");
        auto ds = format("coco").read(p, {});
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(ds->images[0].regions.size(), std::size_t(2));
        QVERIFY(ds->images[0].regions[0].iscrowd);
        QCOMPARE(ds->images[0].regions[0].shape.boundingBox(), (Box{1.5, 0.5, 1, 1})); // traced through pixel centres
        QCOMPARE(ds->images[0].regions[1].shape, *Shape::rect(1, 1, 2, 2));
        const std::string out = tmp.filePath(QStringLiteral("o.json")).toStdString();
        QVERIFY(format("coco").write(*ds, out, {}).ok());
        const auto j = nlohmann::json::parse(*readFile(out));
        QCOMPARE(j["annotations"][0]["segmentation"]["counts"], nlohmann::json({3, 2, 1, 2, 4}));
        QCOMPARE(j["categories"][0]["id"].get<int>(), 7);
        // "0k1" style compressed strings decode too (pycocotools' encoding of [3,2,1,2,4] is "32103": values from the fourth on are deltas).
        const std::string c = write(tmp, "c.json", R"({"images": [{"id": 1, "file_name": "x.png"}], "categories": [{"id": 1, "name": "b"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"size": [3, 4], "counts": "32103"}}]})");
        auto cds = format("coco").read(c, {});
        QVERIFY2(cds.ok(), cds.ok() ? "" : cds.error().toString().c_str());
        QCOMPARE(cds->images[0].regions[0].shape.boundingBox(), ds->images[0].regions[0].shape.boundingBox());
    }

    void labelmeRealFiles()
    {
        for (const char *f : {"labelme/instance_segmentation/2011_000003.json", "labelme/primitives/primitives.json"}) {
            auto ds = format("labelme").read(sharedData(f), {});
            QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
            QVERIFY(ds->regionCount() > 0);
            QTemporaryDir tmp;
            QVERIFY(format("labelme").write(*ds, tmp.path().toStdString(), {}).ok());
            auto back = format("labelme").read(tmp.path().toStdString(), {});
            QVERIFY(back.ok());
            std::string why;
            QVERIFY2(testutil::sameAnnotations(*ds, *back, &why), why.c_str());
        }
        auto prim = format("labelme").read(sharedData("labelme/primitives/primitives.json"), {});
        std::set<ShapeType> types;
        for (const auto &r : prim->images[0].regions)
            types.insert(r.shape.type());
        for (ShapeType t : {ShapeType::Rect, ShapeType::Polygon, ShapeType::Circle, ShapeType::Polyline, ShapeType::Point})
            QVERIFY2(types.count(t), shapeTypeName(t));
        auto folder = format("labelme").read(sharedData("labelme/instance_segmentation"), {});
        QCOMPARE(folder->images.size(), std::size_t(3));
    }

    void yoloRoundTrip()
    {
        QTemporaryDir tmp;
        writeImage(tmp, "a.png", 200, 100);
        QVERIFY(format("yolo").write(boxesAndPolygons(), tmp.path().toStdString(), {}).ok());
        auto back = format("yolo").read(tmp.path().toStdString(), {});
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().toString().c_str());
        const auto &r = back->images[0].regions;
        QCOMPARE(r.size(), std::size_t(2));
        QCOMPARE(r[0].className, std::string("cat"));
        const Box b = r[0].shape.boundingBox();
        QVERIFY(std::abs(b.x - 10) < 1e-4 && std::abs(b.w - 30) < 1e-4 && std::abs(b.h - 40) < 1e-4);
        QCOMPARE(r[1].shape.type(), ShapeType::Polygon);
        // data.yaml names in map form, and a class id out of range.
        write(tmp, "data.yaml", "path: .\nnames:\n  0: cat\n  1: dog\n");
        QFile::remove(tmp.filePath(QStringLiteral("classes.txt")));
        QVERIFY(format("yolo").read(tmp.path().toStdString(), {}).ok());
        write(tmp, "labels/a.txt", "0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.1 0.1\n");
        expectError(format("yolo").read(tmp.path().toStdString(), {}), "labels/a.txt", "2: class id 5 is out of range");
        write(tmp, "labels/a.txt", "0 0.5 0.5 0.2\n");
        expectError(format("yolo").read(tmp.path().toStdString(), {}), "labels/a.txt", "expected 5 values");
    }

    void vocRoundTrip()
    {
        QTemporaryDir tmp;
        Dataset ds = boxesAndPolygons();
        ds.images[0].regions[0].attributes = {{"difficult", "1"}};
        QVERIFY(format("voc").write(ds, tmp.path().toStdString(), {}).ok());
        auto back = format("voc").read(tmp.path().toStdString(), {});
        QVERIFY2(back.ok(), back.ok() ? "" : back.error().toString().c_str());
        QCOMPARE(back->images[0].regions[0].shape, *Shape::rect(10, 20, 30, 40));
        QCOMPARE(back->images[0].regions[1].shape, *Shape::rect(100, 10, 50, 50)); // polygons become their boxes
        QCOMPARE(back->images[0].regions[0].attributes["difficult"].get<std::string>(), std::string("1"));
        QCOMPARE(back->images[0].width, 200);
        const std::string bad = write(tmp, "bad/x.xml", "<annotation>\n<object><name>a &amp; b</name>\n<bndbox><xmin>1</xmin></bndbox></object>\n</annotation>");
        expectError(format("voc").read(bad, {}), "x.xml", "3: <ymin> is missing");
        const std::string broken = write(tmp, "bad2/y.xml", "<annotation>\n<object>\n</annotation>");
        expectError(format("voc").read(broken, {}), "y.xml", "</annotation> closes <object>");
    }

    void idxGzAndRaw()
    {
        QTemporaryDir tmp;
        const std::string dir = tmp.path().toStdString() + "/fashion";
        QDir().mkpath(QString::fromStdString(dir));
        auto images = idxHeader(3, {3, 2, 2});
        for (int i = 0; i < 12; ++i)
            images.push_back(static_cast<unsigned char>(i * 20));
        auto labels = idxHeader(1, {3});
        labels.insert(labels.end(), {9, 0, 3});
        gzWrite(dir + "/train-images-idx3-ubyte.gz", images);
        std::ofstream(dir + "/train-labels-idx1-ubyte", std::ios::binary).write(reinterpret_cast<const char *>(labels.data()), static_cast<long>(labels.size()));
        ReadOptions ro;
        ro.imagesDir = tmp.path().toStdString() + "/png";
        auto ds = format("idx").read(dir, ro);
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(ds->images.size(), std::size_t(3));
        QCOMPARE(ds->images[0].imageClass, std::string("Ankle boot"));
        QCOMPARE(ds->images[0].split, Split::Train);
        cv::Mat m = cv::imread(ro.imagesDir + "/" + ds->images[1].path, cv::IMREAD_GRAYSCALE);
        QCOMPARE(m.cols, 2);
        QCOMPARE(int(m.at<unsigned char>(1, 1)), 7 * 20);
        // Counts that disagree, and a truncated file.
        labels = idxHeader(1, {4});
        labels.insert(labels.end(), {1, 2, 3, 4});
        gzWrite(dir + "/train-labels-idx1-ubyte.gz", labels);
        QFile::remove(QString::fromStdString(dir + "/train-labels-idx1-ubyte"));
        expectError(format("idx").read(dir, ro), "train-labels-idx1-ubyte.gz", "4 labels for 3 images");
        images.resize(images.size() - 3);
        gzWrite(dir + "/train-images-idx3-ubyte.gz", images);
        expectError(format("idx").read(dir, ro), "train-images-idx3-ubyte.gz", "truncated");
        gzWrite(dir + "/train-images-idx3-ubyte.gz", {1, 2, 3, 4, 5});
        expectError(format("idx").read(dir, ro), "train-images-idx3-ubyte.gz", "bad magic");
    }

    void idxRealFashionMnistTestSet()
    {
        const std::string dir = "/usr/share/datasets/fashion-mnist";
        if (!QFileInfo::exists(QString::fromStdString(dir + "/t10k-labels-idx1-ubyte.gz"))) QSKIP("dataset-fashion-mnist is not installed");
        QTemporaryDir tmp;
        // Only the test half: copy its two files so the import stays quick.
        for (const char *f : {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
            QVERIFY(QFile::copy(QString::fromStdString(dir + "/" + f), tmp.filePath(QStringLiteral("fashion/") + QString::fromUtf8(f)))
                    || (QDir().mkpath(tmp.filePath(QStringLiteral("fashion"))) && QFile::copy(QString::fromStdString(dir + "/" + f), tmp.filePath(QStringLiteral("fashion/") + QString::fromUtf8(f)))));
        ReadOptions ro;
        ro.imagesDir = tmp.path().toStdString() + "/png";
        auto ds = format("idx").read(tmp.path().toStdString() + "/fashion", ro);
        QVERIFY2(ds.ok(), ds.ok() ? "" : ds.error().toString().c_str());
        QCOMPARE(ds->images.size(), std::size_t(10000));
        QCOMPARE(ds->images[0].split, Split::Test);
        QCOMPARE(ds->images[0].imageClass, std::string("Ankle boot")); // the first t10k label is 9
        QCOMPARE(ds->classes.size(), std::size_t(10));
    }

    void classFolders()
    {
        QTemporaryDir tmp;
        writeImage(tmp, "train/cat/1.png", 4, 4);
        writeImage(tmp, "train/dog/2.png", 4, 4);
        writeImage(tmp, "val/cat/3.png", 4, 4);
        auto ds = format("folder").read(tmp.path().toStdString(), {});
        QVERIFY(ds.ok());
        QCOMPARE(ds->images.size(), std::size_t(3));
        QCOMPARE(ds->images[2].split, Split::Val);
        QCOMPARE(ds->images[2].imageClass, std::string("cat"));
        QTemporaryDir plain;
        writeImage(plain, "bird/x.jpg", 4, 4);
        QCOMPARE(format("folder").read(plain.path().toStdString(), {})->images[0].imageClass, std::string("bird"));
        QTemporaryDir empty;
        QVERIFY(!format("folder").read(empty.path().toStdString(), {}).ok());
    }

    void masks()
    {
        QTemporaryDir tmp;
        QVERIFY(format("masks").write(boxesAndPolygons(), tmp.path().toStdString(), {}).ok());
        cv::Mat m = cv::imread(tmp.path().toStdString() + "/a.png", cv::IMREAD_UNCHANGED);
        QCOMPARE(m.cols, 200);
        QCOMPARE(m.rows, 100);
        QCOMPARE(int(m.at<unsigned char>(40, 25)), 1);  // inside the cat box
        QCOMPARE(int(m.at<unsigned char>(20, 125)), 2); // inside the dog triangle
        QCOMPARE(int(m.at<unsigned char>(90, 190)), 0);
        QCOMPARE(cv::countNonZero(m == 1), 1200); // exactly the box's pixels
    }
};

QTEST_GUILESS_MAIN(TestFormats)
#include "tst_formats.moc"
