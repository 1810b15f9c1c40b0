// The rectangle tool on a canvas alone: a drag draws a box whose draft is shown and
// stays out of the model until the release, which adds it as one undo step with the
// class of new regions; a drag under a pixel adds nothing; Esc mid-drag abandons it.
#include "annotation/tools/rectangletool.h"
#include "canvas_fixture.h"

#include <QGraphicsPathItem>

class TestRectangleTool : public QObject {
    Q_OBJECT
    testutil::CanvasFixture f;
    annotation::RectangleTool tool;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open());
        QVERIFY(f.show(2));
        f.canvas->setTool(&tool);
        f.canvas->setNewRegionClass(must(f.store->classes()).front().id);
    }

    void dragDrawsOneBox()
    {
        const int before = f.undoIndex();
        f.press(20, 30);
        for (int k = 1; k <= 5; ++k) f.move(20 + 6 * k, 30 + 4 * k);
        QVERIFY(!f.canvas->draftItem()->path().isEmpty()); // the draft is on the canvas...
        QVERIFY(f.doc->regions().empty());                  // ...and not in the model
        QVERIFY(tool.isBusy());
        f.release(50, 50);
        QCOMPARE(f.doc->regions().size(), std::size_t(1));
        QCOMPARE(f.undoIndex(), before + 1);
        QVERIFY(f.canvas->draftItem()->path().isEmpty());
        const core::Region &r = f.last();
        QCOMPARE(r.shape.type(), core::ShapeType::Rect);
        const core::Box b = r.shape.boundingBox();
        QVERIFY2(std::abs(b.x - 20) < 0.5 && std::abs(b.y - 30) < 0.5 && std::abs(b.w - 30) < 0.5 && std::abs(b.h - 20) < 0.5,
                 qPrintable(QStringLiteral("%1,%2 %3x%4").arg(b.x).arg(b.y).arg(b.w).arg(b.h)));
        QCOMPARE(r.classId, must(f.store->classes()).front().id);
        QCOMPARE(f.stored(), std::size_t(1));
        f.doc->undoStack()->undo();
        QCOMPARE(f.stored(), std::size_t(0));
    }

    void draggedBackwardsIsNormalised()
    {
        f.drag(90, 90, 70, 60);
        const core::Box b = f.last().shape.boundingBox();
        QVERIFY(std::abs(b.x - 70) < 0.5 && std::abs(b.y - 60) < 0.5 && std::abs(b.w - 20) < 0.5 && std::abs(b.h - 30) < 0.5);
        f.doc->undoStack()->undo();
    }

    void tinyDragAddsNothingAndEscAbandons()
    {
        const std::size_t n = f.doc->regions().size();
        f.click(40, 40);
        QCOMPARE(f.doc->regions().size(), n);
        f.press(10, 10);
        f.move(40, 40);
        f.key(Qt::Key_Escape);
        QVERIFY(!tool.isBusy());
        f.release(40, 40);
        QCOMPARE(f.doc->regions().size(), n);
        QVERIFY(f.canvas->draftItem()->path().isEmpty());
    }
};

QTEST_MAIN(TestRectangleTool)
#include "tst_rectangle_tool.moc"
