#include "training/models/state_dict.h"

#include "training/models/torch_error.h"

#include <caffe2/serialize/inline_container.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace training {

namespace {

// Every reading failure is thrown as a ReadError and becomes StateDictResult::error.
struct ReadError {
    std::string message;
};

[[noreturn]] void fail(const std::string &m) { throw ReadError{m}; }

// ---------------------------------------------------------------- the file

// A regular file read by offset; every read is checked against its size.
class File {
public:
    explicit File(const std::string &path)
    {
        std::error_code ec;
        const auto st = fs::status(path, ec);
        if (ec || !fs::exists(st)) fail("cannot open: no such file");
        if (!fs::is_regular_file(st)) fail("not a regular file");
        m_in.open(path, std::ios::binary);
        if (!m_in) fail("cannot open: " + std::string(std::strerror(errno)));
        m_in.seekg(0, std::ios::end);
        m_size = static_cast<std::uint64_t>(m_in.tellg());
    }
    std::uint64_t size() const { return m_size; }
    void read(std::uint64_t offset, void *dst, std::uint64_t n)
    {
        if (offset > m_size || n > m_size - offset) fail("truncated file (a record reaches past its end)");
        m_in.clear();
        m_in.seekg(static_cast<std::streamoff>(offset));
        m_in.read(static_cast<char *>(dst), static_cast<std::streamsize>(n));
        if (static_cast<std::uint64_t>(m_in.gcount()) != n) fail("read error");
    }
    std::string read(std::uint64_t offset, std::uint64_t n)
    {
        if (offset > m_size || n > m_size - offset) fail("truncated file (a record reaches past its end)");
        std::string s(static_cast<std::size_t>(n), '\0');
        read(offset, s.data(), n);
        return s;
    }

private:
    std::ifstream m_in;
    std::uint64_t m_size = 0;
};

std::uint64_t le(const unsigned char *p, int n)
{
    std::uint64_t v = 0;
    for (int k = n; k > 0; --k) v = (v << 8) | p[k - 1];
    return v;
}

// The zip archive torch.save writes: its central directory (zip64 too), with each
// record's data offset. Records must be stored, not compressed, as torch.save and
// LibTorch write them: nothing is ever inflated, so no record grows beyond the file.
class ZipArchive {
public:
    struct Record {
        std::uint64_t offset = 0, size = 0;
        bool stored = true; // false: compressed, which this reader never inflates
    };

    explicit ZipArchive(File &file)
    {
        const std::uint64_t size = file.size();
        if (size < 22) fail("truncated zip archive");
        const std::uint64_t tailSize = std::min<std::uint64_t>(size, 22 + 65535);
        const std::string tail = file.read(size - tailSize, tailSize);
        const auto *t = reinterpret_cast<const unsigned char *>(tail.data());
        std::int64_t eocd = -1;
        for (std::int64_t i = static_cast<std::int64_t>(tailSize) - 22; i >= 0; --i)
            if (std::memcmp(t + i, "PK\x05\x06", 4) == 0) {
                eocd = i;
                break;
            }
        if (eocd < 0) fail("not a zip archive (no end of central directory): truncated?");
        const unsigned char *e = t + eocd;
        std::uint64_t entries = le(e + 10, 2), cdSize = le(e + 12, 4), cdOffset = le(e + 16, 4);
        if (entries == 0xffff || cdSize == 0xffffffff || cdOffset == 0xffffffff) {
            // zip64: the locator sits just before the end record and points at the zip64 end record.
            const std::uint64_t eocdAt = size - tailSize + static_cast<std::uint64_t>(eocd);
            if (eocdAt < 20) fail("malformed zip64 archive");
            unsigned char loc[20];
            file.read(eocdAt - 20, loc, 20);
            if (std::memcmp(loc, "PK\x06\x07", 4) != 0) fail("malformed zip64 archive (no locator)");
            unsigned char z[56];
            file.read(le(loc + 8, 8), z, 56);
            if (std::memcmp(z, "PK\x06\x06", 4) != 0) fail("malformed zip64 archive (no end record)");
            entries = le(z + 32, 8);
            cdSize = le(z + 40, 8);
            cdOffset = le(z + 48, 8);
        }
        if (cdOffset > size || cdSize > size - cdOffset || entries > cdSize / 46) fail("malformed zip archive (its directory reaches past the file)");
        const std::string cd = file.read(cdOffset, cdSize);
        const auto *p = reinterpret_cast<const unsigned char *>(cd.data());
        std::uint64_t at = 0;
        for (std::uint64_t k = 0; k < entries; ++k) {
            if (cdSize - at < 46 || std::memcmp(p + at, "PK\x01\x02", 4) != 0) fail("malformed zip directory entry");
            const unsigned char *h = p + at;
            const std::uint64_t method = le(h + 10, 2), nameLen = le(h + 28, 2), extraLen = le(h + 30, 2), commentLen = le(h + 32, 2);
            std::uint64_t comp = le(h + 20, 4), uncomp = le(h + 24, 4), local = le(h + 42, 4);
            if (cdSize - at - 46 < nameLen + extraLen + commentLen) fail("malformed zip directory entry");
            const std::string name(reinterpret_cast<const char *>(h + 46), static_cast<std::size_t>(nameLen));
            // The zip64 extra field holds, in this order, whichever of the three sizes overflowed.
            for (std::uint64_t x = 0; x + 4 <= extraLen;) {
                const unsigned char *f = h + 46 + nameLen + x;
                const std::uint64_t id = le(f, 2), len = le(f + 2, 2);
                if (x + 4 + len > extraLen) fail("malformed zip extra field");
                if (id == 1) {
                    std::uint64_t o = 0;
                    for (std::uint64_t *v : {&uncomp, &comp, &local})
                        if (*v == 0xffffffff) {
                            if (o + 8 > len) fail("malformed zip64 extra field");
                            *v = le(f + 4 + o, 8);
                            o += 8;
                        }
                }
                x += 4 + len;
            }
            at += 46 + nameLen + extraLen + commentLen;
            if (k == 0) m_prefix = name.substr(0, name.find('/') + 1);
            const bool stored = method == 0 && comp == uncomp;
            unsigned char lh[30];
            file.read(local, lh, 30);
            if (std::memcmp(lh, "PK\x03\x04", 4) != 0) fail("malformed zip archive (record '" + name + "' has no local header)");
            const std::uint64_t data = local + 30 + le(lh + 26, 2) + le(lh + 28, 2);
            if (data > size || comp > size - data) fail("record '" + name.substr(0, 100) + "' reaches past the end of the file: truncated?");
            m_records[name] = {data, stored ? uncomp : comp, stored};
        }
        if (m_prefix.empty()) fail("not a torch.save archive (its records are in no folder)");
    }

    // A record this reader can read, or nullptr when there is none of that name.
    const Record *find(const std::string &name) const
    {
        auto it = m_records.find(m_prefix + name);
        if (it == m_records.end()) return nullptr;
        if (!it->second.stored) fail("record '" + name.substr(0, 100) + "' is compressed; torch.save writes records uncompressed");
        return &it->second;
    }

private:
    std::string m_prefix;
    std::map<std::string, Record> m_records;
};

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
    // A dict or list becomes sealed when it is put into a container: a pickle that
    // changes it afterwards is building a recursive (or shared and mutated)
    // structure, which no state dict is. Sealed containers never change, so their
    // depth is final and no cycle can form.
    bool sealed = false;
    int depth = 0; // containers: 1 + the depth of the deepest container inside; 0 for the rest
    bool b = false;
    std::int64_t i = 0;
    double f = 0;
    std::string s;
    std::vector<ValuePtr> items;                          // tuple, list
    std::vector<std::pair<ValuePtr, ValuePtr>> entries;   // dict (insertion order)
    Global global;
    StorageRef storage;
    torch::Tensor tensor;

    Value() = default;
    Value(const Value &) = delete;
    Value &operator=(const Value &) = delete;
    // Frees the children with a work list rather than by recursion, so that no
    // structure, however deep, can exhaust the stack while it is freed.
    ~Value()
    {
        if (items.empty() && entries.empty()) return;
        std::vector<ValuePtr> work;
        moveChildren(*this, work);
        while (!work.empty()) {
            ValuePtr v = std::move(work.back());
            work.pop_back();
            if (v && v.use_count() == 1) moveChildren(*v, work);
        }
    }
    bool container() const { return kind == Tuple || kind == List || kind == Dict; }

private:
    static void moveChildren(Value &v, std::vector<ValuePtr> &work)
    {
        for (auto &x : v.items) work.push_back(std::move(x));
        for (auto &[k, x] : v.entries) {
            work.push_back(std::move(k));
            work.push_back(std::move(x));
        }
        v.items.clear();
        v.entries.clear();
    }
};

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

// What reading a pickle may cost: every value made, every byte of a string, every
// slot of a container and every byte of a flattened key is charged, never refunded.
// A state dict's pickle spends a few times its own size; the budget is generous
// beyond that and still bounds a hostile file's memory by its size.
class Budget {
public:
    explicit Budget(std::uint64_t pickleBytes) : m_left((std::uint64_t(64) << 20) + 64 * pickleBytes) {}
    void charge(std::uint64_t bytes)
    {
        if (bytes > m_left) fail("the pickle would need more memory than a state dict of its size: not a state dict");
        m_left -= bytes;
    }

private:
    std::uint64_t m_left;
};

// A minimal pickle machine for protocols 2-4 as torch.save writes them.
class Unpickler {
public:
    Unpickler(const char *data, std::size_t size, Budget &budget, std::function<torch::Tensor(const StorageRef &)> loadStorage)
        : m_begin(reinterpret_cast<const unsigned char *>(data)), m_p(m_begin), m_end(m_p + size), m_budget(budget), m_load(std::move(loadStorage))
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
                    pushString(n);
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
                std::string module = line();
                std::string name = line();
                pushGlobal({module, name});
                break;
            }
            case 0x93: {                                                  // STACK_GLOBAL
                auto name = pop(), module = pop();
                if (module->kind != Value::String || name->kind != Value::String) fail("STACK_GLOBAL needs two strings");
                pushGlobal({module->s, name->s});
                break;
            }
            case 'q': setMemo(byte()); break;                             // BINPUT
            case 'r': setMemo(le(4)); break;                              // LONG_BINPUT
            case 0x94: setMemo(m_memo.size()); break;                     // MEMOIZE
            case 'h': push(memo(byte())); break;                          // BINGET
            case 'j': push(memo(le(4))); break;                           // LONG_BINGET
            case 't': {                                                   // TUPLE
                auto v = make(Value::Tuple);
                for (auto &x : popToMark()) insert(*v, std::move(x));
                push(v);
                break;
            }
            case 0x85: case 0x86: case 0x87: {                            // TUPLE1..3
                std::vector<ValuePtr> xs(op - 0x84u);
                for (std::size_t k = xs.size(); k > 0; --k) xs[k - 1] = pop();
                auto v = make(Value::Tuple);
                for (auto &x : xs) insert(*v, std::move(x));
                push(v);
                break;
            }
            case 'a': {                                                   // APPEND
                auto x = pop();
                insert(changeable(top(), Value::List), std::move(x));
                break;
            }
            case 'e': {                                                   // APPENDS
                auto xs = popToMark();
                Value &l = changeable(top(), Value::List);
                for (auto &x : xs) insert(l, std::move(x));
                break;
            }
            case 's': {                                                   // SETITEM
                auto v = pop(), k = pop();
                setItem(changeable(top(), Value::Dict), std::move(k), std::move(v));
                break;
            }
            case 'u': {                                                   // SETITEMS
                auto xs = popToMark();
                if (xs.size() % 2) fail("SETITEMS with an odd number of items");
                Value &d = changeable(top(), Value::Dict);
                for (std::size_t k = 0; k < xs.size(); k += 2) setItem(d, std::move(xs[k]), std::move(xs[k + 1]));
                break;
            }
            case 'b': pop(); top(); break; // BUILD: state of an OrderedDict (its _metadata); tensors need none
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
    std::uint64_t le(std::size_t n) { return training::le(bytes(n), static_cast<int>(n)); }
    std::string line()
    {
        const unsigned char *nl = static_cast<const unsigned char *>(std::memchr(m_p, '\n', static_cast<std::size_t>(m_end - m_p)));
        if (!nl) fail("truncated pickle");
        std::string s(reinterpret_cast<const char *>(m_p), static_cast<std::size_t>(nl - m_p));
        m_budget.charge(s.size());
        m_p = nl + 1;
        return s;
    }
    ValuePtr make(Value::Kind k)
    {
        m_budget.charge(sizeof(Value) + 32);
        auto v = std::make_shared<Value>();
        v->kind = k;
        if (v->container()) v->depth = 1;
        return v;
    }
    void push(ValuePtr v)
    {
        if (m_stack.size() >= 1000000) fail("pickle stack too deep");
        m_budget.charge(sizeof(ValuePtr));
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
        m_budget.charge(n);
        const unsigned char *p = bytes(static_cast<std::size_t>(n));
        v->s.assign(reinterpret_cast<const char *>(p), static_cast<std::size_t>(n));
        push(v);
    }
    void pushGlobal(const Global &g)
    {
        if (!allowedGlobal(g))
            fail("refused pickle GLOBAL '" + g.module.substr(0, 100) + "." + g.name.substr(0, 100) +
                 "': a state dict needs only tensors and dicts, so this file may run code");
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
    Value &top()
    {
        if (m_stack.empty()) fail("pickle stack underflow");
        return *m_stack.back();
    }
    void setMemo(std::uint64_t k)
    {
        auto v = m_stack.empty() ? nullptr : m_stack.back();
        if (!v) fail("pickle stack underflow");
        if (m_memo.find(k) == m_memo.end()) m_budget.charge(96);
        m_memo[k] = std::move(v);
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
        std::reverse(xs.begin(), xs.end());
        return xs;
    }
    static Value &changeable(Value &v, Value::Kind kind)
    {
        if (v.kind != kind) fail(kind == Value::List ? "APPEND to something that is not a list" : "SETITEM on something that is not a dict");
        if (v.sealed)
            fail(std::string("the pickle changes a ") + (kind == Value::List ? "list" : "dict") +
                 " after putting it into another container (a recursive structure): not a state dict");
        return v;
    }
    // Checks that `child` may go into `parent`: no container inside itself, no
    // nesting beyond kMaxPickleDepth. A dict or list put into a container is sealed.
    void adopt(Value &parent, const ValuePtr &child)
    {
        if (child.get() == &parent) fail("a container that contains itself: not a state dict");
        if (child->kind == Value::Mark) fail("unexpected MARK");
        if (child->container()) {
            child->sealed = true;
            parent.depth = std::max(parent.depth, child->depth + 1);
            if (parent.depth > kMaxPickleDepth)
                fail("containers nested deeper than " + std::to_string(kMaxPickleDepth) + " levels: not a state dict");
        }
        m_budget.charge(2 * sizeof(ValuePtr));
    }
    void insert(Value &parent, ValuePtr child)
    {
        adopt(parent, child);
        parent.items.push_back(std::move(child));
    }
    void setItem(Value &dict, ValuePtr key, ValuePtr value)
    {
        adopt(dict, key);
        adopt(dict, value);
        dict.entries.emplace_back(std::move(key), std::move(value));
    }
    // ('storage', <storage type>, key, location, numel[, view metadata])
    ValuePtr persistent(const Value &pid)
    {
        if (pid.kind != Value::Tuple || pid.items.size() < 5 || pid.items[0]->kind != Value::String || pid.items[0]->s != "storage" ||
            pid.items[1]->kind != Value::GlobalRef || pid.items[2]->kind != Value::String || pid.items[4]->kind != Value::Int)
            fail("unsupported persistent id (not a tensor storage)");
        auto type = storageTypes().find(pid.items[1]->global.name);
        if (type == storageTypes().end()) fail("persistent id names no storage type");
        if (pid.items[4]->i < 0) fail("a storage with a negative size");
        auto v = make(Value::Storage);
        v->storage.key = pid.items[2]->s;
        v->storage.dtype = type->second;
        v->storage.numel = pid.items[4]->i;
        return v;
    }
    static std::vector<std::int64_t> ints(const Value &tuple, const char *what)
    {
        std::vector<std::int64_t> out;
        for (const auto &x : tuple.items) {
            if (x->kind != Value::Int) fail(std::string("a tensor's ") + what + " holds something that is not an integer");
            out.push_back(x->i);
        }
        return out;
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
            if (args.items.size() < 4 || args.items[0]->kind != Value::Storage || args.items[1]->kind != Value::Int ||
                args.items[2]->kind != Value::Tuple || args.items[3]->kind != Value::Tuple)
                fail("malformed _rebuild_tensor_v2 arguments");
            const StorageRef &ref = args.items[0]->storage;
            auto it = m_storages.find(ref.key);
            if (it == m_storages.end()) it = m_storages.emplace(ref.key, m_load(ref)).first;
            const torch::Tensor &storage = it->second;
            if (storage.scalar_type() != ref.dtype) fail("storage '" + ref.key + "' is used with two element types");
            const std::vector<std::int64_t> size = ints(*args.items[2], "size"), stride = ints(*args.items[3], "stride");
            if (size.size() != stride.size()) fail("tensor size and stride differ in length");
            const std::int64_t offset = args.items[1]->i;
            // The last element the view reaches, computed without overflow; it must lie inside the storage.
            std::int64_t last = offset;
            bool empty = false;
            for (std::size_t k = 0; k < size.size(); ++k) {
                if (size[k] < 0 || stride[k] < 0) fail("negative tensor size or stride");
                if (size[k] == 0) empty = true;
                std::int64_t reach = 0;
                if (__builtin_mul_overflow(size[k] == 0 ? 0 : size[k] - 1, stride[k], &reach) || __builtin_add_overflow(last, reach, &last))
                    fail("tensor view reaches outside its storage");
            }
            if (offset < 0 || (!empty && last >= storage.numel()) || (empty && offset > storage.numel()))
                fail("tensor view reaches outside its storage");
            auto v = make(Value::Tensor);
            v->tensor = storage.as_strided(size, stride, offset);
            return v;
        }
        fail("unexpected callable " + g.module + "." + g.name);
    }

    const unsigned char *m_begin, *m_p, *m_end;
    Budget &m_budget;
    std::function<torch::Tensor(const StorageRef &)> m_load;
    std::vector<ValuePtr> m_stack;
    std::map<std::uint64_t, ValuePtr> m_memo;
    std::map<std::string, torch::Tensor> m_storages;
};

// Nested dicts become dotted names; the depth is at most kMaxPickleDepth, so the recursion is bounded.
void flatten(const std::string &prefix, const Value &v, StateDict &out, Budget &budget)
{
    if (v.kind == Value::Tensor) {
        budget.charge(prefix.size() + 64);
        out.emplace_back(prefix, v.tensor);
        return;
    }
    if (v.kind != Value::Dict) fail("'" + prefix.substr(0, 200) + "' is neither a tensor nor a dict");
    for (const auto &[k, x] : v.entries) {
        if (k->kind != Value::String) fail("a state dict key is not a string");
        // Checkpoints often wrap the weights: {"model": {...}} or {"state_dict": {...}}; nested keys are joined with '.'.
        if (x->kind == Value::Tensor || x->kind == Value::Dict) flatten(prefix.empty() ? k->s : prefix + "." + k->s, *x, out, budget);
    }
}

StateDict tensorsOf(const ValuePtr &root, Budget &budget)
{
    if (root->kind != Value::Dict) fail("the file does not hold a dict of tensors");
    StateDict out;
    // Keep only tensors and dicts; scalars (e.g. "epoch") in a wrapped checkpoint are skipped.
    flatten({}, *root, out, budget);
    return out;
}

std::uint64_t bytesOf(const StorageRef &ref)
{
    std::uint64_t n = 0;
    if (ref.numel < 0 || __builtin_mul_overflow(static_cast<std::uint64_t>(ref.numel), c10::elementSize(ref.dtype), &n))
        fail("storage '" + ref.key + "' has an impossible size");
    return n;
}

StateDict loadZip(File &file)
{
    ZipArchive zip(file);
    const auto *pkl = zip.find("data.pkl");
    if (!pkl) fail("no data.pkl record: not a torch.save file");
    const std::string pickle = file.read(pkl->offset, pkl->size);
    Budget budget(pickle.size());
    Unpickler u(pickle.data(), pickle.size(), budget, [&](const StorageRef &ref) {
        const auto *rec = zip.find("data/" + ref.key);
        if (!rec) fail("storage record 'data/" + ref.key.substr(0, 100) + "' is missing");
        const std::uint64_t need = bytesOf(ref);
        if (rec->size < need) fail("storage '" + ref.key + "' holds " + std::to_string(rec->size) + " bytes, needs " + std::to_string(need));
        auto t = torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype));
        file.read(rec->offset, t.data_ptr(), need);
        return t;
    });
    return tensorsOf(u.run(), budget);
}

StateDict loadLegacy(File &file)
{
    const std::string all = file.read(0, file.size());
    Budget budget(all.size());
    std::size_t pos = 0;
    auto noStorage = [](const StorageRef &) -> torch::Tensor { fail("unexpected tensor in the file header"); };
    auto next = [&](std::function<torch::Tensor(const StorageRef &)> load) {
        if (pos >= all.size()) fail("truncated file");
        Unpickler u(all.data() + pos, all.size() - pos, budget, std::move(load));
        ValuePtr v = u.run();
        pos += u.consumed();
        return v;
    };
    // Header: the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, then sys info.
    static const std::string kMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
    if (all.size() < 14 || all.compare(0, 2, "\x80\x02") != 0 || all.compare(2, 2, "\x8a\x0a") != 0 || all.compare(4, 10, kMagic) != 0)
        fail("not a PyTorch file (no zip header, no legacy magic number)");
    ValuePtr magic = next(noStorage);
    if (magic->kind != Value::String || magic->s != kMagic) fail("not a PyTorch file (no zip header, no legacy magic number)");
    ValuePtr protocol = next(noStorage);
    if (protocol->kind != Value::Int || protocol->i != 1001) fail("unsupported legacy protocol");
    next(noStorage);
    // The data pickle names storages by key; their bytes follow the key list, so the
    // tensors are views of storages allocated now and filled below. Together the
    // storages cannot hold more bytes than the file.
    std::map<std::string, std::pair<torch::Tensor, StorageRef>> storages;
    std::uint64_t allocated = 0;
    ValuePtr root = next([&](const StorageRef &ref) {
        auto it = storages.find(ref.key);
        if (it == storages.end()) {
            const std::uint64_t bytes = bytesOf(ref);
            if (bytes > all.size() - allocated) fail("storage '" + ref.key + "' is larger than the file: truncated or not a state dict");
            allocated += bytes;
            it = storages.emplace(ref.key, std::make_pair(torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype)), ref)).first;
        }
        return it->second.first;
    });
    ValuePtr keys = next(noStorage);
    if (keys->kind != Value::List) fail("legacy storage key list is missing");
    for (const auto &k : keys->items) {
        if (k->kind != Value::String) fail("storage key list holds something that is not a string");
        auto it = storages.find(k->s);
        if (it == storages.end()) fail("storage key list names an unknown storage");
        if (all.size() - pos < 8) fail("truncated storage data");
        std::int64_t numel = 0;
        std::memcpy(&numel, all.data() + pos, 8);
        pos += 8;
        const StorageRef &ref = it->second.second;
        if (numel != ref.numel) fail("storage '" + ref.key + "' has " + std::to_string(numel) + " elements, the pickle says " + std::to_string(ref.numel));
        const std::uint64_t bytes = bytesOf(ref);
        if (bytes > all.size() - pos) fail("truncated storage '" + ref.key + "'");
        std::memcpy(it->second.first.data_ptr(), all.data() + pos, static_cast<std::size_t>(bytes));
        pos += static_cast<std::size_t>(bytes);
        storages.erase(it);
    }
    if (!storages.empty()) fail("storage '" + storages.begin()->first + "' has no data");
    return tensorsOf(root, budget);
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
    try {
        File file(path);
        char head[4] = {};
        if (file.size() >= 4) file.read(0, head, 4);
        r.tensors = std::memcmp(head, "PK\x03\x04", 4) == 0 ? loadZip(file) : loadLegacy(file);
        if (r.tensors.empty()) r.error = "holds no tensors";
    } catch (const ReadError &e) {
        r.error = e.message;
    } catch (const std::bad_alloc &) {
        r.error = "out of memory while reading it";
    } catch (const std::exception &e) {
        r.error = "not a readable PyTorch file (" + exceptionText(e) + ")";
    }
    if (!r.ok()) r.tensors.clear();
    return r;
}

std::string saveStateDict(const StateDict &tensors, const std::string &path)
{
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
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
            if (!sname) return "tensor '" + name + "' has a type PyTorch files cannot hold here";
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
        // Written through our own descriptor: write errors (a full disk) surface, and the data reaches the disk before the rename.
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) return "cannot write (" + std::string(std::strerror(errno)) + ")";
        int writeErrno = 0;
        auto writeAll = [&](const void *data, std::size_t n) -> std::size_t {
            const char *p = static_cast<const char *>(data);
            std::size_t done = 0;
            while (done < n) {
                const ssize_t w = ::write(fd, p + done, n - done);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) {
                    writeErrno = w < 0 ? errno : EIO;
                    return done;
                }
                done += static_cast<std::size_t>(w);
            }
            return done;
        };
        try {
            caffe2::serialize::PyTorchStreamWriter writer(writeAll);
            writer.writeRecord("data.pkl", p.out.data(), p.out.size());
            for (std::size_t k = 0; k < storages.size(); ++k)
                writer.writeRecord("data/" + std::to_string(k), storages[k].data_ptr(), static_cast<std::size_t>(storages[k].nbytes()));
            writer.writeEndOfFile();
        } catch (...) {
            ::close(fd);
            if (writeErrno) throw std::runtime_error(std::strerror(writeErrno));
            throw;
        }
        if (writeErrno || ::fsync(fd) != 0) {
            const int e = writeErrno ? writeErrno : errno;
            ::close(fd);
            throw std::runtime_error(std::strerror(e));
        }
        if (::close(fd) != 0) throw std::runtime_error(std::strerror(errno));
        if (::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(std::strerror(errno));
    } catch (const std::exception &e) {
        std::error_code ec;
        fs::remove(tmp, ec);
        return "cannot write (" + exceptionText(e) + ")";
    }
    return {};
}

} // namespace training
