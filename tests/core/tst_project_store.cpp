// The project store: every edit persists at once, bad imports change nothing,
// paths cannot escape the image roots, and schemas from the future are refused.
#include "core/project_store.h"
#include "tests/must.h"
#include "testutil.h"

#include <sqlite3.h>

#include <QTemporaryDir>

#include <chrono>
#include <fstream>
#include <thread>

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
        QCOMPARE(must(s->classes()).size(), std::size_t(1));
        QCOMPARE(must(s->classes())[0].name, std::string("cat"));
        QCOMPARE(must(s->classes())[0].color.size(), std::size_t(7));
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
        Dataset back = must(reopened->exportDataset(std::nullopt, &roots));
        std::string why;
        QVERIFY2(testutil::sameAnnotations(ds, back, &why), why.c_str());
        QCOMPARE(back.images[0].regions[0].extra["kept"].get<int>(), 1);
        QCOMPARE(back.extra["_via_settings"]["project"]["name"].get<std::string>(), std::string("x"));
        QCOMPARE(roots[0], m_tmp.path().toStdString());
        QCOMPARE(must(reopened->exportDataset(Split::Val)).images.size(), std::size_t(1));
        QCOMPARE(must(reopened->images())[0].regionCount, 2);
        // The root lies beside the project, so it is stored relative: the project folder can move.
        QCOMPARE(must(reopened->roots()).size(), std::size_t(1));

        // Importing again appends to matched images unless told to replace.
        io.replaceRegions = true;
        auto again = reopened->importDataset(ds, io);
        QCOMPARE(again->imagesMatched, 3);
        QCOMPARE(must(reopened->allRegions()).size(), std::size_t(6));
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
        QCOMPARE(must(s->allRegions()).size(), std::size_t(6));
        QCOMPARE(must(s->classes()).size(), std::size_t(2));
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
        QCOMPARE(must(s->imageCount()), 0);
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
            for (const auto &c : must(s->classes()))
                (c.name == "cat" ? cat : dog) = c.id;
            img = must(s->images())[0].id;
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
        auto regs = must(s->regions(img));
        QCOMPARE(regs.size(), std::size_t(3));
        QCOMPARE(regs.back().id, ids[0]);
        QCOMPARE(regs.back().shape, *Shape::rect(5, 5, 5, 5));
        QCOMPARE(s->image(img)->split, Split::Test);
        QCOMPARE(must(s->setting("classAttribute")), std::string("label"));
        QVERIFY(must(s->classes())[0].name == "kitten");
        // Merge moves every region of one class into the other; the state taken
        // before it puts the class and its regions back (the editor's undo).
        const std::vector<Id> catRegions = [&] {
            std::vector<Id> v;
            for (const auto &r : must(s->allRegions()))
                if (r.classId == cat) v.push_back(r.id);
            return v;
        }();
        // The usage counts agree with the regions themselves.
        {
            std::map<Id, int> counted;
            for (const auto &r : must(s->allRegions())) ++counted[r.classId];
            QCOMPARE(must(s->classUsage()).regions, counted);
        }
        const ClassState beforeMerge = must(s->classState({cat, dog}));
        QVERIFY(s->mergeClasses(cat, dog).ok());
        QCOMPARE(must(s->classes()).size(), std::size_t(1));
        for (const auto &r : must(s->allRegions()))
            QCOMPARE(r.classId, dog);
        const ClassState afterMerge = must(s->classState({cat, dog}));
        QVERIFY(s->restoreClassState(beforeMerge).ok());
        QCOMPARE(must(s->classes()).size(), std::size_t(2));
        QCOMPARE(must(s->classes())[0].name, std::string("kitten"));
        QCOMPARE(must(s->classes())[0].id, cat);
        for (const auto &r : must(s->allRegions()))
            QCOMPARE(r.classId, std::find(catRegions.begin(), catRegions.end(), r.id) != catRegions.end() ? cat : dog);
        // Names swapped between two classes come back without tripping over uniqueness.
        const ClassState named = must(s->classState({}));
        QVERIFY(s->renameClass(cat, "tmp").ok() && s->renameClass(dog, "kitten").ok() && s->renameClass(cat, "dog").ok());
        QVERIFY(s->restoreClassState(named).ok());
        QCOMPARE(must(s->classes())[0].name, std::string("kitten"));
        QCOMPARE(must(s->classes())[1].name, std::string("dog"));
        QVERIFY(s->restoreClassState(afterMerge).ok());
        QCOMPARE(must(s->classes()).size(), std::size_t(1));
        for (const auto &r : must(s->allRegions()))
            QCOMPARE(r.classId, dog);
        // Undo of a removal restores the region under its old id.
        const Region gone = must(s->regions(img)).back();
        QVERIFY(s->removeRegions({gone.id}).ok());
        QVERIFY(s->restoreRegions({gone}).ok());
        QCOMPARE(must(s->regions(img)).back().id, gone.id);
        // Removing a class leaves its regions unclassed, not deleted.
        const auto before = must(s->allRegions()).size();
        QVERIFY(s->removeClass(dog).ok());
        QCOMPARE(must(s->allRegions()).size(), before);
        QCOMPARE(must(s->allRegions())[0].classId, Id(0));
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
        QCOMPARE(must(s->images())[1].relPath, std::string("sub/b.PNG"));
        QCOMPARE(must(s->images())[1].absPath, dir.path().toStdString() + "/sub/b.PNG");
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
        QCOMPARE(must(s->runs())[0].summary["accuracy"].get<double>(), 0.9);
        AttributeDef a;
        a.name = "kind";
        a.type = "radio";
        a.options = {{"a", "A"}, {"b", "B"}};
        a.defaults = {"a"};
        QVERIFY(s->setAttributeSchema({a}).ok());
        QCOMPARE(must(s->attributeSchema())[0].options["b"].get<std::string>(), std::string("B"));
        QCOMPARE(must(s->attributeSchema())[0].defaults, std::vector<std::string>{"a"});
    }
    // A damaged project: every read says so (code Invalid, "damaged"), none returns an empty list.
    void readsReportFailures()
    {
        const std::string p = path("damaged.atproj");
        {
            auto s = ProjectStore::create(p);
            Dataset ds = smallDataset();
            for (int i = 3; i < 300; ++i) { // enough rows for the tables to span many pages
                ImageEntry im = ds.images[0];
                im.path = "many/img" + std::to_string(i) + ".jpg";
                ds.images.push_back(im);
            }
            ImportOptions io;
            io.imageRoot = m_tmp.path().toStdString();
            QVERIFY(s->importDataset(ds, io).ok());
            sqlExec(p, "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        {
            std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(0, std::ios::end);
            const std::streamoff size = f.tellp();
            QVERIFY(size > 8 * 4096);
            const std::string garbage(static_cast<std::size_t>(size - 4096), '\xA5');
            f.seekp(4096); // page 1 (the schema) stays, every table's pages go
            f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
        }
        auto s = ProjectStore::open(p);
        QVERIFY2(s.ok(), s.ok() ? "" : s.error().toString().c_str()); // the schema page is intact
        auto expectDamaged = [](const char *what, const auto &r) {
            QVERIFY2(!r.ok(), what);
            QCOMPARE(r.error().file.empty(), false);
            QVERIFY2(QString::fromStdString(r.error().message).contains(QStringLiteral("damaged")), r.error().toString().c_str());
        };
        expectDamaged("images", s->images());
        expectDamaged("image", s->image(1));
        expectDamaged("imageCount", s->imageCount());
        expectDamaged("imageAttributes", s->imageAttributes(1));
        expectDamaged("classes", s->classes());
        expectDamaged("classUsage", s->classUsage());
        expectDamaged("classState", s->classState({1}));
        expectDamaged("regions", s->regions(1));
        expectDamaged("allRegions", s->allRegions());
        expectDamaged("exportDataset", s->exportDataset());
        expectDamaged("roots", s->roots());
        expectDamaged("runs", s->runs());
    }

    // Opening tells the causes apart: missing, a folder, not a project, locked, and an
    // opening that has to wait for a writer succeeds.
    void openFailuresToldApart()
    {
        auto message = [](const Result<ProjectStore> &r) { return r.ok() ? QString() : QString::fromStdString(r.error().toString()); };
        QVERIFY(message(ProjectStore::open(path("nowhere.atproj"))).contains(QStringLiteral("no such project file")));
        QVERIFY(message(ProjectStore::open(m_tmp.path().toStdString())).contains(QStringLiteral("is a folder")));

        const std::string p = path("locked.atproj");
        QVERIFY(ProjectStore::create(p).ok());
        sqlite3 *other = nullptr;
        QCOMPARE(sqlite3_open(p.c_str(), &other), SQLITE_OK);
        QCOMPARE(sqlite3_exec(other, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO settings VALUES('x', 'y');",
                              nullptr, nullptr, nullptr), SQLITE_OK);
        auto locked = ProjectStore::open(p, 200);
        QVERIFY(!locked.ok());
        QCOMPARE(locked.error().code, ErrorCode::Busy);
        QVERIFY2(message(locked).contains(QStringLiteral("locked by another program")), qPrintable(message(locked)));
        QVERIFY(!message(locked).contains(QStringLiteral("not an SQLite")));

        // The other program finishes 300 ms later; an open that started meanwhile waits for it.
        std::thread release([other] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            sqlite3_exec(other, "COMMIT; PRAGMA locking_mode = NORMAL; SELECT 1 FROM settings;", nullptr, nullptr, nullptr);
            sqlite3_close(other);
        });
        auto waited = ProjectStore::open(p);
        release.join();
        QVERIFY2(waited.ok(), qPrintable(message(waited)));
        QCOMPARE(must(waited->setting("x")), std::string("y"));
    }

    // A symbolic link below a root that points outside it does not let an image in.
    void symlinksDoNotEscapeRoots()
    {
        QTemporaryDir dir, outside;
        QDir(dir.path()).mkpath(QStringLiteral("imgs/sub"));
        const std::string root = dir.filePath(QStringLiteral("imgs")).toStdString();
        std::ofstream(root + "/ok.png") << "x";
        std::ofstream(outside.filePath(QStringLiteral("secret.png")).toStdString()) << "x";
        QVERIFY(QFile::link(QStringLiteral("/etc/passwd"), QString::fromStdString(root + "/passwd.png")));
        QVERIFY(QFile::link(outside.path(), QString::fromStdString(root + "/out")));
        QVERIFY(QFile::link(QString::fromStdString(root + "/ok.png"), QString::fromStdString(root + "/sub/alias.png"))); // stays inside

        auto s = ProjectStore::create(dir.filePath(QStringLiteral("links.atproj")).toStdString());
        QCOMPARE(must(s->addImagesFromDir(root)), 2); // ok.png and sub/alias.png; not the link to /etc/passwd
        for (const auto &im : must(s->images())) QVERIFY(im.relPath != "passwd.png");

        for (const char *name : {"out/secret.png", "passwd.png"}) {
            Dataset ds;
            ImageEntry im;
            im.path = name;
            ds.images.push_back(im);
            ImportOptions io;
            io.imageRoot = root;
            auto rep = s->importDataset(ds, io);
            QVERIFY2(!rep.ok(), name);
            QCOMPARE(rep.error().code, ErrorCode::OutsideRoots);
            QVERIFY(QString::fromStdString(rep.error().message).contains(QStringLiteral("symbolic link")));
            QVERIFY(!s->resolveImagePath(root, name).ok());
        }
        QCOMPARE(must(s->imageCount()), 2);
        QVERIFY(s->resolveImagePath(root, "sub/alias.png").ok());
    }

    // A root added through another connection is seen at once: images below it get their paths.
    void rootsAddedElsewhereAreSeen()
    {
        QTemporaryDir dir;
        QDir(dir.path()).mkpath(QStringLiteral("later"));
        std::ofstream(dir.filePath(QStringLiteral("later/x.jpg")).toStdString()) << "x";
        const std::string p = dir.filePath(QStringLiteral("r.atproj")).toStdString();
        auto gui = ProjectStore::create(p);
        QCOMPARE(must(gui->roots()).size(), std::size_t(0));
        {
            auto worker = ProjectStore::open(p);
            QCOMPARE(must(worker->addImagesFromDir(dir.filePath(QStringLiteral("later")).toStdString())), 1);
        }
        const auto images = must(gui->images());
        QCOMPARE(images.size(), std::size_t(1));
        QCOMPARE(images[0].absPath, dir.filePath(QStringLiteral("later/x.jpg")).toStdString());
        QCOMPARE(must(gui->roots()).size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestProjectStore)
#include "tst_project_store.moc"
