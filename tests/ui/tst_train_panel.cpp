// The Train workspace: Start runs training on a worker thread while the GUI
// thread stays free, the loss chart receives points, the model's guesses on the
// first val images are drawn at each epoch's end, Pause holds the run, Stop
// ends it and keeps the last checkpoint. Runs land in the history, a second
// run's curves overlay, the confusion matrix lists the images behind a cell and
// opens them in Annotate, and the first-layer filters and feature maps show.
// Inspect accepts a segmentation prediction as regions, one undo step. The form
// offers the four tasks with their models and leaves its settings to the data
// ("auto"); a detector's loss terms and box and mask AP are charted, live and from
// a finished run's metrics.jsonl.
#include "core/sample_project.h"
#include "annotation/canvas.h"
#include "tests/must.h"
#include "ui/annotateworkspace.h"
#include "ui/mainwindow.h"
#ifdef ANNOTRAIN_WITH_TRAINING
#include "core/project_store.h"
#include "training/config.h"
#include "training/metrics_storage.h"
#include "ui/confusionview.h"
#include "ui/inspectpanel.h"
#include "ui/picturegrid.h"
#include "ui/trainpanel.h"

#include <QChart>
#include <QDir>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QFile>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QUndoStack>
#include <fstream>
#include <set>
#endif

#include <QComboBox>
#include <QDialog>
#include <QLineEdit>
#include <QListWidget>

#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#ifdef ANNOTRAIN_WITH_TRAINING
namespace {

QLineSeries *seriesNamed(QChart *chart, const QString &name)
{
    for (QAbstractSeries *s : chart->series())
        if (s->name() == name) return qobject_cast<QLineSeries *>(s);
    return nullptr;
}

QStringList items(const QComboBox *box)
{
    QStringList out;
    for (int i = 0; i < box->count(); ++i) out << box->itemText(i);
    return out;
}

const char *const kDetectorTerms[] = {"loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg", "loss_mask"};

// What the trainer reports of a Mask R-CNN run: two epochs of three logged steps, each
// with its five loss terms falling, and at each epoch's end COCO's numbers (training/hooks.cpp).
std::vector<training::MetricsSample> instanceRunSamples()
{
    std::vector<training::MetricsSample> out;
    for (int step = 1; step <= 6; ++step) {
        training::MetricsSample m;
        m.epoch = (step - 1) / 3 + 1;
        m.step = step;
        m.lr = 0.0025;
        for (std::size_t k = 0; k < std::size(kDetectorTerms); ++k) m.losses[kDetectorTerms[k]] = (k + 1) * 0.1 / step;
        for (const auto &[name, v] : m.losses) m.loss += v;
        out.push_back(m);
        if (step % 3) continue;
        m.epochEnd = true;
        m.val = {{"bbox_AP", 0.2 * m.epoch}, {"bbox_AP50", 0.4 * m.epoch}, {"segm_AP", 0.1 * m.epoch}, {"segm_AP50", 0.3 * m.epoch}};
        m.progress = m.epoch / 2.0;
        out.push_back(m);
    }
    return out;
}

} // namespace
#endif

class TestTrainPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void startPauseResumeStop()
    {
#ifndef ANNOTRAIN_WITH_TRAINING
        QSKIP("this build has no training engine");
#else
        QTemporaryDir tmp;
        auto project = core::createSampleProject(tmp.path().toStdString());
        QVERIFY(project.ok());
        ui::MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString(*project)).ok());
        ui::TrainPanel *panel = w.trainPanel();
        QVERIFY(panel);
        w.workspaces()->setCurrentWidget(panel);
        w.show();
        auto *epochs = panel->findChildren<QSpinBox *>().first(); // the first spin box of the form is Epochs
        epochs->setValue(200);
        w.resize(1200, 760);
        QSignalSpy finished(panel, &ui::TrainPanel::runFinished);
        QTest::mouseClick(panel->startButton(), Qt::LeftButton);
        QVERIFY(panel->isRunning());
        // The chart fills while the GUI thread keeps processing events.
        QTRY_VERIFY_WITH_TIMEOUT(panel->lossPointCount() >= 3, 30000);
        // Batch, learning rate and the rest were left to the data: the log says what was chosen
        // and why, the fields show the choice, and the next run is still left to the data.
        QVERIFY2(panel->log()->toPlainText().contains(QStringLiteral("auto: batch ")), qPrintable(panel->log()->toPlainText()));
        QVERIFY2(panel->batchBox()->text().startsWith(QStringLiteral("auto (")), qPrintable(panel->batchBox()->text()));
        QCOMPARE(panel->optimizerBox()->currentText(), QStringLiteral("auto (adam)"));
        QCOMPARE(panel->modelBox()->currentText(), QStringLiteral("auto (convnet)")); // the sample's 128 px shapes
        QVERIFY2(panel->augmentEdit()->text().startsWith(QStringLiteral("auto (hflip")), qPrintable(panel->augmentEdit()->text()));
        QCOMPARE(panel->config().batch, 0);
        QCOMPARE(panel->config().optimizer, std::string("auto"));
        QCOMPARE(panel->config().model, std::string("auto"));
        QCOMPARE(panel->config().augment, std::string("auto"));
        QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
        QTest::qWait(300); // let the step in flight land
        const int paused = panel->lossPointCount();
        QTest::qWait(700);
        QCOMPARE(panel->lossPointCount(), paused);
        QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(panel->lossPointCount() > paused, 30000);
        // Stop once an epoch has ended, so that the stopped run has a checkpoint for Inspect below
        // (the batch is left to the data: an epoch has at least 8 steps).
        QLineSeries *valAccuracy = seriesNamed(panel->validationChart(), QStringLiteral("val accuracy"));
        QVERIFY(valAccuracy);
        QTRY_VERIFY_WITH_TIMEOUT(valAccuracy->count() > 0, 30000);
        // With the epoch, the model's guesses on the first four val images, each drawn (at most
        // 320 px) with its true class in the caption.
        QTRY_COMPARE_WITH_TIMEOUT(panel->predictionGrid()->count(), 4, 10000);
        QVERIFY2(panel->predictionNote()->text().contains(QStringLiteral("after epoch")), qPrintable(panel->predictionNote()->text()));
        for (int i = 0; i < 4; ++i) {
            const QImage &im = panel->predictionGrid()->images()[i];
            QVERIFY(!im.isNull() && im.width() <= 320 && im.height() <= 320);
            QVERIFY2(panel->predictionGrid()->captions()[i].contains(QStringLiteral("(truth ")), qPrintable(panel->predictionGrid()->captions()[i]));
        }
        // docs/screenshots/take.sh sets this to capture the workspace mid-run.
        if (qEnvironmentVariableIsSet("ANNOTRAIN_SCREENSHOT")) {
            QTest::qWait(1500);
            w.grab().save(qEnvironmentVariable("ANNOTRAIN_SCREENSHOT"));
        }
        QTest::mouseClick(panel->stopButton(), Qt::LeftButton);
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.first().at(0).toBool(), true);
        QVERIFY(finished.first().at(1).toString().startsWith(QStringLiteral("Stopped")));
        QVERIFY(!panel->isRunning());
        QVERIFY(panel->startButton()->isEnabled());

        // A second, complete run; both are in the run history, newest first.
        QSignalSpy history(panel, &ui::TrainPanel::historyLoaded);
        epochs->setValue(3);
        finished.clear();
        QTest::mouseClick(panel->startButton(), Qt::LeftButton);
        QVERIFY(finished.wait(60000));
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(panel->runList()->count() == 2 && panel->runList()->item(0)->text().contains(QStringLiteral("finished")), 10000);
        QVERIFY(history.count() > 0);
        QVERIFY(panel->runList()->item(1)->text().contains(QStringLiteral("stopped")));
        panel->runList()->setCurrentRow(0);
        // Overlay the first run's curves.
        panel->compareBox()->setCurrentIndex(2);
        QTRY_VERIFY_WITH_TIMEOUT(panel->compareLossPointCount() > 0, 10000);

        // The confusion matrix of the selected run; a cell lists the images behind it.
        panel->views()->setCurrentIndex(1);
        QSignalSpy evaluated(panel, &ui::TrainPanel::evaluated);
        QTest::mouseClick(panel->evaluateButton(), Qt::LeftButton);
        QVERIFY(evaluated.wait(30000));
        QVERIFY(evaluated.first().at(0).toBool());
        ui::ConfusionView *cm = panel->confusionView();
        QCOMPARE(cm->classCount(), 3);
        int wrongT = -1, wrongP = -1;
        for (int t = 0; t < 3; ++t)
            for (int p = 0; p < 3; ++p)
                if (t != p && cm->count(t, p) > 0 && wrongT < 0) {
                    wrongT = t;
                    wrongP = p;
                }
        if (wrongT >= 0) { // the short run is rarely perfect; when it is, no cell has images to list
            QTest::mouseClick(cm, Qt::LeftButton, {}, cm->cellCenter(wrongT, wrongP));
            QCOMPARE(panel->misclassifiedList()->count(), static_cast<int>(cm->count(wrongT, wrongP)));
            // Double-clicking one opens it in Annotate.
            const QString path = panel->misclassifiedList()->item(0)->data(Qt::UserRole).toString();
            QSignalSpy shown(&w, &ui::MainWindow::imageShown);
            Q_EMIT panel->misclassifiedList()->itemDoubleClicked(panel->misclassifiedList()->item(0));
            QCOMPARE(w.workspaces()->currentIndex(), 0);
            QTRY_VERIFY_WITH_TIMEOUT(shown.count() > 0, 10000);
            QVERIFY(w.annotate()->currentImagePath() == path);
            w.workspaces()->setCurrentWidget(panel);
        }

        // First-layer filters (the sample's auto model, convnet: 16) and the feature maps of the image open in Annotate.
        panel->views()->setCurrentIndex(2);
        QSignalSpy pictures(panel, &ui::TrainPanel::picturesShown);
        QTest::mouseClick(panel->filtersButton(), Qt::LeftButton);
        QVERIFY(pictures.wait(30000));
        QVERIFY(pictures.first().at(0).toBool());
        QCOMPARE(panel->filterGrid()->count(), 16);
        QCOMPARE(panel->featureGrid()->count(), 16);

        // The augmentation preview shows 12 samples as the trainer would see them.
        auto *augment = panel->findChildren<QLineEdit *>().first();
        augment->setText(QStringLiteral("hflip,rotate:25,scale:0.2,gamma,blur"));
        auto *preview = panel->findChildren<QPushButton *>(QString()).last();
        for (auto *b : panel->findChildren<QPushButton *>())
            if (b->text().startsWith(QStringLiteral("Preview"))) preview = b;
        QTest::mouseClick(preview, Qt::LeftButton);
        auto *dialog = panel->findChild<QDialog *>();
        QVERIFY(dialog);
        auto *grid = dialog->findChild<ui::PictureGrid *>();
        QTRY_COMPARE_WITH_TIMEOUT(grid->count(), 12, 30000);
        if (qEnvironmentVariableIsSet("ANNOTRAIN_SCREENSHOT_DIR")) {
            const QString dir = qEnvironmentVariable("ANNOTRAIN_SCREENSHOT_DIR");
            QTest::qWait(300);
            dialog->grab().save(dir + QStringLiteral("/augment-preview.png"));
            QTest::qWait(300);
            w.grab().save(dir + QStringLiteral("/train-filters.png"));
            panel->views()->setCurrentIndex(1);
            QTest::qWait(300);
            w.grab().save(dir + QStringLiteral("/train-confusion.png"));
            panel->views()->setCurrentIndex(0);
            QTest::qWait(300);
            w.grab().save(dir + QStringLiteral("/train-compare.png"));
        }
        dialog->close();

        // Inspect: the newest run predicts the image open in Annotate; its top class can be accepted.
        ui::InspectPanel *inspect = w.inspectPanel();
        QTRY_VERIFY_WITH_TIMEOUT(inspect->runBox()->count() == 2, 10000);
        QSignalSpy predicted(inspect, &ui::InspectPanel::predicted);
        w.workspaces()->setCurrentWidget(inspect);
        QVERIFY(predicted.wait(30000));
        QVERIFY2(predicted.first().at(0).toBool(), qPrintable(inspect->noteText()));
        QCOMPARE(inspect->scores()->count(), 3);
        QVERIFY(inspect->acceptButton()->isEnabled());
        QSignalSpy accepted(inspect, &ui::InspectPanel::labelAccepted);
        QTest::mouseClick(inspect->acceptButton(), Qt::LeftButton);
        QVERIFY2(accepted.count() || accepted.wait(10000), qPrintable(inspect->noteText()));
        const core::Id image = accepted.first().at(0).value<core::Id>();
        auto store = core::ProjectStore::open(*project);
        const QString top = inspect->scores()->item(0)->text().section(QStringLiteral("   "), 0, 0);
        for (const auto &c : must(store->classes()))
            if (c.id == store->image(image)->classId) QCOMPARE(QString::fromStdString(c.name), top);
        if (qEnvironmentVariableIsSet("ANNOTRAIN_SCREENSHOT_DIR")) {
            QTest::qWait(300);
            w.grab().save(qEnvironmentVariable("ANNOTRAIN_SCREENSHOT_DIR") + QStringLiteral("/inspect.png"));
        }
#endif
    }

    // The four tasks, each with the models it trains; the fields a user leaves at "auto"
    // reach the trainer as 0 / "auto" for the recipe to choose, those set by hand as set.
    void tasksModelsAndAutoFields()
    {
#ifndef ANNOTRAIN_WITH_TRAINING
        QSKIP("this build has no training engine");
#else
        ui::TrainPanel panel;
        QCOMPARE(items(panel.taskBox()), (QStringList{QStringLiteral("classification"), QStringLiteral("segmentation"), QStringLiteral("detection"),
                                                     QStringLiteral("instance")}));
        const QString automatic = QStringLiteral("auto");
        const std::pair<QString, QStringList> models[] = {
            {QStringLiteral("detection"), {automatic, QStringLiteral("fasterrcnn_resnet18_fpn"), QStringLiteral("fasterrcnn_resnet50_fpn")}},
            {QStringLiteral("segmentation"), {automatic, QStringLiteral("unet")}},
            {QStringLiteral("instance"), {automatic, QStringLiteral("maskrcnn_resnet18_fpn"), QStringLiteral("maskrcnn_resnet50_fpn")}},
            {QStringLiteral("classification"), {automatic, QStringLiteral("convnet"), QStringLiteral("smallcnn"), QStringLiteral("mlp"),
                                                QStringLiteral("resnet18"), QStringLiteral("resnet34"), QStringLiteral("resnet50")}},
        };
        for (const auto &[task, expected] : models) {
            panel.taskBox()->setCurrentText(task);
            QCOMPARE(items(panel.modelBox()), expected);
            QCOMPARE(QString::fromStdString(panel.config().task), task);
            // Model and augmentations are the recipe's, for every task, until the user picks.
            QCOMPARE(panel.config().model, std::string("auto"));
            QCOMPARE(panel.config().augment, std::string("auto"));
        }
        // The last model of the instance task goes to the trainer as picked.
        panel.taskBox()->setCurrentText(QStringLiteral("instance"));
        panel.modelBox()->setCurrentIndex(2);
        QCOMPARE(panel.config().model, std::string("maskrcnn_resnet50_fpn"));

        // Untouched, the form leaves epochs, batch, size, rate, optimizer and schedule to the data, and says so.
        training::TrainConfig c = panel.config();
        QCOMPARE(c.epochs, 0);
        QCOMPARE(c.batch, 0);
        QCOMPARE(c.imageSize, 0);
        QCOMPARE(c.lr, 0.0);
        QCOMPARE(c.optimizer, std::string("auto"));
        QCOMPARE(c.schedule, std::string("auto"));
        for (QAbstractSpinBox *b : std::initializer_list<QAbstractSpinBox *>{panel.epochsBox(), panel.batchBox(), panel.imageSizeBox(), panel.lrBox()})
            QCOMPARE(b->text(), QStringLiteral("auto"));
        QCOMPARE(panel.optimizerBox()->currentText(), QStringLiteral("auto"));
        QCOMPARE(panel.scheduleBox()->currentText(), QStringLiteral("auto"));

        // Any of them can still be set.
        panel.epochsBox()->setValue(3);
        panel.batchBox()->setValue(2);
        panel.imageSizeBox()->setValue(128);
        panel.lrBox()->setValue(0.005);
        panel.optimizerBox()->setCurrentText(QStringLiteral("adamw"));
        panel.scheduleBox()->setCurrentText(QStringLiteral("none"));
        c = panel.config();
        QCOMPARE(c.epochs, 3);
        QCOMPARE(c.batch, 2);
        QCOMPARE(c.imageSize, 128);
        QCOMPARE(c.lr, 0.005);
        QCOMPARE(c.optimizer, std::string("adamw"));
        QCOMPARE(c.schedule, std::string("none"));
        // And given back to the data.
        panel.batchBox()->setValue(0);
        panel.optimizerBox()->setCurrentIndex(0);
        QCOMPARE(panel.batchBox()->text(), QStringLiteral("auto"));
        QCOMPARE(panel.config().batch, 0);
        QCOMPARE(panel.config().optimizer, std::string("auto"));
#endif
    }

    // A Mask R-CNN run's samples: the loss chart draws each of the five terms beside the
    // total, the validation chart mask AP and box AP per epoch (no val loss: the COCO
    // evaluator has none). A classifier's single term draws no second curve.
    void detectorCurvesLive()
    {
#ifndef ANNOTRAIN_WITH_TRAINING
        QSKIP("this build has no training engine");
#else
        ui::TrainPanel panel;
        panel.taskBox()->setCurrentText(QStringLiteral("instance"));
        for (const auto &m : instanceRunSamples()) panel.onMetrics(m);
        QCOMPARE(panel.lossPointCount(), 6);
        for (const char *term : kDetectorTerms) {
            QLineSeries *s = seriesNamed(panel.lossChart(), QString::fromLatin1(term));
            QVERIFY2(s, term);
            QCOMPARE(s->count(), 6); // the steps; the epochs' means are not steps
            QVERIFY(s->isVisible());
            QVERIFY(s->at(5).y() < s->at(0).y()); // the term fell, and its curve with it
        }
        QVERIFY(seriesNamed(panel.lossChart(), QStringLiteral("loss_mask"))->at(0).y() > seriesNamed(panel.lossChart(), QStringLiteral("loss_objectness"))->at(0).y());
        QLineSeries *mask = seriesNamed(panel.validationChart(), QStringLiteral("val mask AP"));
        QLineSeries *box = seriesNamed(panel.validationChart(), QStringLiteral("val box AP"));
        QVERIFY(mask && box);
        QVERIFY(mask->isVisible() && box->isVisible());
        QCOMPARE(mask->points(), (QList<QPointF>{{1, 0.1}, {2, 0.2}}));
        QCOMPARE(box->points(), (QList<QPointF>{{1, 0.2}, {2, 0.4}}));
        QVERIFY(!seriesNamed(panel.validationChart(), QStringLiteral("val loss"))->isVisible());

        // Detection alone: box AP is the run's own metric.
        ui::TrainPanel boxes;
        boxes.taskBox()->setCurrentText(QStringLiteral("detection"));
        for (auto m : instanceRunSamples()) {
            m.losses.erase("loss_mask");
            for (auto it = m.val.begin(); it != m.val.end();) it = it->first.rfind("segm", 0) == 0 ? m.val.erase(it) : std::next(it);
            boxes.onMetrics(m);
        }
        QVERIFY(seriesNamed(boxes.lossChart(), QStringLiteral("loss_box_reg")));
        QVERIFY(!seriesNamed(boxes.lossChart(), QStringLiteral("loss_mask")));
        QCOMPARE(seriesNamed(boxes.validationChart(), QStringLiteral("val box AP"))->points(), (QList<QPointF>{{1, 0.2}, {2, 0.4}}));
        QVERIFY(!seriesNamed(boxes.validationChart(), QStringLiteral("val mask AP")));

        // A classifier reports one term, the total itself: no curve of its own.
        ui::TrainPanel classifier;
        const int before = static_cast<int>(classifier.lossChart()->series().size());
        training::MetricsSample m;
        m.epoch = 1;
        m.step = 1;
        m.loss = 0.7;
        m.losses = {{"loss_cls", 0.7}};
        classifier.onMetrics(m);
        QCOMPARE(classifier.lossPointCount(), 1);
        QCOMPARE(static_cast<int>(classifier.lossChart()->series().size()), before);
        QVERIFY(!seriesNamed(classifier.lossChart(), QStringLiteral("loss_cls")));
#endif
    }

    // A finished Mask R-CNN run as the trainer writes it: loadRunCurves (the history's and
    // the comparison's reader) gives the total, each term, mask AP and box AP per epoch.
    void detectorCurvesFromMetricsFile()
    {
#ifndef ANNOTRAIN_WITH_TRAINING
        QSKIP("this build has no training engine");
#else
        QTemporaryDir tmp;
        training::TrainConfig config;
        config.task = "instance";
        config.model = "maskrcnn_resnet18_fpn";
        std::ofstream(tmp.filePath(QStringLiteral("config.json")).toStdString()) << training::configJson(config).dump(2);
        {
            training::TrainCallbacks quiet;
            auto storage = training::MetricsStorage::open(tmp.filePath(QStringLiteral("metrics.jsonl")).toStdString(), true, quiet);
            QVERIFY(storage.ok());
            for (const auto &m : instanceRunSamples()) storage->put(m);
        }
        const ui::RunCurves c = ui::loadRunCurves(tmp.path());
        QCOMPARE(c.task, QStringLiteral("instance"));
        QCOMPARE(c.loss.size(), std::size_t(6));
        QCOMPARE(c.terms.size(), std::size(kDetectorTerms));
        for (const char *term : kDetectorTerms) {
            QVERIFY2(c.terms.count(term), term);
            QCOMPARE(c.terms.at(term).size(), std::size_t(6));
        }
        QCOMPARE(c.terms.at("loss_mask").front().y(), 0.5);
        QCOMPARE(c.metricName, QStringLiteral("val mask AP"));
        QCOMPARE(c.metricName2, QStringLiteral("val box AP"));
        QCOMPARE(QList<QPointF>(c.valMetric.begin(), c.valMetric.end()), (QList<QPointF>{{1, 0.1}, {2, 0.2}}));
        QCOMPARE(QList<QPointF>(c.valMetric2.begin(), c.valMetric2.end()), (QList<QPointF>{{1, 0.2}, {2, 0.4}}));
        QVERIFY(c.valLoss.empty());
#endif
    }

    // K-fold from the form: K runs one after another, the charts start afresh for
    // each fold, and the result is the mean and spread, also in kfold.json.
    void kfoldFromTheForm()
    {
#ifndef ANNOTRAIN_WITH_TRAINING
        QSKIP("this build has no training engine");
#else
        QTemporaryDir tmp;
        auto project = core::createSampleProject(tmp.path().toStdString());
        QVERIFY(project.ok());
        ui::MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString(*project)).ok());
        ui::TrainPanel *panel = w.trainPanel();
        w.workspaces()->setCurrentWidget(panel);
        w.show();
        panel->findChildren<QSpinBox *>().first()->setValue(2); // Epochs
        panel->kfoldBox()->setValue(2);
        QSignalSpy finished(panel, &ui::TrainPanel::runFinished);
        QTest::mouseClick(panel->startButton(), Qt::LeftButton);
        QVERIFY(finished.wait(120000));
        QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
        const QString message = finished.first().at(1).toString();
        QVERIFY2(message.contains(QStringLiteral("2-fold cross-validation: val accuracy")) && message.contains(QStringLiteral("±")), qPrintable(message));
        const QFileInfoList runs = QDir(tmp.path() + QStringLiteral("/runs")).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(runs.size(), 1);
        QFile kfold(runs.first().filePath() + QStringLiteral("/kfold.json"));
        QVERIFY(kfold.open(QIODevice::ReadOnly));
        const auto j = nlohmann::json::parse(kfold.readAll().toStdString());
        QCOMPARE(j["folds"].get<int>(), 2);
        QCOMPARE(j["values"].size(), std::size_t(2));
        // The loss chart holds the last fold's steps only: one point per step line of its metrics.jsonl.
        QFile metrics(runs.first().filePath() + QStringLiteral("/fold-2/metrics.jsonl"));
        QVERIFY(metrics.open(QIODevice::ReadOnly));
        int steps = 0;
        for (const QByteArray &line : metrics.readAll().split('\n'))
            steps += !line.isEmpty() && !line.contains("epoch_end");
        QVERIFY(steps > 0);
        QCOMPARE(panel->lossPointCount(), steps);
#endif
    }

    // Inspect on a segmentation run: the predicted areas become model regions of
    // the image open in Annotate, in the store at once, and one undo takes them back.
    void acceptSegmentationAsRegions()
    {
#ifndef ANNOTRAIN_WITH_TRAINING
        QSKIP("this build has no training engine");
#else
        QTemporaryDir tmp;
        auto project = core::createSampleProject(tmp.path().toStdString());
        QVERIFY(project.ok());
        training::TrainConfig c;
        c.project = *project;
        c.task = "segmentation";
        c.model = "unet";
        c.imageSize = 32;
        c.epochs = 12;
        c.batch = 8;
        c.lr = 3e-3;
        c.optimizer = "adam";
        c.augment = "hflip,vflip";
        c.seed = 5;
        c.outDir = tmp.filePath(QStringLiteral("runs/seg")).toStdString();
        auto run = training::train(c);
        QVERIFY2(run.ok(), run.ok() ? "" : run.error().toString().c_str());
        { // a colour of the user's own, not the default palette
            auto store = core::ProjectStore::open(*project);
            QVERIFY(store->setClassColor(must(store->classes())[1].id, "#123456").ok());
        }

        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(*project)).ok());
        w.show();
        QVERIFY(shown.wait(10000));
        annotation::Document *doc = w.annotate()->document();
        const core::Id image = doc->image();
        const std::size_t before = doc->regions().size();
        ui::InspectPanel *inspect = w.inspectPanel();
        QTRY_VERIFY_WITH_TIMEOUT(inspect->runBox()->count() == 1, 10000);
        QSignalSpy predicted(inspect, &ui::InspectPanel::predicted);
        w.workspaces()->setCurrentWidget(inspect);
        QVERIFY(predicted.wait(30000));
        QVERIFY2(predicted.first().at(0).toBool(), qPrintable(inspect->noteText()));
        const std::size_t proposed = inspect->proposedRegions().size();
        QVERIFY2(proposed > 0, qPrintable(inspect->noteText()));
        QCOMPARE(inspect->acceptButton()->text(), QStringLiteral("Accept as Regions"));
        // The legend (and the overlay) use the project's class colours, as Annotate does.
        QCOMPARE(inspect->scores()->count(), 3);
        for (const auto &cls : must(core::ProjectStore::open(*project)->classes())) {
            const auto found = inspect->scores()->findItems(QString::fromStdString(cls.name), Qt::MatchExactly);
            QCOMPARE(found.size(), 1);
            QCOMPARE(found.first()->background().color(), QColor(QString::fromStdString(cls.color)));
        }
        QVERIFY(inspect->acceptButton()->isEnabled());

        QTest::mouseClick(inspect->acceptButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(doc->regions().size(), before + proposed, 5000);
        auto store = core::ProjectStore::open(*project);
        const std::vector<core::Region> stored = must(store->regions(image));
        QCOMPARE(stored.size(), before + proposed);
        std::set<core::Id> classIds;
        for (const auto &cls : must(store->classes())) classIds.insert(cls.id);
        for (std::size_t i = before; i < stored.size(); ++i) {
            QCOMPARE(stored[i].origin, core::Origin::Model);
            QVERIFY(stored[i].score > 0 && stored[i].score <= 1);
            QVERIFY(classIds.count(stored[i].classId)); // named after the project's classes
            const core::Box b = stored[i].shape.boundingBox();
            QVERIFY(b.x >= 0 && b.y >= 0 && b.right() <= 128 && b.bottom() <= 128); // in the image's own pixels
        }
        doc->undoStack()->undo();
        QCOMPARE(doc->regions().size(), before);
        QCOMPARE(must(core::ProjectStore::open(*project)->regions(image)).size(), before);
#endif
    }
};

QTEST_MAIN(TestTrainPanel)
#include "tst_train_panel.moc"
