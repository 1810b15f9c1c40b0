// The Dataset menu's dialogs on the sample project: a seeded split lands in the
// store, statistics draw their charts, and the validation report lists a
// degenerate (bow-tie) polygon and jumps to it in the editor when double-clicked.
#include "core/project_store.h"
#include "tests/must.h"
#include "core/sample_project.h"
#include "ui/datasetdialogs.h"
#include "annotation/canvas.h"
#include "ui/annotateworkspace.h"
#include "ui/mainwindow.h"

#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

class TestDatasetDialogs : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_project;

private Q_SLOTS:
    void initTestCase()
    {
        auto p = core::createSampleProject(m_dir.path().toStdString());
        QVERIFY(p.ok());
        m_project = QString::fromStdString(*p);
    }

    void splitIsStored()
    {
        ui::SplitDialog d(m_project);
        d.setRatios(0.5, 0.25, 0.25);
        d.setSeed(3);
        d.setStratify(false);
        QSignalSpy applied(&d, &ui::SplitDialog::applied);
        d.apply();
        QVERIFY(applied.wait(10000));
        QVERIFY2(applied.first().at(0).toBool(), qPrintable(applied.first().at(1).toString()));
        std::map<core::Split, int> n;
        for (const auto &im : must(core::ProjectStore::open(m_project.toStdString())->images())) ++n[im.split];
        QCOMPARE(n[core::Split::Train], 24);
        QCOMPARE(n[core::Split::Val], 12);
        QCOMPARE(n[core::Split::Test], 12);
        QVERIFY(d.resultText().contains(QStringLiteral("train 24")));
        // Ratios that do not add up are refused and change nothing.
        d.setRatios(0.5, 0.5, 0.5);
        applied.clear();
        d.apply();
        QCOMPARE(applied.count(), 1);
        QVERIFY(!applied.first().at(0).toBool());
        QCOMPARE(must(core::ProjectStore::open(m_project.toStdString())->images()).front().split,
                 must(core::ProjectStore::open(m_project.toStdString())->images()).front().split);
    }

    void statisticsDrawCharts()
    {
        ui::StatsDialog d(m_project);
        QSignalSpy loaded(&d, &ui::StatsDialog::loaded);
        QVERIFY(loaded.wait(10000));
        QVERIFY2(d.chartCount() == 3, qPrintable(d.summaryText()));
        if (qEnvironmentVariableIsSet("ANNOTRAIN_SCREENSHOT_DIR")) {
            d.show();
            QTest::qWait(300);
            d.grab().save(qEnvironmentVariable("ANNOTRAIN_SCREENSHOT_DIR") + QStringLiteral("/dataset-stats.png"));
        }
    }

    void validationJumpsToTheRegion()
    {
        // A bow-tie polygon on the fourth image: its two lobes cancel, zero area.
        auto store = core::ProjectStore::open(m_project.toStdString());
        const core::ImageInfo target = must(store->images())[3];
        core::Region bow;
        bow.imageId = target.id;
        bow.shape = *core::Shape::polygon({{10, 10}, {50, 50}, {50, 10}, {10, 50}});
        QVERIFY(store->addRegions({bow}).ok());
        const int index = static_cast<int>(must(store->regions(target.id)).size()) - 1;

        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(m_project).ok());
        QVERIFY(shown.wait(5000));
        ui::ValidationDialog d(m_project);
        connect(&d, &ui::ValidationDialog::jumpTo, w.annotate(), &ui::AnnotateWorkspace::showProblem);
        QSignalSpy done(&d, &ui::ValidationDialog::finished);
        QVERIFY(done.wait(20000));
        int row = -1;
        for (int r = 0; r < d.table()->rowCount(); ++r)
            if (d.table()->item(r, 1)->text() == QStringLiteral("degenerate_shape") && d.table()->item(r, 2)->text() == QString::fromStdString(target.relPath))
                row = r;
        QVERIFY2(row >= 0, "the bow-tie is not in the report");
        QCOMPARE(d.table()->item(row, 3)->data(Qt::UserRole).toInt(), index);
        if (qEnvironmentVariableIsSet("ANNOTRAIN_SCREENSHOT_DIR")) {
            d.show();
            QTest::qWait(300);
            d.grab().save(qEnvironmentVariable("ANNOTRAIN_SCREENSHOT_DIR") + QStringLiteral("/validation.png"));
        }
        shown.clear();
        Q_EMIT d.table()->cellDoubleClicked(row, 0);
        QVERIFY(shown.wait(5000));
        QCOMPARE(w.annotate()->currentImagePath(), QString::fromStdString(target.absPath));
        QCOMPARE(w.annotate()->selection().size(), std::size_t(1));
        QCOMPARE(w.annotate()->document()->region(w.annotate()->selection().front())->shape, bow.shape);
    }
};

QTEST_MAIN(TestDatasetDialogs)
#include "tst_dataset_dialogs.moc"
