// The viewer opens the sample project, lists its images and draws the selected
// image's regions once the worker thread has decoded it.
#include "core/sample_project.h"
#include "ui/mainwindow.h"

#include <QGraphicsItem>
#include <QGraphicsScene>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

class TestViewer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsSampleRegions()
    {
        QTemporaryDir tmp;
        auto project = core::createSampleProject(tmp.path().toStdString());
        QVERIFY(project.ok());
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(*project)).ok());
        QCOMPARE(w.imageCount(), 48);
        QVERIFY(shown.wait(5000));
        // One pixmap plus the regions of the first image (a single shape in the sample).
        QCOMPARE(w.scene()->items().size(), qsizetype(2));
        w.showImage(3); // images 3, 7, ... carry two shapes
        QVERIFY(shown.wait(5000));
        QCOMPARE(w.scene()->items().size(), qsizetype(3));
        QCOMPARE(shown.last().at(0).toInt(), 3);
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
