// The trainer on the built-in sample project: the loss goes down, a resumed run
// ends exactly where an uninterrupted one does, cancel keeps the last checkpoint,
// eval reports the documented metrics, and bad settings are refused with a reason.
#include "core/sample_project.h"
#include "training/models/state_dict.h"
#include "training/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

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
        // The checkpoint is a plain state dict; eval reports the documented metrics.
        auto ev = evaluate(m_project, path("run-down/checkpoint-best.pt"), "val");
        QVERIFY2(ev.ok(), ev.ok() ? "" : ev.error().toString().c_str());
        for (const char *k : {"accuracy", "top5_accuracy", "per_class", "confusion"}) QVERIFY2(ev->contains(k), k);
        QCOMPARE((*ev)["confusion"].size(), std::size_t(3));
        QVERIFY((*ev)["accuracy"].get<double>() > 0.5);
    }

    void resumeMatchesUninterrupted()
    {
        QVERIFY(train(config(path("run-full"), 4)).ok());
        QVERIFY(train(config(path("run-half"), 2)).ok());
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
