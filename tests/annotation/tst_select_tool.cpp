// The select tool on a canvas alone: a click selects, Ctrl+click adds and removes,
// a click on nothing clears; a drag moves the whole selection, previewed on the
// canvas with the store untouched until the release, then one undo step; a band
// drag on empty canvas selects the regions inside it. A region selected alone
// shows a handle per vertex, and the handles take the mouse before the tool: a
// vertex drag is one undo step, Shift+click deletes a vertex (not below three), a
// double-click on an edge inserts one; Delete and Esc act on the selection.
#include "annotation/selectionlayer.h"
#include "annotation/tools/selecttool.h"
#include "canvas_fixture.h"

#include <QGraphicsPathItem>

class TestSelectTool : public QObject {
    Q_OBJECT
    testutil::CanvasFixture f;
    annotation::SelectTool tool;
    core::Id square = 0, box = 0, dot = 0;

    core::Shape storedShape(core::Id id) const
    {
        for (const auto &r : must(core::ProjectStore::open(f.project)->regions(f.doc->image())))
            if (r.id == id) return r.shape;
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open());
        QVERIFY(f.show(4));
        f.canvas->setTool(&tool);
        square = f.addRegion(*core::Shape::polygon({{10, 10}, {50, 10}, {50, 50}, {10, 50}}));
        box = f.addRegion(*core::Shape::rect(70, 70, 30, 20));
        dot = f.addRegion(*core::Shape::point(110, 20));
    }

    void clickCtrlClickAndNothing()
    {
        f.click(30, 30);
        QCOMPARE(f.canvas->selection()->ids(), std::vector<core::Id>{square});
        f.click(85, 80, Qt::ControlModifier);
        QCOMPARE(f.canvas->selection()->ids(), (std::vector<core::Id>{square, box}));
        f.click(110.5, 20.5, Qt::ControlModifier); // a point: within the tolerance
        QCOMPARE(f.canvas->selection()->ids().size(), std::size_t(3));
        f.click(30, 30, Qt::ControlModifier);
        QCOMPARE(f.canvas->selection()->ids(), (std::vector<core::Id>{box, dot}));
        f.click(60, 110); // nothing there
        QVERIFY(f.canvas->selection()->isEmpty());
    }

    void dragMovesTheSelectionOnceOnRelease()
    {
        f.click(30, 30);
        f.click(85, 80, Qt::ControlModifier);
        const int before = f.undoIndex();
        const core::Shape squareBefore = f.doc->region(square)->shape;
        f.press(30, 30);
        for (int k = 1; k <= 5; ++k) f.move(30 + 2 * k, 30 + k);
        QCOMPARE(storedShape(square), squareBefore); // a preview: nothing stored mid-drag
        QCOMPARE(f.doc->region(square)->shape, squareBefore);
        QCOMPARE(f.undoIndex(), before);
        f.release(40, 35);
        QCOMPARE(f.undoIndex(), before + 1);
        QVERIFY(std::abs(f.doc->region(square)->shape.boundingBox().x - 20) < 0.5);
        QVERIFY(std::abs(f.doc->region(box)->shape.boundingBox().y - 75) < 0.5);
        QCOMPARE(storedShape(box), f.doc->region(box)->shape);
        f.doc->undoStack()->undo();
        QCOMPARE(f.doc->region(square)->shape, squareBefore);
        QCOMPARE(f.canvas->selection()->ids().size(), std::size_t(2)); // the selection stays
    }

    void bandSelects()
    {
        f.canvas->selection()->clear();
        f.press(60, 60);
        f.move(90, 80);
        QVERIFY(!f.canvas->draftItem()->path().isEmpty());
        f.move(120, 120);
        f.release(120, 120);
        QCOMPARE(f.canvas->selection()->ids(), std::vector<core::Id>{box});
        QVERIFY(f.canvas->draftItem()->path().isEmpty());
    }

    void handlesTakeTheMouseFirst()
    {
        f.click(30, 30);
        QCOMPARE(f.canvas->selectionLayer()->handleCount(), 4); // one per vertex
        // Drag vertex 2 (50,50) to (60,55): one undo step; the square did not move as a whole.
        const int before = f.undoIndex();
        f.drag(50, 50, 60, 55, 4);
        QCOMPARE(f.undoIndex(), before + 1);
        const auto v = f.doc->region(square)->shape.vertices();
        QVERIFY(std::abs(v[2].x - 60) < 0.5 && std::abs(v[2].y - 55) < 0.5);
        QVERIFY(std::abs(v[0].x - 10) < 1e-9 && std::abs(v[0].y - 10) < 1e-9);
        // Double-click the top edge: a vertex there.
        f.doubleClick(30, 10);
        QCOMPARE(f.doc->region(square)->shape.vertices().size(), std::size_t(5));
        QCOMPARE(f.canvas->selectionLayer()->handleCount(), 5);
        // Shift+click deletes vertices, down to three.
        f.click(30, 10, Qt::ShiftModifier);
        f.click(10, 50, Qt::ShiftModifier);
        QCOMPARE(f.doc->region(square)->shape.vertices().size(), std::size_t(3));
        f.click(10, 10, Qt::ShiftModifier);
        QCOMPARE(f.doc->region(square)->shape.vertices().size(), std::size_t(3));
        QCOMPARE(storedShape(square).vertices().size(), std::size_t(3));
        // Two selected: no handles.
        f.click(85, 80, Qt::ControlModifier);
        QCOMPARE(f.canvas->selectionLayer()->handleCount(), 0);
    }

    void deleteAndEscape()
    {
        f.click(85, 80);
        const std::size_t n = f.doc->regions().size();
        f.key(Qt::Key_Delete);
        QCOMPARE(f.doc->regions().size(), n - 1);
        QVERIFY(f.canvas->selection()->isEmpty());
        f.doc->undoStack()->undo();
        QCOMPARE(f.doc->regions().size(), n);
        f.click(30, 30);
        f.key(Qt::Key_Escape);
        QVERIFY(f.canvas->selection()->isEmpty());
    }
};

QTEST_MAIN(TestSelectTool)
#include "tst_select_tool.moc"
