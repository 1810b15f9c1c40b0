// Broken and hostile image files, links and limits against the real annotrain-cli,
// each run under a memory bound (RLIMIT_AS): a clear error naming the file, exit 1 or
// 2, no signal, nothing written where the command failed.
//   - a 71-byte PNG whose header claims 100000 x 100000 pixels: validate reports it,
//     export to COCO and masks refuse it (before this, masks allocated 10 GB);
//   - a JPEG cut in half: validate decodes fully and reports it truncated;
//   - links below an image folder that point outside it: not added, not imported;
//   - a file-size limit (prlimit --fsize): the export fails with "File too large" and
//     leaves no temporary file; below the size of SQLite's -shm an open is an I/O error,
//     not "not an SQLite database";
//   - regions without a class exported to COCO get the default class, with a note.
#include "tests/must.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

const QString kCli = QStringLiteral(ANNOTRAIN_BINARY_DIR "/app/cli/annotrain-cli");
// 2 GB of address space; not under AddressSanitizer, which reserves terabytes of it.
#if defined(__SANITIZE_ADDRESS__)
const QStringList kMemoryBound;
#else
const QStringList kMemoryBound{QStringLiteral("--as=2000000000")};
#endif

// A valid 10 x 10 grey PNG.
const unsigned char kPng[] = {0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
                              0x00, 0x0a, 0x00, 0x00, 0x00, 0x0a, 0x08, 0x00, 0x00, 0x00, 0x00, 0xa8, 0x59, 0x90, 0x61, 0x00, 0x00, 0x00,
                              0x0e, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x68, 0x80, 0x03, 0x06, 0xda, 0x33, 0x01, 0xbf, 0x04, 0x32,
                              0x01, 0x1c, 0xa7, 0xf3, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

struct Run {
    int rc = -1;
    bool signalled = false;
    QString out, err;
};

// annotrain-cli `args` under prlimit `limits` (the memory bound always).
Run cli(const QStringList &args, const QStringList &limits = {})
{
    QProcess p;
    p.start(QStringLiteral("prlimit"), kMemoryBound + limits + QStringList{kCli} + args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.signalled = p.exitStatus() != QProcess::NormalExit;
    r.rc = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

void writeBytes(const std::string &path, const std::string &bytes)
{
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string validPng() { return std::string(reinterpret_cast<const char *>(kPng), sizeof kPng); }

// The PNG with its header's width and height replaced.
std::string pngClaiming(unsigned w, unsigned h)
{
    std::string s = validPng();
    for (int i = 0; i < 4; ++i) {
        s[16 + i] = static_cast<char>((w >> (24 - 8 * i)) & 0xff);
        s[20 + i] = static_cast<char>((h >> (24 - 8 * i)) & 0xff);
    }
    return s;
}

bool anyFileLike(const std::string &dir, const std::string &part)
{
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(dir, ec))
        if (e.path().filename().string().find(part) != std::string::npos) return true;
    return false;
}

} // namespace

class TestHostileInputs : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;
    std::string tmp(const std::string &n) { return m_tmp.filePath(QString::fromStdString(n)).toStdString(); }
    QString q(const std::string &s) { return QString::fromStdString(s); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(QFileInfo::exists(kCli)); }

    void imageClaimingTenGigapixels()
    {
        const std::string dir = tmp("huge");
        writeBytes(dir + "/ok.png", validPng());
        writeBytes(dir + "/huge.png", pngClaiming(100000, 100000));
        writeBytes(dir + "/via.json", R"({"huge.png1":{"filename":"huge.png","size":-1,"regions":[)"
                                      R"({"shape_attributes":{"name":"rect","x":1,"y":1,"width":5,"height":5},"region_attributes":{"class":"a"}}]},)"
                                      R"("ok.png1":{"filename":"ok.png","size":-1,"regions":[]}})");
        const std::string p = tmp("huge.atproj");
        QCOMPARE(cli({QStringLiteral("new"), q(p), QStringLiteral("--images"), q(dir)}).rc, 0);
        QCOMPARE(cli({QStringLiteral("import"), q(p), q(dir + "/via.json"), QStringLiteral("--format"), QStringLiteral("via")}).rc, 0);

        Run v = cli({QStringLiteral("validate"), q(p), QStringLiteral("--json")});
        QVERIFY(!v.signalled);
        QCOMPARE(v.rc, 1);
        const auto j = nlohmann::json::parse(v.out.toStdString());
        bool reported = false;
        for (const auto &pr : j["problems"])
            reported |= pr["kind"] == "image_too_large" && pr["image"] == "huge.png";
        QVERIFY2(reported, v.out.toUtf8().constData());

        for (const char *format : {"coco", "masks", "yolo", "voc", "labelme"}) {
            const std::string out = tmp(std::string("huge-out-") + format);
            Run e = cli({QStringLiteral("export"), q(p), q(out), QStringLiteral("--format"), QString::fromLatin1(format)});
            QVERIFY2(!e.signalled, format);
            QCOMPARE(e.rc, 2);
            QVERIFY2(e.err.contains(QStringLiteral("huge.png")) && e.err.contains(QStringLiteral("100000 x 100000")), qPrintable(e.err));
            QVERIFY(!fs::exists(out) || fs::is_directory(out)); // a folder format may have made its folder, but no mask
            QVERIFY(!fs::exists(out + "/huge.png"));
        }
    }

    void truncatedJpeg()
    {
        const std::string dir = tmp("cut");
        std::ifstream in(std::string(ANNOTRAIN_SHARED_DATA) + "/droplets/train/video1image0.jpg", std::ios::binary);
        std::string jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QVERIFY(jpeg.size() > 10000);
        writeBytes(dir + "/whole.jpg", jpeg);
        writeBytes(dir + "/half.jpg", jpeg.substr(0, jpeg.size() / 2));
        const std::string p = tmp("cut.atproj");
        QCOMPARE(cli({QStringLiteral("new"), q(p), QStringLiteral("--images"), q(dir)}).rc, 0);
        Run v = cli({QStringLiteral("validate"), q(p), QStringLiteral("--json")});
        QCOMPARE(v.rc, 1);
        const auto j = nlohmann::json::parse(v.out.toStdString());
        QCOMPARE(j["problems"].size(), std::size_t(1));
        QCOMPARE(j["problems"][0]["image"].get<std::string>(), std::string("half.jpg"));
        QCOMPARE(j["problems"][0]["kind"].get<std::string>(), std::string("unreadable_image"));
        QVERIFY(j["problems"][0]["message"].get<std::string>().find("truncated") != std::string::npos);
    }

    void linksOutOfTheImageFolder()
    {
        const std::string dir = tmp("links"), outside = tmp("outside");
        writeBytes(dir + "/ok.png", validPng());
        writeBytes(outside + "/secret.png", validPng());
        fs::create_symlink("/etc/passwd", dir + "/passwd.png");
        fs::create_directory_symlink(outside, dir + "/out");
        const std::string p = tmp("links.atproj");
        Run n = cli({QStringLiteral("new"), q(p), QStringLiteral("--images"), q(dir)});
        QCOMPARE(n.rc, 0);
        QVERIFY2(n.out.contains(QStringLiteral("with 1 images")), qPrintable(n.out));
        writeBytes(dir + "/via.json", R"({"s":{"filename":"out/secret.png","size":-1,"regions":[]}})");
        Run i = cli({QStringLiteral("import"), q(p), q(dir + "/via.json"), QStringLiteral("--format"), QStringLiteral("via")});
        QCOMPARE(i.rc, 2);
        QVERIFY2(i.err.contains(QStringLiteral("symbolic link")) && i.err.contains(QStringLiteral("out/secret.png")), qPrintable(i.err));
        const auto stats = nlohmann::json::parse(cli({QStringLiteral("stats"), q(p), QStringLiteral("--json")}).out.toStdString());
        QCOMPARE(stats["images"].get<int>(), 1);
    }

    void fileSizeLimit()
    {
        const std::string p = tmp("fsize.atproj"), drops = std::string(ANNOTRAIN_SHARED_DATA) + "/droplets";
        QCOMPARE(cli({QStringLiteral("new"), q(p), QStringLiteral("--images"), q(drops)}).rc, 0);
        QCOMPARE(cli({QStringLiteral("import"), q(p), q(drops + "/train/via_region_data.json"), QStringLiteral("--format"), QStringLiteral("via"),
                      QStringLiteral("--images"), q(drops + "/train")}).rc, 0);
        const std::string outDir = tmp("fsize-out");
        fs::create_directories(outDir);
        // The VIA export of droplets is about a megabyte: past 100 kB the write fails.
        Run e = cli({QStringLiteral("export"), q(p), q(outDir + "/drops.json"), QStringLiteral("--format"), QStringLiteral("via")},
                    {QStringLiteral("--fsize=100000")});
        QVERIFY2(!e.signalled, "killed by SIGXFSZ");
        QCOMPARE(e.rc, 1);
        QVERIFY2(e.err.contains(QStringLiteral("File too large")), qPrintable(e.err));
        QVERIFY(!fs::exists(outDir + "/drops.json"));
        QVERIFY2(!anyFileLike(outDir, ".tmp-"), "a temporary file was left behind");
        // Below the 32 kB of SQLite's shared-memory file the project cannot be opened: an I/O error, said so.
        Run s = cli({QStringLiteral("stats"), q(p)}, {QStringLiteral("--fsize=20000")});
        QVERIFY(!s.signalled);
        QCOMPARE(s.rc, 2);
        QVERIFY2(s.err.contains(QStringLiteral("I/O error")) && !s.err.contains(QStringLiteral("not an SQLite")), qPrintable(s.err));
        QCOMPARE(cli({QStringLiteral("stats"), q(p)}).rc, 0); // and the project is fine
    }

    void cocoGivesUnclassedRegionsTheDefaultClass()
    {
        const std::string p = tmp("coco.atproj"), drops = std::string(ANNOTRAIN_SHARED_DATA) + "/droplets";
        QCOMPARE(cli({QStringLiteral("new"), q(p), QStringLiteral("--images"), q(drops)}).rc, 0);
        QCOMPARE(cli({QStringLiteral("import"), q(p), q(drops + "/val/via_region_data.json"), QStringLiteral("--format"), QStringLiteral("via"),
                      QStringLiteral("--images"), q(drops + "/val")}).rc, 0);
        const std::string out = tmp("drops.coco.json");
        Run e = cli({QStringLiteral("export"), q(p), q(out), QStringLiteral("--format"), QStringLiteral("coco"), QStringLiteral("--default-class"),
                     QStringLiteral("droplet")});
        QCOMPARE(e.rc, 0);
        QVERIFY2(e.err.contains(QStringLiteral("note: 63 regions without a class were written as class 'droplet'")), qPrintable(e.err));
        std::ifstream in(out);
        const auto j = nlohmann::json::parse(in);
        QCOMPARE(j["categories"].size(), std::size_t(1));
        QCOMPARE(j["categories"][0]["name"].get<std::string>(), std::string("droplet"));
        QCOMPARE(j["annotations"].size(), std::size_t(63));
        for (const auto &a : j["annotations"]) QCOMPARE(a["category_id"], j["categories"][0]["id"]);
    }
};

QTEST_GUILESS_MAIN(TestHostileInputs)
#include "tst_hostile_inputs.moc"
