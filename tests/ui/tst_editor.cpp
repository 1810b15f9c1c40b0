// Drawing on the canvas with the mouse and keyboard, as a person would: a polygon
// by clicks closed on its first vertex or with Enter, Backspace and Esc while
// drawing, a box by dragging, select + drag (one undo step) + Delete, undo and
// redo, switching images, and the work found in the store after reopening; a
// process killed with SIGKILL in the middle of a polygon keeps every finished edit.
#include "core/sample_project.h"
#include "tests/must.h"
#include "ui/attributeeditor.h"
#include "annotation/canvas.h"
#include "ui/annotateworkspace.h"
#include "ui/mainwindow.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>

#include <QApplication>
#include <QProcess>
#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QGraphicsView>
#include <QWheelEvent>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <csignal>
#include <sys/resource.h>
#include <unistd.h>

class TestEditor : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string m_project;

    // Viewport position of an image pixel.
    static QPoint at(ui::MainWindow &w, double x, double y) { return w.annotate()->canvas()->mapFromScene(QPointF(x, y)); }
    static void click(ui::MainWindow &w, double x, double y) { QTest::mouseClick(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, x, y)); }
    // Opens the sample in a shown window and waits until the first image is on the canvas.
    bool openShown(ui::MainWindow &w, QSignalSpy &shown)
    {
        if (!w.openProject(QString::fromStdString(m_project)).ok()) return false;
        w.resize(1000, 700);
        w.show();
        if (!QTest::qWaitForWindowExposed(&w)) return false;
        return QTest::qWaitFor([&] { return shown.count() >= 1; }, 5000);
    }
    // Opens the sample shown, then image `row` fitted to the view (the sample's are 128 x 128).
    bool openAtRow(ui::MainWindow &w, QSignalSpy &shown, int row)
    {
        if (!openShown(w, shown)) return false;
        w.annotate()->showImage(row);
        if (!QTest::qWaitFor([&] { return shown.count() >= 2; }, 5000)) return false;
        w.annotate()->canvas()->fitInView(0, 0, 128, 128, Qt::KeepAspectRatio);
        return true;
    }
    static std::size_t storedRegions(const std::string &project, core::Id image) { return must(core::ProjectStore::open(project)->regions(image)).size(); }

private Q_SLOTS:
    void initTestCase()
    {
        auto p = core::createSampleProject(m_dir.path().toStdString());
        QVERIFY(p.ok());
        m_project = *p;
    }

    void zoomPanAndNextImageKeepZoom()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(openShown(w, shown));
        const double fitted = w.annotate()->canvas()->transform().m11();
        // Wheel up zooms in around the cursor.
        QWheelEvent wheel(QPointF(200, 200), w.annotate()->canvas()->viewport()->mapToGlobal(QPointF(200, 200)), {}, QPoint(0, 240), Qt::NoButton, {},
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(w.annotate()->canvas()->viewport(), &wheel);
        const double zoomed = w.annotate()->canvas()->transform().m11();
        QVERIFY(zoomed > fitted * 1.2);
        // D goes to the next image and keeps the zoom; A comes back.
        w.annotate()->canvas()->setFocus();
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_D);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 2, 5000);
        QCOMPARE(shown.last().at(0).toInt(), 1);
        QCOMPARE(w.annotate()->canvas()->transform().m11(), zoomed);
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_A);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 3, 5000);
        QCOMPARE(shown.last().at(0).toInt(), 0);
    }

    void vertexEditing()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(openAtRow(w, shown, 5));
        annotation::Document *doc = w.annotate()->document();
        core::Region r;
        r.shape = *core::Shape::polygon({{10, 10}, {60, 10}, {60, 60}, {10, 60}});
        doc->addRegion(r);
        const core::Id id = doc->regions().back().id;
        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Select);
        click(w, 35, 35); // select it
        // Drag vertex 2 from (60,60) to (80,70) in steps: one undo step.
        const int before = doc->undoStack()->index();
        QTest::mousePress(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 60, 60));
        for (int k = 1; k <= 4; ++k)
            QTest::mouseMove(w.annotate()->canvas()->viewport(), at(w, 60 + 5 * k, 60 + 2.5 * k));
        QTest::mouseRelease(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 80, 70));
        QCOMPARE(doc->undoStack()->index(), before + 1);
        const core::Point moved = doc->region(id)->shape.vertices()[2];
        QVERIFY(std::abs(moved.x - 80) < 1.0 && std::abs(moved.y - 70) < 1.0);
        // Double-click the top edge inserts a vertex there.
        QTest::mouseDClick(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 35, 10));
        QCOMPARE(doc->region(id)->shape.vertices().size(), std::size_t(5));
        QVERIFY(std::abs(doc->region(id)->shape.vertices()[1].y - 10) < 1.0);
        // Shift+click deletes a vertex; a polygon keeps at least three.
        QTest::mouseClick(w.annotate()->canvas()->viewport(), Qt::LeftButton, Qt::ShiftModifier, at(w, 10, 60));
        QCOMPARE(doc->region(id)->shape.vertices().size(), std::size_t(4));
        doc->undoStack()->undo();
        QCOMPARE(doc->region(id)->shape.vertices().size(), std::size_t(5));
        QCOMPARE(must(core::ProjectStore::open(m_project)->regions(doc->image())).back().shape.vertices().size(), std::size_t(5));
    }

    // Polyline, point, circle and ellipse by mouse; multi-select with Ctrl+click and one move;
    // copy onto another image and paste; every step undoable and in the store.
    void otherToolsMultiSelectCopyPaste()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(openShown(w, shown));
        w.annotate()->showImage(7);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 2, 5000);
        w.annotate()->canvas()->fitInView(0, 0, 128, 128, Qt::KeepAspectRatio);
        w.annotate()->canvas()->setFocus();
        annotation::Document *doc = w.annotate()->document();
        const std::size_t start = doc->regions().size();

        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Polyline);
        click(w, 10, 100);
        click(w, 30, 110);
        click(w, 50, 100);
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_Return);
        QCOMPARE(doc->regions().size(), start + 1);
        QCOMPARE(doc->regions().back().shape.type(), core::ShapeType::Polyline);
        QCOMPARE(doc->regions().back().shape.vertices().size(), std::size_t(3));

        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Point);
        click(w, 100, 20);
        QCOMPARE(doc->regions().back().shape.type(), core::ShapeType::Point);
        QVERIFY(std::abs(doc->regions().back().shape.params()[0] - 100) < 1.0);

        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Circle);
        QTest::mousePress(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 30, 30));
        QTest::mouseMove(w.annotate()->canvas()->viewport(), at(w, 40, 30));
        QTest::mouseRelease(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 42, 30));
        const core::Region circle = doc->regions().back();
        QCOMPARE(circle.shape.type(), core::ShapeType::Circle);
        QVERIFY(std::abs(circle.shape.params()[2] - 12) < 1.0);

        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Ellipse);
        QTest::mousePress(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 60, 60));
        QTest::mouseMove(w.annotate()->canvas()->viewport(), at(w, 80, 65));
        QTest::mouseRelease(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 100, 80));
        const core::Region ellipse = doc->regions().back();
        QCOMPARE(ellipse.shape.type(), core::ShapeType::Ellipse);
        QVERIFY(std::abs(ellipse.shape.params()[0] - 80) < 1.0 && std::abs(ellipse.shape.params()[2] - 20) < 1.0 &&
                std::abs(ellipse.shape.params()[3] - 10) < 1.0);
        QCOMPARE(doc->regions().size(), start + 4);
        QCOMPARE(storedRegions(m_project, doc->image()), start + 4);

        // Ctrl+click selects the circle and the ellipse; one drag moves both as one undo step.
        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Select);
        click(w, 30, 30);
        QTest::mouseClick(w.annotate()->canvas()->viewport(), Qt::LeftButton, Qt::ControlModifier, at(w, 80, 70));
        QCOMPARE(w.annotate()->selection().size(), std::size_t(2));
        const int before = doc->undoStack()->index();
        QTest::mousePress(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 30, 30));
        for (int k = 1; k <= 5; ++k) QTest::mouseMove(w.annotate()->canvas()->viewport(), at(w, 30 + k, 30 + 2 * k));
        QTest::mouseRelease(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 35, 40));
        QCOMPARE(doc->undoStack()->index(), before + 1);
        QVERIFY(std::abs(doc->region(circle.id)->shape.params()[0] - 35) < 1.0);
        QVERIFY(std::abs(doc->region(ellipse.id)->shape.params()[1] - 80) < 1.0);
        doc->undoStack()->undo();
        QVERIFY(std::abs(doc->region(circle.id)->shape.params()[0] - 30) < 1.0);
        QVERIFY(std::abs(doc->region(ellipse.id)->shape.params()[1] - 70) < 1.0);

        // Copy both, go to the next image, paste: the same shapes and classes, selected, in the store.
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_C, Qt::ControlModifier);
        const core::Id from = doc->image();
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_D);
        QTRY_VERIFY_WITH_TIMEOUT(doc->image() != from && shown.count() >= 3, 5000);
        const std::size_t there = doc->regions().size();
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_V, Qt::ControlModifier);
        QCOMPARE(doc->regions().size(), there + 2);
        QCOMPARE(w.annotate()->selection().size(), std::size_t(2));
        QCOMPARE(doc->region(w.annotate()->selection()[0])->shape, circle.shape);
        QCOMPARE(doc->region(w.annotate()->selection()[1])->classId, ellipse.classId);
        QCOMPARE(storedRegions(m_project, doc->image()), there + 2);
        // Delete removes the whole selection; undo brings it back.
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_Delete);
        QCOMPARE(doc->regions().size(), there);
        doc->undoStack()->undo();
        QCOMPARE(doc->regions().size(), there + 2);
        // A class's hotkey (Dataset › Classes) sets the class of the selection.
        const auto classes = must(doc->store().classes());
        QVERIFY(doc->store().setClassHotkey(classes.back().id, '7').ok());
        QVERIFY(w.openProject(QString::fromStdString(m_project)).ok()); // the palette reads the hotkeys
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() >= 4, 5000);
        doc = w.annotate()->document();
        w.annotate()->setSelection({doc->regions().front().id});
        w.annotate()->canvas()->setFocus();
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_7);
        QCOMPARE(doc->region(w.annotate()->selection().front())->classId, classes.back().id);
        // Labels on and off.
        const auto texts = [&] {
            int n = 0;
            for (auto *item : w.annotate()->canvas()->scene()->items()) n += item->data(1).toBool();
            return n;
        };
        QCOMPARE(texts(), 0);
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_L, Qt::ControlModifier);
        QCOMPARE(texts(), static_cast<int>(doc->regions().size()));
    }

    // The attribute editor follows the schema; each edit, the schema's too, is an undo step in the store.
    void attributesFromTheSchema()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(openShown(w, shown));
        annotation::Document *doc = w.annotate()->document();
        core::AttributeDef note, flags, quality;
        note.name = "note";
        flags.name = "flags";
        flags.type = "checkbox";
        flags.options = {{"blurred", "blurred"}, {"occluded", "occluded"}};
        quality.scope = "image";
        quality.name = "quality";
        quality.type = "dropdown";
        quality.options = {{"good", "good"}, {"bad", "bad"}};
        const std::size_t schemaBefore = must(doc->store().attributeSchema()).size();
        QVERIFY(doc->setAttributeSchema(QStringLiteral("Add attributes"), {note, flags, quality}).ok());
        QVERIFY(!doc->regions().empty());
        const core::Id id = doc->regions().front().id;
        w.annotate()->setSelection({id});
        ui::AttributeEditor *ed = w.annotate()->attributeEditor();
        QTRY_VERIFY_WITH_TIMEOUT(ed->field(QStringLiteral("region"), QStringLiteral("note")) != nullptr, 2000);
        auto *line = qobject_cast<QLineEdit *>(ed->field(QStringLiteral("region"), QStringLiteral("note")));
        QVERIFY(line);
        line->setText(QStringLiteral("half hidden"));
        Q_EMIT line->editingFinished();
        QCOMPARE(doc->region(id)->attributes["note"].get<std::string>(), std::string("half hidden"));
        QTRY_VERIFY_WITH_TIMEOUT(ed->field(QStringLiteral("region"), QStringLiteral("flags")) != nullptr, 2000);
        auto boxes = ed->field(QStringLiteral("region"), QStringLiteral("flags"))->findChildren<QCheckBox *>();
        QCOMPARE(boxes.size(), 2);
        boxes[1]->setChecked(true);
        QVERIFY(doc->region(id)->attributes["flags"]["occluded"].get<bool>());
        QTRY_VERIFY_WITH_TIMEOUT(ed->field(QStringLiteral("image"), QStringLiteral("quality")) != nullptr, 2000);
        auto *combo = qobject_cast<QComboBox *>(ed->field(QStringLiteral("image"), QStringLiteral("quality")));
        QVERIFY(combo);
        combo->setCurrentIndex(2);
        Q_EMIT combo->activated(2);
        QCOMPARE(doc->imageAttributes()["quality"].get<std::string>(), std::string("bad"));
        auto stored = core::ProjectStore::open(m_project);
        QCOMPARE(must(stored->imageAttributes(doc->image()))["quality"].get<std::string>(), std::string("bad"));
        for (const auto &r : must(stored->regions(doc->image())))
            if (r.id == id) QCOMPARE(r.attributes["note"].get<std::string>(), std::string("half hidden"));
        // Three edits, three undo steps.
        doc->undoStack()->undo();
        QVERIFY(!doc->imageAttributes().contains("quality"));
        doc->undoStack()->undo();
        QVERIFY(!doc->region(id)->attributes.contains("flags"));
        doc->undoStack()->undo();
        QVERIFY(!doc->region(id)->attributes.contains("note"));
        // The schema change itself is the fourth: undone, the fields go; redone, they come back.
        QCOMPARE(doc->undoStack()->undoText(), QStringLiteral("Add attributes"));
        doc->undoStack()->undo();
        QCOMPARE(must(core::ProjectStore::open(m_project)->attributeSchema()).size(), schemaBefore);
        QTRY_VERIFY_WITH_TIMEOUT(ed->field(QStringLiteral("region"), QStringLiteral("note")) == nullptr, 2000);
        doc->undoStack()->redo();
        QCOMPARE(must(core::ProjectStore::open(m_project)->attributeSchema()).size(), std::size_t(3));
        QTRY_VERIFY_WITH_TIMEOUT(ed->field(QStringLiteral("region"), QStringLiteral("note")) != nullptr, 2000);
        doc->undoStack()->undo();
    }

    // A full disk, made with RLIMIT_FSIZE (no write may grow any file): a polygon
    // drawn then is refused with the banner and not shown as if saved; everything
    // drawn before is in the project, and once there is room again, work goes on.
    void fullDiskIsShownAndLosesNothing()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(openAtRow(w, shown, 5));
        annotation::Document *doc = w.annotate()->document();
        const core::Id image = doc->image();
        const std::size_t start = doc->regions().size();
        auto triangle = [&](double x) {
            w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Polygon);
            click(w, x, 10);
            click(w, x + 30, 10);
            click(w, x + 15, 40);
            QTest::keyClick(w.annotate()->canvas(), Qt::Key_Return);
        };
        triangle(10);
        QCOMPARE(storedRegions(m_project, image), start + 1);

        struct rlimit old {};
        QCOMPARE(::getrlimit(RLIMIT_FSIZE, &old), 0);
        const auto previousHandler = std::signal(SIGXFSZ, SIG_IGN); // a write past the limit fails with EFBIG instead
        struct rlimit full = old;
        full.rlim_cur = 1;
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &full), 0);
        triangle(60);
        const bool bannerShown = !w.annotate()->storeErrorBanner()->isHidden();
        const QString banner = w.annotate()->storeErrorBanner()->text();
        const std::size_t shownWhileFull = doc->regions().size();
        QCOMPARE(::setrlimit(RLIMIT_FSIZE, &old), 0);
        std::signal(SIGXFSZ, previousHandler);

        QVERIFY(bannerShown);
        QVERIFY2(banner.contains(QStringLiteral("Not saved")), qPrintable(banner));
        QCOMPARE(shownWhileFull, start + 1);
        QCOMPARE(storedRegions(m_project, image), start + 1);
        triangle(60);
        QVERIFY(w.annotate()->storeErrorBanner()->isHidden());
        QCOMPARE(storedRegions(m_project, image), start + 2);
        doc->undoStack()->undo();
        doc->undoStack()->undo();
        QCOMPARE(storedRegions(m_project, image), start);
    }

    // When the project cannot take an edit (here another program removed the region
    // underneath), the window says so, the edit is not applied and nothing is lost.
    void storeFailureIsShown()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(openAtRow(w, shown, 9));
        annotation::Document *doc = w.annotate()->document();
        QVERIFY(!doc->regions().empty());
        const core::Region victim = doc->regions().front();
        QVERIFY(core::ProjectStore::open(m_project)->removeRegions({victim.id}).ok());
        QVERIFY(w.annotate()->storeErrorBanner()->isHidden());
        doc->changeShape(victim.id, victim.shape.translated(5, 5));
        QVERIFY(!w.annotate()->storeErrorBanner()->isHidden());
        QVERIFY(w.annotate()->storeErrorBanner()->text().contains(QStringLiteral("Not saved")));
        QVERIFY(!doc->region(victim.id)); // the canvas shows what the project holds
        QCOMPARE(doc->undoStack()->canUndo(), doc->undoStack()->index() > 0);
        // The next edit that lands hides the banner.
        core::Region r;
        r.shape = *core::Shape::rect(1, 1, 5, 5);
        doc->addRegion(r);
        QVERIFY(w.annotate()->storeErrorBanner()->isHidden());
    }

    void drawEditUndoReopen()
    {
        auto w = std::make_unique<ui::MainWindow>();
        QSignalSpy shown(w.get(), &ui::MainWindow::imageShown);
        QVERIFY(openShown(*w, shown));
        w->annotate()->canvas()->fitInView(0, 0, 128, 128, Qt::KeepAspectRatio);
        annotation::Document *doc = w->annotate()->document();
        const core::Id image = doc->image();
        const std::size_t start = doc->regions().size();

        // Polygon: three clicks, a stray fourth removed with Backspace, closed on the first vertex.
        w->annotate()->setTool(ui::AnnotateWorkspace::Tool::Polygon);
        click(*w, 10, 10);
        click(*w, 60, 12);
        click(*w, 40, 50);
        click(*w, 90, 90);
        QTest::keyClick(w->annotate()->canvas(), Qt::Key_Backspace);
        click(*w, 10.5, 10.5);
        QCOMPARE(doc->regions().size(), start + 1);
        const core::Region poly = doc->regions().back();
        QCOMPARE(poly.shape.type(), core::ShapeType::Polygon);
        QCOMPARE(poly.shape.vertices().size(), std::size_t(3));
        QVERIFY(std::abs(poly.shape.vertices()[1].x - 60) < 1.0);
        QVERIFY(poly.classId != 0); // the current class of the palette
        QCOMPARE(storedRegions(m_project, image), start + 1);

        // Esc abandons a drawing; Enter closes one.
        click(*w, 100, 100);
        click(*w, 110, 100);
        QTest::keyClick(w->annotate()->canvas(), Qt::Key_Escape);
        QCOMPARE(doc->regions().size(), start + 1);
        click(*w, 70, 70);
        click(*w, 90, 70);
        click(*w, 80, 90);
        QTest::keyClick(w->annotate()->canvas(), Qt::Key_Return);
        QCOMPARE(doc->regions().size(), start + 2);

        // Rectangle by dragging.
        w->annotate()->setTool(ui::AnnotateWorkspace::Tool::Rectangle);
        QTest::mousePress(w->annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(*w, 20, 80));
        QTest::mouseMove(w->annotate()->canvas()->viewport(), at(*w, 40, 100));
        QTest::mouseRelease(w->annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(*w, 50, 110));
        QCOMPARE(doc->regions().size(), start + 3);
        const core::Box box = doc->regions().back().shape.boundingBox();
        QVERIFY(std::abs(box.w - 30) < 1.0 && std::abs(box.h - 30) < 1.0);

        // Select the box, drag it by 10 pixels in several steps: one undo step.
        w->annotate()->setTool(ui::AnnotateWorkspace::Tool::Select);
        const int before = doc->undoStack()->index();
        QTest::mousePress(w->annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(*w, 35, 95));
        for (int k = 1; k <= 5; ++k)
            QTest::mouseMove(w->annotate()->canvas()->viewport(), at(*w, 35 + 2 * k, 95));
        QTest::mouseRelease(w->annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(*w, 45, 95));
        QCOMPARE(doc->undoStack()->index(), before + 1);
        QVERIFY(std::abs(doc->regions().back().shape.boundingBox().x - (box.x + 10)) < 1.0);
        doc->undoStack()->undo();
        QVERIFY(std::abs(doc->regions().back().shape.boundingBox().x - box.x) < 1e-9);
        doc->undoStack()->redo();

        // Delete the selected box, undo brings it back, redo removes it again.
        QTest::keyClick(w->annotate()->canvas(), Qt::Key_Delete);
        QCOMPARE(doc->regions().size(), start + 2);
        doc->undoStack()->undo();
        QCOMPARE(doc->regions().size(), start + 3);
        QCOMPARE(storedRegions(m_project, image), start + 3);

        // Next image and back: the regions are the stored ones.
        shown.clear();
        w->annotate()->showImage(1);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() == 1, 5000);
        w->annotate()->showImage(0);
        QTRY_VERIFY_WITH_TIMEOUT(shown.count() == 2, 5000);
        QCOMPARE(w->annotate()->document()->regions().size(), start + 3);

        // Close the window as a crash would: nothing is held back for a save.
        w.reset();
        QCOMPARE(storedRegions(m_project, image), start + 3);
    }

    // The body of killedWhileDrawing, run in a child process of this binary: draw
    // and edit, begin a polygon, and die by SIGKILL with it half drawn.
    void drawThenSigkill()
    {
        const QString project = qEnvironmentVariable("ANNOTRAIN_KILL_PROJECT");
        if (project.isEmpty()) QSKIP("run by killedWhileDrawing in a child process");
        m_project = project.toStdString();
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(openShown(w, shown));
        w.annotate()->canvas()->fitInView(0, 0, 128, 128, Qt::KeepAspectRatio);
        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Polygon);
        click(w, 10, 10);
        click(w, 60, 12);
        click(w, 40, 50);
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_Return);
        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Rectangle);
        QTest::mousePress(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 20, 80));
        QTest::mouseMove(w.annotate()->canvas()->viewport(), at(w, 40, 100));
        QTest::mouseRelease(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 50, 110));
        // Move the box: an edit of a stored region, not only an insert.
        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Select);
        QTest::mousePress(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 35, 95));
        for (int k = 1; k <= 5; ++k)
            QTest::mouseMove(w.annotate()->canvas()->viewport(), at(w, 35 + 2 * k, 95));
        QTest::mouseRelease(w.annotate()->canvas()->viewport(), Qt::LeftButton, {}, at(w, 45, 95));
        w.annotate()->setTool(ui::AnnotateWorkspace::Tool::Polygon);
        click(w, 100, 100);
        click(w, 110, 100);
        click(w, 110, 120);
        std::fprintf(stdout, "drawn %zu\n", w.annotate()->document()->regions().size());
        std::fflush(stdout);
        ::kill(::getpid(), SIGKILL);
    }

    void killedWhileDrawing()
    {
        QTemporaryDir dir;
        auto p = core::createSampleProject(dir.path().toStdString());
        QVERIFY(p.ok());
        const core::ImageInfo first = must(core::ProjectStore::open(*p)->images()).front();
        const std::vector<core::Region> before = must(core::ProjectStore::open(*p)->regions(first.id));

        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("ANNOTRAIN_KILL_PROJECT"), QString::fromStdString(*p));
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("drawThenSigkill")});
        QVERIFY(child.waitForFinished(60000));
        const QString out = QString::fromLocal8Bit(child.readAllStandardOutput());
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        QVERIFY2(out.contains(QStringLiteral("drawn %1").arg(before.size() + 2)), qPrintable(out + QString::fromLocal8Bit(child.readAllStandardError())));

        // The finished polygon and the moved box are stored; the half-drawn polygon is not.
        auto store = core::ProjectStore::open(*p);
        QVERIFY2(store.ok(), store.ok() ? "" : store.error().toString().c_str());
        const std::vector<core::Region> after = must(store->regions(first.id));
        QCOMPARE(after.size(), before.size() + 2);
        const core::Region &poly = after[after.size() - 2];
        QCOMPARE(poly.shape.type(), core::ShapeType::Polygon);
        QCOMPARE(poly.shape.vertices().size(), std::size_t(3));
        const core::Box box = after.back().shape.boundingBox();
        QVERIFY2(std::abs(box.x - 30) < 1.0 && std::abs(box.w - 30) < 1.0, qPrintable(QStringLiteral("box at x %1 w %2").arg(box.x).arg(box.w)));

        // And the editor opens the project again and shows them.
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(*p)).ok());
        QVERIFY(shown.wait(5000));
        QCOMPARE(w.annotate()->document()->regions().size(), before.size() + 2);
    }
};

QTEST_MAIN(TestEditor)
#include "tst_editor.moc"
