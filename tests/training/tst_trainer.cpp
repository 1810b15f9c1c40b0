// The trainer on the built-in sample project: the loss goes down, a resumed run
// (with a different number of batch workers)
// ends exactly where an uninterrupted one does, cancel keeps the last checkpoint,
// eval reports the documented metrics, and bad settings are refused with a reason.
#include "core/project_store.h"
#include "tests/must.h"
#include "core/sample_project.h"
#include "training/data.h"
#include "training/models/state_dict.h"
#include "training/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <set>

using namespace training;

namespace {
struct Collect : TrainCallbacks {
    std::vector<MetricsSample> samples;
    std::vector<std::string> lines;
    std::atomic<bool> *cancelAt = nullptr;
    std::int64_t cancelStep = -1;
    void log(const std::string &l) override { lines.push_back(l); }
    void metrics(const MetricsSample &m) override
    {
        samples.push_back(m);
        if (cancelAt && m.step >= cancelStep) *cancelAt = true;
    }
};
} // namespace

class TestTrainer : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string m_project;
    std::string path(const std::string &n) { return m_dir.path().toStdString() + "/" + n; }
    TrainConfig config(const std::string &out, int epochs)
    {
        TrainConfig c;
        c.project = m_project;
        c.model = "smallcnn";
        c.imageSize = 32;
        c.epochs = epochs;
        c.batch = 8;
        c.lr = 2e-3;
        c.optimizer = "adam";
        c.seed = 5;
        c.augment = "hflip,crop:2";
        c.threads = 2;
        c.logEvery = 1;
        c.outDir = out;
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto p = core::createSampleProject(path("sample"));
        QVERIFY(p.ok());
        m_project = *p;
    }

    void lossGoesDown()
    {
        Collect cb;
        auto r = train(config(path("run-down"), 8), &cb);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QCOMPARE(r->epochs, 8);
        std::vector<double> epochLoss;
        for (const auto &m : cb.samples)
            if (m.epochEnd) epochLoss.push_back(m.loss);
        QCOMPARE(epochLoss.size(), std::size_t(8));
        QVERIFY2(epochLoss.back() < 0.7 * epochLoss.front(), (std::to_string(epochLoss.front()) + " -> " + std::to_string(epochLoss.back())).c_str());
        // metrics.jsonl holds one line per logged step and per epoch, with the documented keys.
        std::ifstream in(path("run-down/metrics.jsonl"));
        std::string line;
        int lines = 0, epochEnds = 0;
        while (std::getline(in, line)) {
            auto j = nlohmann::json::parse(line);
            for (const char *k : {"epoch", "step", "loss", "lr", "images_per_s"}) QVERIFY2(j.contains(k), k);
            if (j.value("epoch_end", false)) {
                ++epochEnds;
                QVERIFY(j.contains("val_accuracy"));
            }
            ++lines;
        }
        QCOMPARE(epochEnds, 8);
        QCOMPARE(lines, static_cast<int>(cb.samples.size()));
        QVERIFY(cb.lines.front().find("BLAS") != std::string::npos);
        // The run is in the project's history with its outcome.
        auto store = core::ProjectStore::open(m_project);
        QVERIFY(store.ok());
        bool found = false;
        for (const auto &run : must(store->runs()))
            if (run.name == "run-down") {
                found = true;
                QCOMPARE(run.summary["status"].get<std::string>(), std::string("finished"));
                QCOMPARE(run.summary["epochs_done"].get<int>(), 8);
                QCOMPARE(run.summary["best"].get<double>(), r->bestValAccuracy);
                QCOMPARE(run.config["model"].get<std::string>(), std::string("smallcnn"));
            }
        QVERIFY(found);
        // The checkpoint is a plain state dict; eval reports the documented metrics.
        auto ev = evaluate(m_project, path("run-down/checkpoint-best.pt"), "val");
        QVERIFY2(ev.ok(), ev.ok() ? "" : ev.error().toString().c_str());
        for (const char *k : {"accuracy", "top5_accuracy", "per_class", "confusion"}) QVERIFY2(ev->contains(k), k);
        QCOMPARE((*ev)["confusion"].size(), std::size_t(3));
        QVERIFY((*ev)["accuracy"].get<double>() > 0.5);
        // Every off-diagonal count of the confusion matrix is backed by a misclassified image.
        std::int64_t offDiagonal = 0;
        for (std::size_t t = 0; t < 3; ++t)
            for (std::size_t p = 0; p < 3; ++p)
                if (t != p) offDiagonal += (*ev)["confusion"][t][p].get<std::int64_t>();
        QCOMPARE(static_cast<std::int64_t>((*ev)["misclassified"].size()), offDiagonal);
        for (const auto &w : (*ev)["misclassified"]) QVERIFY(w["truth"] != w["predicted"]);

        // The lectures' views: first-layer filters (smallcnn: 32 of 3x3) and their responses to an image.
        auto filters = firstLayerFilters(path("run-down/checkpoint-best.pt"));
        QVERIFY2(filters.ok(), filters.ok() ? "" : filters.error().toString().c_str());
        QCOMPARE(filters->size(), std::size_t(32));
        QCOMPARE(filters->front().width, 3);
        for (float v : filters->front().data) QVERIFY(v >= 0.f && v <= 1.f);
        auto maps = featureMaps(path("run-down/checkpoint-best.pt"), m_dir.path().toStdString() + "/sample/images/shape_000.png");
        QVERIFY2(maps.ok(), maps.ok() ? "" : maps.error().toString().c_str());
        QCOMPARE(maps->size(), std::size_t(32));
        QCOMPARE(maps->front().width, 30); // 32 - 3 + 1
    }

    void segmentationLearnsMasks()
    {
        TrainConfig c = config(path("run-seg"), 12);
        c.task = "segmentation";
        c.model = "unet";
        c.augment = "hflip,vflip";
        c.lr = 3e-3;
        Collect cb;
        auto r = train(c, &cb);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        std::vector<double> epochLoss;
        for (const auto &m : cb.samples)
            if (m.epochEnd) {
                epochLoss.push_back(m.loss);
                QVERIFY(m.valMiou >= 0 && m.valMiou <= 1);
            }
        QVERIFY2(epochLoss.back() < 0.5 * epochLoss.front(), (std::to_string(epochLoss.front()) + " -> " + std::to_string(epochLoss.back())).c_str());
        auto ev = evaluate(m_project, path("run-seg/checkpoint-best.pt"), "val");
        QVERIFY2(ev.ok(), ev.ok() ? "" : ev.error().toString().c_str());
        QCOMPARE((*ev)["task"].get<std::string>(), std::string("segmentation"));
        QCOMPARE((*ev)["classes"].size(), std::size_t(4)); // background + circle, square, triangle
        QVERIFY((*ev)["pixel_accuracy"].get<double>() > 0.8);
        QVERIFY((*ev)["miou"].get<double>() > 0.3);
        // A prediction's areas come back as polygons in the image's own pixels (the sample's are 128 x 128).
        auto pred = predictImage(path("run-seg/checkpoint-best.pt"), m_dir.path().toStdString() + "/sample/images/shape_000.png");
        QVERIFY2(pred.ok(), pred.ok() ? "" : pred.error().toString().c_str());
        QCOMPARE(pred->task, std::string("segmentation"));
        QCOMPARE(pred->mask.size(), std::size_t(32 * 32));
        QVERIFY(!pred->regions.empty());
        for (const auto &r : pred->regions) {
            QVERIFY(r.className == "circle" || r.className == "square" || r.className == "triangle");
            QVERIFY(r.score > 0 && r.score <= 1);
            for (const auto &[x, y] : r.polygon) QVERIFY(x >= 0 && x <= 128 && y >= 0 && y <= 128);
        }
        // Classification models do not do segmentation, and unet does not classify.
        c = config(path("run-seg-bad"), 1);
        c.task = "segmentation";
        QVERIFY(!train(c).ok());
    }

    void kFoldReportsMeanAndSpread()
    {
        TrainConfig c = config(path("run-kfold"), 2);
        auto r = trainKFold(c, 3);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QCOMPARE((*r)["values"].size(), std::size_t(3));
        double mean = 0;
        for (const auto &v : (*r)["values"]) mean += v.get<double>() / 3;
        QVERIFY(std::abs(mean - (*r)["mean"].get<double>()) < 1e-12);
        QVERIFY((*r)["std"].get<double>() >= 0);
        // Each fold validates on a different third of the pooled train + val images.
        std::set<std::string> seen;
        std::size_t total = 0;
        for (int k = 0; k < 3; ++k) {
            auto snap = takeSnapshot(m_project, Task::Classification, 3, k, c.seed);
            QVERIFY(snap.ok());
            for (const auto &item : snap->val) seen.insert(item.path);
            total += snap->val.size();
            QCOMPARE(snap->train.size() + snap->val.size(), std::size_t(41)); // 34 train + 7 val in the sample
        }
        QCOMPARE(seen.size(), total);
        QCOMPARE(total, std::size_t(41));
        QVERIFY(QFile::exists(QString::fromStdString(path("run-kfold/fold-3/checkpoint-last.pt"))));
    }

    // Geometric augmentations move the mask with the image: a bright square stays on its class pixels.
    void augmentationKeepsMaskAligned()
    {
        Samples s;
        s.size = 48;
        s.channels = 1;
        s.segmentation = true;
        s.pixels.assign(48 * 48, 0);
        s.masks.assign(48 * 48, 0);
        s.paths = {"synthetic"};
        s.labels = {-1};
        for (int y = 10; y < 30; ++y)
            for (int x = 14; x < 40; ++x) {
                s.pixels[static_cast<std::size_t>(y * 48 + x)] = 255;
                s.masks[static_cast<std::size_t>(y * 48 + x)] = 1;
            }
        auto aug = parseAugment("hflip,vflip,rotate:30,scale:0.2,shift:4,gamma,blur,impulse");
        QVERIFY(aug.ok());
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            auto [x, y] = makeBatch(s, {0}, *aug, seed);
            const auto bright = x[0][0].gt(0.5), labelled = y[0].eq(1);
            const double inter = (bright & labelled).sum().item<double>(), uni = (bright | labelled).sum().item<double>();
            QVERIFY2(inter / uni > 0.85, ("seed " + std::to_string(seed) + ": IoU " + std::to_string(inter / uni)).c_str());
            auto [x2, y2] = makeBatch(s, {0}, *aug, seed); // the same seed gives the same batch
            QVERIFY(x.equal(x2) && y.equal(y2));
        }
        QVERIFY(!parseAugment("rotate:x").ok());
        QVERIFY(!parseAugment("scale:1.5").ok());
        QVERIFY(!parseAugment("crop:1.5").ok());
    }

    void previewShowsAugmentedSamples()
    {
        TrainConfig c = config({}, 1);
        c.task = "segmentation";
        c.augment = "rotate:20,contrast";
        auto p = previewAugment(c, 6);
        QVERIFY2(p.ok(), p.ok() ? "" : p.error().toString().c_str());
        QCOMPARE(p->images.size(), std::size_t(6));
        QCOMPARE(p->masks.size(), std::size_t(6));
        QCOMPARE(p->images[0].width * p->images[0].height, static_cast<int>(p->masks[0].size()));
        QCOMPARE(p->classes.size(), std::size_t(3));
    }

    void resumeMatchesUninterrupted()
    {
        // The two runs also differ in how many batches are augmented ahead: that must not matter.
        TrainConfig full = config(path("run-full"), 4), half = config(path("run-half"), 2);
        full.workers = 1;
        half.workers = 3;
        QVERIFY(train(full).ok());
        QVERIFY(train(half).ok());
        TrainConfig resume;
        resume.resumeDir = path("run-half");
        resume.epochs = 4;
        auto r = train(resume);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QCOMPARE(r->epochs, 4);
        auto a = loadStateDict(path("run-full/checkpoint-last.pt")), b = loadStateDict(path("run-half/checkpoint-last.pt"));
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a.tensors.size(), b.tensors.size());
        for (std::size_t i = 0; i < a.tensors.size(); ++i) {
            const double d = (a.tensors[i].second.to(torch::kDouble) - b.tensors[i].second.to(torch::kDouble)).abs().max().item<double>();
            QVERIFY2(d < 1e-6, (a.tensors[i].first + " differs by " + std::to_string(d)).c_str());
        }
    }

    void cancelKeepsLastCheckpoint()
    {
        std::atomic<bool> cancel{false};
        Collect cb;
        cb.cancelAt = &cancel;
        cb.cancelStep = 7; // inside the second epoch (5 steps per epoch)
        auto r = train(config(path("run-cancel"), 5), &cb, &cancel);
        QVERIFY(r.ok());
        QVERIFY(r->cancelled);
        QCOMPARE(r->epochs, 1);
        QVERIFY(loadStateDict(path("run-cancel/checkpoint-last.pt")).ok());
    }

    void refusesBadSettings()
    {
        TrainConfig c = config(path("run-bad"), 1);
        c.augment = "hflip,wobble";
        auto r = train(c);
        QVERIFY(!r.ok());
        QVERIFY(r.error().message.find("wobble") != std::string::npos);
        c = config(path("run-bad2"), 1);
        c.model = "vgg99";
        QVERIFY(!train(c).ok());
        c = config(path("run-bad3"), 1);
        c.lr = 1e6; // diverges: the run stops with a clear message
        c.optimizer = "sgd";
        auto nan = train(c);
        QVERIFY(!nan.ok());
        QVERIFY2(nan.error().message.find("loss became") != std::string::npos, nan.error().toString().c_str());
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
