#include "training/models/state_dict.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <variant>

namespace training {

namespace {

// ---------------------------------------------------------------- pickle values

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct StorageRef {
    std::string key;
    torch::ScalarType dtype = torch::kFloat;
    std::int64_t numel = 0;
};

struct Global {
    std::string module, name;
};

struct Value {
    enum Kind { None, Bool, Int, Float, String, Tuple, List, Dict, GlobalRef, Storage, Tensor, Mark } kind = None;
    bool b = false;
    std::int64_t i = 0;
    double f = 0;
    std::string s;
    std::vector<ValuePtr> items;                          // tuple, list
    std::vector<std::pair<ValuePtr, ValuePtr>> entries;   // dict (insertion order)
    Global global;
    StorageRef storage;
    torch::Tensor tensor;
};

ValuePtr make(Value::Kind k)
{
    auto v = std::make_shared<Value>();
    v->kind = k;
    return v;
}

struct PickleError {
    std::string message;
};

[[noreturn]] void fail(const std::string &m) { throw PickleError{m}; }

const std::map<std::string, torch::ScalarType> &storageTypes()
{
    static const std::map<std::string, torch::ScalarType> m = {
        {"FloatStorage", torch::kFloat},   {"DoubleStorage", torch::kDouble}, {"HalfStorage", torch::kHalf},
        {"BFloat16Storage", torch::kBFloat16}, {"LongStorage", torch::kLong}, {"IntStorage", torch::kInt},
        {"ShortStorage", torch::kShort},   {"CharStorage", torch::kChar},     {"ByteStorage", torch::kByte},
        {"BoolStorage", torch::kBool}};
    return m;
}

// The only callables a state dict needs. Everything else is refused.
bool allowedGlobal(const Global &g)
{
    if (g.module == "collections" && g.name == "OrderedDict") return true;
    if (g.module == "torch._utils" && (g.name == "_rebuild_tensor_v2" || g.name == "_rebuild_parameter")) return true;
    if (g.module == "torch" && storageTypes().count(g.name)) return true;
    return false;
}

// A minimal pickle machine for protocols 2-4 as torch.save writes them.
class Unpickler {
public:
    Unpickler(const char *data, std::size_t size, std::function<torch::Tensor(const StorageRef &)> loadStorage)
        : m_begin(reinterpret_cast<const unsigned char *>(data)), m_p(m_begin), m_end(m_p + size), m_load(std::move(loadStorage))
    {
    }

    std::size_t consumed() const { return static_cast<std::size_t>(m_p - m_begin); }

    ValuePtr run()
    {
        for (;;) {
            const unsigned char op = byte();
            switch (op) {
            case 0x80: byte(); break;                     // PROTO
            case 0x95: bytes(8); break;                   // FRAME
            case '}': push(make(Value::Dict)); break;     // EMPTY_DICT
            case ']': push(make(Value::List)); break;     // EMPTY_LIST
            case ')': push(make(Value::Tuple)); break;    // EMPTY_TUPLE
            case '(': push(make(Value::Mark)); break;     // MARK
            case 'N': push(make(Value::None)); break;     // NONE
            case 0x88: case 0x89: {                       // NEWTRUE, NEWFALSE
                auto v = make(Value::Bool);
                v->b = op == 0x88;
                push(v);
                break;
            }
            case 'J': pushInt(static_cast<std::int32_t>(le(4))); break;  // BININT
            case 'K': pushInt(static_cast<std::int64_t>(le(1))); break;  // BININT1
            case 'M': pushInt(static_cast<std::int64_t>(le(2))); break;  // BININT2
            case 0x8a: {                                                 // LONG1
                const std::size_t n = byte();
                if (n > 8) { // only the legacy magic number is this long: keep its bytes
                    auto v = make(Value::String);
                    const unsigned char *p = bytes(n);
                    v->s.assign(reinterpret_cast<const char *>(p), n);
                    push(v);
                    break;
                }
                std::uint64_t v = n ? le(n) : 0;
                if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~0ULL << (8 * n); // sign-extend
                pushInt(static_cast<std::int64_t>(v));
                break;
            }
            case 'G': {                                                  // BINFLOAT (big-endian)
                std::uint64_t bits = 0;
                for (int k = 0; k < 8; ++k) bits = (bits << 8) | byte();
                auto v = make(Value::Float);
                std::memcpy(&v->f, &bits, 8);
                push(v);
                break;
            }
            case 'X': pushString(le(4)); break;                           // BINUNICODE
            case 0x8c: pushString(byte()); break;                         // SHORT_BINUNICODE
            case 0x8d: pushString(le(8)); break;                          // BINUNICODE8
            case 'T': pushString(le(4)); break;                           // BINSTRING
            case 'U': pushString(byte()); break;                          // SHORT_BINSTRING
            case 'c': {                                                   // GLOBAL "module\nname\n"
                Global g{line(), line()};
                pushGlobal(g);
                break;
            }
            case 0x93: {                                                  // STACK_GLOBAL
                auto name = pop(), module = pop();
                if (module->kind != Value::String || name->kind != Value::String) fail("STACK_GLOBAL needs two strings");
                pushGlobal({module->s, name->s});
                break;
            }
            case 'q': m_memo[byte()] = top(); break;                      // BINPUT
            case 'r': m_memo[le(4)] = top(); break;                       // LONG_BINPUT
            case 0x94: m_memo[m_memo.size()] = top(); break;              // MEMOIZE
            case 'h': push(memo(byte())); break;                          // BINGET
            case 'j': push(memo(le(4))); break;                           // LONG_BINGET
            case 't': {                                                   // TUPLE
                auto v = make(Value::Tuple);
                v->items = popToMark();
                push(v);
                break;
            }
            case 0x85: case 0x86: case 0x87: {                            // TUPLE1..3
                auto v = make(Value::Tuple);
                v->items.resize(op - 0x84);
                for (std::size_t k = v->items.size(); k > 0; --k) v->items[k - 1] = pop();
                push(v);
                break;
            }
            case 'a': { auto x = pop(); list(top())->items.push_back(x); break; }   // APPEND
            case 'e': { auto xs = popToMark(); auto l = list(top()); l->items.insert(l->items.end(), xs.begin(), xs.end()); break; } // APPENDS
            case 's': { auto v = pop(), k = pop(); dict(top())->entries.emplace_back(k, v); break; }                    // SETITEM
            case 'u': {                                                                                                  // SETITEMS
                auto xs = popToMark();
                if (xs.size() % 2) fail("SETITEMS with an odd number of items");
                auto d = dict(top());
                for (std::size_t k = 0; k < xs.size(); k += 2) d->entries.emplace_back(xs[k], xs[k + 1]);
                break;
            }
            case 'b': pop(); break; // BUILD: state of an OrderedDict (its _metadata); tensors need none
            case 'Q': {             // BINPERSID
                auto pid = pop();
                push(persistent(*pid));
                break;
            }
            case 'R': {             // REDUCE
                auto args = pop(), fn = pop();
                push(reduce(*fn, *args));
                break;
            }
            case '.':               // STOP
                return pop();
            default: {
                char buf[8];
                std::snprintf(buf, sizeof buf, "0x%02x", op);
                fail(std::string("unsupported pickle opcode ") + buf);
            }
            }
        }
    }

private:
    unsigned char byte()
    {
        if (m_p >= m_end) fail("truncated pickle");
        return *m_p++;
    }
    const unsigned char *bytes(std::size_t n)
    {
        if (static_cast<std::size_t>(m_end - m_p) < n) fail("truncated pickle");
        const unsigned char *p = m_p;
        m_p += n;
        return p;
    }
    std::uint64_t le(std::size_t n)
    {
        const unsigned char *p = bytes(n);
        std::uint64_t v = 0;
        for (std::size_t k = n; k > 0; --k) v = (v << 8) | p[k - 1];
        return v;
    }
    std::string line()
    {
        std::string s;
        for (unsigned char c; (c = byte()) != '\n';) s += static_cast<char>(c);
        return s;
    }
    void push(ValuePtr v)
    {
        if (m_stack.size() > 1000000) fail("pickle stack too deep");
        m_stack.push_back(std::move(v));
    }
    void pushInt(std::int64_t i)
    {
        auto v = make(Value::Int);
        v->i = i;
        push(v);
    }
    void pushString(std::uint64_t n)
    {
        if (n > static_cast<std::uint64_t>(m_end - m_p)) fail("truncated pickle");
        auto v = make(Value::String);
        const unsigned char *p = bytes(static_cast<std::size_t>(n));
        v->s.assign(reinterpret_cast<const char *>(p), static_cast<std::size_t>(n));
        push(v);
    }
    void pushGlobal(const Global &g)
    {
        if (!allowedGlobal(g))
            fail("refused pickle GLOBAL '" + g.module + "." + g.name + "': a state dict needs only tensors and dicts, so this file may run code");
        auto v = make(Value::GlobalRef);
        v->global = g;
        push(v);
    }
    ValuePtr pop()
    {
        if (m_stack.empty()) fail("pickle stack underflow");
        auto v = std::move(m_stack.back());
        m_stack.pop_back();
        if (v->kind == Value::Mark) fail("unexpected MARK");
        return v;
    }
    ValuePtr top()
    {
        if (m_stack.empty()) fail("pickle stack underflow");
        return m_stack.back();
    }
    ValuePtr memo(std::uint64_t k)
    {
        auto it = m_memo.find(k);
        if (it == m_memo.end()) fail("pickle memo key " + std::to_string(k) + " is unset");
        return it->second;
    }
    std::vector<ValuePtr> popToMark()
    {
        std::vector<ValuePtr> xs;
        for (;;) {
            if (m_stack.empty()) fail("no MARK on the pickle stack");
            auto v = std::move(m_stack.back());
            m_stack.pop_back();
            if (v->kind == Value::Mark) break;
            xs.push_back(std::move(v));
        }
        return {xs.rbegin(), xs.rend()};
    }
    static ValuePtr list(ValuePtr v)
    {
        if (v->kind != Value::List) fail("APPEND to something that is not a list");
        return v;
    }
    static ValuePtr dict(ValuePtr v)
    {
        if (v->kind != Value::Dict) fail("SETITEM on something that is not a dict");
        return v;
    }
    // ('storage', <storage type>, key, location, numel[, view metadata])
    ValuePtr persistent(const Value &pid)
    {
        if (pid.kind != Value::Tuple || pid.items.size() < 5 || pid.items[0]->s != "storage" || pid.items[1]->kind != Value::GlobalRef
            || pid.items[2]->kind != Value::String || pid.items[4]->kind != Value::Int)
            fail("unsupported persistent id (not a tensor storage)");
        auto v = make(Value::Storage);
        v->storage.key = pid.items[2]->s;
        v->storage.dtype = storageTypes().at(pid.items[1]->global.name);
        v->storage.numel = pid.items[4]->i;
        return v;
    }
    ValuePtr reduce(const Value &fn, const Value &args)
    {
        if (fn.kind != Value::GlobalRef || args.kind != Value::Tuple) fail("REDUCE needs a callable and an argument tuple");
        const Global &g = fn.global;
        if (g.name == "OrderedDict") return make(Value::Dict);
        if (g.name == "_rebuild_parameter") {
            if (args.items.empty() || args.items[0]->kind != Value::Tensor) fail("_rebuild_parameter without a tensor");
            return args.items[0];
        }
        if (g.name == "_rebuild_tensor_v2") {
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            if (args.items.size() < 4 || args.items[0]->kind != Value::Storage || args.items[1]->kind != Value::Int
                || args.items[2]->kind != Value::Tuple || args.items[3]->kind != Value::Tuple)
                fail("malformed _rebuild_tensor_v2 arguments");
            const StorageRef &ref = args.items[0]->storage;
            auto it = m_storages.find(ref.key);
            if (it == m_storages.end()) it = m_storages.emplace(ref.key, m_load(ref)).first;
            std::vector<std::int64_t> size, stride;
            for (const auto &x : args.items[2]->items) size.push_back(x->i);
            for (const auto &x : args.items[3]->items) stride.push_back(x->i);
            if (size.size() != stride.size()) fail("tensor size and stride differ in length");
            const std::int64_t offset = args.items[1]->i;
            std::int64_t last = offset;
            for (std::size_t k = 0; k < size.size(); ++k) {
                if (size[k] < 0 || stride[k] < 0) fail("negative tensor size or stride");
                if (size[k] == 0) last = -1;
                if (last >= 0) last += (size[k] - 1) * stride[k];
            }
            if (offset < 0 || last >= ref.numel) fail("tensor view reaches outside its storage");
            auto v = make(Value::Tensor);
            v->tensor = it->second.as_strided(size, stride, offset);
            return v;
        }
        fail("unexpected callable " + g.module + "." + g.name);
    }

    const unsigned char *m_begin, *m_p, *m_end;
    std::function<torch::Tensor(const StorageRef &)> m_load;
    std::vector<ValuePtr> m_stack;
    std::map<std::uint64_t, ValuePtr> m_memo;
    std::map<std::string, torch::Tensor> m_storages;
};

void flatten(const std::string &prefix, const Value &v, StateDict &out)
{
    if (v.kind == Value::Tensor) {
        out.emplace_back(prefix, v.tensor);
        return;
    }
    if (v.kind != Value::Dict) fail("'" + prefix + "' is neither a tensor nor a dict");
    for (const auto &[k, x] : v.entries) {
        if (k->kind != Value::String) fail("a state dict key is not a string");
        // Checkpoints often wrap the weights: {"model": {...}} or {"state_dict": {...}}; nested keys are joined with '.'.
        flatten(prefix.empty() ? k->s : prefix + "." + k->s, *x, out);
    }
}

StateDict tensorsOf(const ValuePtr &root)
{
    StateDict out;
    if (root->kind == Value::Dict) {
        // Keep only tensors; scalars (e.g. "epoch") in a wrapped checkpoint are skipped.
        for (const auto &[k, x] : root->entries) {
            if (k->kind != Value::String) fail("a state dict key is not a string");
            if (x->kind == Value::Tensor || x->kind == Value::Dict) flatten(k->s, *x, out);
        }
        return out;
    }
    fail("the file does not hold a dict of tensors");
}

torch::Tensor fromBytes(const void *data, std::size_t bytes, const StorageRef &ref)
{
    const std::size_t need = static_cast<std::size_t>(ref.numel) * c10::elementSize(ref.dtype);
    if (bytes < need) fail("storage '" + ref.key + "' holds " + std::to_string(bytes) + " bytes, needs " + std::to_string(need));
    auto t = torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype));
    std::memcpy(t.data_ptr(), data, need);
    return t;
}

StateDict loadZip(const std::string &path)
{
    caffe2::serialize::PyTorchStreamReader reader(path);
    auto [pkl, size] = reader.getRecord("data.pkl");
    Unpickler u(static_cast<const char *>(pkl.get()), size, [&](const StorageRef &ref) {
        const std::string name = "data/" + ref.key;
        if (!reader.hasRecord(name)) fail("storage record '" + name + "' is missing");
        auto [data, n] = reader.getRecord(name);
        return fromBytes(data.get(), n, ref);
    });
    return tensorsOf(u.run());
}

StateDict loadLegacy(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t pos = 0;
    auto noStorage = [](const StorageRef &) -> torch::Tensor { fail("unexpected tensor in the file header"); };
    auto next = [&](std::function<torch::Tensor(const StorageRef &)> load) {
        if (pos >= all.size()) fail("truncated file");
        Unpickler u(all.data() + pos, all.size() - pos, std::move(load));
        ValuePtr v = u.run();
        pos += u.consumed();
        return v;
    };
    // Header: the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, then sys info.
    static const std::string kMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
    ValuePtr magic = next(noStorage);
    if (magic->kind != Value::String || magic->s != kMagic) fail("not a PyTorch file (no zip header, no legacy magic number)");
    ValuePtr protocol = next(noStorage);
    if (protocol->kind != Value::Int || protocol->i != 1001) fail("unsupported legacy protocol");
    next(noStorage);
    // The data pickle names storages by key; their bytes follow the key list, so the
    // tensors are views of storages allocated now and filled below.
    std::map<std::string, std::pair<torch::Tensor, StorageRef>> storages;
    ValuePtr root = next([&](const StorageRef &ref) {
        if (ref.numel < 0 || ref.numel > (std::int64_t(1) << 34)) fail("storage '" + ref.key + "' has an impossible size");
        auto it = storages.find(ref.key);
        if (it == storages.end())
            it = storages.emplace(ref.key, std::make_pair(torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype)), ref)).first;
        return it->second.first;
    });
    ValuePtr keys = next(noStorage);
    if (keys->kind != Value::List) fail("legacy storage key list is missing");
    for (const auto &k : keys->items) {
        auto it = storages.find(k->s);
        if (k->kind != Value::String || it == storages.end()) fail("storage key list names an unknown storage");
        if (pos + 8 > all.size()) fail("truncated storage data");
        std::int64_t numel = 0;
        std::memcpy(&numel, all.data() + pos, 8);
        pos += 8;
        const StorageRef &ref = it->second.second;
        if (numel != ref.numel) fail("storage '" + ref.key + "' has " + std::to_string(numel) + " elements, the pickle says " + std::to_string(ref.numel));
        const std::size_t bytes = static_cast<std::size_t>(numel) * c10::elementSize(ref.dtype);
        if (bytes > all.size() - pos) fail("truncated storage '" + ref.key + "'");
        std::memcpy(it->second.first.data_ptr(), all.data() + pos, bytes);
        pos += bytes;
        storages.erase(it);
    }
    if (!storages.empty()) fail("storage '" + storages.begin()->first + "' has no data");
    return tensorsOf(root);
}

// ---------------------------------------------------------------- writing

class Pickler {
public:
    std::string out;
    void op(unsigned char c) { out += static_cast<char>(c); }
    void u32(std::uint32_t v)
    {
        for (int k = 0; k < 4; ++k) out += static_cast<char>((v >> (8 * k)) & 0xff);
    }
    void str(const std::string &s)
    {
        op('X');
        u32(static_cast<std::uint32_t>(s.size()));
        out += s;
    }
    void integer(std::int64_t v)
    {
        if (v >= 0 && v < 256) { op('K'); op(static_cast<unsigned char>(v)); return; }
        if (v >= INT32_MIN && v <= INT32_MAX) { op('J'); u32(static_cast<std::uint32_t>(v)); return; }
        op(0x8a); op(8);
        for (int k = 0; k < 8; ++k) out += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * k)) & 0xff);
    }
    void global(const std::string &m, const std::string &n) { out += "c" + m + "\n" + n + "\n"; }
};

const char *storageName(torch::ScalarType t)
{
    for (const auto &[name, type] : storageTypes())
        if (type == t) return name.c_str();
    return nullptr;
}

} // namespace

StateDictResult loadStateDict(const std::string &path)
{
    StateDictResult r;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        r.error = path + ": cannot open";
        return r;
    }
    char head[4] = {};
    in.read(head, 4);
    try {
        r.tensors = std::memcmp(head, "PK\x03\x04", 4) == 0 ? loadZip(path) : loadLegacy(path);
        if (r.tensors.empty()) r.error = path + ": holds no tensors";
    } catch (const PickleError &e) {
        r.error = path + ": " + e.message;
    } catch (const std::exception &e) {
        r.error = path + ": not a readable PyTorch file (" + std::string(e.what()).substr(0, 200) + ")";
    }
    return r;
}

std::string saveStateDict(const StateDict &tensors, const std::string &path)
{
    try {
        Pickler p;
        p.op(0x80); p.op(2);
        p.global("collections", "OrderedDict");
        p.op(')'); p.op('R');
        p.op('(');
        std::vector<torch::Tensor> storages;
        for (const auto &[name, t0] : tensors) {
            const torch::Tensor t = t0.detach().to(torch::kCPU).contiguous();
            const char *sname = storageName(t.scalar_type());
            if (!sname) return path + ": tensor '" + name + "' has a type PyTorch files cannot hold here";
            const std::string key = std::to_string(storages.size());
            storages.push_back(t);
            p.str(name);
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            p.op('('); p.str("storage"); p.global("torch", sname); p.str(key); p.str("cpu"); p.integer(t.numel()); p.op('t');
            p.op('Q');
            p.integer(0);
            p.op('(');
            for (auto s : t.sizes()) p.integer(s);
            p.op('t');
            p.op('(');
            for (auto s : t.strides()) p.integer(s);
            p.op('t');
            p.op(0x89);
            p.global("collections", "OrderedDict");
            p.op(')'); p.op('R');
            p.op('t');
            p.op('R');
        }
        p.op('u');
        p.op('.');
        caffe2::serialize::PyTorchStreamWriter writer(path);
        writer.writeRecord("data.pkl", p.out.data(), p.out.size());
        for (std::size_t k = 0; k < storages.size(); ++k)
            writer.writeRecord("data/" + std::to_string(k), storages[k].data_ptr(), static_cast<std::size_t>(storages[k].nbytes()));
        writer.writeEndOfFile();
    } catch (const std::exception &e) {
        return path + ": cannot write (" + std::string(e.what()).substr(0, 200) + ")";
    }
    return {};
}

} // namespace training
