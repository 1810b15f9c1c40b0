// Hostile and broken files against the training commands of annotrain-cli, run as a
// child process the way a user runs it: weight files whose pickle contains itself or
// nests 100k deep, run folders whose state is a TorchScript archive that prints when
// loaded, corrupt or absurd config.json files, symlinks in a run folder, truncated
// and oversized images, impossible options. Each must end with one clear
// `error: <file>: <reason>` line, exit 1 or 2 as DESIGN.md's contract says, no
// signal, no backtrace, no file written outside the output it was given, and stay
// under an address-space limit (RLIMIT_AS) set on the child. Every file is made here.
#include "training/models/state_dict.h"

#include <caffe2/serialize/inline_container.h>

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace {

constexpr rlim_t kAddressSpace = rlim_t(3) << 30; // the CLI with LibTorch loaded needs ~1 GB of it to start

struct Outcome {
    int rc = -1;
    bool signalled = false;
    double seconds = 0;
    std::string out, err;
};

std::set<std::string> filesUnder(const std::string &dir)
{
    std::set<std::string> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec); it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (!it->is_directory(ec)) files.insert(it->path().string());
    return files;
}

std::string pickleStr(const std::string &s)
{
    const auto n = static_cast<std::uint32_t>(s.size());
    return "X" + std::string(reinterpret_cast<const char *>(&n), 4) + s;
}

void writeZip(const std::string &file, const std::string &pkl)
{
    caffe2::serialize::PyTorchStreamWriter w(file);
    w.writeRecord("data.pkl", pkl.data(), pkl.size());
    w.writeEndOfFile();
}

} // namespace

class TestHostileFiles : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string m_project, m_run;
    std::string path(const std::string &n) const { return m_dir.path().toStdString() + "/" + n; }

    // Runs annotrain-cli in an empty working folder under the address-space limit.
    Outcome cli(const QStringList &args) const
    {
        const QString cwd = QString::fromStdString(path("cwd"));
        QDir().mkpath(cwd);
        QProcess p;
        p.setWorkingDirectory(cwd);
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MALLOC_ARENA_MAX"), QStringLiteral("2")); // the limit should not depend on the core count
        env.insert(QStringLiteral("OMP_NUM_THREADS"), QStringLiteral("2"));
        p.setProcessEnvironment(env);
        p.setChildProcessModifier([] {
            const rlimit lim{kAddressSpace, kAddressSpace};
            ::setrlimit(RLIMIT_AS, &lim);
        });
        const auto t0 = std::chrono::steady_clock::now();
        p.start(QStringLiteral(ANNOTRAIN_BINARY_DIR "/app/cli/annotrain-cli"), args);
        Outcome o;
        if (!p.waitForFinished(180000)) {
            p.kill();
            p.waitForFinished();
            o.err = "timed out";
            return o;
        }
        o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        o.signalled = p.exitStatus() != QProcess::NormalExit;
        o.rc = p.exitCode();
        o.out = p.readAllStandardOutput().toStdString();
        o.err = p.readAllStandardError().toStdString();
        return o;
    }

    // A command that must fail: exit `rc`, no signal, one error line naming `file`
    // (when given) with `fragment`, no backtrace, and new files only under `output`.
    void expectRefused(const QStringList &args, int rc, const std::string &file, const std::string &fragment, const std::string &output = {})
    {
        const auto before = filesUnder(m_dir.path().toStdString());
        const Outcome o = cli(args);
        const std::string what = args.join(QLatin1Char(' ')).toStdString() + "\n" + o.err;
        QVERIFY2(!o.signalled, ("killed by a signal: " + what).c_str());
        QVERIFY2(o.rc == rc, ("exit " + std::to_string(o.rc) + ": " + what).c_str());
        std::string errorLine;
        int errorLines = 0;
        std::istringstream lines(o.err);
        for (std::string l; std::getline(lines, l);)
            if (l.rfind("error: ", 0) == 0) {
                errorLine = l;
                ++errorLines;
            }
        QVERIFY2(errorLines == 1, what.c_str());
        if (!file.empty()) QVERIFY2(errorLine.rfind("error: " + file + ":", 0) == 0, what.c_str());
        if (!file.empty()) QVERIFY2(errorLine.find(file, 7 + file.size()) == std::string::npos, ("the path repeats: " + what).c_str());
        QVERIFY2(errorLine.find(fragment) != std::string::npos, what.c_str());
        for (const char *leak : {"frame #", "Exception raised from", "map::at", "terminate called", "what():"})
            QVERIFY2(o.err.find(leak) == std::string::npos, what.c_str());
        for (const auto &f : filesUnder(m_dir.path().toStdString()))
            if (!before.count(f)) QVERIFY2(!output.empty() && f.rfind(output, 0) == 0, ("wrote " + f + ": " + what).c_str());
    }

    QStringList q(std::initializer_list<std::string> args) const
    {
        QStringList l;
        for (const auto &a : args) l << QString::fromStdString(a);
        return l;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        Outcome s = cli(q({"sample", path("sample")}));
        QVERIFY2(s.rc == 0, s.err.c_str());
        m_project = path("sample/sample.atproj");
        m_run = path("run");
        s = cli(q({"train", m_project, "--image-size", "32", "--batch", "16", "--epochs", "1", "--out", m_run}));
        QVERIFY2(s.rc == 0, s.err.c_str());
    }

    // The three pickles that crashed `weights import`, `eval` and `train --weights` (SIGSEGV).
    void recursivePicklesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<QString>("fragment");
        const std::string self = std::string("\x80\x02}q\x00", 5) + pickleStr("a") + std::string("h\x00s.", 4);
        std::string deepDict = "\x80\x02", deepList = "\x80\x02";
        for (int i = 0; i < 100000; ++i) deepDict += "}" + pickleStr("k");
        deepDict += "}" + std::string(100000, 's') + ".";
        deepList += std::string(300001, ']') + std::string(300000, 'a') + ".";
        QTest::newRow("dict containing itself") << QByteArray::fromStdString(self) << "contains itself";
        QTest::newRow("dicts 100k deep") << QByteArray::fromStdString(deepDict) << "nested deeper than 32";
        QTest::newRow("lists 300k deep") << QByteArray::fromStdString(deepList) << "nested deeper than 32";
    }
    void recursivePicklesAreRefused()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(QString, fragment);
        const std::string pth = path("evil.pth"), f = fragment.toStdString();
        writeZip(pth, pickle.toStdString());
        expectRefused(q({"weights", "import", pth, "--arch", "smallcnn", "--out", path("out/w.pt")}), 2, pth, f);
        expectRefused(q({"train", m_project, "--weights", pth, "--image-size", "32", "--out", path("out/run")}), 2, pth, f, path("out"));
        // eval reads a checkpoint beside a config.json: the crafted file in a copy of a real run folder.
        fs::create_directories(path("evalrun"));
        fs::copy_file(m_run + "/config.json", path("evalrun/config.json"), fs::copy_options::overwrite_existing);
        fs::copy_file(pth, path("evalrun/checkpoint-last.pt"), fs::copy_options::overwrite_existing);
        expectRefused(q({"eval", m_project, "--checkpoint", path("evalrun/checkpoint-last.pt")}), 2, path("evalrun/checkpoint-last.pt"), f);
    }

    // A run folder someone sent, whose state files are TorchScript archives: a module
    // whose __setstate__ prints when loaded. Resuming must not load them.
    void resumeRunsNoCodeFromTheRunFolder()
    {
        const std::string script = path("script.pt");
        const std::string maker = path("make_script.py"); // TorchScript needs the class's source in a file
        std::ofstream(maker) << "import sys, torch\n"
                                "from typing import Tuple\n"
                                "class M(torch.nn.Module):\n"
                                "    def __init__(self):\n"
                                "        super().__init__()\n"
                                "        self.x = torch.zeros(1)\n"
                                "    def forward(self, x):\n"
                                "        return x\n"
                                "    @torch.jit.export\n"
                                "    def __getstate__(self) -> Tuple[torch.Tensor, bool]:\n"
                                "        return (self.x, self.training)\n"
                                "    @torch.jit.export\n"
                                "    def __setstate__(self, s: Tuple[torch.Tensor, bool]):\n"
                                "        print('CODE RAN FROM THE RUN FOLDER')\n"
                                "        self.x = s[0]\n"
                                "        self.training = s[1]\n"
                                "torch.jit.save(torch.jit.script(M()), sys.argv[1])\n"
                                "torch.jit.load(sys.argv[1])\n"; // prints once here: the archive does run code when loaded
        QProcess py;
        py.start(QStringLiteral("/usr/bin/python3"), {QString::fromStdString(maker), QString::fromStdString(script)});
        QVERIFY(py.waitForFinished(120000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        QVERIFY(py.readAllStandardOutput().contains("CODE RAN FROM THE RUN FOLDER"));
        const std::string dir = path("sent");
        fs::create_directories(dir);
        for (const char *f : {"config.json", "checkpoint-last.pt", "metrics.jsonl"}) fs::copy_file(m_run + "/" + f, dir + "/" + f);
        // As an old version's run folder (optimizer-last.pt), and as a forged train-state.pt.
        fs::copy_file(script, dir + "/optimizer-last.pt");
        Outcome o = cli(q({"train", m_project, "--resume", dir, "--epochs", "2"}));
        QVERIFY(o.rc == 2 && !o.signalled);
        QVERIFY2(o.out.find("CODE RAN") == std::string::npos && o.err.find("CODE RAN") == std::string::npos, o.out.c_str());
        QVERIFY2(o.err.find("older version") != std::string::npos, o.err.c_str());
        fs::copy_file(script, dir + "/train-state.pt");
        expectRefused(q({"train", m_project, "--resume", dir, "--epochs", "2"}), 2, dir + "/train-state.pt", "refused pickle GLOBAL '__torch__");
        o = cli(q({"train", m_project, "--resume", dir, "--epochs", "2"}));
        QVERIFY(o.out.find("CODE RAN") == std::string::npos && o.err.find("CODE RAN") == std::string::npos);
        // The same archive as a checkpoint for eval and weights export.
        fs::copy_file(script, dir + "/checkpoint-last.pt", fs::copy_options::overwrite_existing);
        expectRefused(q({"eval", m_project, "--checkpoint", dir + "/checkpoint-last.pt"}), 2, dir + "/checkpoint-last.pt", "refused pickle GLOBAL");
        expectRefused(q({"weights", "export", dir + "/checkpoint-last.pt", "--out", path("out/x.pth")}), 2, dir + "/checkpoint-last.pt", "refused pickle GLOBAL");
    }

    void brokenRunFoldersAreRefused()
    {
        const std::string dir = path("broken");
        auto fresh = [&] {
            fs::remove_all(dir);
            fs::copy(m_run, dir, fs::copy_options::recursive);
        };
        // A corrupt config.json is reported as corrupt (with its place), not as missing.
        fresh();
        std::ofstream(dir + "/config.json", std::ios::trunc) << "{\"config\": {\"model\": ";
        expectRefused(q({"eval", m_project, "--checkpoint", dir + "/checkpoint-last.pt"}), 2, dir + "/config.json", "invalid JSON");
        expectRefused(q({"train", m_project, "--resume", dir}), 2, dir + "/config.json", "invalid JSON");
        std::ofstream(dir + "/config.json", std::ios::trunc) << std::string(100000, '{') << std::string(100000, '}');
        expectRefused(q({"eval", m_project, "--checkpoint", dir + "/checkpoint-last.pt"}), 2, dir + "/config.json", "nested deeper");
        // Absurd values in a well-formed config.json: refused before anything is allocated.
        fresh();
        std::ifstream in(m_run + "/config.json");
        auto j = nlohmann::json::parse(in);
        j["image_size"] = 1000000;
        std::ofstream(dir + "/config.json", std::ios::trunc) << j.dump();
        expectRefused(q({"eval", m_project, "--checkpoint", dir + "/checkpoint-last.pt"}), 2, dir + "/config.json", "--image-size 1000000");
        j["image_size"] = 32;
        j["classes"] = nlohmann::json::array();
        for (int i = 0; i < 20000; ++i) j["classes"].push_back("c" + std::to_string(i));
        std::ofstream(dir + "/config.json", std::ios::trunc) << j.dump();
        expectRefused(q({"eval", m_project, "--checkpoint", dir + "/checkpoint-last.pt"}), 2, dir + "/config.json", "more classes");
        j["classes"] = "circle";
        std::ofstream(dir + "/config.json", std::ios::trunc) << j.dump();
        expectRefused(q({"eval", m_project, "--checkpoint", dir + "/checkpoint-last.pt"}), 2, dir + "/config.json", "$.classes");
        // A symlink in the run folder pointing outside: refused, the target never written.
        fresh();
        fs::remove(dir + "/metrics.jsonl");
        fs::create_symlink(path("outside.txt"), dir + "/metrics.jsonl");
        expectRefused(q({"train", m_project, "--resume", dir, "--epochs", "2"}), 2, dir + "/metrics.jsonl", "symbolic link");
        QVERIFY(!fs::exists(path("outside.txt")));
        // A checkpoint with a tensor its model lacks is another model's: its predictions with
        // these weights would be wrong, so eval refuses it rather than ignore the tensor.
        fresh();
        auto w = training::loadStateDict(dir + "/checkpoint-last.pt");
        QVERIFY2(w.ok(), w.error.c_str());
        w.tensors.emplace_back("down4.0.weight", torch::zeros({4, 4, 3, 3}));
        QCOMPARE(training::saveStateDict(w.tensors, dir + "/checkpoint-last.pt"), std::string());
        expectRefused(q({"eval", m_project, "--checkpoint", dir + "/checkpoint-last.pt"}), 2, dir + "/checkpoint-last.pt", "1 unexpected tensors, such as down4.0.weight");
        // A checkpoint that is not a state dict, and a missing one.
        fresh();
        std::ofstream(dir + "/checkpoint-last.pt", std::ios::trunc) << "not a checkpoint";
        expectRefused(q({"eval", m_project, "--checkpoint", dir + "/checkpoint-last.pt"}), 2, dir + "/checkpoint-last.pt", "not a PyTorch file");
        expectRefused(q({"eval", m_project, "--checkpoint", path("nowhere/checkpoint-last.pt")}), 2, path("nowhere/checkpoint-last.pt"), "no config.json");
    }

    void badOptionsAndInputsExitTwo()
    {
        const std::string out = path("opt");
        expectRefused(q({"train", m_project, "--image-size", "100000", "--out", out}), 2, {}, "--image-size 100000");
        expectRefused(q({"train", m_project, "--image-size", "8000", "--out", out}), 2, {}, "--image-size 8000");
        expectRefused(q({"train", m_project, "--image-size", "2048", "--model", "resnet18", "--out", out}), 2, {}, "at most at 1024");
        expectRefused(q({"train", m_project, "--epochs", "0", "--out", out}), 2, {}, "--epochs 0");
        expectRefused(q({"train", path("missing.atproj"), "--out", out}), 2, path("missing.atproj"), "");
        std::ofstream(path("garbage.atproj")) << "not a database";
        expectRefused(q({"train", path("garbage.atproj"), "--out", out}), 2, path("garbage.atproj"), "");
        // A weight file of 2^40 floats claimed in a few hundred bytes (legacy layout).
        std::string legacy = std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15) + std::string("\x80\x02M\xe9\x03.", 6) +
                             std::string("\x80\x02}.", 4);
        std::int64_t huge = std::int64_t(1) << 40;
        legacy += "\x80\x02}(" + pickleStr("w") + "ctorch._utils\n_rebuild_tensor_v2\n((" + pickleStr("storage") + "ctorch\nFloatStorage\n" + pickleStr("0") +
                  pickleStr("cpu") + "\x8a\x08" + std::string(reinterpret_cast<const char *>(&huge), 8) + std::string("tQK\x00(K\x01t(K\x01t\x89tRu.", 17);
        std::ofstream(path("huge.pth"), std::ios::binary) << legacy;
        expectRefused(q({"weights", "import", path("huge.pth"), "--arch", "smallcnn", "--out", path("out/w.pt")}), 2, path("huge.pth"), "larger than the file");
        // Writing the output fails: exit 1, the output named.
        expectRefused(q({"weights", "export", m_run + "/checkpoint-last.pt", "--out", path("no/such/dir/x.pth")}), 1, path("no/such/dir/x.pth"), "cannot write");
    }

    void badImagesAreNamed()
    {
        // A copy of the sample project in which one train image is a PNG cut in half and
        // another a 45-byte PNG whose header claims 100000 x 100000 pixels.
        fs::remove_all(path("bad"));
        fs::copy(path("sample"), path("bad"), fs::copy_options::recursive);
        const std::string project = path("bad/sample.atproj");
        Outcome listed = cli(q({"export", project, path("bad/train.json"), "--format", "via", "--split", "train"}));
        QVERIFY2(listed.rc == 0, listed.err.c_str());
        std::vector<std::string> train;
        std::ifstream list(path("bad/train.json"));
        const auto exported = nlohmann::json::parse(list);
        for (auto it = exported.begin(); it != exported.end(); ++it) train.push_back((*it)["filename"].get<std::string>());
        QVERIFY(train.size() >= 2);
        const std::string cut = path("bad/images/" + train[0]), big = path("bad/images/" + train[1]);
        std::ifstream in(cut, std::ios::binary);
        const std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        in.close();
        std::ofstream(cut, std::ios::binary | std::ios::trunc) << png.substr(0, png.size() / 2);
        std::string header("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00\x00\x00\x00\x00", 33);
        header += std::string("\x00\x00\x00\x00IEND\xae\x42\x60\x82", 12);
        std::ofstream(big, std::ios::binary | std::ios::trunc) << header;
        const std::string out = path("bad/run");
        const auto o = cli(q({"train", project, "--image-size", "32", "--out", out}));
        QVERIFY2(o.rc == 2 && !o.signalled, o.err.c_str());
        QVERIFY2(o.err.find("error: " + cut + ": the image is truncated") != std::string::npos ||
                     o.err.find("error: " + big + ": image of 100000 x 100000 pixels is larger than the limit") != std::string::npos,
                 o.err.c_str());
        // Left out with a warning each when asked; the run trains on the rest.
        const auto skipped = cli(q({"train", project, "--image-size", "32", "--epochs", "1", "--skip-bad-images", "--out", out}));
        QVERIFY2(skipped.rc == 0, skipped.err.c_str());
        QVERIFY2(skipped.err.find("warning: skipped " + cut + ": the image is truncated") != std::string::npos, skipped.err.c_str());
        QVERIFY2(skipped.err.find("warning: skipped " + big + ": image of 100000 x 100000 pixels is larger than the limit") != std::string::npos, skipped.err.c_str());
    }

    // The lecture's CNN has no batch norm to hold it: at a rate of 1e6 its loss overflows in the first steps.
    void divergenceExitsOneAndClaimsNoCheckpoint()
    {
        expectRefused(q({"train", m_project, "--model", "smallcnn", "--image-size", "32", "--batch", "4", "--lr", "1e6", "--optimizer", "sgd", "--out", path("nan")}), 1, path("nan"),
                      "no checkpoint was written", path("nan"));
    }
};

QTEST_GUILESS_MAIN(TestHostileFiles)
#include "tst_hostile_files.moc"
