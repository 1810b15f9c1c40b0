// The project store: every edit persists at once, bad imports change nothing,
// paths cannot escape the image roots, and schemas from the future are refused.
#include "core/project_store.h"
#include "testutil.h"

#include <sqlite3.h>

#include <QTemporaryDir>

#include <fstream>

using namespace core;

namespace {
Dataset smallDataset()
{
    Dataset ds;
    for (int i = 0; i < 3; ++i) {
        ImageEntry im;
        im.path = "img" + std::to_string(i) + ".jpg";
        im.width = 100;
        im.height = 80;
        im.split = i == 2 ? Split::Val : Split::Train;
        RegionData r;
        r.shape = *Shape::polygon({{1, 1}, {20, 1}, {10, 15}});
        r.className = i % 2 ? "dog" : "cat";
        r.attributes = {{"class", r.className}, {"note", "ünï \"q\""}};
        r.extra = {{"kept", 1}};
        im.regions.push_back(r);
        r.shape = *Shape::ellipse(50, 40, 10, 5, 0.2);
        im.regions.push_back(r);
        ds.ensureClass(r.className);
        ds.images.push_back(im);
    }
    ds.extra = {{"_via_settings", {{"project", {{"name", "x"}}}}}};
    return ds;
}

void sqlExec(const std::string &path, const char *sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    sqlite3_close(db);
}
} // namespace

class TestProjectStore : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string path(const char *name) { return m_tmp.filePath(QString::fromUtf8(name)).toStdString(); }

private Q_SLOTS:
    void createOpenReopen()
    {
        const std::string p = path("a.atproj");
        {
            auto s = ProjectStore::create(p);
            QVERIFY2(s.ok(), s.ok() ? "" : s.error().toString().c_str());
            QVERIFY(s->addClass("cat").ok());
            QVERIFY(!s->addClass("cat").ok()); // duplicate names refused
        }
        QVERIFY(!ProjectStore::create(p).ok()); // never overwrites
        auto s = ProjectStore::open(p);
        QVERIFY(s.ok());
        QCOMPARE(s->classes().size(), std::size_t(1));
        QCOMPARE(s->classes()[0].name, std::string("cat"));
        QCOMPARE(s->classes()[0].color.size(), std::size_t(7));
    }

    void importExportRoundTrip()
    {
        const std::string p = path("b.atproj");
        auto s = ProjectStore::create(p);
        const Dataset ds = smallDataset();
        ImportOptions io;
        io.imageRoot = m_tmp.path().toStdString();
        auto rep = s->importDataset(ds, io);
        QVERIFY2(rep.ok(), rep.ok() ? "" : rep.error().toString().c_str());
        QCOMPARE(rep->imagesAdded, 3);
        QCOMPARE(rep->regionsAdded, 6);
        QCOMPARE(rep->classesAdded, 2);

        auto reopened = ProjectStore::open(p);
        std::vector<std::string> roots;
        Dataset back = reopened->exportDataset(std::nullopt, &roots);
        std::string why;
        QVERIFY2(testutil::sameAnnotations(ds, back, &why), why.c_str());
        QCOMPARE(back.images[0].regions[0].extra["kept"].get<int>(), 1);
        QCOMPARE(back.extra["_via_settings"]["project"]["name"].get<std::string>(), std::string("x"));
        QCOMPARE(roots[0], m_tmp.path().toStdString());
        QCOMPARE(reopened->exportDataset(Split::Val).images.size(), std::size_t(1));
        QCOMPARE(reopened->images()[0].regionCount, 2);
        // The root lies beside the project, so it is stored relative: the project folder can move.
        QCOMPARE(reopened->roots().size(), std::size_t(1));

        // Importing again appends to matched images unless told to replace.
        io.replaceRegions = true;
        auto again = reopened->importDataset(ds, io);
        QCOMPARE(again->imagesMatched, 3);
        QCOMPARE(reopened->allRegions().size(), std::size_t(6));
    }

    void pathEscapeRefusedAndNothingChanges_data()
    {
        QTest::addColumn<QString>("bad");
        QTest::newRow("dotdot") << QStringLiteral("../../x.jpg");
        QTest::newRow("absolute elsewhere") << QStringLiteral("/etc/passwd");
        QTest::newRow("backslash dotdot") << QStringLiteral("..\\..\\x.jpg");
    }
    void pathEscapeRefusedAndNothingChanges()
    {
        QFETCH(QString, bad);
        QTemporaryDir dir;
        const std::string p = dir.filePath(QStringLiteral("c.atproj")).toStdString();
        auto s = ProjectStore::create(p);
        ImportOptions io;
        io.imageRoot = dir.path().toStdString();
        QVERIFY(s->importDataset(smallDataset(), io).ok());
        Dataset ds = smallDataset();
        ds.images[1].path = bad.toStdString();
        ds.ensureClass("newclass");
        auto r = s->importDataset(ds, io);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::OutsideRoots);
        QVERIFY(QString::fromStdString(r.error().toString()).contains(bad));
        QCOMPARE(r.error().where, std::string("$.images[1]"));
        QCOMPARE(s->allRegions().size(), std::size_t(6));
        QCOMPARE(s->classes().size(), std::size_t(2));
        QVERIFY(!s->resolveImagePath(io.imageRoot, bad.toStdString()).ok());
        QVERIFY(s->resolveImagePath(io.imageRoot, "sub/ok.jpg").ok());
    }

    void cancelRollsBack()
    {
        QTemporaryDir dir;
        auto s = ProjectStore::create(dir.filePath(QStringLiteral("d.atproj")).toStdString());
        std::atomic<bool> cancel{false};
        ImportOptions io;
        io.imageRoot = dir.path().toStdString();
        io.cancel = &cancel;
        io.progress = [&](double f) { if (f > 0.3) cancel = true; };
        Dataset big;
        for (int i = 0; i < 400; ++i) {
            ImageEntry im;
            im.path = std::to_string(i) + ".png";
            big.images.push_back(im);
        }
        auto r = s->importDataset(big, io);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().code, ErrorCode::Cancelled);
        QCOMPARE(s->imageCount(), 0);
    }

    void editsPersist()
    {
        QTemporaryDir dir;
        const std::string p = dir.filePath(QStringLiteral("e.atproj")).toStdString();
        Id cat = 0, dog = 0, img = 0;
        std::vector<Id> ids;
        {
            auto s = ProjectStore::create(p);
            ImportOptions io;
            io.imageRoot = dir.path().toStdString();
            QVERIFY(s->importDataset(smallDataset(), io).ok());
            for (const auto &c : s->classes())
                (c.name == "cat" ? cat : dog) = c.id;
            img = s->images()[0].id;
            Region r;
            r.imageId = img;
            r.shape = *Shape::rect(1, 2, 3, 4);
            r.classId = dog;
            auto added = s->addRegions({r, r});
            QVERIFY(added.ok());
            ids = *added;
            r.id = ids[0];
            r.shape = *Shape::rect(5, 5, 5, 5);
            QVERIFY(s->updateRegions({r}).ok());
            QVERIFY(s->removeRegions({ids[1]}).ok());
            QVERIFY(s->renameClass(cat, "kitten").ok());
            QVERIFY(!s->renameClass(cat, "dog").ok()); // a rename onto another class is a merge
            QVERIFY(s->setSplits({{img, Split::Test}}).ok());
            QVERIFY(s->setSetting("classAttribute", "label").ok());
        }
        auto s = ProjectStore::open(p);
        auto regs = s->regions(img);
        QCOMPARE(regs.size(), std::size_t(3));
        QCOMPARE(regs.back().id, ids[0]);
        QCOMPARE(regs.back().shape, *Shape::rect(5, 5, 5, 5));
        QCOMPARE(s->image(img)->split, Split::Test);
        QCOMPARE(s->setting("classAttribute"), std::string("label"));
        QVERIFY(s->classes()[0].name == "kitten");
        // Merge moves every region of one class into the other; the state taken
        // before it puts the class and its regions back (the editor's undo).
        const std::vector<Id> catRegions = [&] {
            std::vector<Id> v;
            for (const auto &r : s->allRegions())
                if (r.classId == cat) v.push_back(r.id);
            return v;
        }();
        // The usage counts agree with the regions themselves.
        {
            std::map<Id, int> counted;
            for (const auto &r : s->allRegions()) ++counted[r.classId];
            QCOMPARE(s->classUsage().regions, counted);
        }
        const ClassState beforeMerge = s->classState({cat, dog});
        QVERIFY(s->mergeClasses(cat, dog).ok());
        QCOMPARE(s->classes().size(), std::size_t(1));
        for (const auto &r : s->allRegions())
            QCOMPARE(r.classId, dog);
        const ClassState afterMerge = s->classState({cat, dog});
        QVERIFY(s->restoreClassState(beforeMerge).ok());
        QCOMPARE(s->classes().size(), std::size_t(2));
        QCOMPARE(s->classes()[0].name, std::string("kitten"));
        QCOMPARE(s->classes()[0].id, cat);
        for (const auto &r : s->allRegions())
            QCOMPARE(r.classId, std::find(catRegions.begin(), catRegions.end(), r.id) != catRegions.end() ? cat : dog);
        // Names swapped between two classes come back without tripping over uniqueness.
        const ClassState named = s->classState({});
        QVERIFY(s->renameClass(cat, "tmp").ok() && s->renameClass(dog, "kitten").ok() && s->renameClass(cat, "dog").ok());
        QVERIFY(s->restoreClassState(named).ok());
        QCOMPARE(s->classes()[0].name, std::string("kitten"));
        QCOMPARE(s->classes()[1].name, std::string("dog"));
        QVERIFY(s->restoreClassState(afterMerge).ok());
        QCOMPARE(s->classes().size(), std::size_t(1));
        for (const auto &r : s->allRegions())
            QCOMPARE(r.classId, dog);
        // Undo of a removal restores the region under its old id.
        const Region gone = s->regions(img).back();
        QVERIFY(s->removeRegions({gone.id}).ok());
        QVERIFY(s->restoreRegions({gone}).ok());
        QCOMPARE(s->regions(img).back().id, gone.id);
        // Removing a class leaves its regions unclassed, not deleted.
        const auto before = s->allRegions().size();
        QVERIFY(s->removeClass(dog).ok());
        QCOMPARE(s->allRegions().size(), before);
        QCOMPARE(s->allRegions()[0].classId, Id(0));
    }

    void newerSchemaRefused()
    {
        const std::string p = path("future.atproj");
        QVERIFY(ProjectStore::create(p).ok());
        sqlExec(p, "PRAGMA user_version = 99");
        auto s = ProjectStore::open(p);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().code, ErrorCode::Schema);
        QVERIFY(QString::fromStdString(s.error().message).contains(QStringLiteral("newer")));
    }

    void notAProjectRefused()
    {
        const std::string text = path("text.atproj");
        std::ofstream(text) << "hello, this is not a database at all, just text padding it to a page...";
        auto s = ProjectStore::open(text);
        QVERIFY(!s.ok());
        QVERIFY(QString::fromStdString(s.error().message).contains(QStringLiteral("not an Annotrain")));
        const std::string other = path("other.sqlite");
        sqlExec(other, "CREATE TABLE t(x)");
        QVERIFY(!ProjectStore::open(other).ok());
        QVERIFY(!ProjectStore::open(path("missing.atproj")).ok());
    }

    void addImagesFromDir()
    {
        QTemporaryDir dir;
        QDir(dir.path()).mkpath(QStringLiteral("sub/deeper"));
        for (const char *n : {"a.jpg", "sub/b.PNG", "sub/deeper/c.tif", "notes.txt"})
            std::ofstream(dir.filePath(QString::fromUtf8(n)).toStdString()) << "x";
        auto s = ProjectStore::create(dir.filePath(QStringLiteral("f.atproj")).toStdString());
        auto n = s->addImagesFromDir(dir.path().toStdString());
        QVERIFY(n.ok());
        QCOMPARE(*n, 3);
        QCOMPARE(*s->addImagesFromDir(dir.path().toStdString()), 0); // idempotent
        QCOMPARE(s->images()[1].relPath, std::string("sub/b.PNG"));
        QCOMPARE(s->images()[1].absPath, dir.path().toStdString() + "/sub/b.PNG");
    }

    void runsAndSchema()
    {
        QTemporaryDir dir;
        auto s = ProjectStore::create(dir.filePath(QStringLiteral("g.atproj")).toStdString());
        RunRecord run;
        run.name = "first";
        run.dir = "/tmp/run1";
        run.config = {{"model", "smallcnn"}};
        auto id = s->addRun(run);
        QVERIFY(id.ok());
        run.id = *id;
        run.summary = {{"accuracy", 0.9}};
        QVERIFY(s->updateRun(run).ok());
        QCOMPARE(s->runs()[0].summary["accuracy"].get<double>(), 0.9);
        AttributeDef a;
        a.name = "kind";
        a.type = "radio";
        a.options = {{"a", "A"}, {"b", "B"}};
        a.defaults = {"a"};
        QVERIFY(s->setAttributeSchema({a}).ok());
        QCOMPARE(s->attributeSchema()[0].options["b"].get<std::string>(), std::string("B"));
        QCOMPARE(s->attributeSchema()[0].defaults, std::vector<std::string>{"a"});
    }
};

QTEST_GUILESS_MAIN(TestProjectStore)
#include "tst_project_store.moc"
