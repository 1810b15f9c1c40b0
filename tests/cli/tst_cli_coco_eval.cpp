// annotrain-cli coco-eval end to end, in-process: the 12 numbers as JSON under "bbox" and
// "segm", pycocotools' table, and exit code 2 with the file and JSON path for bad input.
// (The numbers themselves are checked against pycocotools in tests/core/tst_coco_eval.cpp.)
#include "app/cli/cli.h"
#include "tests/cli/run_cli.h"
#include "core/coco_eval.h"
#include "core/coco_json.h"
#include "core/fileio.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sstream>

namespace {
using json = nlohmann::json;
} // namespace

class TestCliCocoEval : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string m_gt, m_perfect, m_mixed;

    std::string write(const char *name, const std::string &text)
    {
        const std::string p = m_tmp.filePath(QString::fromUtf8(name)).toStdString();
        if (!core::writeFileAtomic(p, text).ok()) qFatal("cannot write %s", p.c_str());
        return p;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // One object per area range (small 10×10, medium 40×50, large 150×120), boxes as polygons.
        const double boxes[3][4] = {{5, 5, 10, 10}, {10, 10, 40, 50}, {0, 0, 150, 120}};
        json images = json::array(), anns = json::array(), perfect = json::array(), mixed = json::array();
        for (int i = 0; i < 3; ++i) {
            const double *b = boxes[i];
            images.push_back({{"id", i + 1}, {"file_name", "im" + std::to_string(i) + ".png"}, {"width", 200}, {"height", 200}});
            anns.push_back({{"id", i + 1}, {"image_id", i + 1}, {"category_id", 1 + i % 2}, {"bbox", {b[0], b[1], b[2], b[3]}}, {"area", b[2] * b[3]},
                            {"iscrowd", 0}, {"segmentation", {{b[0], b[1], b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3], b[0], b[1] + b[3]}}}});
            perfect.push_back({{"image_id", i + 1}, {"category_id", 1 + i % 2}, {"bbox", {b[0], b[1], b[2], b[3]}}, {"score", 0.9}});
            mixed.push_back({{"image_id", i + 1}, {"category_id", 1 + i % 2}, {"bbox", {b[0] + b[2] * 0.2, b[1], b[2], b[3]}}, {"score", 0.8 - 0.1 * i}});
            mixed.push_back({{"image_id", i + 1}, {"category_id", 1}, {"bbox", {100, 150, 30, 30}}, {"score", 0.85}});
        }
        m_gt = write("gt.json", json{{"images", images}, {"categories", {{{"id", 1}, {"name", "a"}}, {{"id", 2}, {"name", "b"}}}}, {"annotations", anns}}.dump());
        m_perfect = write("perfect.json", perfect.dump());
        m_mixed = write("mixed.json", mixed.dump());
    }

    void perfectDetectionsAsJson()
    {
        auto r = runCli({"coco-eval", m_gt, m_perfect, "--iou-type", "bbox,segm", "--json"});
        QCOMPARE(r.rc, 0);
        const json j = json::parse(r.out);
        for (const char *type : {"bbox", "segm"}) {
            QVERIFY2(j.contains(type), r.out.c_str());
            QCOMPARE(j[type].size(), std::size_t(12));
            for (const char *k : core::CocoSummary::statNames())
                QCOMPARE(j[type][k].get<double>(), 1.0);
        }
        QCOMPARE(j["per_category"]["bbox"].size(), std::size_t(2));
        QCOMPARE(j["per_category"]["bbox"][1]["name"].get<std::string>(), std::string("b"));
    }

    void numbersAreTheLibrarys()
    {
        auto r = runCli({"coco-eval", m_gt, m_mixed, "--iou-type", "segm", "--json"});
        QCOMPARE(r.rc, 0);
        const json j = json::parse(r.out);
        QVERIFY(!j.contains("bbox"));
        auto gt = core::readCocoGroundTruth(m_gt);
        auto dt = core::readCocoResults(m_mixed, *gt);
        auto s = core::evaluateCoco(*gt, *dt, core::CocoIouType::Segm);
        QVERIFY(s.ok());
        QVERIFY(s->stats[0] > 0 && s->stats[0] < 1); // shifted boxes and false positives
        for (std::size_t i = 0; i < 12; ++i)
            QCOMPARE(j["segm"][core::CocoSummary::statNames()[i]].get<double>(), s->stats[i]);
    }

    void tableLikePycocotools()
    {
        auto r = runCli({"coco-eval", m_gt, m_perfect, "--iou-type", "bbox"});
        QCOMPARE(r.rc, 0);
        QVERIFY2(r.out.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000\n") != std::string::npos, r.out.c_str());
        QVERIFY(r.out.find(" Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 1.000\n") != std::string::npos);
        QVERIFY(r.out.find("3 images, 2 categories, 3 ground-truth instances, 3 detections") != std::string::npos);
    }

    void badInputExitsTwoNamingThePlace()
    {
        const std::string badGt = write("bad-gt.json", R"({"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3]}]})");
        auto g = runCli({"coco-eval", badGt, m_perfect, "--iou-type", "bbox"});
        QCOMPARE(g.rc, 2);
        QVERIFY2(g.err.find("error: " + badGt + ":$.annotations[0].bbox: expected 4 numbers") == 0, g.err.c_str());

        const std::string badDt = write("bad-dt.json", R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1}, {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": "x"}])");
        auto d = runCli({"coco-eval", m_gt, badDt, "--iou-type", "bbox", "--json"});
        QCOMPARE(d.rc, 2);
        QVERIFY2(d.err.find("error: " + badDt + ":$[1].score:") == 0, d.err.c_str());
        QVERIFY(d.out.empty());

        const std::string syntax = write("syntax.json", "[{\"image_id\": 1,,}]");
        auto s = runCli({"coco-eval", m_gt, syntax, "--iou-type", "bbox"});
        QCOMPARE(s.rc, 2);
        QVERIFY2(s.err.find("error: " + syntax + ":1:") == 0, s.err.c_str());

        // An error the evaluator finds is placed in the file too: "segm" must rasterise the
        // box of a detection without a mask, on an image whose size the ground truth omits.
        const std::string noSize = write("nosize.json", R"({"images": [{"id": 1}], "categories": [{"id": 1}], "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12, "segmentation": {"size": [8, 8], "counts": "0P2"}}]})");
        auto e = runCli({"coco-eval", noSize, write("one.json", R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 1}])"), "--iou-type", "segm"});
        QCOMPARE(e.rc, 2);
        QVERIFY2(e.err.find("one.json:$[0]: has no mask") != std::string::npos, e.err.c_str());

        QCOMPARE(runCli({"coco-eval", m_tmp.filePath(QStringLiteral("missing.json")).toStdString(), m_perfect, "--iou-type", "bbox"}).rc, 2);
        QCOMPARE(runCli({"coco-eval", m_gt, m_perfect, "--iou-type", "keypoints"}).rc, 2);
        QCOMPARE(runCli({"coco-eval", m_gt, m_perfect}).rc, 2); // --iou-type is required
        auto help = runCli({"coco-eval", "--help"});
        QCOMPARE(help.rc, 0);
        QVERIFY(help.out.find("--iou-type") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestCliCocoEval)
#include "tst_cli_coco_eval.moc"
