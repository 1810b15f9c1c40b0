// The import and export dialogs: a real VIA file (the droplets' training set)
// comes in off the GUI thread with its format detected, the project goes out as
// COCO, and a broken file is refused with its name and changes nothing.
#include "core/project_store.h"
#include "tests/must.h"
#include "ui/transferdialog.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

class TestTransfer : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_project;
    const QString m_data = QStringLiteral(ANNOTRAIN_SHARED_DATA "/droplets/train");

    static bool run(ui::TransferDialog &d, QList<QVariant> *result)
    {
        QSignalSpy done(&d, &ui::TransferDialog::finished);
        QTest::mouseClick(d.startButton(), Qt::LeftButton);
        if (!d.isRunning() || !done.wait(60000)) return false;
        *result = done.first();
        return true;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_project = m_dir.filePath(QStringLiteral("drops.atproj"));
        QVERIFY(core::ProjectStore::create(m_project.toStdString()).ok());
    }

    void importDetectsTheFormat()
    {
        ui::TransferDialog d(ui::TransferDialog::Mode::Import, m_project);
        QSignalSpy changed(&d, &ui::TransferDialog::projectChanged);
        d.setSource(m_data + QStringLiteral("/via_region_data.json"));
        QList<QVariant> r;
        QVERIFY(run(d, &r));
        QVERIFY2(r.at(0).toBool(), qPrintable(r.at(1).toString()));
        QCOMPARE(changed.count(), 1);
        auto store = core::ProjectStore::open(m_project.toStdString());
        QVERIFY(store.ok());
        QVERIFY(must(store->imageCount()) > 0);
        QVERIFY(!must(store->allRegions()).empty());
        QVERIFY(d.resultText().contains(QStringLiteral("regions")));
    }

    void badFileChangesNothing()
    {
        const QString bad = m_dir.filePath(QStringLiteral("broken.json"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"a.jpg123": {"filename": "a.jpg", "size": 123, "regions": [{"shape_attributes": {"name": "polygon", "all_points_x": [1, 2)");
        f.close();
        const auto before = must(core::ProjectStore::open(m_project.toStdString())->allRegions()).size();
        ui::TransferDialog d(ui::TransferDialog::Mode::Import, m_project);
        d.setSource(bad);
        d.setFormat(QStringLiteral("via"));
        QList<QVariant> r;
        QVERIFY(run(d, &r));
        QVERIFY(!r.at(0).toBool());
        QVERIFY2(r.at(1).toString().contains(QStringLiteral("broken.json")), qPrintable(r.at(1).toString()));
        QVERIFY(d.resultText().contains(QStringLiteral("Nothing was changed")));
        QCOMPARE(must(core::ProjectStore::open(m_project.toStdString())->allRegions()).size(), before);
    }

    void exportWritesCoco()
    {
        ui::TransferDialog d(ui::TransferDialog::Mode::Export, m_project);
        const QString out = m_dir.filePath(QStringLiteral("out.coco.json"));
        d.setSource(out);
        d.setFormat(QStringLiteral("coco"));
        QList<QVariant> r;
        QVERIFY(run(d, &r));
        QVERIFY2(r.at(0).toBool(), qPrintable(r.at(1).toString()));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto doc = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(static_cast<std::size_t>(doc.value(QStringLiteral("annotations")).toArray().size()),
                 must(core::ProjectStore::open(m_project.toStdString())->allRegions()).size());
    }
};

QTEST_MAIN(TestTransfer)
#include "tst_transfer.moc"
