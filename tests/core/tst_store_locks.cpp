// The project's SQLite locks survive code in the same process that opens and closes
// the project file (a file dialog's MIME sniffing does): another program that opens
// and closes the project meanwhile must neither delete the live WAL nor take an
// exclusive lock. The control case shows that with plain POSIX locks (SQLite's default
// VFS) the same sequence does delete the WAL on this system, so the test would see it.
#include "core/project_store.h"
#include "tests/must.h"
#include "tests/open_files.h"

#include <sqlite3.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>


namespace fs = std::filesystem;
using namespace core;

namespace {

// What a MIME sniffer does: open the file, read its first bytes, close it.
void sniff(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    char head[16];
    f.read(head, sizeof head);
}

// In another program with stock SQLite (Python's sqlite3 module, POSIX locks): `sql`
// on the project, then close. Returns the SQLite error code (0 for none).
int inOtherProcess(const std::string &path, const char *sql)
{
    const char *script = R"PY(
import sqlite3, sys
try:
    db = sqlite3.connect(sys.argv[1], timeout=0.1, isolation_level=None)
    db.executescript(sys.argv[2])
    db.close()  # the last connection to close checkpoints and deletes the WAL
except sqlite3.Error as e:
    sys.exit(getattr(e, "sqlite_errorcode", 1) & 0xff)
)PY";
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral("-c"), QString::fromUtf8(script), QString::fromStdString(path), QString::fromUtf8(sql)});
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit) return -1;
    return p.exitCode();
}

} // namespace

class TestStoreLocks : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string path(const char *name) { return m_tmp.filePath(QString::fromUtf8(name)).toStdString(); }

private Q_SLOTS:
    void controlPosixLocksAreLostOnForeignClose()
    {
        const std::string p = path("control.db");
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix"), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE t(x); INSERT INTO t VALUES(1);", nullptr, nullptr, nullptr), SQLITE_OK);
        QVERIFY(fs::exists(p + "-wal"));
        sniff(p);
        QCOMPARE(inOtherProcess(p, "SELECT count(*) FROM t"), SQLITE_OK);
        // The hazard: the other program deleted the WAL this connection still has open.
        QVERIFY(!fs::exists(p + "-wal"));
        QVERIFY(deletedDescriptors("control.db-wal") > 0);
        sqlite3_close(db);
    }

    void projectLocksSurviveForeignClose()
    {
        const std::string p = path("p.atproj");
        {
            auto store = ProjectStore::create(p);
            QVERIFY(store.ok());
            QVERIFY(store->addClass("before").ok());
            QVERIFY(fs::exists(p + "-wal"));

            sniff(p);
            sniff(p + "-shm");
            sniff(p + "-wal");
            // Another program reads and closes: it must see that it is not the last connection.
            QCOMPARE(inOtherProcess(p, "SELECT count(*) FROM classes"), SQLITE_OK);
            QVERIFY(fs::exists(p + "-wal"));
            QVERIFY(fs::exists(p + "-shm"));
            QCOMPARE(deletedDescriptors("p.atproj"), 0);
            // Nor can it lock the project for itself.
            QCOMPARE(inOtherProcess(p, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;"), SQLITE_BUSY);
            // It can still write beside us; both sides' edits are kept.
            QCOMPARE(inOtherProcess(p, "INSERT INTO classes(name, color) VALUES('other', '#000000')"), SQLITE_OK);
            QVERIFY(store->addClass("after").ok());
        } // closes the connection

        auto reopened = ProjectStore::open(p);
        QVERIFY(reopened.ok());
        std::vector<std::string> names;
        for (const auto &c : must(reopened->classes())) names.push_back(c.name);
        QCOMPARE(names, (std::vector<std::string>{"before", "other", "after"}));
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(p.c_str(), &db), SQLITE_OK);
        sqlite3_stmt *st = nullptr;
        QCOMPARE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
        QCOMPARE(sqlite3_step(st), SQLITE_ROW);
        QCOMPARE(QByteArray(reinterpret_cast<const char *>(sqlite3_column_text(st, 0))), QByteArray("ok"));
        sqlite3_finalize(st);
        sqlite3_close(db);
    }

    // Several connections in one process (the GUI thread and workers) lock each other
    // out correctly too: a writer waits for the other, nothing is lost.
    void connectionsInOneProcess()
    {
        const std::string p = path("threads.atproj");
        QVERIFY(ProjectStore::create(p).ok());
        constexpr int kEach = 40;
        auto work = [&](const char *prefix) {
            auto s = ProjectStore::open(p);
            for (int i = 0; i < kEach && s; ++i)
                if (!s->addClass(prefix + std::to_string(i)).ok()) return false;
            return s.ok();
        };
        bool a = false, b = false;
        std::thread ta([&] { a = work("a"); }), tb([&] { b = work("b"); });
        ta.join();
        tb.join();
        QVERIFY(a && b);
        QCOMPARE(must(must(ProjectStore::open(p)).classes()).size(), std::size_t(2 * kEach));
    }
};

QTEST_GUILESS_MAIN(TestStoreLocks)
#include "tst_store_locks.moc"
