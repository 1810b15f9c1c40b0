// The trainer on the built-in sample project: the loss goes down, a resumed run
// (with a different number of batch workers)
// ends exactly where an uninterrupted one does, cancel keeps the last checkpoint,
// eval reports the documented metrics, and bad settings are refused with a reason.
#include "core/project_store.h"
#include "tests/must.h"
#include "core/sample_project.h"
#include "training/records.h"
#include "training/models/state_dict.h"
#include "training/describe.h"
#include "training/detection_predict.h"
#include "training/trainer.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

using namespace training;
namespace fs = std::filesystem;

namespace {
struct Collect : TrainCallbacks {
    std::vector<MetricsSample> samples;
    std::vector<std::string> lines;
    std::atomic<bool> *cancelAt = nullptr;
    std::int64_t cancelStep = -1;
    bool wantPredictions = false;
    std::vector<std::pair<int, std::vector<ValPreview>>> predicted; // per epoch end
    bool wantsPredictions() const override { return wantPredictions; }
    void predictions(int epoch, const std::vector<ValPreview> &v) override { predicted.emplace_back(epoch, v); }
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
        c.schedule = "none"; // a constant rate: a run stopped and resumed to more epochs can equal an uninterrupted one
        c.warmupEpochs = 0;
        c.threads = 2;
        c.logEvery = 1;
        c.outDir = out;
        return c;
    }

    std::string historyStatus(const std::string &runName)
    {
        auto store = core::ProjectStore::open(m_project);
        if (!store) return "no project";
        for (const auto &run : must(store->runs()))
            if (run.name == runName) return run.summary.value("status", std::string("none"));
        return "not recorded";
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
        cb.wantPredictions = true;
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
            // The loss's named terms: one for a classifier, and it is the loss.
            QCOMPARE(j["losses"].size(), std::size_t(1));
            QCOMPARE(j["losses"]["loss_cls"].get<double>(), j["loss"].get<double>());
            if (j.value("epoch_end", false)) {
                ++epochEnds;
                for (const char *k : {"val_accuracy", "val_loss", "val_top5_accuracy"}) QVERIFY2(j.contains(k), k);
            }
            ++lines;
        }
        QCOMPARE(epochEnds, 8);
        QCOMPARE(lines, static_cast<int>(cb.samples.size()));
        // At each epoch's end the model's guesses for the first val images, with their true class;
        // by the end most are right (as the val accuracy says).
        QCOMPARE(cb.predicted.size(), std::size_t(8));
        for (std::size_t e = 0; e < cb.predicted.size(); ++e) {
            QCOMPARE(cb.predicted[e].first, static_cast<int>(e + 1));
            QCOMPARE(cb.predicted[e].second.size(), kValPreviews);
            for (const auto &v : cb.predicted[e].second) {
                QVERIFY2(fs::exists(v.image), v.image.c_str());
                QCOMPARE(v.prediction.task, std::string("classification"));
                QCOMPARE(v.prediction.scores.size(), std::size_t(3));
                QVERIFY(v.truth == "circle" || v.truth == "square" || v.truth == "triangle");
            }
        }
        // They are what that epoch's model predicts: those of the best epoch are checkpoint-best.pt's.
        std::size_t best = 0;
        std::vector<double> accuracy;
        for (const auto &m : cb.samples)
            if (m.epochEnd) accuracy.push_back(m.valAccuracy);
        for (std::size_t e = 1; e < accuracy.size(); ++e)
            if (accuracy[e] > accuracy[best]) best = e;
        for (const auto &v : cb.predicted[best].second) {
            auto p = predictImage(path("run-down/checkpoint-best.pt"), v.image);
            QVERIFY2(p.ok(), p.ok() ? "" : p.error().toString().c_str());
            QCOMPARE(p->scores.front().first, v.prediction.scores.front().first);
            QVERIFY(std::abs(p->scores.front().second - v.prediction.scores.front().second) < 1e-4);
        }
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
        cb.wantPredictions = true;
        auto r = train(c, &cb);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        std::vector<double> epochLoss;
        for (const auto &m : cb.samples)
            if (m.epochEnd) {
                epochLoss.push_back(m.loss);
                QVERIFY(m.valMiou >= 0 && m.valMiou <= 1);
            }
        QVERIFY2(epochLoss.back() < 0.5 * epochLoss.front(), (std::to_string(epochLoss.front()) + " -> " + std::to_string(epochLoss.back())).c_str());
        // The last epoch's areas on the first val images: polygons in the images' own 128 x 128 pixels.
        QCOMPARE(cb.predicted.size(), std::size_t(12));
        std::size_t areas = 0;
        for (const auto &v : cb.predicted.back().second) {
            QVERIFY(v.truthRegions > 0);
            for (const auto &r : v.prediction.regions) {
                ++areas;
                for (const auto &[x, y] : r.polygon) QVERIFY(x >= 0 && x <= 128 && y >= 0 && y <= 128);
            }
        }
        QVERIFY(areas > 0);
        auto ev = evaluate(m_project, path("run-seg/checkpoint-best.pt"), "val");
        QVERIFY2(ev.ok(), ev.ok() ? "" : ev.error().toString().c_str());
        QCOMPARE((*ev)["task"].get<std::string>(), std::string("segmentation"));
        QCOMPARE((*ev)["classes"].size(), std::size_t(4)); // background + circle, square, triangle
        QVERIFY((*ev)["pixel_accuracy"].get<double>() > 0.8);
        QVERIFY((*ev)["miou"].get<double>() > 0.3);
        // Counted in the images' own 128 x 128 pixels, not the 32 px canvas the model saw.
        std::int64_t counted = 0;
        for (const auto &row : (*ev)["confusion"])
            for (const auto &v : row) counted += v.get<std::int64_t>();
        QCOMPARE(counted, (*ev)["images"].get<std::int64_t>() * 128 * 128);
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
        // predict writes the areas of a split, one region each: COCO results with RLE masks and
        // the export's category ids, or VIA polygons.
        for (const std::string format : {"coco", "via"}) {
            DetectionPredictRequest req;
            req.checkpoint = path("run-seg/checkpoint-best.pt");
            req.project = m_project;
            req.split = "val";
            req.out = path("areas-" + format + ".json");
            req.format = format;
            req.scoreThreshold = 0.3;
            auto s = predictDetections(req);
            QVERIFY2(s.ok(), s.ok() ? "" : s.error().toString().c_str());
            QVERIFY(s->images > 0);
            QVERIFY(s->detections > 0);
            std::ifstream f(req.out);
            const auto j = nlohmann::json::parse(f);
            std::size_t found = 0;
            if (format == "coco") {
                for (const auto &d : j) {
                    ++found;
                    QVERIFY(d["score"].get<double>() >= 0.3 && d["score"].get<double>() <= 1);
                    QVERIFY(d["category_id"].get<int>() >= 1 && d["category_id"].get<int>() <= 3);
                    QCOMPARE(d["segmentation"]["size"], nlohmann::json::array({128, 128}));
                    QVERIFY(d["bbox"][2].get<double>() > 0 && d["bbox"][3].get<double>() > 0);
                }
            } else {
                // Every polygon shape anywhere in the VIA file.
                std::function<void(const nlohmann::json &)> count = [&](const nlohmann::json &v) {
                    if (v.is_object() && v.value("name", "") == "polygon" && v.contains("all_points_x")) ++found;
                    if (v.is_structured())
                        for (const auto &x : v) count(x);
                };
                count(j);
            }
            QCOMPARE(found, s->detections);
        }
        // Classification models do not do segmentation, and unet does not classify.
        c = config(path("run-seg-bad"), 1);
        c.task = "segmentation";
        QVERIFY(!train(c).ok());
    }

    // Segmentation's per-pixel class (eval, Inspect, predict) is argmax's: the first of equal
    // logits wins, and every class can win.
    void classMapIsArgmax()
    {
        torch::manual_seed(3);
        auto logits = torch::randn({4, 37, 53});
        logits[2].slice(0, 0, 5).copy_(logits[1].slice(0, 0, 5)); // ties between classes 1 and 2
        logits[1].slice(0, 0, 5).fill_(50);
        logits[2].slice(0, 0, 5).fill_(50);
        const auto fast = training::classMap(logits);
        QCOMPARE(fast.sizes(), logits.argmax(0).sizes());
        QVERIFY(fast.equal(logits.argmax(0)));
        QVERIFY(fast.slice(0, 0, 5).eq(1).all().item<bool>());
        for (long k = 0; k < 4; ++k) QVERIFY(fast.eq(k).any().item<bool>());
    }

    // No settings but a time budget: the recipe chooses every one with a line saying why,
    // the budget hook times the first epochs and sizes the run to end within the budget,
    // and config.json records what was chosen, so that --resume continues the same plan.
    void timeBudgetWithSettingsFromTheData()
    {
        TrainConfig c;
        c.project = m_project;
        c.outDir = path("run-budget");
        c.threads = 1; // a shared machine's spare core is not counted on
        c.seed = 5;
        c.timeBudget = 20;
        Collect cb;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = train(c, &cb);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QVERIFY2(r->epochs >= 2, std::to_string(r->epochs).c_str());
        // Within the budget, with room for one epoch's jitter on a shared machine.
        QVERIFY2(wall < c.timeBudget + 8, std::to_string(wall).c_str());
        int autoLines = 0;
        bool planned = false;
        for (const auto &l : cb.lines) {
            autoLines += l.rfind("auto: ", 0) == 0;
            planned = planned || l.find("time budget: an epoch takes") != std::string::npos;
        }
        QCOMPARE(autoLines, 9); // model, image size, batch, optimizer, rate, augment, epochs, schedule, warm-up
        QVERIFY(planned);
        std::ifstream in(path("run-budget/config.json"));
        const auto j = nlohmann::json::parse(in)["config"];
        for (const char *k : {"optimizer", "schedule", "augment"}) QVERIFY2(j[k].get<std::string>() != "auto", k);
        QVERIFY(j["batch"].get<int>() > 0 && j["image_size"].get<int>() > 0 && j["lr"].get<double>() > 0);
        QVERIFY(j["epochs"].get<int>() >= r->epochs && j["epochs"].get<int>() < 1000);
        QCOMPARE(j["time_budget"].get<double>(), 20.0);
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

    void resumeMatchesUninterrupted_data()
    {
        QTest::addColumn<QString>("optimizer");
        QTest::newRow("sgd momentum") << "sgd";
        QTest::newRow("adam") << "adam";
        QTest::newRow("adamw") << "adamw";
    }
    // The optimizer's per-parameter buffers and step counts come back from train-state.pt
    // (a plain state dict): a run stopped after 2 epochs and resumed to 4 ends where one of 4 does.
    void resumeMatchesUninterrupted()
    {
        QFETCH(QString, optimizer);
        const std::string o = optimizer.toStdString();
        // The two runs also differ in how many batches are augmented ahead: that must not matter.
        TrainConfig full = config(path("run-full-" + o), 4), half = config(path("run-half-" + o), 2);
        full.optimizer = half.optimizer = o;
        full.weightDecay = half.weightDecay = 1e-3;
        full.workers = 1;
        half.workers = 3;
        QVERIFY(train(full).ok());
        QVERIFY(train(half).ok());
        QVERIFY(QFile::exists(QString::fromStdString(path("run-half-" + o + "/train-state.pt"))));
        QVERIFY(!QFile::exists(QString::fromStdString(path("run-half-" + o + "/optimizer-last.pt"))));
        // The state file is a plain state dict: the optimizer's buffers are there by name.
        auto state = loadStateDict(path("run-half-" + o + "/train-state.pt"));
        QVERIFY2(state.ok(), state.error.c_str());
        std::set<std::string> names;
        for (const auto &[k, t] : state.tensors) names.insert(k);
        QVERIFY(names.count(o == "sgd" ? "optimizer.0.momentum_buffer" : "optimizer.0.exp_avg_sq"));
        QVERIFY(names.count("run.epoch") && names.count("model.conv1.weight"));
        TrainConfig resume;
        resume.resumeDir = path("run-half-" + o);
        resume.epochs = 4;
        auto r = train(resume);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        QCOMPARE(r->epochs, 4);
        auto a = loadStateDict(path("run-full-" + o + "/checkpoint-last.pt")), b = loadStateDict(path("run-half-" + o + "/checkpoint-last.pt"));
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(a.tensors.size(), b.tensors.size());
        for (std::size_t i = 0; i < a.tensors.size(); ++i) {
            const double d = (a.tensors[i].second.to(torch::kDouble) - b.tensors[i].second.to(torch::kDouble)).abs().max().item<double>();
            QVERIFY2(d < 1e-6, (a.tensors[i].first + " differs by " + std::to_string(d)).c_str());
        }
    }

    // A run folder is input from anyone: a state file that is not ours, a config.json
    // that is corrupt or out of range, a symlink among its files, a folder of an older
    // version (whose optimizer-last.pt is TorchScript) are refused with the reason.
    void resumeRefusesForeignRunFolders()
    {
        TrainConfig c = config(path("run-foreign"), 1);
        QVERIFY(train(c).ok());
        const std::string dir = path("run-foreign");
        auto resume = [&] {
            TrainConfig r;
            r.resumeDir = path("run-foreign");
            r.epochs = 2;
            return train(r);
        };
        auto expectError = [&](const char *fragment) {
            auto r = resume();
            QVERIFY2(!r.ok(), fragment);
            QVERIFY2(r.error().toString().find(fragment) != std::string::npos, r.error().toString().c_str());
        };
        fs::copy_file(dir + "/config.json", dir + "/config.json.good", fs::copy_options::overwrite_existing);
        fs::copy_file(dir + "/train-state.pt", dir + "/train-state.pt.good", fs::copy_options::overwrite_existing);
        auto restore = [&] {
            fs::remove(dir + "/config.json");
            fs::remove(dir + "/train-state.pt");
            fs::copy_file(dir + "/config.json.good", dir + "/config.json", fs::copy_options::overwrite_existing);
            fs::copy_file(dir + "/train-state.pt.good", dir + "/train-state.pt", fs::copy_options::overwrite_existing);
        };
        // Its checkpoint as the state file: no optimizer state, no run state.
        fs::remove(dir + "/train-state.pt");
        fs::copy_file(dir + "/checkpoint-last.pt", dir + "/train-state.pt", fs::copy_options::overwrite_existing);
        expectError("train-state.pt: 'run.format' is missing");
        restore();
        auto writeConfig = [&](const std::string &text) {
            fs::remove(dir + "/config.json");
            std::ofstream(path("run-foreign/config.json")) << text;
        };
        writeConfig("{\"config\": {\"model\": \"smallcnn\"");
        expectError("config.json:1:");
        writeConfig(std::string(100000, '[') + std::string(100000, ']'));
        expectError("nested deeper than 64");
        auto j = nlohmann::json::parse(std::ifstream(path("run-foreign/config.json.good")));
        j["config"]["image_size"] = "big";
        writeConfig(j.dump());
        expectError("config.json:$.config.image_size: expected a whole number");
        j["config"]["image_size"] = 32;
        j["image_size"] = 100000;
        writeConfig(j.dump());
        expectError("config.json:$.image_size: --image-size 100000");
        j["image_size"] = 32;
        j["classes"] = 7;
        writeConfig(j.dump());
        expectError("$.classes: expected an array");
        restore();
        // A symlink among the run's files could point the trainer's writes anywhere.
        fs::remove(dir + "/metrics.jsonl");
        fs::create_symlink(path("victim.txt"), dir + "/metrics.jsonl");
        expectError("metrics.jsonl: is a symbolic link");
        QVERIFY(!fs::exists(path("victim.txt")));
        fs::remove(dir + "/metrics.jsonl");
        // A folder of an older version: optimizer-last.pt is never loaded.
        fs::remove(dir + "/train-state.pt");
        std::ofstream(path("run-foreign/optimizer-last.pt")) << "TorchScript archive";
        expectError("older version");
        fs::remove(dir + "/optimizer-last.pt");
        restore();
        auto ok = resume();
        QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().toString().c_str());
        QCOMPARE(ok->epochs, 2);
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
        // The after-train hooks ran: the cancel is logged with what is kept, the history says how it ended.
        QVERIFY(std::find(cb.lines.begin(), cb.lines.end(), "stopped at step 7; the checkpoint of epoch 1 is kept") != cb.lines.end());
        QCOMPARE(historyStatus("run-cancel"), std::string("stopped"));
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
        c.lr = 1e6; // diverges: the run stops with a clear message, which claims no checkpoint it does not have
        c.optimizer = "sgd";
        Collect cb;
        auto nan = train(c, &cb);
        QVERIFY(!nan.ok());
        QVERIFY2(nan.error().message.find("loss became") != std::string::npos, nan.error().toString().c_str());
        QVERIFY2(nan.error().message.find("no checkpoint was written") != std::string::npos, nan.error().toString().c_str());
        QVERIFY(!QFile::exists(QString::fromStdString(path("run-bad3/checkpoint-last.pt"))));
        QCOMPARE(historyStatus("run-bad3"), std::string("diverged")); // the after-train hooks run on failure too
        // Options are checked against the model before any image is decoded.
        for (auto [size, fragment] : {std::pair<int, const char *>{100000, "between 1 and 4096"}, {4000, "smallcnn's dense layer"}, {3, "at least 6"}}) {
            c = config(path("run-bad4"), 1);
            c.imageSize = size;
            Collect quiet;
            auto r = train(c, &quiet);
            QVERIFY(!r.ok());
            QVERIFY2(r.error().message.find(fragment) != std::string::npos, r.error().toString().c_str());
            for (const auto &l : quiet.lines) QVERIFY2(l.find("decoded") == std::string::npos, l.c_str());
        }
        c = config(path("run-bad5"), -1); // 0 is "chosen from the data"
        auto neg = train(c);
        QVERIFY(!neg.ok());
        QVERIFY2(neg.error().message.find("--epochs -1") != std::string::npos, neg.error().toString().c_str());
        c = config(path("run-bad6"), 1);
        c.model = "resnet18";
        c.imageSize = 2048;
        QVERIFY(train(c).error().message.find("at most at 1024") != std::string::npos);
    }

    // A JPEG cut in half decodes to a grey lower half without an error from OpenCV:
    // the trainer refuses it naming the file, or leaves it out when asked.
    void refusesTruncatedImages()
    {
        const std::string project = path("cut/cut.atproj");
        QDir().mkpath(QString::fromStdString(path("cut/images")));
        for (int i = 0; i < 8; ++i) {
            cv::Mat m(240, 320, CV_8UC3, cv::Scalar(40 * (i % 2), 200, 90));
            cv::randu(m, cv::Scalar(0, 0, 0), cv::Scalar(255, 255, 255)); // texture: the scan data is most of the file
            cv::circle(m, {160, 120}, 30 + i, cv::Scalar(255, 255, 255), -1);
            cv::imwrite(path("cut/images/im" + std::to_string(i) + ".jpg"), m);
        }
        std::ifstream in(path("cut/images/im3.jpg"), std::ios::binary);
        const std::string jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        in.close();
        std::ofstream(path("cut/images/im3.jpg"), std::ios::binary | std::ios::trunc) << jpeg.substr(0, jpeg.size() / 2);
        QVERIFY(!cv::imread(path("cut/images/im3.jpg")).empty()); // OpenCV hands it over half grey
        auto store = core::ProjectStore::create(project);
        QVERIFY(store.ok());
        QVERIFY(store->addImagesFromDir(path("cut/images")).ok());
        const auto a = store->addClass("a"), b = store->addClass("b");
        QVERIFY(a.ok() && b.ok());
        int i = 0;
        std::vector<std::pair<core::Id, core::Split>> splits;
        for (const auto &im : must(store->images())) {
            QVERIFY(store->setImageClass(im.id, i++ % 2 ? *a : *b).ok());
            splits.emplace_back(im.id, core::Split::Train);
        }
        QVERIFY(store->setSplits(splits).ok());
        TrainConfig c = config(path("run-cut"), 1);
        c.project = project;
        auto r = train(c);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().file, path("cut/images/im3.jpg"));
        QVERIFY2(r.error().message.find("truncated") != std::string::npos, r.error().toString().c_str());
        c.skipBadImages = true;
        Collect cb;
        r = train(c, &cb);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().toString().c_str());
        bool warned = false;
        for (const auto &l : cb.lines) warned = warned || (l.find("warning: skipped") != std::string::npos && l.find("im3.jpg") != std::string::npos);
        QVERIFY(warned);
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
