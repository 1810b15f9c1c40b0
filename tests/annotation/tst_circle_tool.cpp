// The circle tool on a canvas alone: press at the centre, drag out the radius; one
// undo step on release; under a pixel of radius adds nothing.
#include "annotation/tools/circletool.h"
#include "canvas_fixture.h"

#include <QGraphicsPathItem>

class TestCircleTool : public QObject {
    Q_OBJECT
    testutil::CanvasFixture f;
    annotation::CircleTool tool;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open());
        QVERIFY(f.show(2));
        f.canvas->setTool(&tool);
    }

    void centreAndRadius()
    {
        const int before = f.undoIndex();
        f.press(60, 50);
        f.move(65, 50);
        QVERIFY(!f.canvas->draftItem()->path().isEmpty());
        QVERIFY(f.doc->regions().empty());
        f.release(60, 70);
        QCOMPARE(f.undoIndex(), before + 1);
        const auto &p = f.last().shape.params();
        QCOMPARE(f.last().shape.type(), core::ShapeType::Circle);
        QVERIFY(std::abs(p[0] - 60) < 0.5 && std::abs(p[1] - 50) < 0.5 && std::abs(p[2] - 20) < 0.5);
        QCOMPARE(f.stored(), std::size_t(1));
        f.click(10, 10); // no radius
        QCOMPARE(f.doc->regions().size(), std::size_t(1));
    }
};

QTEST_MAIN(TestCircleTool)
#include "tst_circle_tool.moc"
