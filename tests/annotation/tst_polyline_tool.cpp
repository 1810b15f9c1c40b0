// The polyline tool on a canvas alone: clicks add vertices; Enter or a double-click
// ends the line as one undo step; a single vertex adds nothing.
#include "annotation/tools/polylinetool.h"
#include "canvas_fixture.h"

class TestPolylineTool : public QObject {
    Q_OBJECT
    testutil::CanvasFixture f;
    annotation::PolylineTool tool;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open());
        QVERIFY(f.show(2));
        f.canvas->setTool(&tool);
    }

    void enterEndsTheLine()
    {
        const int before = f.undoIndex();
        f.click(10, 100);
        f.click(30, 110);
        f.click(50, 100);
        QVERIFY(f.doc->regions().empty());
        f.key(Qt::Key_Return);
        QCOMPARE(f.undoIndex(), before + 1);
        QCOMPARE(f.last().shape.type(), core::ShapeType::Polyline);
        QCOMPARE(f.last().shape.vertices().size(), std::size_t(3));
    }

    void doubleClickEndsTheLine()
    {
        const std::size_t n = f.doc->regions().size();
        f.click(10, 20);
        f.click(60, 20); // a real double-click: the press places the vertex, the double-click ends the line
        f.doubleClick(60, 20);
        QCOMPARE(f.doc->regions().size(), n + 1);
        QCOMPARE(f.last().shape.vertices().size(), std::size_t(2));
        f.click(70, 70);
        f.key(Qt::Key_Return); // one vertex
        QCOMPARE(f.doc->regions().size(), n + 1);
        QCOMPARE(f.stored(), n + 1);
    }
};

QTEST_MAIN(TestPolylineTool)
#include "tst_polyline_tool.moc"
