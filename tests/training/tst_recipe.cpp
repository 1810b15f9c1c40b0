// The recipe: every setting a run leaves to the data gets a value and one line saying
// why; a value the user gave is kept and not explained; durations parse as the CLI
// documents them.
#include "training/augment.h"
#include "training/config.h"
#include "training/recipe.h"
#include "training/trainer.h"

#include <QtTest>

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

    void givenSettingsAreKept()
    {
        TrainConfig c;
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
