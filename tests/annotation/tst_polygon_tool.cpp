// The polygon tool on a canvas alone: clicks add vertices to a draft that stays out
// of the model; clicking the first vertex (within the zoom's tolerance) or Enter
// closes it as one undo step; Backspace takes a vertex back, Esc abandons the shape,
// and too few distinct vertices add nothing.
#include "annotation/tools/polygontool.h"
#include "canvas_fixture.h"

#include <QGraphicsPathItem>

class TestPolygonTool : public QObject {
    Q_OBJECT
    testutil::CanvasFixture f;
    annotation::PolygonTool tool;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open());
        QVERIFY(f.show(2));
        f.canvas->setTool(&tool);
    }

    void closedOnTheFirstVertex()
    {
        const int before = f.undoIndex();
        f.click(10, 10);
        f.click(60, 12);
        f.click(40, 50);
        f.click(90, 90);
        QCOMPARE(tool.points().size(), std::size_t(4));
        QVERIFY(f.doc->regions().empty());
        QVERIFY(!f.canvas->draftItem()->path().isEmpty());
        f.key(Qt::Key_Backspace);
        QCOMPARE(tool.points().size(), std::size_t(3));
        f.click(10.6, 10.6); // within 6 screen pixels of the first vertex
        QCOMPARE(f.undoIndex(), before + 1);
        QCOMPARE(f.last().shape.type(), core::ShapeType::Polygon);
        QCOMPARE(f.last().shape.vertices().size(), std::size_t(3));
        QVERIFY(std::abs(f.last().shape.vertices()[1].x - 60) < 0.5);
        QVERIFY(!tool.isBusy());
        QVERIFY(f.canvas->draftItem()->path().isEmpty());
        QCOMPARE(f.stored(), std::size_t(1));
    }

    void enterClosesEscAbandons()
    {
        const std::size_t n = f.doc->regions().size();
        f.click(100, 100);
        f.click(110, 100);
        f.key(Qt::Key_Escape);
        QCOMPARE(f.doc->regions().size(), n);
        QVERIFY(!tool.isBusy());
        f.click(70, 70);
        f.click(90, 70);
        f.key(Qt::Key_Return); // two vertices: not a polygon
        QCOMPARE(f.doc->regions().size(), n);
        f.click(70, 70);
        f.click(90, 70);
        f.click(80, 90);
        f.key(Qt::Key_Return);
        QCOMPARE(f.doc->regions().size(), n + 1);
        QCOMPARE(f.stored(), n + 1);
    }

    // The image changes under a half-drawn polygon: the draft goes, nothing is added.
    void anotherImageDropsTheDraft()
    {
        f.click(20, 100);
        f.click(40, 100);
        QVERIFY(tool.isBusy());
        QVERIFY(f.show(3));
        QVERIFY(!tool.isBusy());
        QVERIFY(f.canvas->draftItem()->path().isEmpty());
        QVERIFY(f.doc->regions().empty());
    }
};

QTEST_MAIN(TestPolygonTool)
#include "tst_polygon_tool.moc"
