// Faster and Mask R-CNN (ResNet-18 and -50 FPN) against Debian's torchvision:
// tests/training/reference_detection_models.py builds torchvision's models with
// seeded random weights and writes them, two images with targets, and its
// outputs. The same weights and images must give the same detections (boxes
// within 0.01 px, scores within 1e-4, mask IoU >= 0.99), the same training losses
// within 1e-4 with the samplers keeping everything and with them drawing under the
// same seed, the same gradients. State dicts load from zip, legacy and
// old-key-name files; ours load into torchvision with strict=True. Transfer
// learning replaces the class-specific layers and freezes backbone stages.
#include "training/models/detection/rcnn.h"
#include "training/trainer.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace training;
using namespace training::detection;

namespace {

const torch::Tensor &get(const StateDict &sd, const std::string &name)
{
    for (const auto &[k, t] : sd)
        if (k == name) return t;
    static const torch::Tensor none;
    return none;
}

// The options of reference_detection_models.py's OPTIONS.
DetectionOptions optionsFor(const std::string &kase)
{
    DetectionOptions o;
    o.arch = kase.substr(0, kase.find("_fpn") + 4);
    o.numClasses = 3;
    o.transform.minSize = {128};
    o.transform.maxSize = 192;
    o.rpn.preNmsTopNTrain = 300;
    o.rpn.postNmsTopNTrain = 80;
    o.rpn.preNmsTopNTest = 300;
    o.rpn.postNmsTopNTest = 40;
    o.box.detectionsPerImg = 12;
    if (kase.find("_frozen") != std::string::npos) {
        o.frozenBatchNorm = true; // and eps 0, as torchvision loads its COCO-trained weights
        o.trainableBackboneLayers = 3;
        o.batchNormEps = 0.0;
    }
    if (kase.find("_gn") != std::string::npos) o.norm = NormKind::Group;
    return o;
}

std::string problems(const LoadReport &r)
{
    std::string s;
    for (const auto &n : r.missing) s += " missing " + n;
    for (const auto &n : r.unexpected) s += " unexpected " + n;
    for (const auto &n : r.mismatched) s += " mismatched " + n;
    return s;
}

} // namespace

class TestDetectionModels : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    StateDict m_data;
    std::vector<torch::Tensor> m_images;
    std::vector<DetectionTarget> m_targets;

    std::string path(const std::string &n) const { return m_dir.path().toStdString() + "/" + n; }

    DetectionModel load(const std::string &kase, const DetectionOptions &o, const std::string &file = {})
    {
        auto w = loadStateDict(path(file.empty() ? kase + ".pth" : file));
        if (!w.ok()) throw std::runtime_error(w.error);
        DetectionModel model(o);
        const LoadReport rep = loadDetectionWeights(*model, w.tensors);
        if (!problems(rep).empty()) throw std::runtime_error(problems(rep));
        return model;
    }

private Q_SLOTS:
    void initTestCase()
    {
        torch::set_num_threads(2);
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral(ANNOTRAIN_SOURCE_DIR "/tests/training/reference_detection_models.py"), m_dir.path()});
        QVERIFY(py.waitForFinished(600000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        auto d = loadStateDict(path("det_data.pth"));
        QVERIFY2(d.ok(), d.error.c_str());
        m_data = d.tensors;
        for (int i = 0; i < 2; ++i) {
            const std::string p = "target" + std::to_string(i) + ".";
            m_images.push_back(get(m_data, "image" + std::to_string(i)));
            m_targets.push_back({get(m_data, p + "boxes"), get(m_data, p + "labels"), get(m_data, p + "masks")});
        }
    }

    void sameAsTorchvision_data()
    {
        QTest::addColumn<QString>("kase");
        QTest::addColumn<bool>("channelsLast");
        for (const char *c : {"fasterrcnn_resnet18_fpn", "maskrcnn_resnet18_fpn", "maskrcnn_resnet18_fpn_frozen", "maskrcnn_resnet18_fpn_gn",
                              "fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn"})
            QTest::addRow("%s", c) << QString::fromUtf8(c) << true;
        QTest::addRow("maskrcnn_resnet18_fpn NCHW") << QStringLiteral("maskrcnn_resnet18_fpn") << false;
    }
    void sameAsTorchvision()
    {
        QFETCH(QString, kase);
        QFETCH(bool, channelsLast);
        const std::string c = kase.toStdString();
        auto refs = loadStateDict(path(c + "_ref.pth"));
        QVERIFY2(refs.ok(), refs.error.c_str());
        const StateDict &ref = refs.tensors;
        DetectionOptions o = optionsFor(c);

        // Inference.
        DetectionModel model = load(c, o);
        model->setChannelsLast(channelsLast);
        model->eval();
        const auto dets = model->detect(m_images);
        QCOMPARE(dets.size(), std::size_t(2));
        for (int i = 0; i < 2; ++i) {
            const std::string p = "det" + std::to_string(i) + ".";
            const Detections &d = dets[static_cast<std::size_t>(i)];
            const torch::Tensor &rb = get(ref, p + "boxes"), &rs = get(ref, p + "scores"), &rl = get(ref, p + "labels");
            QCOMPARE(d.boxes.size(0), rb.size(0));
            QVERIFY(rb.size(0) > 0);
            // Pair each of torchvision's detections with ours: same label, box within 0.01 px, score within 1e-4.
            std::vector<bool> used(static_cast<std::size_t>(rb.size(0)), false);
            for (int64_t j = 0; j < rb.size(0); ++j) {
                int64_t found = -1;
                for (int64_t k = 0; k < d.boxes.size(0) && found < 0; ++k) {
                    if (used[static_cast<std::size_t>(k)] || d.labels[k].item<int64_t>() != rl[j].item<int64_t>()) continue;
                    if ((d.boxes[k] - rb[j]).abs().max().item<float>() < 0.01f && std::abs(d.scores[k].item<float>() - rs[j].item<float>()) < 1e-4f)
                        found = k;
                }
                QVERIFY2(found >= 0, qPrintable(QStringLiteral("image %1: torchvision's detection %2 (score %3) has no match").arg(i).arg(j).arg(rs[j].item<float>())));
                used[static_cast<std::size_t>(found)] = true;
                if (!model->hasMask()) continue;
                const torch::Tensor ours = d.masks[found][0], theirs = get(ref, p + "masks")[j][0];
                QCOMPARE(ours.sizes(), theirs.sizes());
                const torch::Tensor a = ours > 0.5, b = theirs > 0.5;
                const double uni = (a | b).sum().item<double>(), inter = (a & b).sum().item<double>();
                QVERIFY2(uni == 0 || inter / uni >= 0.99, qPrintable(QStringLiteral("mask IoU %1").arg(inter / uni)));
                QVERIFY((ours - theirs).abs().max().item<float>() < 1e-3f);
            }
        }

        // Training losses on the same batch: samplers keeping everything, then drawing under the same seed.
        for (const char *mode : {"all", "seeded"}) {
            DetectionOptions t = o;
            if (std::string(mode) == "all") {
                t.rpn.batchSizePerImage = 1000000;
                t.box.batchSizePerImage = 1000000;
            } else {
                t.box.batchSizePerImage = 32;
            }
            DetectionModel m = load(c, t);
            m->setChannelsLast(channelsLast);
            m->train();
            torch::manual_seed(5);
            const auto losses = m->losses(m_images, m_targets);
            int compared = 0;
            for (const auto &[k, v] : ref) {
                if (k.rfind(std::string(mode) + ".", 0) != 0) continue;
                const std::string name = k.substr(std::strlen(mode) + 1);
                QVERIFY2(losses.count(name), name.c_str());
                const double diff = std::abs(losses.at(name).item<double>() - v.item<double>());
                QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("%1 %2: ours %3, torchvision %4").arg(QString::fromUtf8(mode), QString::fromStdString(name))
                                                     .arg(losses.at(name).item<double>()).arg(v.item<double>())));
                ++compared;
            }
            QCOMPARE(compared, model->hasMask() ? 5 : 4);
            QCOMPARE(losses.size(), std::size_t(compared));
            if (std::string(mode) != "all") continue;
            torch::Tensor total = torch::zeros({});
            for (const auto &[k, v] : losses) total = total + v;
            total.backward();
            for (const auto &p : m->named_parameters(true)) {
                const torch::Tensor &g = get(ref, "grad." + p.key());
                if (!g.defined()) continue;
                QVERIFY2(p.value().grad().defined(), p.key().c_str());
                // Relative to the gradient's norm. Batch-norm training through a ResNet-50 is
                // noisy: torchvision itself, on 1 thread instead of 2, moves conv1's gradient by 0.2 %
                // (0.5 % in channels-last); a wrong backward would be off by far more.
                const double rel = (p.value().grad() - g).norm().item<double>() / (g.norm().item<double>() + 1e-12);
                QVERIFY2(rel < 1e-2, qPrintable(QStringLiteral("gradient of %1 differs by %2 (relative)").arg(QString::fromStdString(p.key())).arg(rel)));
            }
            for (const auto &b : m->named_buffers(true)) {
                const torch::Tensor &after = get(ref, "after." + b.key());
                if (after.defined()) QVERIFY2((b.value() - after).abs().max().item<double>() < 1e-4, b.key().c_str());
            }
        }
    }

    void legacyAndOldNamedFilesLoad()
    {
        const DetectionOptions o = optionsFor("maskrcnn_resnet50_fpn");
        const StateDict zip = modelStateDict(*load("maskrcnn_resnet50_fpn", o));
        for (const char *file : {"maskrcnn_resnet50_fpn_legacy.pth", "maskrcnn_resnet50_fpn_oldnames.pth"}) {
            const StateDict other = modelStateDict(*load("maskrcnn_resnet50_fpn", o, file));
            QCOMPARE(other.size(), zip.size());
            for (std::size_t i = 0; i < zip.size(); ++i) QVERIFY2(torch::equal(zip[i].second, other[i].second), zip[i].first.c_str());
        }
        auto old = loadStateDict(path("maskrcnn_resnet50_fpn_oldnames.pth"));
        QVERIFY(old.ok());
        QVERIFY(!get(old.tensors, "roi_heads.mask_head.mask_fcn1.weight").defined() == false);
        QCOMPARE(detectionNumClasses(old.tensors), 3);
    }

    void exportLoadsIntoTorchvision_data()
    {
        QTest::addColumn<QString>("kase");
        QTest::newRow("maskrcnn_resnet50_fpn") << "maskrcnn_resnet50_fpn";
        QTest::newRow("frozen batch norm") << "maskrcnn_resnet18_fpn_frozen";
        QTest::newRow("group norm") << "maskrcnn_resnet18_fpn_gn";
    }
    void exportLoadsIntoTorchvision()
    {
        QFETCH(QString, kase);
        const std::string c = kase.toStdString();
        DetectionModel model = load(c, optionsFor(c));
        model->setChannelsLast(true); // layout must not leak into the file
        const std::string out = path(c + "_exported.pth");
        const std::string err = saveStateDict(modelStateDict(*model), out);
        QVERIFY2(err.empty(), err.c_str());
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral(ANNOTRAIN_SOURCE_DIR "/tests/training/check_detection_export.py"), kase,
                                                       QString::fromStdString(out), m_dir.path()});
        QVERIFY(py.waitForFinished(300000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        const double diff = py.readAllStandardOutput().trimmed().toDouble();
        QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("torchvision's detections with our file differ by %1").arg(diff)));
    }

    void weightsImportExport()
    {
        // `annotrain-cli weights import` of the published checkpoint's layout (legacy file, old key names), then export.
        const std::string ckpt = path("imported.pt"), pth = path("reexported.pth");
        const auto imported = training::importWeights(path("maskrcnn_resnet50_fpn_oldnames.pth"), "maskrcnn_resnet50_fpn", ckpt);
        QVERIFY2(imported, imported ? "" : imported.error().message.c_str());
        const auto exported = training::exportWeights(ckpt, pth);
        QVERIFY2(exported, exported ? "" : exported.error().message.c_str());
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral(ANNOTRAIN_SOURCE_DIR "/tests/training/check_detection_export.py"),
                                                       QStringLiteral("maskrcnn_resnet50_fpn"), QString::fromStdString(pth), m_dir.path()});
        QVERIFY(py.waitForFinished(300000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        QVERIFY(py.readAllStandardOutput().trimmed().toDouble() < 1e-4);
        // The wrong architecture is refused, naming the file.
        const auto wrong = training::importWeights(path("maskrcnn_resnet50_fpn.pth"), "maskrcnn_resnet18_fpn", path("x.pt"));
        QVERIFY(!wrong);
        QVERIFY2(wrong.error().message.find("is not a maskrcnn_resnet18_fpn state dict") != std::string::npos, wrong.error().message.c_str());
        // A GroupNorm backbone, which keeps no running statistics, is recognised as one.
        const auto gn = training::importWeights(path("maskrcnn_resnet18_fpn_gn.pth"), "maskrcnn_resnet18_fpn", path("gn.pt"));
        QVERIFY2(gn, gn ? "" : gn.error().message.c_str());
        const auto noHead = training::importWeights(path("det_data.pth"), "fasterrcnn_resnet50_fpn", path("x.pt"));
        QVERIFY(!noHead);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(path("x.pt"))));
    }

    void transferLearning()
    {
        const DetectionOptions o = optionsFor("maskrcnn_resnet18_fpn");
        DetectionOptions five = o;
        five.numClasses = 5;
        // A 3-class checkpoint into a 5-class model: all but the class-specific layers load.
        auto w = loadStateDict(path("maskrcnn_resnet18_fpn.pth"));
        QVERIFY(w.ok());
        DetectionModel model(five);
        const LoadReport rep = loadDetectionWeights(*model, w.tensors);
        std::vector<std::string> mismatched = rep.mismatched;
        std::sort(mismatched.begin(), mismatched.end());
        QCOMPARE(mismatched, (std::vector<std::string>{"roi_heads.box_predictor.bbox_pred.bias", "roi_heads.box_predictor.bbox_pred.weight",
                                                         "roi_heads.box_predictor.cls_score.bias", "roi_heads.box_predictor.cls_score.weight",
                                                         "roi_heads.mask_predictor.mask_fcn_logits.bias",
                                                         "roi_heads.mask_predictor.mask_fcn_logits.weight"}));
        QVERIFY(rep.missing.empty());
        // Or load it whole and replace the predictors.
        DetectionModel m = load("maskrcnn_resnet18_fpn", o);
        const torch::Tensor fc6 = m->roi_heads->box_head->fc6->weight.clone();
        m->replacePredictors(5);
        QCOMPARE(m->numClasses(), 5);
        QCOMPARE(m->roi_heads->box_predictor->bbox_pred->weight.size(0), int64_t(20));
        QCOMPARE(m->roi_heads->mask.mask_fcn_logits->weight.size(0), int64_t(5));
        QVERIFY(torch::equal(fc6, m->roi_heads->box_head->fc6->weight));
        const auto names = modelStateDict(*m);
        QCOMPARE(names.size(), modelStateDict(*load("maskrcnn_resnet18_fpn", o)).size());
        QVERIFY(get(names, "roi_heads.mask_predictor.mask_fcn_logits.weight").defined());
        // Freeze all but layer3 and layer4, then train one step: frozen stages get no gradient.
        m->setTrainableBackboneLayers(2);
        m->train();
        std::vector<DetectionTarget> t = m_targets;
        for (auto &x : t) x.labels = x.labels.clamp_max(4);
        torch::Tensor total = torch::zeros({});
        for (const auto &[k, v] : m->losses(m_images, t)) total = total + v;
        total.backward();
        for (const auto &p : m->backbone->body->named_parameters(true)) {
            const bool trainable = p.key().rfind("layer3", 0) == 0 || p.key().rfind("layer4", 0) == 0;
            QCOMPARE(p.value().requires_grad(), trainable);
            QCOMPARE(p.value().grad().defined(), trainable);
        }
        QVERIFY(m->roi_heads->box_predictor->cls_score->weight.grad().defined());
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, m->setTrainableBackboneLayers(6));
    }

    void badInputIsRefused()
    {
        DetectionModel m = load("fasterrcnn_resnet18_fpn", optionsFor("fasterrcnn_resnet18_fpn"));
        m->train();
        std::vector<DetectionTarget> t = m_targets;
        t[1].boxes = t[1].boxes.clone();
        t[1].boxes[0][2] = t[1].boxes[0][0]; // zero width
        try {
            m->losses(m_images, t);
            QFAIL("a degenerate box was accepted");
        } catch (const c10::Error &e) {
            QVERIFY2(std::string(e.what_without_backtrace()).find("positive height and width") != std::string::npos, e.what_without_backtrace());
            QVERIFY(std::string(e.what_without_backtrace()).find("index 1") != std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(c10::Error, m->detect(m_images)); // training mode
        m->eval();
        QVERIFY_THROWS_EXCEPTION(c10::Error, m->detect({torch::rand({128, 128})}));
        QVERIFY_THROWS_EXCEPTION(c10::Error, m->detect({torch::randint(0, 255, {3, 64, 64}, torch::kByte)}));
        DetectionOptions unknown;
        unknown.arch = "maskrcnn_resnet101_fpn";
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, DetectionModel{unknown});
        DetectionOptions one;
        one.numClasses = 1;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, DetectionModel{one});
    }

    void imageWithoutObjects()
    {
        // Negatives: an image without targets trains (all its anchors and proposals are background).
        DetectionModel m = load("maskrcnn_resnet18_fpn", optionsFor("maskrcnn_resnet18_fpn"));
        m->train();
        std::vector<DetectionTarget> t = m_targets;
        t[0] = {torch::zeros({0, 4}), torch::zeros({0}, torch::kLong), torch::zeros({0, m_images[0].size(1), m_images[0].size(2)}, torch::kByte)};
        const auto losses = m->losses(m_images, t);
        for (const auto &[k, v] : losses) QVERIFY2(std::isfinite(v.item<double>()), k.c_str());
    }
};

QTEST_GUILESS_MAIN(TestDetectionModels)
#include "tst_detection_models.moc"
