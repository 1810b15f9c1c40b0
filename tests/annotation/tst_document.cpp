// The document: every edit is one undo step written through to the store at once;
// undo and redo restore regions under their ids; a vertex drag is one step; an
// edit that changes nothing is not pushed; reopening the project finds the work.
#include "annotation/document.h"
#include "tests/must.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace annotation;

class TestDocument : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string m_path;
    core::Id m_image = 0, m_class = 0;

    std::shared_ptr<core::ProjectStore> open() { return std::make_shared<core::ProjectStore>(std::move(core::ProjectStore::open(m_path).value())); }

private Q_SLOTS:
    void init()
    {
        m_path = m_dir.filePath(QStringLiteral("doc-%1.atproj").arg(QDateTime::currentMSecsSinceEpoch())).toStdString();
        auto store = core::ProjectStore::create(m_path);
        QVERIFY(store.ok());
        core::Dataset ds;
        core::ImageEntry im;
        im.path = "a.png";
        ds.images.push_back(im);
        core::ImportOptions io;
        io.imageRoot = m_dir.path().toStdString();
        QVERIFY(store->importDataset(ds, io).ok());
        m_image = must(store->images())[0].id;
        m_class = *store->addClass("cell");
    }

    void addUndoRedoWriteThrough()
    {
        Document doc(open());
        QVERIFY(doc.setImage(m_image).ok());
        QSignalSpy changed(&doc, &Document::changed);
        core::Region r;
        r.shape = *core::Shape::polygon({{1, 1}, {10, 1}, {5, 8}});
        r.classId = m_class;
        doc.addRegion(r);
        QCOMPARE(doc.regions().size(), std::size_t(1));
        const core::Id id = doc.regions()[0].id;
        QCOMPARE(changed.last().at(0).value<ChangeEvent>().kind, ChangeEvent::Added);
        // Already in the store, through another connection: nothing waits for a save.
        QCOMPARE(must(open()->regions(m_image)).size(), std::size_t(1));
        doc.undoStack()->undo();
        QVERIFY(doc.regions().empty());
        QVERIFY(must(open()->regions(m_image)).empty());
        doc.undoStack()->redo();
        QCOMPARE(doc.regions()[0].id, id); // the same region comes back, same id
        QCOMPARE(must(open()->regions(m_image))[0].shape, r.shape);
    }

    void dragIsOneStep()
    {
        Document doc(open());
        QVERIFY(doc.setImage(m_image).ok());
        core::Region r;
        r.shape = *core::Shape::polygon({{0, 0}, {10, 0}, {5, 5}});
        doc.addRegion(r);
        const core::Id id = doc.regions()[0].id;
        const int before = doc.undoStack()->count();
        for (int k = 1; k <= 10; ++k) // a vertex dragged through ten positions
            doc.changeShape(id, *core::Shape::polygon({{0, 0}, {10.0 + k, double(k)}, {5, 5}}), 42);
        QCOMPARE(doc.undoStack()->count(), before + 1);
        QCOMPARE(must(open()->regions(m_image))[0].shape, *core::Shape::polygon({{0, 0}, {20, 10}, {5, 5}}));
        doc.undoStack()->undo();
        QCOMPARE(doc.region(id)->shape, r.shape);
        QCOMPARE(must(open()->regions(m_image))[0].shape, r.shape);
        // Unchanged shapes and classes push nothing.
        doc.changeShape(id, r.shape);
        doc.setClass({id}, 0);
        QCOMPARE(doc.undoStack()->index(), before);
    }

    void deleteAndClassSurviveReopen()
    {
        {
            Document doc(open());
            QVERIFY(doc.setImage(m_image).ok());
            core::Region r;
            r.shape = *core::Shape::rect(1, 2, 3, 4);
            doc.addRegion(r);
            doc.addRegion(r);
            const core::Id a = doc.regions()[0].id, b = doc.regions()[1].id;
            doc.setClass({a}, m_class);
            doc.removeRegions({b});
            QCOMPARE(doc.regions().size(), std::size_t(1));
            doc.undoStack()->undo(); // the deletion
            QCOMPARE(doc.regions().size(), std::size_t(2));
            doc.undoStack()->redo();
        } // the document is gone, as after a crash: nothing was held back
        auto store = open();
        const auto regions = must(store->regions(m_image));
        QCOMPARE(regions.size(), std::size_t(1));
        QCOMPARE(regions[0].classId, m_class);
    }
};

QTEST_MAIN(TestDocument)
#include "tst_document.moc"
