// The project survives the GUI and the CLI working on it together. Round after round
// the window edits regions, file dialogs list the project's folder (and foreign code
// opens and closes the project file, as a MIME sniffer would), while annotrain-cli
// processes read (stats, validate) and import into the same project. Afterwards
// SQLite's integrity check passes and every edit of every side is there; at no point
// does the GUI hold a deleted WAL. Add Image Folder shows its images (canvas and
// thumbnails) without reopening the project.
#include "core/project_store.h"
#include "tests/must.h"
#include "tests/open_files.h"
#include "ui/annotateworkspace.h"
#include "ui/datasetmodel.h"
#include "ui/fileactions.h"
#include "ui/filedialogs.h"
#include "ui/mainwindow.h"

#include <QDir>
#include <QFileSystemModel>
#include <QImage>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include <sys/inotify.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

constexpr int kImages = 12;
constexpr int kRounds = 8;

const QString kCli = QStringLiteral(ANNOTRAIN_BINARY_DIR "/app/cli/annotrain-cli");

void writeImages(const QString &dir, const QString &prefix, int n)
{
    QDir().mkpath(dir);
    for (int i = 0; i < n; ++i) {
        QImage im(64, 48, QImage::Format_RGB32);
        im.fill(QColor::fromHsv((i * 37) % 360, 200, 220));
        im.save(QStringLiteral("%1/%2%3.png").arg(dir, prefix).arg(i, 2, 10, QLatin1Char('0')));
    }
}

// A VIA file with two polygons on image `name`, marked as the CLI's round `round`.
std::string viaFor(const std::string &name, int round)
{
    std::string regions;
    for (int k = 0; k < 2; ++k) {
        const int x = 4 + 10 * k;
        regions += std::string(k ? "," : "") + R"({"shape_attributes":{"name":"polygon","all_points_x":[)" + std::to_string(x) + ","
                   + std::to_string(x + 8) + "," + std::to_string(x + 4) + R"(],"all_points_y":[4,4,12]},"region_attributes":{"side":"cli","round":")"
                   + std::to_string(round) + R"("}})";
    }
    return "{\"" + name + "-1\":{\"filename\":\"" + name + "\",\"size\":-1,\"regions\":[" + regions + "],\"file_attributes\":{}}}";
}

std::string sqlOne(const std::string &path, const char *sql)
{
    sqlite3 *db = nullptr;
    std::string out;
    if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
        sqlite3_stmt *st = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            out = reinterpret_cast<const char *>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

} // namespace

class TestStoreStress : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    QString m_images, m_more;
    std::string m_project;

    // Lists the project's folder in a file dialog of the program, as a user browsing would.
    static bool browseFolder(QWidget *parent, const QString &dir)
    {
        QFileDialog *d = ui::createFileDialog(parent, QFileDialog::ExistingFile, QStringLiteral("Browse"), dir);
        d->show();
        auto *model = d->findChild<QFileSystemModel *>();
        const bool listed = model && QTest::qWaitFor([&] { return model->rowCount(model->index(dir)) > 0; }, 5000);
        QTest::qWait(50); // icons and types are fetched after the listing
        d->reject();
        delete d;
        return listed;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(QFileInfo::exists(kCli));
        m_images = m_tmp.filePath(QStringLiteral("imgs"));
        m_more = m_tmp.filePath(QStringLiteral("more"));
        writeImages(m_images, QStringLiteral("a"), kImages);
        writeImages(m_more, QStringLiteral("b"), 5);
        m_project = m_tmp.filePath(QStringLiteral("stress.atproj")).toStdString();
        auto store = core::ProjectStore::create(m_project);
        QVERIFY(store.ok());
        QCOMPARE(must(store->addImagesFromDir(m_images.toStdString())), kImages);
    }

    void guiAndCliTogether()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(m_project)).ok());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 5000);
        const QString projectDir = QFileInfo(QString::fromStdString(m_project)).absolutePath();

        int guiEdits = 0;
        for (int round = 0; round < kRounds; ++round) {
            // The CLI starts first and runs while the window works.
            const std::string via = m_tmp.filePath(QStringLiteral("round%1.json").arg(round)).toStdString();
            std::ofstream(via) << viaFor(QStringLiteral("a%1.png").arg(round % kImages, 2, 10, QLatin1Char('0')).toStdString(), round);
            const QString p = QString::fromStdString(m_project);
            std::vector<std::unique_ptr<QProcess>> cli;
            for (const QStringList &args : {QStringList{QStringLiteral("import"), p, QString::fromStdString(via), QStringLiteral("--format"),
                                                        QStringLiteral("via"), QStringLiteral("--images"), m_images},
                                            QStringList{QStringLiteral("stats"), p, QStringLiteral("--json")},
                                            QStringList{QStringLiteral("validate"), p}}) {
                cli.push_back(std::make_unique<QProcess>());
                cli.back()->start(kCli, args);
            }

            // The window: an edit, a file dialog over the project's folder, foreign code
            // opening and closing the project, another edit.
            const int row = (round * 5) % kImages;
            w.annotate()->showImage(row);
            QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toInt() == row, 5000);
            for (int k = 0; k < 2; ++k) {
                core::Region r;
                r.shape = *core::Shape::rect(2 + 6 * k, 20 + round, 5, 5);
                r.attributes = {{"side", "gui"}, {"round", std::to_string(round)}};
                w.annotate()->document()->addRegion(r);
                QVERIFY2(w.annotate()->document()->lastError().isEmpty(), qPrintable(w.annotate()->document()->lastError()));
                ++guiEdits;
                if (k == 0) {
                    QVERIFY(browseFolder(&w, projectDir));
                    std::ifstream sniff(m_project, std::ios::binary);
                    char head[16];
                    sniff.read(head, sizeof head);
                }
            }

            for (auto &proc : cli) {
                QVERIFY(proc->waitForFinished(60000));
                QVERIFY2(proc->exitStatus() == QProcess::NormalExit, qPrintable(proc->arguments().join(QLatin1Char(' '))));
                const int code = proc->exitCode();
                const bool validate = proc->arguments().first() == QLatin1String("validate");
                QVERIFY2(code == 0 || (validate && code == 1), qPrintable(QString::fromLocal8Bit(proc->readAllStandardError())));
            }
            QCOMPARE(deletedDescriptors("stress.atproj"), 0);
            QVERIFY(fs::exists(m_project + "-wal"));
        }
        w.close();
        // Everything of both sides is there, and the file is sound.
        QCOMPARE(sqlOne(m_project, "PRAGMA integrity_check"), std::string("ok"));
        QCOMPARE(sqlOne(m_project, "SELECT count(*) FROM regions WHERE json_extract(attributes, '$.side') = 'gui'"), std::to_string(guiEdits));
        QCOMPARE(sqlOne(m_project, "SELECT count(*) FROM regions WHERE json_extract(attributes, '$.side') = 'cli'"), std::to_string(2 * kRounds));
        QCOMPARE(sqlOne(m_project, "SELECT count(DISTINCT json_extract(attributes, '$.round')) FROM regions"), std::to_string(kRounds));
    }

    // The program's file dialogs list the project's folder without opening the project
    // file; Qt's plain dialog does open it (MIME sniffing), which is what they avoid.
    void fileDialogsDoNotOpenTheProject()
    {
        const QString dir = QFileInfo(QString::fromStdString(m_project)).absolutePath();
        auto opensDuring = [&](const std::function<void()> &browse) {
            const int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
            inotify_add_watch(fd, m_project.c_str(), IN_OPEN);
            browse();
            int opens = 0;
            alignas(inotify_event) char buf[4096];
            for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
                for (char *p = buf; p < buf + n; p += sizeof(inotify_event) + reinterpret_cast<inotify_event *>(p)->len) ++opens;
            close(fd);
            return opens;
        };
        QCOMPARE(opensDuring([&] { QVERIFY(browseFolder(nullptr, dir)); }), 0);
        const int plain = opensDuring([&] {
            QFileDialog d(nullptr, QStringLiteral("Plain"), dir);
            d.setOption(QFileDialog::DontUseNativeDialog, true);
            d.show();
            QTest::qWait(500);
        });
        QVERIFY2(plain > 0, "Qt's own dialog no longer sniffs files: the control case does not show the hazard");
    }

    // File › Add Image Folder: the new images are listed, shown on the canvas and get
    // thumbnails, without reopening the project.
    void addImageFolderShowsNewImages()
    {
        ui::MainWindow w;
        QSignalSpy shown(&w, &ui::MainWindow::imageShown);
        QVERIFY(w.openProject(QString::fromStdString(m_project)).ok());
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 5000);
        const int before = w.annotate()->imageCount();
        w.fileActions()->addImageFolder(m_more);
        QTRY_COMPARE_WITH_TIMEOUT(w.annotate()->imageCount(), before + 5, 10000);
        QAbstractItemModel *model = w.annotate()->datasetFilter()->sourceModel();
        auto *dataset = qobject_cast<ui::DatasetModel *>(model);
        QVERIFY(dataset);
        for (int row = before; row < before + 5; ++row) {
            const QString path = model->index(row, 0).data(ui::DatasetModel::PathRole).toString();
            QVERIFY2(QFileInfo::exists(path), qPrintable(path));
            model->index(row, 0).data(Qt::DecorationRole); // asks for the thumbnail
        }
        QTRY_COMPARE_WITH_TIMEOUT(dataset->pendingThumbnails(), 0, 10000);
        for (int row = before; row < before + 5; ++row) {
            const QString tip = model->index(row, 0).data(Qt::ToolTipRole).toString();
            QVERIFY2(!tip.contains(QStringLiteral("Cannot read")), qPrintable(tip));
        }
        shown.clear();
        w.annotate()->showImage(before + 2);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 5000);
        QVERIFY(w.annotate()->currentImagePath().endsWith(QStringLiteral("more/b02.png")));
        QVERIFY(!w.annotate()->storeErrorBanner()->isVisible());
    }
};

QTEST_MAIN(TestStoreStress)
#include "tst_store_stress.moc"
