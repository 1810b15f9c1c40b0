// Detection ops against torchvision: the test draws random inputs, Python's
// torchvision (tests/training/reference_detection_ops.py) computes its results on
// the same tensors, and ours must agree: box IoU, clipping, small-box removal,
// NMS and batched NMS (both of torchvision's paths), the box coder with its clamp,
// the matcher with and without low-quality matches, the sampler under the same
// seed, anchors, multi-scale RoIAlign with its level mapping and its gradient,
// RoIAlign itself, mask pasting (also from a canvas into an image's own pixels), and
// the transform (normalise, resize, batch).
// Bad shapes are refused with torchvision's messages.
#include "core/coco_rle.h"
#include "training/describe.h"
#include "training/models/detection/anchor_generator.h"
#include "training/models/detection/box_coder.h"
#include "training/models/detection/box_ops.h"
#include "training/models/detection/matcher.h"
#include "training/models/detection/poolers.h"
#include "training/models/detection/sampler.h"
#include "training/models/detection/torchvision_ops.h"
#include "training/models/detection/transform.h"
#include "training/models/state_dict.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace training;
using namespace training::detection;

namespace {

torch::Tensor randomBoxes(int64_t n, double extent, double minSide, double maxSide)
{
    const torch::Tensor xy = torch::rand({n, 2}) * extent;
    const torch::Tensor wh = torch::rand({n, 2}) * (maxSide - minSide) + minSide;
    return torch::cat({xy, xy + wh}, 1);
}

double maxDiff(const torch::Tensor &a, const torch::Tensor &b)
{
    if (a.sizes() != b.sizes()) return 1e30;
    if (a.numel() == 0) return 0;
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

QString describe(const torch::Tensor &a, const torch::Tensor &b)
{
    std::ostringstream s;
    s << "ours " << a.sizes() << " vs torchvision " << b.sizes() << ", max difference " << maxDiff(a, b);
    return QString::fromStdString(s.str());
}

} // namespace

class TestDetectionOps : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    StateDict m_in, m_ref;

    const torch::Tensor &in(const std::string &name) const { return get(m_in, name); }
    const torch::Tensor &ref(const std::string &name) const { return get(m_ref, name); }
    static const torch::Tensor &get(const StateDict &sd, const std::string &name)
    {
        for (const auto &[k, t] : sd)
            if (k == name) return t;
        static const torch::Tensor none;
        return none;
    }
    void put(const std::string &name, const torch::Tensor &t) { m_in.emplace_back(name, t); }

private Q_SLOTS:
    void initTestCase()
    {
        torch::set_num_threads(2);
        torch::manual_seed(20261201);
        put("iou.a", randomBoxes(20, 50, 1, 30));
        put("iou.b", torch::cat({randomBoxes(29, 50, 1, 30), in("iou.a").slice(0, 0, 1)})); // one exact copy: IoU 1
        put("clip.boxes", randomBoxes(40, 60, 0.5, 20) - 10);
        torch::Tensor small = randomBoxes(300, 100, 2, 30);
        put("nms.small.boxes", small);
        put("nms.small.scores", torch::rand({300}));
        put("nms.small.idxs", torch::randint(0, 4, {300}, torch::kLong));
        put("nms.large.boxes", randomBoxes(1500, 200, 2, 40)); // 6000 coordinates: torchvision's per-class loop
        put("nms.large.scores", torch::rand({1500}));
        put("nms.large.idxs", torch::randint(0, 5, {1500}, torch::kLong));
        put("coder.ref", randomBoxes(50, 100, 4, 40));
        put("coder.gt", randomBoxes(50, 100, 4, 40));
        torch::Tensor codes = torch::randn({50, 12});
        codes.index_put_({torch::indexing::Slice(0, 5), 2}, 100.0); // far beyond log(1000/16) * 5: clamped
        codes.index_put_({torch::indexing::Slice(5, 10), 7}, 80.0);
        put("coder.codes", codes);
        const torch::Tensor preds = torch::cat({randomBoxes(150, 80, 2, 30), randomBoxes(1, 80, 2, 30).repeat({3, 1})}); // ties
        put("matcher.quality", boxIou(torch::cat({randomBoxes(6, 80, 5, 30), preds.slice(0, 150, 151)}), preds));
        put("sampler.seed", torch::tensor(int64_t(1234)));
        put("sampler.labels0", torch::randint(-1, 3, {120}, torch::kLong));
        put("sampler.labels1", (torch::rand({60}) < 0.1).to(torch::kFloat) - (torch::rand({60}) < 0.2).to(torch::kFloat));
        const int64_t sizes[5][2] = {{24, 32}, {12, 16}, {6, 8}, {3, 4}, {2, 2}};
        for (int l = 0; l < 5; ++l) put("features." + std::to_string(l), torch::randn({2, 8, sizes[l][0], sizes[l][1]}));
        put("anchors.batch", torch::zeros({2, 3, 96, 128}));
        put("pool.boxes0", torch::cat({randomBoxes(30, 100, 2, 60), randomBoxes(5, 50, 200, 600), torch::tensor({{3.f, 5.f, 603.f, 655.f}, {10.f, 10.f, 160.f, 170.f}})}));
        put("pool.boxes1", torch::cat({randomBoxes(25, 110, 1, 90), randomBoxes(4, 50, 300, 500)}));
        put("pool.box.weight", torch::randn({66, 8, 7, 7}));
        put("pool.mask.weight", torch::randn({66, 8, 14, 14}));
        torch::Tensor rois = torch::cat({torch::randint(0, 2, {12, 1}).to(torch::kFloat), randomBoxes(12, 100, 3, 40)}, 1);
        put("roi_align.rois", rois);
        put("paste.masks", torch::rand({7, 1, 28, 28}));
        put("paste.boxes", torch::tensor({{10.f, 12.f, 50.f, 70.f}, {-20.f, -5.f, 30.f, 20.f}, {100.f, 80.f, 140.f, 130.f},
                                          {40.3f, 40.6f, 40.9f, 41.2f}, {200.f, 200.f, 230.f, 260.f}, {0.f, 0.f, 120.f, 100.f},
                                          {55.5f, 3.25f, 99.75f, 97.5f}}));
        put("transform.image0", torch::rand({3, 100, 150}));
        put("transform.image1", torch::rand({3, 120, 90}));
        put("transform.boxes0", randomBoxes(5, 90, 5, 50));
        put("transform.boxes1", randomBoxes(3, 60, 5, 50));
        put("transform.masks0", (torch::rand({5, 100, 150}) < 0.5).to(torch::kByte));
        put("transform.masks1", (torch::rand({3, 120, 90}) < 0.5).to(torch::kByte));

        const std::string dir = m_dir.path().toStdString();
        const std::string err = saveStateDict(m_in, dir + "/ops_in.pth");
        QVERIFY2(err.empty(), err.c_str());
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral(ANNOTRAIN_SOURCE_DIR "/tests/training/reference_detection_ops.py"), m_dir.path()});
        QVERIFY(py.waitForFinished(300000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        auto r = loadStateDict(dir + "/ops_ref.pth");
        QVERIFY2(r.ok(), r.error.c_str());
        m_ref = r.tensors;
    }

    void opsLibraryIsFound()
    {
        QVERIFY(QFileInfo::exists(QString::fromStdString(torchvisionOpsPath())));
        requireTorchvisionOps();
    }

    void boxFunctions()
    {
        QVERIFY2(maxDiff(boxIou(in("iou.a"), in("iou.b")), ref("iou")) < 1e-6, qPrintable(describe(boxIou(in("iou.a"), in("iou.b")), ref("iou"))));
        QCOMPARE(boxIou(in("iou.a"), in("iou.b"))[0][29].item<float>(), 1.0f);
        QVERIFY(maxDiff(clipBoxesToImage(in("clip.boxes"), 37, 45), ref("clip")) == 0);
        QVERIFY(torch::equal(removeSmallBoxes(in("clip.boxes"), 4.0), ref("small")));
    }

    void nmsMatchesTorchvision_data()
    {
        QTest::addColumn<QString>("kase");
        QTest::newRow("coordinate trick (<= 4000 coordinates)") << "small";
        QTest::newRow("one NMS per class (> 4000 coordinates)") << "large";
    }
    void nmsMatchesTorchvision()
    {
        QFETCH(QString, kase);
        const std::string c = "nms." + kase.toStdString();
        const torch::Tensor keep = batchedNms(in(c + ".boxes"), in(c + ".scores"), in(c + ".idxs"), 0.5);
        QVERIFY2(torch::equal(keep, ref(c)), qPrintable(describe(keep, ref(c))));
        QVERIFY(keep.size(0) < in(c + ".boxes").size(0)); // it did suppress something
    }

    void plainNms() { QVERIFY(torch::equal(nms(in("nms.small.boxes"), in("nms.small.scores"), 0.3), ref("nms.plain"))); }

    void boxCoder()
    {
        const BoxCoder coder({10.0, 10.0, 5.0, 5.0});
        QVERIFY2(maxDiff(coder.encode(in("coder.gt"), in("coder.ref")), ref("coder.encode")) < 1e-5,
                 qPrintable(describe(coder.encode(in("coder.gt"), in("coder.ref")), ref("coder.encode"))));
        const torch::Tensor decoded = coder.decode(in("coder.codes"), in("coder.ref"));
        QVERIFY2(maxDiff(decoded, ref("coder.decode")) < 1e-3, qPrintable(describe(decoded, ref("coder.decode"))));
        QVERIFY(torch::isfinite(decoded).all().item<bool>()); // dw = 100 / 5 clamped at log(1000/16)
        // Round trip: decoding the encoded ground truth gives it back.
        QVERIFY(maxDiff(coder.decode(coder.encode(in("coder.gt"), in("coder.ref")), in("coder.ref")), in("coder.gt")) < 1e-3);
    }

    void matcher()
    {
        const torch::Tensor &q = in("matcher.quality");
        QVERIFY(torch::equal(Matcher(0.7, 0.3, false)(q), ref("matcher.plain")));
        const torch::Tensor low = Matcher(0.7, 0.3, true)(q);
        QVERIFY(torch::equal(low, ref("matcher.low")));
        QVERIFY(!torch::equal(low, ref("matcher.plain"))); // low-quality matches changed something
        QVERIFY_THROWS_EXCEPTION(c10::Error, Matcher(0.7, 0.3, true)(torch::zeros({0, 5})));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Matcher(0.3, 0.7, true));
    }

    void samplerDrawsAsTorchvision()
    {
        torch::manual_seed(in("sampler.seed").item<int64_t>());
        const auto s = BalancedPositiveNegativeSampler(16, 0.25)({in("sampler.labels0"), in("sampler.labels1")});
        for (int i = 0; i < 2; ++i) {
            QVERIFY(torch::equal(s[static_cast<std::size_t>(i)].positive, ref("sampler.pos" + std::to_string(i))));
            QVERIFY(torch::equal(s[static_cast<std::size_t>(i)].negative, ref("sampler.neg" + std::to_string(i))));
        }
        QCOMPARE(s[0].positive.sum().item<int64_t>(), int64_t(4));
        QCOMPARE(s[0].positive.sum().item<int64_t>() + s[0].negative.sum().item<int64_t>(), int64_t(16));
    }

    void anchors()
    {
        std::vector<torch::Tensor> f;
        for (int l = 0; l < 5; ++l) f.push_back(in("features." + std::to_string(l)));
        AnchorGenerator gen({{16, 24}, {32, 48}, {64, 96}, {128, 192}, {256, 384}}, std::vector<std::vector<double>>(5, {0.5, 1.0, 2.0}));
        QCOMPARE(gen.numAnchorsPerLocation(), std::vector<int64_t>(5, 6));
        const torch::Tensor a = gen(96, 128, f);
        QVERIFY2(maxDiff(a, ref("anchors")) == 0, qPrintable(describe(a, ref("anchors"))));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, AnchorGenerator({{32}}, {{0.5}, {1.0}}));
    }

    void multiScaleRoIAlign_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("size");
        QTest::newRow("box head, 7 x 7") << "box" << 7;
        QTest::newRow("mask head, 14 x 14") << "mask" << 14;
    }
    void multiScaleRoIAlign()
    {
        QFETCH(QString, name);
        QFETCH(int, size);
        const std::string n = "pool." + name.toStdString();
        std::vector<torch::Tensor> f;
        for (int l = 0; l < 4; ++l) f.push_back(in("features." + std::to_string(l)).clone().requires_grad_(true));
        const std::vector<torch::Tensor> boxes{in("pool.boxes0"), in("pool.boxes1")};
        const torch::Tensor levels = LevelMapper(2, 5)(boxes);
        QCOMPARE(std::get<0>(at::_unique(levels)).size(0), int64_t(4)); // the boxes reach every level
        const torch::Tensor y = MultiScaleRoIAlign(size, 2)(f, boxes, {{90, 120}, {96, 128}});
        QVERIFY2(maxDiff(y, ref(n)) < 1e-5, qPrintable(describe(y, ref(n))));
        (y * in(n + ".weight")).sum().backward();
        for (int l = 0; l < 4; ++l) {
            const std::string g = n + ".grad" + std::to_string(l);
            QVERIFY2(maxDiff(f[static_cast<std::size_t>(l)].grad(), ref(g)) < 1e-4, qPrintable(describe(f[static_cast<std::size_t>(l)].grad(), ref(g))));
        }
    }

    void roiAlignKernel()
    {
        const torch::Tensor &x = in("features.0"), &rois = in("roi_align.rois");
        QVERIFY(maxDiff(roiAlign(x, rois, 0.25, 5, 4, -1, true), ref("roi_align.aligned")) < 1e-6);
        QVERIFY(maxDiff(roiAlign(x, rois, 0.25, 5, 4, 3, false), ref("roi_align.legacy")) < 1e-6);
    }

    void badShapesAreRefused()
    {
        auto message = [](auto &&f) -> std::string {
            try {
                f();
            } catch (const c10::Error &e) {
                return e.what_without_backtrace();
            }
            return "no error";
        };
        const torch::Tensor x = in("features.0");
        QVERIFY(message([&] { roiAlign(x, torch::zeros({3, 4}), 1.0, 7, 7, 2, false); }).find("rois must have shape K x 5") != std::string::npos);
        QVERIFY(message([&] { roiAlign(x[0], torch::zeros({3, 5}), 1.0, 7, 7, 2, false); }).find("must be 4-D") != std::string::npos);
        QVERIFY(message([&] { nms(torch::zeros({3, 4, 1}), torch::zeros({3}), 0.5); }).find("boxes must be 2-D, got 3-D") != std::string::npos);
        QVERIFY(message([&] { nms(torch::zeros({3, 3}), torch::zeros({3}), 0.5); }).find("N x 4") != std::string::npos);
        QVERIFY(message([&] { nms(torch::zeros({3, 4}), torch::zeros({2}), 0.5); }).find("same number") != std::string::npos);
        QVERIFY(message([&] { boxIou(torch::zeros({3, 5}), torch::zeros({2, 4})); }).find("N x 4") != std::string::npos);
        QVERIFY(message([&] { batchedNms(torch::zeros({3, 4}), torch::zeros({3}), torch::zeros({2}, torch::kLong), 0.5); }) != "no error");
    }

    void pasteMasks()
    {
        const torch::Tensor p = pasteMasksInImage(in("paste.masks"), in("paste.boxes"), 100, 120);
        QVERIFY2(maxDiff(p, ref("paste")) < 1e-6, qPrintable(describe(p, ref("paste"))));
        QVERIFY(p[4].sum().item<float>() == 0); // its box is outside the image
        QVERIFY(pasteMasksInImage(torch::zeros({0, 1, 28, 28}), torch::zeros({0, 4}), 10, 20).sizes() == torch::IntArrayRef({0, 1, 10, 20}));
    }

    // The trainer's detections are on a canvas (here 2x wider and 4x taller than the image);
    // eval and predict paste their masks over the boxes in the image's own pixels, as
    // torchvision pastes into the original image: the same pixels above 0.5.
    void canvasMasksPasteInTheImage()
    {
        const torch::Tensor boxes = in("paste.boxes");
        training::Detections d;
        d.boxes = boxes * torch::tensor({2.f, 4.f, 2.f, 4.f});
        d.scores = torch::linspace(1.0, 0.4, boxes.size(0));
        d.classes = torch::ones({boxes.size(0)}, torch::kLong);
        d.masks = in("paste.masks").squeeze(1);
        const auto found = training::toImage(d, 2.0, 4.0, 120, 100, 0.0, true);
        QCOMPARE(found.coco.size(), std::size_t(boxes.size(0)));
        for (long i = 0; i < boxes.size(0); ++i) {
            QVERIFY(found.coco[i].mask.has_value());
            const auto ours = core::rleDecode(*found.coco[i].mask, core::MaskOrder::RowMajor);
            const torch::Tensor expected = ref("paste")[i][0].gt(0.5).to(torch::kUInt8).contiguous();
            QVERIFY2(std::equal(ours.begin(), ours.end(), expected.data_ptr<std::uint8_t>(), expected.data_ptr<std::uint8_t>() + expected.numel()),
                     qPrintable(QStringLiteral("mask %1 differs from torchvision's").arg(i)));
            const int64_t area = expected.sum().item<int64_t>();
            if (area == 0 || area > 50) QCOMPARE(found.outline[i].empty(), area == 0);
        }
    }

    void transform()
    {
        TransformOptions o;
        o.minSize = {64};
        o.maxSize = 100;
        const GeneralizedRCNNTransform t(o);
        std::vector<DetectionTarget> targets;
        for (int i = 0; i < 2; ++i) {
            const std::string s = std::to_string(i);
            targets.push_back({in("transform.boxes" + s).clone(), torch::ones({in("transform.boxes" + s).size(0)}, torch::kLong),
                               in("transform.masks" + s)});
        }
        const std::vector<torch::Tensor> images{in("transform.image0"), in("transform.image1")};
        for (bool channelsLast : {false, true}) {
            std::vector<DetectionTarget> tt = targets;
            const ImageList b = t(images, &tt, false, channelsLast);
            QVERIFY2(maxDiff(b.tensors, ref("transform.batch")) < 1e-5, qPrintable(describe(b.tensors, ref("transform.batch"))));
            QCOMPARE(b.tensors.is_contiguous(torch::MemoryFormat::ChannelsLast), channelsLast);
            const auto sizes = ref("transform.sizes");
            for (int i = 0; i < 2; ++i) {
                const std::string s = std::to_string(i);
                QCOMPARE(b.imageSizes[static_cast<std::size_t>(i)][0], sizes[i][0].item<int64_t>());
                QCOMPARE(b.imageSizes[static_cast<std::size_t>(i)][1], sizes[i][1].item<int64_t>());
                QVERIFY(maxDiff(tt[static_cast<std::size_t>(i)].boxes, ref("transform.boxes" + s)) == 0);
                QVERIFY(torch::equal(tt[static_cast<std::size_t>(i)].masks, ref("transform.masks" + s)));
                const torch::Tensor back = resizeBoxes(tt[static_cast<std::size_t>(i)].boxes, b.imageSizes[static_cast<std::size_t>(i)],
                                                       {images[static_cast<std::size_t>(i)].size(1), images[static_cast<std::size_t>(i)].size(2)});
                QVERIFY(maxDiff(back, ref("transform.back" + s)) == 0);
            }
        }
        QCOMPARE(resizedSize(1024, 1280, 512, 512), (std::array<int64_t, 2>{409, 512}));
        // At scale 1 the resize is skipped: still torchvision's result.
        o.minSize = {100};
        o.maxSize = 150;
        std::vector<DetectionTarget> one{targets[0]};
        const ImageList same = GeneralizedRCNNTransform(o)({images[0]}, &one, false, false);
        QVERIFY(maxDiff(same.tensors, ref("transform.same.batch")) == 0);
        QVERIFY(torch::equal(one[0].masks, ref("transform.same.masks")));
    }
};

QTEST_GUILESS_MAIN(TestDetectionOps)
#include "tst_detection_ops.moc"
