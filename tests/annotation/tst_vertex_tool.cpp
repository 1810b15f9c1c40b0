// The vertex tool on a canvas alone: a click picks the region to edit and shows its
// handles; a handle drag reshapes it as one undo step - a box by the corner dragged
// (the opposite corner stays), a circle by its rim, a polygon by a vertex; a click
// on the edited polygon's edge inserts a vertex; dragging the body moves nothing.
#include "annotation/selectionlayer.h"
#include "annotation/tools/vertextool.h"
#include "canvas_fixture.h"

class TestVertexTool : public QObject {
    Q_OBJECT
    testutil::CanvasFixture f;
    annotation::VertexTool tool;
    core::Id triangle = 0, box = 0, circle = 0;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open());
        QVERIFY(f.show(6));
        f.canvas->setTool(&tool);
        triangle = f.addRegion(*core::Shape::polygon({{10, 10}, {50, 10}, {30, 40}}));
        box = f.addRegion(*core::Shape::rect(70, 10, 40, 30));
        circle = f.addRegion(*core::Shape::circle(40, 90, 15));
    }

    void boxCornerResizes()
    {
        f.click(90, 25);
        QCOMPARE(f.canvas->selection()->single(), box);
        QCOMPARE(f.canvas->selectionLayer()->handleCount(), 4);
        const int before = f.undoIndex();
        f.drag(110, 40, 120, 50); // the bottom-right corner
        QCOMPARE(f.undoIndex(), before + 1);
        const core::Box b = f.doc->region(box)->shape.boundingBox();
        QCOMPARE(f.doc->region(box)->shape.type(), core::ShapeType::Rect);
        QVERIFY2(std::abs(b.x - 70) < 0.5 && std::abs(b.y - 10) < 0.5 && std::abs(b.w - 50) < 0.5 && std::abs(b.h - 40) < 0.5,
                 qPrintable(QStringLiteral("%1,%2 %3x%4").arg(b.x).arg(b.y).arg(b.w).arg(b.h)));
    }

    void circleRimSetsTheRadius()
    {
        f.click(40, 90);
        QCOMPARE(f.canvas->selection()->single(), circle);
        QCOMPARE(f.canvas->selectionLayer()->handleCount(), 1);
        f.drag(55, 90, 60, 90); // the rim handle sits right of the centre
        QVERIFY(std::abs(f.doc->region(circle)->shape.params()[2] - 20) < 0.5);
        QVERIFY(std::abs(f.doc->region(circle)->shape.params()[0] - 40) < 1e-9);
    }

    void polygonVertexAndEdge()
    {
        f.click(30, 20);
        QCOMPARE(f.canvas->selection()->single(), triangle);
        QCOMPARE(f.canvas->selectionLayer()->handleCount(), 3);
        f.drag(30, 40, 30, 50);
        QVERIFY(std::abs(f.doc->region(triangle)->shape.vertices()[2].y - 50) < 0.5);
        const int before = f.undoIndex();
        f.click(30, 10); // on the top edge: a vertex is inserted
        QCOMPARE(f.undoIndex(), before + 1);
        QCOMPARE(f.doc->region(triangle)->shape.vertices().size(), std::size_t(4));
        QCOMPARE(f.canvas->selectionLayer()->handleCount(), 4);
    }

    void bodyDragMovesNothing()
    {
        f.click(90, 25);
        const core::Shape before = f.doc->region(box)->shape;
        const int index = f.undoIndex();
        f.drag(90, 25, 100, 45);
        QCOMPARE(f.doc->region(box)->shape, before);
        QCOMPARE(f.undoIndex(), index);
    }
};

QTEST_MAIN(TestVertexTool)
#include "tst_vertex_tool.moc"
