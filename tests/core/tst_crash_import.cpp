// SIGKILL at any moment of a long import leaves a project that opens and holds
// the state before or after each import, never a half-imported one.
#include "core/project_store.h"
#include "tests/must.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <random>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace core;

namespace {
constexpr int kImages = 1500, kRegionsPerImage = 10;

Dataset batch(int round)
{
    Dataset ds;
    ds.ensureClass("drop");
    for (int i = 0; i < kImages; ++i) {
        ImageEntry im;
        im.path = "r" + std::to_string(round) + "/img" + std::to_string(i) + ".jpg";
        for (int k = 0; k < kRegionsPerImage; ++k) {
            RegionData r;
            std::vector<Point> pts;
            for (int v = 0; v < 20; ++v)
                pts.push_back({double(k + v), double(i % 97 + v * 2)});
            r.shape = *Shape::polygon(pts);
            r.className = "drop";
            im.regions.push_back(r);
        }
        ds.images.push_back(im);
    }
    return ds;
}
} // namespace

class TestCrashImport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killDuringImport()
    {
        QTemporaryDir dir;
        const std::string project = dir.filePath(QStringLiteral("crash.atproj")).toStdString();
        QVERIFY(ProjectStore::create(project).ok());
        // Time one import so the kills land both inside imports and between them,
        // whatever the build (sanitizers make it several times slower).
        int importMs = 0;
        {
            const std::string scratch = dir.filePath(QStringLiteral("scratch.atproj")).toStdString();
            auto s = ProjectStore::create(scratch);
            ImportOptions io;
            io.imageRoot = dir.path().toStdString();
            const Dataset ds = batch(-1);
            QElapsedTimer t;
            t.start();
            QVERIFY(s->importDataset(ds, io).ok());
            importMs = static_cast<int>(t.elapsed()) + 10;
        }
        std::mt19937 rng(1234);
        int killedMidway = 0;
        for (int attempt = 0; attempt < 20; ++attempt) {
            const pid_t pid = fork();
            if (pid == 0) {
                // Child: import batches one after another until killed.
                auto s = ProjectStore::open(project);
                if (!s) _exit(3);
                ImportOptions io;
                io.imageRoot = dir.path().toStdString();
                for (int round = 0;; ++round) {
                    auto r = s->importDataset(batch(attempt * 100 + round), io);
                    if (!r) _exit(4);
                }
            }
            QVERIFY(pid > 0);
            usleep(static_cast<useconds_t>(std::uniform_int_distribution<int>(importMs / 4, importMs * 3)(rng)) * 1000);
            kill(pid, SIGKILL);
            int status = 0;
            waitpid(pid, &status, 0);
            QVERIFY2(WIFSIGNALED(status), "the child stopped by itself: it failed to import");
            ++killedMidway;

            auto s = ProjectStore::open(project);
            QVERIFY2(s.ok(), s.ok() ? "" : s.error().toString().c_str());
            const auto images = must(s->images());
            QCOMPARE(int(images.size()) % kImages, 0);
            for (const auto &im : images)
                QCOMPARE(im.regionCount, kRegionsPerImage);
        }
        QCOMPARE(killedMidway, 20);
        // Some imports completed between the kills, so the check above saw real data.
        QVERIFY(must(ProjectStore::open(project)->imageCount()) >= kImages);
    }
};

QTEST_GUILESS_MAIN(TestCrashImport)
#include "tst_crash_import.moc"
