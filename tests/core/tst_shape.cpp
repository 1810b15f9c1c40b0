#include "core/shape.h"

#include <QtTest>

using namespace core;

class TestShape : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rejectsBadShapes_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("polygon with 2 points") << 0;
        QTest::newRow("nan coordinate") << 1;
        QTest::newRow("negative width") << 2;
        QTest::newRow("negative radius") << 3;
        QTest::newRow("polyline with 1 point") << 4;
    }
    void rejectsBadShapes()
    {
        QFETCH(int, which);
        Result<Shape> r = Shape::point(0, 0);
        switch (which) {
        case 0: r = Shape::polygon({{0, 0}, {1, 1}}); break;
        case 1: r = Shape::rect(0, std::nan(""), 1, 1); break;
        case 2: r = Shape::rect(0, 0, -1, 1); break;
        case 3: r = Shape::circle(0, 0, -2); break;
        case 4: r = Shape::polyline({{0, 0}}); break;
        }
        QVERIFY(!r.ok());
        QVERIFY(!r.error().message.empty());
    }

    void areaAndBox()
    {
        auto poly = Shape::polygon({{0, 0}, {10, 0}, {10, 5}, {0, 5}});
        QVERIFY(poly.ok());
        QCOMPARE(poly->area(), 50.0);
        QCOMPARE(poly->boundingBox(), (Box{0, 0, 10, 5}));
        auto c = Shape::circle(10, 10, 2);
        QCOMPARE(c->boundingBox(), (Box{8, 8, 4, 4}));
        QVERIFY(std::abs(c->area() - M_PI * 4) < 1e-12);
        // An ellipse rotated by 90 degrees swaps its extents.
        auto e = Shape::ellipse(0, 0, 4, 1, M_PI / 2);
        QVERIFY(std::abs(e->boundingBox().w - 2) < 1e-9);
        QVERIFY(std::abs(e->boundingBox().h - 8) < 1e-9);
    }

    void selfIntersection()
    {
        QVERIFY(polygonSelfIntersects({{0, 0}, {10, 10}, {10, 0}, {0, 10}})); // bow tie
        QVERIFY(!polygonSelfIntersects({{0, 0}, {10, 0}, {10, 10}, {0, 10}}));
        QVERIFY(!polygonSelfIntersects({{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}})); // closed explicitly
    }

    void paramsRoundTrip()
    {
        auto e = Shape::ellipse(5, 6, 7, 8, 0.5);
        auto back = Shape::fromParams(e->type(), e->params());
        QVERIFY(back.ok());
        QCOMPARE(*back, *e);
        QVERIFY(!Shape::fromParams(ShapeType::Polygon, {1, 2, 3}).ok());
        QCOMPARE(e->translated(1, 1).params()[0], 6.0);
    }
};

QTEST_GUILESS_MAIN(TestShape)
#include "tst_shape.moc"
