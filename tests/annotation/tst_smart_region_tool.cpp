// The smart region tool on a canvas alone: a box dragged around an object is
// outlined on a worker thread and added as one polygon - one undo step, selected so
// its handles show - that covers the object; a click inside an object does the same;
// Esc while it works abandons it and adds nothing.
#include "annotation/selectionlayer.h"
#include "annotation/tools/smartregiontool.h"
#include "canvas_fixture.h"
#include "core/rasterize.h"

#include <QPainter>

namespace {

QImage picture()
{
    QImage img(320, 240, QImage::Format_RGB32);
    img.fill(QColor(96, 96, 100));
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(210, 80, 40));
    p.drawEllipse(QPointF(120, 110), 50, 50);
    p.setBrush(QColor(40, 160, 220));
    p.drawRect(220, 40, 60, 50);
    return img;
}

// IoU of a polygon with the disc of the picture, by the project's rasterisation.
double discIou(const core::Shape &shape)
{
    std::vector<std::uint8_t> mask(320 * 240, 0);
    core::fillPolygon(mask.data(), 320, 240, shape.vertices(), 1);
    int inter = 0, uni = 0;
    for (int y = 0; y < 240; ++y)
        for (int x = 0; x < 320; ++x) {
            const bool inDisc = std::hypot(x + 0.5 - 120, y + 0.5 - 110) <= 50, inMine = mask[static_cast<std::size_t>(y) * 320 + x];
            inter += inDisc && inMine;
            uni += inDisc || inMine;
        }
    return uni ? static_cast<double>(inter) / uni : 0;
}

} // namespace

class TestSmartRegionTool : public QObject {
    Q_OBJECT
    annotation::SmartRegionTool tool;
    testutil::CanvasFixture f;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(f.open(picture()));
        QVERIFY(f.show(0));
        f.canvas->setTool(&tool);
    }

    void boxBecomesOnePolygon()
    {
        QSignalSpy finished(&tool, &annotation::SmartRegionTool::finished);
        const int before = f.undoIndex();
        f.drag(68, 58, 172, 162);
        QVERIFY(tool.isBusy() || finished.count() == 1); // working on the worker thread
        QVERIFY(finished.count() == 1 || finished.wait(10000));
        QVERIFY(finished.first().at(0).toBool());
        QCOMPARE(f.undoIndex(), before + 1);
        QCOMPARE(f.doc->regions().size(), std::size_t(1));
        const core::Region &r = f.last();
        QCOMPARE(r.shape.type(), core::ShapeType::Polygon);
        QVERIFY2(discIou(r.shape) > 0.93, qPrintable(QString::number(discIou(r.shape))));
        QCOMPARE(f.canvas->selection()->single(), r.id); // selected, to correct
        QVERIFY(f.canvas->selectionLayer()->handleCount() >= 8);
        QCOMPARE(f.stored(), std::size_t(1));
        f.doc->undoStack()->undo();
        QCOMPARE(f.stored(), std::size_t(0));
    }

    void clickInside()
    {
        QSignalSpy finished(&tool, &annotation::SmartRegionTool::finished);
        f.click(250, 65);
        QVERIFY(finished.wait(10000));
        QVERIFY(finished.first().at(0).toBool());
        const core::Box b = f.last().shape.boundingBox();
        QVERIFY2(std::abs(b.x - 220) < 3 && std::abs(b.y - 40) < 3 && std::abs(b.w - 60) < 4 && std::abs(b.h - 50) < 4,
                 qPrintable(QStringLiteral("%1,%2 %3x%4").arg(b.x).arg(b.y).arg(b.w).arg(b.h)));
        f.doc->undoStack()->undo();
    }

    void escapeAbandons()
    {
        QSignalSpy finished(&tool, &annotation::SmartRegionTool::finished);
        f.drag(68, 58, 172, 162);
        QVERIFY(tool.isBusy());
        f.key(Qt::Key_Escape);
        QVERIFY(!tool.isBusy()); // D and A work again at once
        QTest::qWait(1500);     // the worker's result lands, and is dropped
        QCOMPARE(finished.count(), 0);
        QVERIFY(f.doc->regions().empty());
    }
};

QTEST_MAIN(TestSmartRegionTool)
#include "tst_smart_region_tool.moc"
