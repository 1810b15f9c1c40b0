// What a labeller expects (issue 8, item 6), in the main window as they would use it:
// the selected region's class is shown in the attribute panel and changed there in
// one undo step; a polygon selected shows its vertex handles; Ctrl+Y redoes; back
// on the Annotate tab, D goes to the next image instead of typing into the search
// box; another project's Train tab shows none of the previous project's curves and
// log; the epoch axis has a tick at every labelled whole epoch and nowhere else; the
// ETA is shown only while a run goes, not while it is paused or after it stopped.
#include "annotation/canvas.h"
#include "annotation/selection.h"
#include "annotation/selectionlayer.h"
#include "core/sample_project.h"
#include "tests/must.h"
#include "ui/annotateworkspace.h"
#include "ui/attributeeditor.h"
#include "ui/datasetmodel.h"
#include "ui/datasetpanel.h"
#include "ui/fileactions.h"
#include "ui/mainwindow.h"
#ifdef ANNOTRAIN_WITH_TRAINING
#include "ui/trainpanel.h"
#include <QChart>
#include <QLineSeries>
#include <QValueAxis>
#endif

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <fstream>

class TestLabeller : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string m_project;

    bool openShown(ui::MainWindow &w, const std::string &project)
    {
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        if (!w.openProject(QString::fromStdString(project)).ok()) return false;
        w.resize(1100, 760);
        w.show();
        if (!QTest::qWaitForWindowActive(&w)) return false;
        return shown.count() || shown.wait(10000);
    }
    static QPoint at(ui::MainWindow &w, double x, double y) { return w.annotate()->canvas()->mapFromScene(QPointF(x, y)); }

#ifdef ANNOTRAIN_WITH_TRAINING
    // A project whose history holds one finished run of `epochs` epochs (its metrics.jsonl as the trainer writes it).
    std::string projectWithRun(const char *name, int epochs)
    {
        const std::string dir = m_dir.filePath(QString::fromLatin1(name)).toStdString();
        auto p = core::createSampleProject(dir);
        if (!p) return {};
        const std::string runDir = dir + "/runs/r1";
        QDir().mkpath(QString::fromStdString(runDir));
        std::ofstream metrics(runDir + "/metrics.jsonl");
        for (int e = 1; e <= epochs; ++e) {
            for (int s = 1; s <= 4; ++s)
                metrics << R"({"epoch": )" << e << R"(, "step": )" << (e - 1) * 4 + s << R"(, "loss": )" << 1.0 / (e * s) << R"(, "lr": 0.01})" << "\n";
            metrics << R"({"epoch": )" << e << R"(, "step": )" << e * 4 << R"(, "epoch_end": true, "val_accuracy": )" << 0.3 + 0.1 * e << R"(, "val_loss": 0.8})" << "\n";
        }
        metrics.close();
        core::RunRecord run;
        run.name = "r1";
        run.dir = runDir;
        run.config = {{"model", "smallcnn"}, {"task", "classification"}};
        run.summary = {{"status", "finished"}};
        auto store = core::ProjectStore::open(*p);
        if (!store || !store->addRun(run)) return {};
        return *p;
    }
#endif

private Q_SLOTS:
    void initTestCase()
    {
        auto p = core::createSampleProject(m_dir.filePath(QStringLiteral("sample")).toStdString());
        QVERIFY(p.ok());
        m_project = *p;
    }

    // Before a project is open the panel offers no class box to pick from.
    void noClassBoxWithoutAProject()
    {
        ui::MainWindow w;
        w.show();
        ui::AttributeEditor *editor = w.annotate()->attributeEditor();
        QVERIFY(!editor->classBox()->isVisibleTo(editor));
        QVERIFY(openShown(w, m_project));
        QVERIFY(!w.annotate()->document()->regions().empty());
        w.annotate()->setSelection({w.annotate()->document()->regions().front().id});
        QTRY_VERIFY(editor->classBox()->isVisibleTo(editor));
    }

    void classShownAndChangedInPlace()
    {
        ui::MainWindow w;
        QVERIFY(openShown(w, m_project));
        ui::AnnotateWorkspace *a = w.annotate();
        annotation::Document *doc = a->document();
        QVERIFY(!doc->regions().empty());
        const core::Region r = doc->regions().front();
        a->setSelection({r.id});
        QComboBox *box = a->attributeEditor()->classBox();
        QTRY_VERIFY(box->isVisibleTo(a->attributeEditor()) && box->currentData().toLongLong() == r.classId); // shown
        // Another class, picked in the box: one undo step, in the store.
        const auto classes = must(doc->store().classes());
        core::Id other = 0;
        for (const auto &c : classes)
            if (c.id != r.classId) other = c.id;
        const int before = doc->undoStack()->index();
        const int index = box->findData(QVariant::fromValue<qlonglong>(other));
        box->setCurrentIndex(index);
        Q_EMIT box->activated(index);
        QCOMPARE(doc->region(r.id)->classId, other);
        QCOMPARE(doc->undoStack()->index(), before + 1);
        for (const auto &stored : must(core::ProjectStore::open(m_project)->regions(doc->image())))
            if (stored.id == r.id) QCOMPARE(stored.classId, other);
        doc->undoStack()->undo();
        QCOMPARE(doc->region(r.id)->classId, r.classId);
        QTRY_COMPARE(box->currentData().toLongLong(), r.classId); // the panel follows the undo
        // With several selected the panel edits none: the box goes.
        if (doc->regions().size() < 2) {
            core::Region extra;
            extra.shape = *core::Shape::rect(1, 1, 5, 5);
            doc->addRegion(extra);
        }
        a->setSelection({doc->regions()[0].id, doc->regions()[1].id});
        QTRY_VERIFY(!box->isVisibleTo(a->attributeEditor()));
    }

    void selectedPolygonShowsHandles()
    {
        ui::MainWindow w;
        QVERIFY(openShown(w, m_project));
        ui::AnnotateWorkspace *a = w.annotate();
        a->canvas()->fitInView(0, 0, 128, 128, Qt::KeepAspectRatio);
        core::Region r;
        r.shape = *core::Shape::polygon({{20, 20}, {70, 25}, {60, 70}, {25, 60}, {15, 40}});
        a->document()->addRegion(r);
        a->setTool(ui::AnnotateWorkspace::Tool::Select);
        QTest::mouseClick(a->canvas()->viewport(), Qt::LeftButton, {}, at(w, 40, 45));
        QCOMPARE(a->selection(), std::vector<core::Id>{a->document()->regions().back().id});
        QCOMPARE(a->canvas()->selectionLayer()->handleCount(), 5);
        // They are on the canvas where the vertices are: each takes the mouse.
        for (const core::Point &v : a->document()->regions().back().shape.vertices()) {
            bool found = false;
            for (QGraphicsItem *item : a->canvas()->items(at(w, v.x, v.y)))
                found |= item->isVisible() && item->parentItem() == a->canvas()->selectionLayer() && item->acceptedMouseButtons() & Qt::LeftButton;
            QVERIFY2(found, qPrintable(QStringLiteral("no handle at %1,%2").arg(v.x).arg(v.y)));
        }
    }

    void ctrlYRedoes()
    {
        ui::MainWindow w;
        QVERIFY(openShown(w, m_project));
        annotation::Document *doc = w.annotate()->document();
        core::Region r;
        r.shape = *core::Shape::rect(5, 5, 20, 20);
        doc->addRegion(r);
        const std::size_t n = doc->regions().size();
        w.annotate()->canvas()->setFocus();
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(doc->regions().size(), n - 1);
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_Y, Qt::ControlModifier);
        QCOMPARE(doc->regions().size(), n);
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_Z, Qt::ControlModifier);
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier); // the desktop's own redo key too
        QCOMPARE(doc->regions().size(), n);
    }

    void dAfterTheTabSwitchGoesToTheNextImage()
    {
        ui::MainWindow w;
        QVERIFY(openShown(w, m_project));
        if (w.workspaces()->count() < 2) QSKIP("one workspace only in this build");
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        const QString first = w.annotate()->currentImagePath();
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget *>(w.annotate()->canvas())); // from the start
        // The user filtered the list a moment ago: the search box had the focus when they left the tab.
        QLineEdit *search = w.annotate()->datasetPanel()->searchBox();
        search->setFocus(Qt::MouseFocusReason);
        QTest::keyClicks(search, QStringLiteral("shape"));
        search->clear();
        w.workspaces()->setCurrentIndex(1);
        QApplication::processEvents();
        // The user works in the other tab: a field there has the focus.
        for (QWidget *f : w.workspaces()->currentWidget()->findChildren<QWidget *>())
            if (f->isVisible() && f->focusPolicy() & Qt::ClickFocus) {
                f->setFocus(Qt::MouseFocusReason);
                break;
            }
        QVERIFY(w.workspaces()->currentWidget()->isAncestorOf(QApplication::focusWidget()));
        w.workspaces()->setCurrentIndex(0);
        QApplication::processEvents();
        QWidget *focus = QApplication::focusWidget();
        QVERIFY(focus);
        QVERIFY2(focus != w.annotate()->datasetPanel()->searchBox(), "the search box took the focus");
        QCOMPARE(focus, static_cast<QWidget *>(w.annotate()->canvas())); // where D, A and 1-9 mean something
        QTest::keyClick(focus, Qt::Key_D);
        QVERIFY(shown.wait(5000));
        QVERIFY(w.annotate()->currentImagePath() != first);
        QVERIFY(w.annotate()->datasetPanel()->searchBox()->text().isEmpty());
        QCOMPARE(w.annotate()->datasetFilter()->rowCount(), w.annotate()->imageCount());
    }

    // File › Add Image Folder on a new, empty project: the first image goes on the canvas
    // (before, the list filled and the canvas stayed empty until a row was clicked).
    void addedImagesShowTheFirstOne()
    {
        const std::string project = m_dir.filePath(QStringLiteral("empty.atproj")).toStdString();
        QVERIFY(core::ProjectStore::create(project).ok());
        ui::MainWindow w;
        QVERIFY(w.openProject(QString::fromStdString(project)).ok());
        w.show();
        QVERIFY(w.annotate()->currentImagePath().isEmpty());
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        w.fileActions()->addImageFolder(m_dir.filePath(QStringLiteral("sample/images")));
        QVERIFY(shown.wait(10000));
        QVERIFY(w.annotate()->imageCount() > 1);
        QCOMPARE(shown.first().at(0).toInt(), 0);
        QVERIFY(!w.annotate()->currentImagePath().isEmpty());
        QCOMPARE(w.annotate()->datasetPanel()->list()->selectionModel()->selectedRows().size(), 1);
    }

    // D moves the list's highlight: the view is told that the row it leaves is no longer
    // selected (with the selection model's signals blocked it was not, and kept painting
    // the old row highlighted beside the new one).
    void walkingTheListMovesTheHighlight()
    {
        ui::MainWindow w;
        QVERIFY(openShown(w, m_project));
        QListView *list = w.annotate()->datasetPanel()->list();
        const QModelIndex first = list->currentIndex();
        QVERIFY(first.isValid());
        QSignalSpy changed(list->selectionModel(), &QItemSelectionModel::selectionChanged);
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_D);
        QVERIFY(shown.wait(5000));
        QVERIFY(list->currentIndex() != first);
        bool toldDeselected = false;
        for (const auto &args : changed)
            toldDeselected |= args.at(1).value<QItemSelection>().contains(first);
        QVERIFY2(toldDeselected, "the view was not told that the first row left the selection");
        QCOMPARE(list->selectionModel()->selectedRows(), QModelIndexList{list->currentIndex()});
    }

#ifdef ANNOTRAIN_WITH_TRAINING
    void anotherProjectShowsNoneOfTheLastOnesRun()
    {
        const std::string a = projectWithRun("withrun", 3);
        QVERIFY(!a.empty());
        ui::MainWindow w;
        ui::TrainPanel *train = w.trainPanel();
        QSignalSpy history(train, &ui::TrainPanel::historyLoaded);
        QVERIFY(openShown(w, a));
        QVERIFY(history.count() || history.wait(5000));
        QTRY_VERIFY(train->lossPointCount() == 12); // the run's curves
        train->log()->appendPlainText(QStringLiteral("a line of this project's run"));
        // The honest epoch axis of a 3-epoch run: ticks at 0, 1, 2, 3 and only there.
        QValueAxis *epochs = train->epochAxis();
        QCOMPARE(epochs->tickType(), QValueAxis::TicksDynamic);
        QCOMPARE(epochs->tickAnchor(), 0.0);
        QCOMPARE(epochs->tickInterval(), 1.0);
        QCOMPARE(epochs->min(), 0.0);
        QCOMPARE(epochs->max(), 3.0);
        QCOMPARE(epochs->labelFormat(), QStringLiteral("%d"));

        history.clear();
        QVERIFY(w.openProject(QString::fromStdString(m_project)).ok());
        QVERIFY(history.count() || history.wait(5000));
        QCOMPARE(history.last().at(0).toInt(), 0);
        QCOMPARE(train->lossPointCount(), 0);
        QVERIFY(train->log()->toPlainText().isEmpty());
        QCOMPARE(train->runList()->count(), 0);
        QVERIFY(train->compareBox()->count() <= 1);
        // An empty history's axis counts whole epochs too (it read "0 0 0 0 1").
        QCOMPARE(epochs->tickType(), QValueAxis::TicksDynamic);
        QCOMPARE(epochs->tickInterval(), 1.0);
        QCOMPARE(epochs->max(), 1.0);
    }

    void aFreshTrainTabCountsWholeEpochs()
    {
        ui::MainWindow w;
        QValueAxis *epochs = w.trainPanel()->epochAxis();
        QCOMPARE(epochs->tickType(), QValueAxis::TicksDynamic);
        QCOMPARE(epochs->tickAnchor(), 0.0);
        QCOMPARE(epochs->tickInterval(), 1.0);
        QCOMPARE(epochs->max(), 1.0);
    }

    void epochTicksForLongerRuns()
    {
        const std::string p = projectWithRun("longrun", 23);
        ui::MainWindow w;
        QSignalSpy history(w.trainPanel(), &ui::TrainPanel::historyLoaded);
        QVERIFY(openShown(w, p));
        QVERIFY(history.count() || history.wait(5000));
        QValueAxis *epochs = w.trainPanel()->epochAxis();
        QTRY_COMPARE(epochs->tickInterval(), 5.0); // 0, 5, 10, 15, 20, 25: whole and round
        QCOMPARE(epochs->max(), 25.0);
        QCOMPARE(std::fmod(epochs->max(), epochs->tickInterval()), 0.0);
    }

    void etaOnlyWhileRunning()
    {
        ui::MainWindow w;
        QVERIFY(openShown(w, m_project));
        ui::TrainPanel *panel = w.trainPanel();
        w.workspaces()->setCurrentWidget(panel);
        panel->findChildren<QSpinBox *>().first()->setValue(200); // epochs: it runs until stopped
        QSignalSpy finished(panel, &ui::TrainPanel::runFinished);
        QTest::mouseClick(panel->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(panel->progressText()->text().contains(QStringLiteral("ETA")), 30000);
        QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
        QVERIFY(!panel->progressText()->text().contains(QStringLiteral("ETA")));
        QVERIFY(panel->progressText()->text().contains(QStringLiteral("paused")));
        QTest::qWait(500); // a step still in flight lands: still no ETA
        QVERIFY2(!panel->progressText()->text().contains(QStringLiteral("ETA")), qPrintable(panel->progressText()->text()));
        QTest::mouseClick(panel->pauseButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(panel->progressText()->text().contains(QStringLiteral("ETA")), 30000);
        QTest::mouseClick(panel->stopButton(), Qt::LeftButton);
        QVERIFY(finished.wait(30000));
        QVERIFY(!panel->progressText()->text().isEmpty()); // where it got to stays...
        QVERIFY2(!panel->progressText()->text().contains(QStringLiteral("ETA")), qPrintable(panel->progressText()->text())); // ...without a time of arrival
    }
#endif
};

QTEST_MAIN(TestLabeller)
#include "tst_labeller.moc"
