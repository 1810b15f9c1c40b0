// The point tool on a canvas alone: each click places one point, one undo step each,
// with the class of new regions.
#include "annotation/tools/pointtool.h"
#include "canvas_fixture.h"

class TestPointTool : public QObject {
    Q_OBJECT
    testutil::CanvasFixture f;
    annotation::PointTool tool;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open());
        QVERIFY(f.show(2));
        f.canvas->setTool(&tool);
        f.canvas->setNewRegionClass(must(f.store->classes()).back().id);
    }

    void clicksPlacePoints()
    {
        const int before = f.undoIndex();
        f.click(30, 40);
        f.click(90, 100);
        QCOMPARE(f.undoIndex(), before + 2);
        QCOMPARE(f.doc->regions().size(), std::size_t(2));
        const auto &p = f.last().shape.params();
        QCOMPARE(f.last().shape.type(), core::ShapeType::Point);
        QVERIFY(std::abs(p[0] - 90) < 0.5 && std::abs(p[1] - 100) < 0.5);
        QCOMPARE(f.last().classId, must(f.store->classes()).back().id);
        QCOMPARE(f.stored(), std::size_t(2));
        f.doc->undoStack()->undo();
        QCOMPARE(f.stored(), std::size_t(1));
    }
};

QTEST_MAIN(TestPointTool)
#include "tst_point_tool.moc"
