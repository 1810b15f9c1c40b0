// The recipe: every setting a run leaves to the data gets a value and one line saying
// why; a value the user gave is kept and not explained; durations parse as the CLI
// documents them.
#include "training/augment.h"
#include "training/config.h"
#include "training/recipe.h"
#include "training/trainer.h"

#include <QtTest>

#include <algorithm>

using namespace training;

namespace {

bool mentions(const Recipe &r, const std::string &start)
{
    for (const auto &w : r.why)
        if (w.rfind(start, 0) == 0) return true;
    return false;
}

DataFacts shapes() // the built-in sample project: 34 train images of 128 px
{
    DataFacts f;
    f.task = Task::Classification;
    f.trainImages = 34;
    f.medianSide = 128;
    return f;
}

DataFacts droplets() // 58 train images of 1280 px, droplets of 107 px (median)
{
    DataFacts f;
    f.task = Task::Segmentation;
    f.trainImages = 58;
    f.medianSide = 1280;
    f.medianObjectSide = 107;
    return f;
}

// droplets as a detector sees them: 58 images of 1280 px, round droplets of 24 to 290 px
// (median 107), some 18 an image and up to 40.
DataFacts dropletBoxes(Task task)
{
    DataFacts f = droplets();
    f.task = task;
    for (int i = 0; i < 1000; ++i) {
        const double side = 24 + (290.0 - 24) * (i % 100) / 99.0 * (i % 100) / 99.0; // more small ones than large
        f.objectScales.push_back(side / 1280);
        f.objectAspects.push_back(0.9 + 0.2 * (i % 7) / 6.0);
    }
    f.objectsPerImage = 40;
    return f;
}

} // namespace

class TestRecipe : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyAutoSettingIsChosenAndExplained()
    {
        for (const auto &[task, facts] : {std::pair<std::string, DataFacts>{"classification", shapes()}, {"segmentation", droplets()}}) {
            TrainConfig c;
            c.task = task;
            c.model = task == "segmentation" ? "unet" : "smallcnn";
            const Recipe r = chooseRecipe(c, facts);
            QVERIFY2(checkResolved(r.config).ok(), task.c_str());
            QVERIFY(checkOptions(r.config, facts.task).ok());
            for (const char *what : {"image size", "batch", "optimizer", "learning rate", "augment", "epochs", "schedule", "warm-up"})
                QVERIFY2(mentions(r, what), (task + ": no line for " + what).c_str());
            QCOMPARE(r.why.size(), std::size_t(8)); // one line each, no more
            // An epoch has several steps, whatever the data's size.
            const std::int64_t steps = (static_cast<std::int64_t>(facts.trainImages) + r.config.batch - 1) / r.config.batch;
            QVERIFY2(steps >= 8, std::to_string(steps).c_str());
            QVERIFY(parseAugment(r.config.augment).ok());
        }
    }

    // Left at auto, the model is the task's: the lecture's CNN for MNIST-sized images, the
    // pooled convnet for larger ones (at 64 px at most), unet and the ResNet-18 detectors.
    void modelFollowsTheTaskAndTheImages()
    {
        TrainConfig c;
        QCOMPARE(c.model, std::string("auto"));
        const Recipe large = chooseRecipe(c, shapes());
        QCOMPARE(large.config.model, std::string("convnet"));
        QCOMPARE(large.config.imageSize, 64);
        QVERIFY(mentions(large, "model convnet: the images are 128 px"));
        DataFacts mnist = shapes();
        mnist.medianSide = 28;
        const Recipe small = chooseRecipe(c, mnist);
        QCOMPARE(small.config.model, std::string("smallcnn"));
        QCOMPARE(small.config.imageSize, 28);
        QVERIFY(checkResolved(small.config).ok());
        QCOMPARE(chooseRecipe(c, droplets()).config.model, std::string("unet"));
        QCOMPARE(chooseRecipe(c, dropletBoxes(Task::Detection)).config.model, std::string("fasterrcnn_resnet18_fpn"));
        QCOMPARE(chooseRecipe(c, dropletBoxes(Task::Instance)).config.model, std::string("maskrcnn_resnet18_fpn"));
        // Unresolved, auto passes the option check and fails the resolved one.
        QVERIFY(checkOptions(c, Task::Segmentation).ok());
        TrainConfig unresolved = large.config;
        unresolved.model = "auto";
        QVERIFY(!checkResolved(unresolved).ok());
    }

    void givenSettingsAreKept()
    {
        TrainConfig c;
        c.model = "smallcnn";
        c.epochs = 7;
        c.batch = 3;
        c.lr = 0.05;
        c.optimizer = "sgd";
        c.schedule = "step";
        c.warmupEpochs = 2;
        c.augment = "none";
        c.imageSize = 40;
        const Recipe r = chooseRecipe(c, shapes());
        QVERIFY2(r.why.empty(), r.why.empty() ? "" : r.why.front().c_str());
        QCOMPARE(r.config.epochs, 7);
        QCOMPARE(r.config.batch, 3);
        QCOMPARE(r.config.lr, 0.05);
        QCOMPARE(r.config.optimizer, std::string("sgd"));
        QCOMPARE(r.config.schedule, std::string("step"));
        QCOMPARE(r.config.warmupEpochs, 2);
        QCOMPARE(r.config.augment, std::string("none"));
        QCOMPARE(r.config.imageSize, 40);
    }

    // The choices follow the data: small objects in big images get a larger training
    // size, a larger train set a larger batch, weights a lower rate.
    void choicesFollowTheData()
    {
        TrainConfig seg;
        seg.task = "segmentation";
        seg.model = "unet";
        DataFacts big = droplets(), small = droplets();
        small.medianObjectSide = 30;
        const int sizeBig = chooseRecipe(seg, big).config.imageSize, sizeSmall = chooseRecipe(seg, small).config.imageSize;
        QVERIFY2(sizeSmall > sizeBig, (std::to_string(sizeSmall) + " vs " + std::to_string(sizeBig)).c_str());
        QCOMPARE(sizeBig % 32, 0);
        QVERIFY(sizeSmall <= 512);
        TrainConfig cls;
        DataFacts many = shapes();
        many.trainImages = 60000;
        QVERIFY(chooseRecipe(cls, many).config.batch > chooseRecipe(cls, shapes()).config.batch);
        TrainConfig withWeights;
        withWeights.weights = "w.pth";
        QVERIFY(chooseRecipe(withWeights, shapes()).config.lr < chooseRecipe(cls, shapes()).config.lr);
        // A time budget leaves the epochs to the budget hook, which needs a ceiling to size down from.
        TrainConfig budget;
        budget.timeBudget = 60;
        const Recipe rb = chooseRecipe(budget, shapes());
        QVERIFY(rb.config.epochs > 1000);
        QVERIFY(mentions(rb, "epochs: as many as fit in the time budget of 60 s"));
    }

    // A detector's recipe: torchvision's optimiser settings, and anchors, proposals and RoIs
    // fitted to the boxes; a user's value is kept; weights keep the anchors their RPN knows.
    void detectorsGetAnchorsFittedToTheBoxes()
    {
        TrainConfig c;
        c.task = "instance";
        c.model = "maskrcnn_resnet18_fpn";
        const Recipe r = chooseRecipe(c, dropletBoxes(Task::Instance));
        QVERIFY2(checkResolved(r.config).ok(), "a setting left to choose");
        QVERIFY(checkOptions(r.config, Task::Instance).ok());
        QCOMPARE(r.config.optimizer, std::string("sgd"));
        QCOMPARE(r.config.weightDecay, 1e-4);
        QCOMPARE(r.config.schedule, std::string("cosine")); // the step schedule stalled a short run
        QCOMPARE(r.config.lr, 0.02);                        // torchvision's rate, not scaled down for a short run
        QCOMPARE(r.config.batch, 2);
        QCOMPARE(r.config.augment, std::string("hflip,vflip"));
        QCOMPARE(r.config.imageSize % 32, 0);
        // The median droplet (107 px of 1280) gets at least 32 px on the canvas, and the small ones
        // (5th percentile: 24.7 px) 12, but no more than that asks.
        QVERIFY2(r.config.imageSize * 107.0 / 1280 >= 32 && r.config.imageSize * 24.7 / 1280 >= 11.9 && r.config.imageSize <= 672,
                 std::to_string(r.config.imageSize).c_str());
        QVERIFY(std::any_of(r.why.begin(), r.why.end(), [](const std::string &w) {
            return w.rfind("image size", 0) == 0 && w.find("three cells of the finest feature map") != std::string::npos;
        }));
        // The smallest anchor is 8 or 16, and the largest (16 times that) still covers the largest droplets.
        QVERIFY2(r.config.anchorSize == 8 || r.config.anchorSize == 16, std::to_string(r.config.anchorSize).c_str());
        QVERIFY(r.config.anchorSize * 16 * 1.5 >= 290.0 * r.config.imageSize / 1280);
        QCOMPARE(r.config.anchorRatios, std::string("1")); // round droplets: one shape
        QCOMPARE(r.config.roisPerImage, 128);
        QCOMPARE(r.config.rpnProposals, 512);
        for (const char *what : {"anchor size", "anchor ratio", "128 RoIs", "gradient norm clipped", "norm group"}) QVERIFY2(mentions(r, what), what);
        // From scratch the backbone normalises each picture by itself; classifiers keep batch norm.
        QCOMPARE(r.config.norm, std::string("group"));
        QCOMPARE(r.config.clipNorm, 10.0); // from scratch, droplets' box loss diverged unclipped
        TrainConfig cls;
        QCOMPARE(chooseRecipe(cls, shapes()).config.clipNorm, 0.0); // classifiers stay unclipped
        QCOMPARE(chooseRecipe(cls, shapes()).config.norm, std::string("batch"));
        TrainConfig groupCls = chooseRecipe(cls, shapes()).config;
        groupCls.norm = "group";
        QVERIFY(!checkOptions(groupCls, Task::Classification).ok());
        TrainConfig off = c;
        off.clipNorm = 0;
        QCOMPARE(chooseRecipe(off, dropletBoxes(Task::Instance)).config.clipNorm, 0.0);

        // Elongated boxes keep torchvision's three ratios; many small objects a larger anchor range.
        DataFacts mixed = dropletBoxes(Task::Detection);
        for (std::size_t i = 0; i < mixed.objectAspects.size(); i += 2) mixed.objectAspects[i] = 3.0;
        TrainConfig d;
        d.task = "detection";
        d.model = "fasterrcnn_resnet18_fpn";
        QCOMPARE(chooseRecipe(d, mixed).config.anchorRatios, std::string("0.5,1,2"));

        // From weights: torchvision's anchors, whatever the boxes.
        TrainConfig w = c;
        w.weights = "coco.pth";
        const Recipe rw = chooseRecipe(w, dropletBoxes(Task::Instance));
        QCOMPARE(rw.config.anchorSize, 32);
        QCOMPARE(rw.config.anchorRatios, std::string("0.5,1,2"));
        QCOMPARE(rw.config.norm, std::string("batch")); // torchvision's weights have batch-norm backbones
        DataFacts gnFacts = dropletBoxes(Task::Instance);
        gnFacts.weightsGroupNorm = true; // such as a run of ours from scratch
        QCOMPARE(chooseRecipe(w, gnFacts).config.norm, std::string("group"));

        // Given values are kept.
        TrainConfig given = c;
        given.anchorSize = 24;
        given.anchorRatios = "0.5,1";
        given.roisPerImage = 300;
        given.rpnProposals = 700;
        const Recipe rg = chooseRecipe(given, dropletBoxes(Task::Instance));
        QCOMPARE(rg.config.anchorSize, 24);
        QCOMPARE(rg.config.anchorRatios, std::string("0.5,1"));
        QCOMPARE(rg.config.roisPerImage, 300);
        QCOMPARE(rg.config.rpnProposals, 700);
        QVERIFY(!mentions(rg, "anchor"));

        // Ratios are checked: a bad list is an error naming the option.
        TrainConfig bad = c;
        bad.anchorRatios = "1,x";
        const auto s = checkOptions(bad, Task::Instance);
        QVERIFY(!s.ok());
        QVERIFY(s.error().message.find("--anchor-ratios") != std::string::npos);
        QVERIFY(parseAnchorRatios("0.5,1,2").ok());
        QCOMPARE(parseAnchorRatios("0.5,1,2")->size(), std::size_t(3));
        for (const char *b : {"", "0", "1,", ",1", "1;2", "nan", "100"}) QVERIFY2(!parseAnchorRatios(b).ok(), b);
    }

    void durationsParse()
    {
        double s = -1;
        for (const auto &[text, seconds] : {std::pair<const char *, double>{"90s", 90}, {"5m", 300}, {"60m", 3600}, {"1h30m", 5400}, {"2h", 7200}, {"45", 45},
                                            {"1.5m", 90}, {"1m30s", 90}}) {
            QVERIFY2(parseDuration(text, &s), text);
            QCOMPARE(s, seconds);
        }
        for (const char *bad : {"", "m", "5x", "-5m", "1h30", "5 m", "nan", "inf"}) QVERIFY2(!parseDuration(bad, &s), bad);
    }
};

QTEST_GUILESS_MAIN(TestRecipe)
#include "tst_recipe.moc"
