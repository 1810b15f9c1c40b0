// Models against torchvision: the same weights and input give the same logits
// within 1e-4, read from zip and legacy .pth files alike; our exported state dict
// loads into torchvision with strict=True; a pickle that calls anything but the
// tensor-rebuilding functions is refused.
#include "training/models/models.h"

#include <caffe2/serialize/inline_container.h>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace training;

namespace {
torch::Tensor find(const StateDict &sd, const std::string &name)
{
    for (const auto &[k, t] : sd)
        if (k == name) return t;
    return {};
}
} // namespace

class TestModels : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string path(const std::string &n) { return m_dir.path().toStdString() + "/" + n; }

private Q_SLOTS:
    void initTestCase()
    {
        torch::set_num_threads(2);
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"),
                 {QStringLiteral(ANNOTRAIN_SOURCE_DIR "/tests/training/reference_models.py"), m_dir.path()});
        QVERIFY(py.waitForFinished(300000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
    }

    void logitsMatchTorchvision_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<int>("classes");
        QTest::addColumn<int>("channels");
        QTest::addColumn<QString>("file");
        for (const char *f : {"", "_legacy"}) {
            QTest::addRow("mlp%s", f) << "mlp" << 10 << 1 << QString::fromUtf8(f);
            QTest::addRow("smallcnn%s", f) << "smallcnn" << 10 << 1 << QString::fromUtf8(f);
            QTest::addRow("convnet%s", f) << "convnet" << 6 << 3 << QString::fromUtf8(f);
            QTest::addRow("resnet18%s", f) << "resnet18" << 7 << 3 << QString::fromUtf8(f);
            QTest::addRow("resnet50%s", f) << "resnet50" << 5 << 3 << QString::fromUtf8(f);
            QTest::addRow("unet%s", f) << "unet" << 4 << 3 << QString::fromUtf8(f);
        }
    }
    void logitsMatchTorchvision()
    {
        QFETCH(QString, arch);
        QFETCH(int, classes);
        QFETCH(int, channels);
        QFETCH(QString, file);
        const std::string a = arch.toStdString();
        auto weights = loadStateDict(path(a + file.toStdString() + ".pth"));
        QVERIFY2(weights.ok(), weights.error.c_str());
        auto model = makeModel({a, classes, channels, a == "unet" ? 32 : 28});
        const LoadReport rep = loadWeights(*model, weights.tensors);
        std::string problems;
        for (const auto &n : rep.missing) problems += " missing " + n;
        for (const auto &n : rep.unexpected) problems += " unexpected " + n;
        for (const auto &n : rep.mismatched) problems += " mismatched " + n;
        QVERIFY2(problems.empty(), problems.c_str());
        model->eval();
        auto io = loadStateDict(path(a + "_io.pth"));
        QVERIFY2(io.ok(), io.error.c_str());
        torch::NoGradGuard g;
        const torch::Tensor y = model->forward(find(io.tensors, "input"));
        const double diff = (y - find(io.tensors, "output")).abs().max().item<double>();
        QVERIFY2(diff < 1e-4, std::to_string(diff).c_str());
    }

    void exportLoadsIntoTorchvision()
    {
        auto weights = loadStateDict(path("resnet18.pth"));
        auto model = makeModel({"resnet18", 7, 3, 64});
        loadWeights(*model, weights.tensors);
        const std::string out = path("exported.pth");
        const std::string err = saveStateDict(modelStateDict(*model), out);
        QVERIFY2(err.empty(), err.c_str());
        // Our own reader takes it back...
        auto back = loadStateDict(out);
        QVERIFY(back.ok());
        QCOMPARE(back.tensors.size(), modelStateDict(*model).size());
        // ...and so does Python: torch.load + load_state_dict(strict=True), same logits.
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QStringLiteral(ANNOTRAIN_SOURCE_DIR "/tests/training/check_export.py"),
                                                       QString::fromStdString(out), QString::fromStdString(path("resnet18_io.pth"))});
        QVERIFY(py.waitForFinished(120000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        QVERIFY2(py.readAllStandardOutput().trimmed().toDouble() < 1e-4, "logits differ after export");
    }

    void headMismatchIsReportedNotForced()
    {
        // torchvision weights for 7 classes into a 3-class model: everything but the head loads.
        auto weights = loadStateDict(path("resnet18.pth"));
        auto model = makeModel({"resnet18", 3, 3, 64});
        const LoadReport rep = loadWeights(*model, weights.tensors);
        QCOMPARE(rep.mismatched, (std::vector<std::string>{"fc.weight", "fc.bias"}));
        QVERIFY(rep.missing.empty());
    }

    void maliciousPickleRefused_data()
    {
        QTest::addColumn<bool>("zip");
        QTest::newRow("legacy stream") << false;
        QTest::newRow("zip archive") << true;
    }
    void maliciousPickleRefused()
    {
        QFETCH(bool, zip);
        // GLOBAL posix.system, REDUCE with ("touch <marker>",): what pickle.load would run.
        const std::string marker = path("pwned");
        const std::string cmd = "touch " + marker;
        std::string pkl = "\x80\x02" "cposix\nsystem\nX";
        const auto n = static_cast<std::uint32_t>(cmd.size());
        pkl += std::string(reinterpret_cast<const char *>(&n), 4) + cmd + "\x85R.";
        const std::string file = path(zip ? "evil_zip.pth" : "evil.pth");
        if (zip) {
            caffe2::serialize::PyTorchStreamWriter w(file);
            w.writeRecord("data.pkl", pkl.data(), pkl.size());
            w.writeEndOfFile();
        } else { // after the legacy header (magic number, protocol 1001, sys info), where torch.load reads the data pickle
            std::ofstream(file, std::ios::binary) << std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15)
                                                  << std::string("\x80\x02M\xe9\x03.", 6) << std::string("\x80\x02}.", 4) << pkl;
        }
        auto r = loadStateDict(file);
        QVERIFY(!r.ok());
        QVERIFY2(r.error.find("posix.system") != std::string::npos, r.error.c_str());
        QVERIFY(!QFileInfo::exists(QString::fromStdString(marker)));
    }

    void garbageIsAnError()
    {
        std::ofstream(path("garbage.pth")) << "this is not a pytorch file";
        auto r = loadStateDict(path("garbage.pth"));
        QVERIFY(!r.ok());
        QVERIFY2(r.error.find("not a PyTorch file") != std::string::npos, r.error.c_str()); // the reason; the caller names the file
        // A truncated zip checkpoint.
        std::ifstream in(path("smallcnn.pth"), std::ios::binary);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::ofstream(path("cut.pth"), std::ios::binary) << all.substr(0, all.size() / 2);
        QVERIFY(!loadStateDict(path("cut.pth")).ok());
    }
};

QTEST_GUILESS_MAIN(TestModels)
#include "tst_models.moc"
