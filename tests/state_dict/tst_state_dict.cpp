// The .pth reader and writer against files someone could send: every tensor type
// round-trips, writes are atomic and replace a symlink rather than follow it, and
// crafted files — a dict that contains itself, containers nested 100k deep, shared
// structures that flatten exponentially, sizes that overflow, views outside their
// storage, compressed or truncated archives, random corruption — each end in an
// error naming the reason (not the path: callers name the file), never a crash, and
// without the memory growing. All files are generated here. Built in the sanitizer
// stage too (label state_dict), which links only the reader.
#include "training/models/state_dict.h"

#include <caffe2/serialize/inline_container.h>

#include <QTemporaryDir>
#include <QtTest>

#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

using namespace training;
namespace fs = std::filesystem;

namespace {

// Pickle opcodes as torch.save writes them.
struct Pickle {
    std::string b = std::string("\x80\x02", 2);
    Pickle &op(const char *ops) { b += ops; return *this; }
    Pickle &raw(const std::string &s) { b += s; return *this; }
    Pickle &str(const std::string &s)
    {
        b += 'X';
        const auto n = static_cast<std::uint32_t>(s.size());
        b.append(reinterpret_cast<const char *>(&n), 4);
        b += s;
        return *this;
    }
    Pickle &integer(std::int64_t v)
    {
        b += "\x8a\x08";
        b.append(reinterpret_cast<const char *>(&v), 8);
        return *this;
    }
    Pickle &put(int k) { b += 'q'; b += static_cast<char>(k); return *this; }
    Pickle &get(int k) { b += 'h'; b += static_cast<char>(k); return *this; }
    Pickle &global(const char *m, const char *n) { b += std::string("c") + m + "\n" + n + "\n"; return *this; }
    // _rebuild_tensor_v2((storage, FloatStorage, key, cpu, numel), offset, size, stride, False, OrderedDict())
    Pickle &tensor(const std::string &key, std::int64_t numel, std::int64_t offset, std::vector<std::int64_t> size, std::vector<std::int64_t> stride,
                   const char *storageType = "FloatStorage")
    {
        global("torch._utils", "_rebuild_tensor_v2").op("(");
        op("(").str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).op("tQ");
        integer(offset).op("(");
        for (auto s : size) integer(s);
        op("t(");
        for (auto s : stride) integer(s);
        op("t\x89").global("collections", "OrderedDict").op(")R").op("tR");
        return *this;
    }
    std::string done() const { return b + "."; }
};

// A zip archive as torch.save writes it: data.pkl and one record per storage.
void writeZip(const std::string &file, const std::string &pkl, const std::vector<std::pair<std::string, std::string>> &records = {})
{
    caffe2::serialize::PyTorchStreamWriter w(file);
    w.writeRecord("data.pkl", pkl.data(), pkl.size());
    for (const auto &[name, data] : records) w.writeRecord("data/" + name, data.data(), data.size());
    w.writeEndOfFile();
}

// The legacy layout: magic, protocol, sys info, the data pickle, the key list, then (numel, bytes) per storage.
std::string legacy(const std::string &dataPickle, const std::vector<std::pair<std::string, std::string>> &storages, std::int64_t numelOverride = -1)
{
    std::string f = std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
    f += std::string("\x80\x02M\xe9\x03.", 6);
    f += std::string("\x80\x02}.", 4);
    f += dataPickle;
    Pickle keys;
    keys.op("](");
    for (const auto &s : storages) keys.str(s.first);
    f += keys.op("e").done();
    for (const auto &[key, data] : storages) {
        std::int64_t n = numelOverride >= 0 ? numelOverride : static_cast<std::int64_t>(data.size() / 4);
        f.append(reinterpret_cast<const char *>(&n), 8);
        f += data;
    }
    return f;
}

std::string floats(int n)
{
    std::string s(static_cast<std::size_t>(n) * 4, '\0');
    for (int i = 0; i < n; ++i) {
        const float v = static_cast<float>(i);
        std::memcpy(s.data() + i * 4, &v, 4);
    }
    return s;
}

long peakRssMb()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

} // namespace

class TestStateDict : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string path(const std::string &n) { return m_dir.path().toStdString() + "/" + n; }
    std::string write(const std::string &name, const std::string &bytes)
    {
        std::ofstream(path(name), std::ios::binary) << bytes;
        return path(name);
    }
    // Loads a crafted file and checks the error: it names the reason (a fragment), not the file.
    void refused(const std::string &file, const std::string &fragment)
    {
        const long before = peakRssMb();
        const auto t0 = std::chrono::steady_clock::now();
        auto r = loadStateDict(file);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QVERIFY2(!r.ok(), file.c_str());
        QVERIFY(r.tensors.empty());
        QVERIFY2(r.error.find(fragment) != std::string::npos, r.error.c_str());
        QVERIFY2(r.error.find(file) == std::string::npos, r.error.c_str());
        QVERIFY2(r.error.find('\n') == std::string::npos, r.error.c_str());
        QVERIFY2(secs < 10, std::to_string(secs).c_str());
        QVERIFY2(peakRssMb() - before < 400, (std::to_string(peakRssMb() - before) + " MB more peak RSS").c_str());
    }

private Q_SLOTS:
    void roundTripKeepsEveryTypeAndShape()
    {
        StateDict sd = {{"w", torch::arange(12, torch::kFloat).view({3, 4})},
                        {"t", torch::arange(12, torch::kDouble).view({3, 4}).t()}, // not contiguous: written contiguous, same values
                        {"h", torch::ones({2}, torch::kHalf)},
                        {"l", torch::tensor({std::int64_t(-3), std::int64_t(1) << 40}, torch::kLong)},
                        {"i", torch::tensor({7, -7}, torch::kInt)},
                        {"u", torch::tensor({0, 255}, torch::kByte)},
                        {"b", torch::tensor({true, false})},
                        {"scalar", torch::tensor(2.5)},
                        {"empty", torch::empty({0, 3})},
                        {"block.0.num_batches_tracked", torch::tensor(5, torch::kLong)}};
        const std::string file = path("round.pth");
        QCOMPARE(saveStateDict(sd, file), std::string());
        auto r = loadStateDict(file);
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.tensors.size(), sd.size());
        for (std::size_t i = 0; i < sd.size(); ++i) {
            QCOMPARE(r.tensors[i].first, sd[i].first);
            QCOMPARE(r.tensors[i].second.scalar_type(), sd[i].second.scalar_type());
            QCOMPARE(r.tensors[i].second.sizes().vec(), sd[i].second.sizes().vec());
            QVERIFY2(r.tensors[i].second.equal(sd[i].second), sd[i].first.c_str());
        }
        QVERIFY(!fs::exists(file + ".tmp-" + std::to_string(::getpid())));
    }

    void writeReplacesSymlinkAndReportsFailure()
    {
        // A symlink at the target (a shared run folder pointing elsewhere) is replaced, its target untouched.
        const std::string victim = write("victim.txt", "keep me");
        fs::create_symlink(victim, path("link.pth"));
        QCOMPARE(saveStateDict({{"x", torch::ones({2})}}, path("link.pth")), std::string());
        QVERIFY(!fs::is_symlink(path("link.pth")));
        std::ifstream in(victim);
        std::string text;
        std::getline(in, text);
        QCOMPARE(text, std::string("keep me"));
        QVERIFY(loadStateDict(path("link.pth")).ok());
        // A folder that does not exist: the reason, not the path.
        const std::string err = saveStateDict({{"x", torch::ones({2})}}, path("nope/x.pth"));
        QVERIFY(!err.empty());
        QVERIFY2(err.find("nope") == std::string::npos, err.c_str());
    }

    void readsTensorsSharingAStorage()
    {
        // Two views of one storage (tied weights), and the same storage key in both: valid, read once.
        const std::string pkl = Pickle().op("}(").str("a").tensor("0", 6, 0, {2, 3}, {3, 1}).str("b").tensor("0", 6, 3, {3}, {1}).op("u").done();
        writeZip(path("views.pth"), pkl, {{"0", floats(6)}});
        auto r = loadStateDict(path("views.pth"));
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.tensors.size(), std::size_t(2));
        QCOMPARE(r.tensors[1].second[2].item<float>(), 5.f);
        // The same in the legacy layout.
        write("views_legacy.pth", legacy(pkl, {{"0", floats(6)}}));
        r = loadStateDict(path("views_legacy.pth"));
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.tensors[0].second.sum().item<float>(), 15.f);
    }

    // The 253-byte file of the issue: a dict whose value is the dict itself (memo + BINGET).
    void refusesDictContainingItself()
    {
        const std::string pkl = Pickle().op("}").put(0).str("a").get(0).op("s").done();
        writeZip(path("self.pth"), pkl);
        QVERIFY(fs::file_size(path("self.pth")) < 1024);
        refused(path("self.pth"), "contains itself");
        // Through a list, and through a second dict: a container changed after it went into another.
        refused(write("self_list.pth", legacy(Pickle().op("]").put(0).get(0).op("a").done(), {})), "contains itself");
        // a = {}; b = {}; b["b"] = a; then a["a"] = b: a is sealed inside b, changing it is refused.
        const std::string cycle = Pickle().op("}").put(0).op("}").put(1).str("k").get(0).op("s").get(0).str("k").get(1).op("s").done();
        writeZip(path("cycle.pth"), cycle);
        refused(path("cycle.pth"), "recursive structure");
    }

    void refusesDeepNesting_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("depth");
        QTest::addColumn<bool>("zip");
        QTest::newRow("dicts 100k deep, zip") << "dict" << 100000 << true;
        QTest::newRow("dicts 100k deep, legacy") << "dict" << 100000 << false;
        QTest::newRow("lists 300k deep") << "list" << 300000 << true;
        QTest::newRow("tuples 300k deep") << "tuple" << 300000 << true;
        QTest::newRow("dicts 33 deep") << "dict" << kMaxPickleDepth + 1 << true;
    }
    void refusesDeepNesting()
    {
        QFETCH(QString, kind);
        QFETCH(int, depth);
        QFETCH(bool, zip);
        Pickle p;
        if (kind == QLatin1String("dict")) {
            for (int i = 0; i < depth; ++i) p.op("}").str("k");
            p.op("}");
            for (int i = 0; i < depth; ++i) p.op("s");
        } else if (kind == QLatin1String("list")) {
            for (int i = 0; i <= depth; ++i) p.op("]");
            for (int i = 0; i < depth; ++i) p.op("a");
        } else {
            p.op(")");
            for (int i = 0; i < depth; ++i) p.op("\x85");
        }
        const std::string file = path("deep.pth");
        if (zip) writeZip(file, p.done());
        else write("deep.pth", legacy(p.done(), {}));
        refused(file, "nested deeper than 32");
    }

    void acceptsNestingAStateDictNeeds()
    {
        // {"model": {"state_dict": {"w": tensor}}}: wrapped weights come out with dotted names.
        const std::string pkl = Pickle().op("}(").str("model").op("}(").str("state_dict").op("}(").str("w").tensor("0", 2, 0, {2}, {1})
                                    .op("u").op("u").str("epoch").integer(3).op("u").done();
        writeZip(path("wrapped.pth"), pkl, {{"0", floats(2)}});
        auto r = loadStateDict(path("wrapped.pth"));
        QVERIFY2(r.ok(), r.error.c_str());
        QCOMPARE(r.tensors.size(), std::size_t(1));
        QCOMPARE(r.tensors[0].first, std::string("model.state_dict.w"));
    }

    void boundsMemoryOfSharedStructures()
    {
        // d0 = {"a": t, "b": t}; d(k+1) = {"a": dk, "b": dk}: 30 levels flatten to 2^31 names.
        Pickle p;
        p.op("}(").str("a").tensor("0", 1, 0, {}, {}).put(1).str("b").get(1).op("u").put(2);
        for (int k = 0; k < 30; ++k) p.op("}(").str("a").get(2).str("b").get(2).op("u").put(2);
        writeZip(path("exp.pth"), p.done(), {{"0", floats(1)}});
        refused(path("exp.pth"), "more memory");
        // One memoised 1 MB key reused 100k times.
        Pickle q;
        q.op("}(").str(std::string(1 << 20, 'k')).put(1).tensor("0", 1, 0, {}, {}).put(2);
        for (int k = 0; k < 100000; ++k) q.get(1).get(2);
        q.op("u");
        writeZip(path("keys.pth"), q.done(), {{"0", floats(1)}});
        refused(path("keys.pth"), "more memory");
    }

    void refusesImpossibleSizes_data()
    {
        QTest::addColumn<QByteArray>("pickle");
        QTest::addColumn<QString>("fragment");
        auto t = [](std::int64_t numel, std::int64_t offset, std::vector<std::int64_t> size, std::vector<std::int64_t> stride) {
            const std::string s = Pickle().op("}(").str("w").tensor("0", numel, offset, size, stride).op("u").done();
            return QByteArray(s.data(), static_cast<int>(s.size()));
        };
        QTest::newRow("numel 2^40") << t(1ll << 40, 0, {1}, {1}) << "holds 16 bytes, needs";
        QTest::newRow("numel 2^62 overflows the bytes") << t(1ll << 62, 0, {1}, {1}) << "impossible size";
        QTest::newRow("negative numel") << t(-1, 0, {1}, {1}) << "negative size";
        QTest::newRow("view past storage") << t(4, 2, {3}, {1}) << "outside its storage";
        QTest::newRow("stride overflow") << t(4, 0, {2, 3}, {1ll << 62, 1ll << 62}) << "outside its storage";
        QTest::newRow("size overflow") << t(4, 1, {1ll << 62, 1}, {4, 1}) << "outside its storage";
        QTest::newRow("negative stride") << t(4, 0, {2}, {-1}) << "negative";
        QTest::newRow("negative offset") << t(4, -1, {1}, {1}) << "outside its storage";
    }
    void refusesImpossibleSizes()
    {
        QFETCH(QByteArray, pickle);
        QFETCH(QString, fragment);
        writeZip(path("size.pth"), pickle.toStdString(), {{"0", floats(4)}});
        refused(path("size.pth"), fragment.toStdString());
    }

    void legacyStoragesCannotOutgrowTheFile()
    {
        // A storage of 2^40 floats in a file of a few hundred bytes: refused before anything is allocated.
        const std::string pkl = Pickle().op("}(").str("w").tensor("0", 1ll << 40, 0, {1}, {1}).op("u").done();
        refused(write("legacy_huge.pth", legacy(pkl, {{"0", floats(4)}})), "larger than the file");
        // The count before a storage's bytes disagrees with the pickle.
        const std::string ok = Pickle().op("}(").str("w").tensor("0", 4, 0, {4}, {1}).op("u").done();
        refused(write("legacy_count.pth", legacy(ok, {{"0", floats(4)}}, 9)), "elements");
        // The same storage key used again with a larger size: views are checked against the real storage.
        const std::string twice = Pickle().op("}(").str("a").tensor("0", 4, 0, {4}, {1}).str("b").tensor("0", 1000, 0, {1000}, {1}).op("u").done();
        refused(write("legacy_twice.pth", legacy(twice, {{"0", floats(4)}})), "outside its storage");
        // ...and with another element type.
        const std::string types = Pickle().op("}(").str("a").tensor("0", 4, 0, {4}, {1}).str("b").tensor("0", 2, 0, {2}, {1}, "LongStorage").op("u").done();
        writeZip(path("types.pth"), types, {{"0", floats(4)}});
        refused(path("types.pth"), "two element types");
    }

    void refusesCodeAndOddCallables()
    {
        // A TorchScript archive's pickle names its classes: __torch__.M's __setstate__ would run.
        writeZip(path("script.pth"), Pickle().global("__torch__", "M").op(")\x81").done());
        refused(path("script.pth"), "refused pickle GLOBAL '__torch__.M'");
        writeZip(path("system.pth"), Pickle().global("posix", "system").str("touch x").op("\x85R").done());
        refused(path("system.pth"), "posix.system");
        // An allowed global in the wrong role: a storage type called like a function, an odd persistent id.
        writeZip(path("odd.pth"), Pickle().global("torch", "FloatStorage").op(")R").done());
        refused(path("odd.pth"), "unexpected callable");
        writeZip(path("pid.pth"), Pickle().op("(").str("storage").global("collections", "OrderedDict").str("0").str("cpu").integer(1).op("tQ.").done());
        refused(path("pid.pth"), "no storage type");
    }

    void refusesBrokenArchives()
    {
        const std::string pkl = Pickle().op("}(").str("w").tensor("0", 4, 0, {4}, {1}).op("u").done();
        writeZip(path("good.pth"), pkl, {{"0", floats(4)}});
        std::ifstream in(path("good.pth"), std::ios::binary);
        const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QVERIFY(loadStateDict(path("good.pth")).ok());
        // Every truncation of the file is an error, not a crash.
        for (std::size_t n = 0; n < good.size(); n += std::max<std::size_t>(1, good.size() / 97)) {
            auto r = loadStateDict(write("cut.pth", good.substr(0, n)));
            QVERIFY2(!r.ok(), std::to_string(n).c_str());
        }
        // A record marked as compressed (method 8 in the central directory): nothing is inflated.
        std::string compressed = good;
        for (std::size_t at = compressed.rfind("PK\x01\x02"); at != std::string::npos; at = at ? compressed.rfind("PK\x01\x02", at - 1) : std::string::npos)
            compressed[at + 10] = 8;
        refused(write("deflate.pth", compressed), "compressed");
        // A directory, a device, a missing file.
        refused(path(""), "not a regular file");
        refused("/dev/zero", "not a regular file");
        refused(path("missing.pth"), "no such file");
        refused(write("garbage.pth", "this is not a pytorch file"), "not a PyTorch file");
    }

    // A small in-test fuzzer: random byte changes of valid files never crash the reader.
    void survivesRandomCorruption()
    {
        const std::string pkl = Pickle().op("}(").str("w").tensor("0", 4, 0, {2, 2}, {2, 1}).str("b").tensor("1", 2, 0, {2}, {1}, "LongStorage").op("u").done();
        writeZip(path("base.pth"), pkl, {{"0", floats(4)}, {"1", std::string(16, '\1')}});
        std::ifstream in(path("base.pth"), std::ios::binary);
        const std::string zip((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string leg = legacy(pkl, {{"0", floats(4)}, {"1", std::string(16, '\1')}});
        std::mt19937 rng(7);
        int errors = 0;
        for (int round = 0; round < 3000; ++round) {
            std::string f = round % 2 ? zip : leg;
            const int edits = 1 + static_cast<int>(rng() % 4);
            for (int e = 0; e < edits; ++e) f[rng() % f.size()] = static_cast<char>(rng());
            errors += !loadStateDict(write("fuzz.pth", f)).ok();
        }
        QVERIFY(errors > 1000); // most corruptions are caught; none crashed
    }
};

QTEST_GUILESS_MAIN(TestStateDict)
#include "tst_state_dict.moc"
