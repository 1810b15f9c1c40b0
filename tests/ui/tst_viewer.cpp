// The viewer opens the sample project, lists its images and draws the selected
// image's regions once the worker thread has decoded it.
#include "core/sample_project.h"
#include "tests/must.h"
#include "core/project_store.h"
#include "ui/datasetmodel.h"
#include "annotation/canvas.h"
#include "annotation/imagelayer.h"
#include "ui/annotateworkspace.h"
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
        QCOMPARE(w.annotate()->imageCount(), 48);
        QVERIFY(shown.wait(5000));
        // The regions of the first image (a single shape in the sample).
        QCOMPARE(w.annotate()->drawnRegionCount(), 1);
        w.annotate()->showImage(3); // images 3, 7, ... carry two shapes
        QVERIFY(shown.wait(5000));
        QCOMPARE(w.annotate()->drawnRegionCount(), 2);
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
        w.annotate()->datasetFilter()->setSplit(ui::DatasetFilter::SplitFilter::Val);
        QCOMPARE(w.annotate()->imageList()->model()->rowCount(), val);
        w.annotate()->datasetFilter()->setSplit(ui::DatasetFilter::SplitFilter::All);
        w.annotate()->datasetFilter()->setNameFilter(QStringLiteral("SHAPE_01"));
        QCOMPARE(w.annotate()->imageList()->model()->rowCount(), 10); // shape_010 .. shape_019
        w.annotate()->datasetFilter()->setNameFilter(QString());
        w.annotate()->datasetFilter()->setSplit(ui::DatasetFilter::SplitFilter::Val);
        w.annotate()->imageList()->setCurrentIndex(w.annotate()->imageList()->model()->index(0, 0));
        QTRY_VERIFY(valPaths.count(w.annotate()->currentImagePath().toStdString()));
        const QString first = w.annotate()->currentImagePath();
        w.annotate()->canvas()->setFocus();
        QTest::keyClick(w.annotate()->canvas(), Qt::Key_D);
        QTRY_VERIFY(w.annotate()->currentImagePath() != first);
        QVERIFY(valPaths.count(w.annotate()->currentImagePath().toStdString())); // the next val image, not the next in the project
    }

    // An image wider than 8k pixels is shown from its tile pyramid over its full pixel
    // grid; zoomed in, the part in view comes at full resolution (stripes one pixel
    // wide, which any coarser level blurs, are exact on screen); zoomed out, a
    // coarser level is shown again.
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
        QVERIFY(shown.wait(20000));
        annotation::Canvas *canvas = w.annotate()->canvas();
        annotation::ImageLayer *image = canvas->imageLayer();
        QCOMPARE(canvas->scene()->sceneRect(), QRectF(0, 0, 9000, 300));
        QVERIFY(image->isPyramid());
        QVERIFY(QFileInfo::exists(tmp.filePath(QStringLiteral("big.cache/pyramids")))); // beside the project

        w.resize(900, 600);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        canvas->fitToWindow();
        QTRY_VERIFY_WITH_TIMEOUT(image->isSharp(), 5000);
        QVERIFY(image->levelShown() >= 1); // the whole width: a coarse level is all the screen can show

        canvas->setTransform(QTransform::fromScale(2, 2));
        canvas->centerOn(6100, 150);
        canvas->viewport()->repaint();
        QTRY_VERIFY_WITH_TIMEOUT(image->isSharp(), 10000);
        QCOMPARE(image->levelShown(), 0);
        const QImage screen = canvas->viewport()->grab().toImage();
        for (int x = 6090; x < 6110; ++x) {
            const QPoint at = canvas->mapFromScene(QPointF(x + 0.5, 150.5));
            QCOMPARE(QColor(screen.pixel(at)), QColor(wide.pixel(x, 150)));
        }
        if (qEnvironmentVariableIsSet("ANNOTRAIN_SCREENSHOT_DIR")) {
            QTest::qWait(300);
            w.grab().save(qEnvironmentVariable("ANNOTRAIN_SCREENSHOT_DIR") + QStringLiteral("/big-image-detail.png"));
        }
        // Back to the whole image: a coarse level is enough again.
        canvas->fitToWindow();
        canvas->viewport()->repaint();
        QTRY_VERIFY_WITH_TIMEOUT(image->isSharp() && image->levelShown() >= 1, 5000);
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
        QCOMPARE(w.annotate()->imageCount(), 0);
    }
};

QTEST_MAIN(TestViewer)
#include "tst_viewer.moc"
