// The Train workspace: Start runs training on a worker thread while the GUI
// thread stays free, the loss chart receives points, Pause holds the run, Stop
// ends it and keeps the last checkpoint. Runs land in the history, a second
// run's curves overlay, the confusion matrix lists the images behind a cell and
// opens them in Annotate, and the first-layer filters and feature maps show.
// Inspect accepts a segmentation prediction as regions, one undo step.
#include "core/sample_project.h"
#include "annotation/canvas.h"
#include "tests/must.h"
#include "ui/annotateworkspace.h"
#include "ui/mainwindow.h"
#ifdef ANNOTRAIN_WITH_TRAINING
#include "core/project_store.h"
#include "ui/confusionview.h"
#include "ui/inspectpanel.h"
#include "ui/picturegrid.h"
#include "ui/trainpanel.h"

#include <QDir>
#include <QFile>
#include <QUndoStack>
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
        QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
        QTest::qWait(300); // let the step in flight land
        const int paused = panel->lossPointCount();
        QTest::qWait(700);
        QCOMPARE(panel->lossPointCount(), paused);
        QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(panel->lossPointCount() > paused, 30000);
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

        // First-layer filters (smallcnn: 32) and the feature maps of the image open in Annotate.
        panel->views()->setCurrentIndex(2);
        QSignalSpy pictures(panel, &ui::TrainPanel::picturesShown);
        QTest::mouseClick(panel->filtersButton(), Qt::LeftButton);
        QVERIFY(pictures.wait(30000));
        QVERIFY(pictures.first().at(0).toBool());
        QCOMPARE(panel->filterGrid()->count(), 32);
        QCOMPARE(panel->featureGrid()->count(), 32);

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
        QVERIFY(predicted.first().at(0).toBool());
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
