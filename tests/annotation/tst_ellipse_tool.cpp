// The ellipse tool on a canvas alone: drag the box the ellipse fits in; one undo
// step on release; a flat box adds nothing.
#include "annotation/tools/ellipsetool.h"
#include "canvas_fixture.h"

#include <QGraphicsPathItem>

class TestEllipseTool : public QObject {
    Q_OBJECT
    testutil::CanvasFixture f;
    annotation::EllipseTool tool;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open());
        QVERIFY(f.show(2));
        f.canvas->setTool(&tool);
    }

    void boxMakesTheEllipse()
    {
        const int before = f.undoIndex();
        f.drag(20, 40, 100, 60);
        QCOMPARE(f.undoIndex(), before + 1);
        QCOMPARE(f.last().shape.type(), core::ShapeType::Ellipse);
        const auto &p = f.last().shape.params();
        QVERIFY(std::abs(p[0] - 60) < 0.5 && std::abs(p[1] - 50) < 0.5 && std::abs(p[2] - 40) < 0.5 && std::abs(p[3] - 10) < 0.5);
        f.drag(20, 100, 100, 100.2); // flat
        QCOMPARE(f.doc->regions().size(), std::size_t(1));
        QCOMPARE(f.stored(), std::size_t(1));
    }
};

QTEST_MAIN(TestEllipseTool)
#include "tst_ellipse_tool.moc"
