// The viewer opens the sample project, lists its images and draws the selected
// image's regions once the worker thread has decoded it.
#include "core/sample_project.h"
#include "tests/must.h"
#include "core/project_store.h"
#include "ui/datasetmodel.h"
#include "ui/mainwindow.h"

#include <QDir>
#include <QGraphicsPixmapItem>
#include <QGraphicsView>
#include <QListView>
#include <set>

#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

class TestViewer : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string m_project;

private Q_SLOTS:
    void initTestCase()
    {
        auto project = core::createSampleProject(m_tmp.path().toStdString());
        QVERIFY(project.ok());
        m_project = *project;
    }

    void showsSampleRegions()
    {
        const std::string *project = &m_project;
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(*project)).ok());
        QCOMPARE(w.imageCount(), 48);
        QVERIFY(shown.wait(5000));
        // The regions of the first image (a single shape in the sample).
        QCOMPARE(w.drawnRegionCount(), 1);
        w.showImage(3); // images 3, 7, ... carry two shapes
        QVERIFY(shown.wait(5000));
        QCOMPARE(w.drawnRegionCount(), 2);
        QCOMPARE(shown.last().at(0).toInt(), 3);
    }

    // The dataset panel filters the list, and D/A walk the filtered list.
    void datasetPanelFiltersAndNavigation()
    {
        const std::string *project = &m_project;
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(*project)).ok());
        w.show();
        QVERIFY(shown.wait(5000));
        int val = 0;
        std::set<std::string> valPaths;
        for (const auto &im : must(core::ProjectStore::open(*project)->images()))
            if (im.split == core::Split::Val) {
                ++val;
                valPaths.insert(im.absPath);
            }
        w.datasetFilter()->setSplit(ui::DatasetFilter::SplitFilter::Val);
        QCOMPARE(w.imageList()->model()->rowCount(), val);
        w.datasetFilter()->setSplit(ui::DatasetFilter::SplitFilter::All);
        w.datasetFilter()->setNameFilter(QStringLiteral("SHAPE_01"));
        QCOMPARE(w.imageList()->model()->rowCount(), 10); // shape_010 .. shape_019
        w.datasetFilter()->setNameFilter(QString());
        w.datasetFilter()->setSplit(ui::DatasetFilter::SplitFilter::Val);
        w.imageList()->setCurrentIndex(w.imageList()->model()->index(0, 0));
        QTRY_VERIFY(valPaths.count(w.currentImagePath().toStdString()));
        const QString first = w.currentImagePath();
        w.view()->setFocus();
        QTest::keyClick(w.view(), Qt::Key_D);
        QTRY_VERIFY(w.currentImagePath() != first);
        QVERIFY(valPaths.count(w.currentImagePath().toStdString())); // the next val image, not the next in the project
    }

    // An image wider than 8k pixels is shown from a downscaled decode over its full
    // pixel grid; zoomed in, the part in view comes at full resolution (stripes one
    // pixel wide, which the overview blurs, are exact there); zoomed out, it goes.
    void bigImageKeepsFullResolutionCoordinates()
    {
        QTemporaryDir tmp;
        QImage wide(9000, 300, QImage::Format_RGB32);
        wide.fill(Qt::darkGreen);
        for (int x = 6000; x < 6200; ++x)
            for (int y = 0; y < 300; ++y) wide.setPixel(x, y, x % 2 ? qRgb(255, 255, 255) : qRgb(0, 0, 0));
        QVERIFY(QDir(tmp.path()).mkpath(QStringLiteral("img")));
        QVERIFY(wide.save(tmp.filePath(QStringLiteral("img/wide.png"))));
        const std::string project = tmp.filePath(QStringLiteral("big.atproj")).toStdString();
        auto store = core::ProjectStore::create(project);
        QVERIFY(store.ok());
        QVERIFY(store->addImagesFromDir(tmp.filePath(QStringLiteral("img")).toStdString()).ok());
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(project)).ok());
        QVERIFY(shown.wait(10000));
        QCOMPARE(w.scene()->sceneRect(), QRectF(0, 0, 9000, 300));
        int decodedWidth = 0;
        for (auto *item : w.scene()->items())
            if (auto *pix = dynamic_cast<QGraphicsPixmapItem *>(item)) decodedWidth = pix->pixmap().width();
        QCOMPARE(decodedWidth, 8192);
        QCOMPARE(w.detailRect(), QRect());

        w.resize(900, 600);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy detail(&w, &ui::MainWindow::detailShown);
        w.view()->setTransform(QTransform::fromScale(2, 2));
        w.view()->centerOn(6100, 150);
        QVERIFY(detail.wait(10000));
        const QRect rect = w.detailRect();
        const QRect visible = w.view()->mapToScene(w.view()->viewport()->rect()).boundingRect().toAlignedRect() & QRect(0, 0, 9000, 300);
        QVERIFY2(rect.contains(visible), qPrintable(QStringLiteral("detail %1,%2 %3x%4").arg(rect.x()).arg(rect.y()).arg(rect.width()).arg(rect.height())));
        QImage detailImage;
        for (auto *item : w.scene()->items())
            if (auto *pix = dynamic_cast<QGraphicsPixmapItem *>(item); pix && pix->pos() == QPointF(rect.topLeft()) && pix->pixmap().size() == rect.size())
                detailImage = pix->pixmap().toImage();
        QVERIFY(!detailImage.isNull());
        for (int x = 6090; x < 6110; ++x)
            QCOMPARE(QColor(detailImage.pixel(x - rect.x(), 150 - rect.y())), QColor(wide.pixel(x, 150)));
        if (qEnvironmentVariableIsSet("ANNOTRAIN_SCREENSHOT_DIR")) {
            QTest::qWait(300);
            w.grab().save(qEnvironmentVariable("ANNOTRAIN_SCREENSHOT_DIR") + QStringLiteral("/big-image-detail.png"));
        }
        // Back to the whole image: the overview is enough again.
        w.view()->fitInView(w.scene()->sceneRect(), Qt::KeepAspectRatio);
        QTRY_COMPARE_WITH_TIMEOUT(w.detailRect(), QRect(), 5000);
    }

    void refusesNonProject()
    {
        ui::MainWindow w;
        QTemporaryDir tmp;
        QFile f(tmp.filePath(QStringLiteral("x.atproj")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a project");
        f.close();
        QVERIFY(!w.openProject(f.fileName()).ok());
        QCOMPARE(w.imageCount(), 0);
    }
};

QTEST_MAIN(TestViewer)
#include "tst_viewer.moc"
