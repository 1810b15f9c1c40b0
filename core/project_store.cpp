#include "core/project_store.h"

#include "core/fileio.h"
#include "core/image_size.h"
#include "core/sqlite_vfs.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>
#include <type_traits>
#include <unordered_map>

#include <cerrno>
#include <unistd.h>

namespace fs = std::filesystem;

namespace core {

namespace {

constexpr int kApplicationId = 0x41545052; // "ATPR"
// Every write transaction takes the write lock when it begins: a deferred one that read
// first would fail at once (SQLITE_BUSY_SNAPSHOT, no busy wait) when another connection
// committed in between. Reads use deferred transactions and never block a writer.
constexpr SQLite::TransactionBehavior kWrite = SQLite::TransactionBehavior::IMMEDIATE;

// Schema migrations: kMigrations[v] brings a database from user_version v to v + 1.
const char *const kMigrations[] = {
    // 0 -> 1: the first schema.
    R"SQL(
CREATE TABLE roots(
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE);
CREATE TABLE classes(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  color TEXT NOT NULL,
  hotkey INTEGER NOT NULL DEFAULT 0,
  position INTEGER NOT NULL DEFAULT 0);
CREATE TABLE images(
  id INTEGER PRIMARY KEY,
  root_id INTEGER NOT NULL REFERENCES roots(id),
  rel_path TEXT NOT NULL,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  file_size INTEGER NOT NULL DEFAULT -1,
  split INTEGER NOT NULL DEFAULT 0,
  class_id INTEGER REFERENCES classes(id) ON DELETE SET NULL,
  attributes TEXT NOT NULL DEFAULT '{}',
  extra TEXT NOT NULL DEFAULT '{}',
  UNIQUE(root_id, rel_path));
CREATE TABLE regions(
  id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  shape INTEGER NOT NULL,
  geom BLOB NOT NULL,
  class_id INTEGER REFERENCES classes(id) ON DELETE SET NULL,
  attributes TEXT NOT NULL DEFAULT '{}',
  origin INTEGER NOT NULL DEFAULT 0,
  score REAL NOT NULL DEFAULT 1,
  run_id INTEGER NOT NULL DEFAULT 0,
  iscrowd INTEGER NOT NULL DEFAULT 0,
  extra TEXT NOT NULL DEFAULT '{}');
CREATE INDEX regions_by_image ON regions(image_id);
CREATE INDEX regions_by_class ON regions(class_id);
CREATE INDEX images_by_class ON images(class_id);
CREATE TABLE attribute_defs(
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  def TEXT NOT NULL,
  UNIQUE(scope, name));
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  dir TEXT NOT NULL,
  config TEXT NOT NULL DEFAULT '{}',
  summary TEXT NOT NULL DEFAULT '{}');
CREATE TABLE settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
)SQL",
};
constexpr int kMigrationCount = sizeof kMigrations / sizeof kMigrations[0];
static_assert(kMigrationCount == ProjectStore::kSchemaVersion, "one migration per schema version");

const std::string kEmptyObject = "{}";

std::string dumpJson(const nlohmann::ordered_json &j)
{
    if (j.is_null() || (j.is_object() && j.empty())) return kEmptyObject;
    return j.dump();
}

nlohmann::ordered_json parseJson(const char *text, int len)
{
    if (len == 2 && text[0] == '{' && text[1] == '}') return nlohmann::ordered_json::object();
    return nlohmann::ordered_json::parse(text, text + len, nullptr, false);
}

// A JSON column as stored by this program; a value that does not parse is reported, not replaced.
Result<nlohmann::ordered_json> jsonColumn(const SQLite::Column &c, const std::string &file, const std::string &what)
{
    auto j = parseJson(c.getText(), c.getBytes());
    if (j.is_discarded()) return makeError(ErrorCode::Invalid, file, what, "stored JSON does not parse; the project file is damaged");
    return j;
}

std::string nowIso()
{
    const std::time_t t = std::time(nullptr);
    char buf[32];
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string absolute(const std::string &p)
{
    std::error_code ec;
    fs::path a = fs::weakly_canonical(fs::absolute(p, ec), ec);
    return normalizePath(a.generic_string());
}

// `path` relative to `base` when it lies inside it (both absolute, normalised), else empty.
std::optional<std::string> relativeInside(const std::string &base, const std::string &path)
{
    if (path == base) return std::string();
    const std::string prefix = base == "/" ? base : base + "/";
    if (path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    return path.substr(prefix.size());
}

void bindGeom(SQLite::Statement &st, int idx, const Shape &s)
{
    const auto &p = s.params();
    st.bind(idx, p.data(), static_cast<int>(p.size() * sizeof(double)));
}

Result<Shape> readShape(const SQLite::Column &type, const SQLite::Column &geom)
{
    std::vector<double> p(static_cast<std::size_t>(geom.getBytes()) / sizeof(double));
    if (!p.empty()) std::memcpy(p.data(), geom.getBlob(), p.size() * sizeof(double));
    return Shape::fromParams(static_cast<ShapeType>(type.getInt()), p);
}

// An SQLite failure as the user should read it: the cause (locked, full, damaged,
// not a project) told apart by SQLite's result code, SQLite's own words in brackets.
// A root as stored (relative to the project's folder `dir`, or absolute) made absolute.
std::string rootPathOf(const std::string &dir, const std::string &stored)
{
    return fs::path(stored).is_absolute() ? stored : normalizePath(dir + "/" + stored);
}

Error dbError(const std::string &file, const std::exception &e)
{
    const std::string what = e.what();
    const auto *se = dynamic_cast<const SQLite::Exception *>(&e);
    switch (se ? se->getErrorCode() : -1) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return makeError(ErrorCode::Busy, file, {},
                         "is locked by another program; try again when it has finished (" + what + ")");
    case SQLITE_FULL: return makeError(ErrorCode::Io, file, {}, "the disk is full; nothing was changed (" + what + ")");
    case SQLITE_READONLY: return makeError(ErrorCode::Io, file, {}, "cannot be written: read-only (" + what + ")");
    case SQLITE_IOERR: return makeError(ErrorCode::Io, file, {}, "I/O error (" + what + ")");
    case SQLITE_CANTOPEN: return makeError(ErrorCode::Io, file, {}, "cannot be opened (" + what + ")");
    case SQLITE_PERM:
    case SQLITE_AUTH: return makeError(ErrorCode::Io, file, {}, "permission denied (" + what + ")");
    case SQLITE_CORRUPT: return makeError(ErrorCode::Invalid, file, {}, "the project file is damaged (" + what + ")");
    case SQLITE_NOTADB:
        return makeError(ErrorCode::Invalid, file, {}, "not an Annotrain Studio project (not an SQLite database)");
    default: return makeError(ErrorCode::Io, file, {}, "database error: " + what);
    }
}

// The value type of a read: Fn returns T or Result<T>.
template <typename T> struct ReadResult { using type = Result<T>; };
template <typename T> struct ReadResult<Result<T>> { using type = Result<T>; };

// Runs a read; any exception becomes an Error naming the project. Nothing
// returns an empty value to mean "failed".
template <typename Fn>
auto readQuery(const std::string &file, Fn &&fn) -> typename ReadResult<std::invoke_result_t<Fn>>::type
{
    try {
        return fn();
    } catch (const std::exception &e) {
        return dbError(file, e);
    }
}

} // namespace

struct ProjectStore::Impl {
    std::string path;
    std::string dir;
    SQLite::Database db;

    // The busy timeout is set before the first read, so opening a project that
    // another connection is writing waits instead of failing.
    Impl(const std::string &p, int flags, int busyTimeoutMs = ProjectStore::kBusyTimeoutMs)
        : path(p), dir(fs::path(p).parent_path().generic_string()), db(p, flags, busyTimeoutMs, vfsName()) {}

    // Locks that no other code in the process can release (core/sqlite_vfs.h).
    static std::string vfsName()
    {
        const char *name = projectVfsName();
        return name ? name : "";
    }

    // The image roots as the database has them now. Not cached: another connection
    // (Add Image Folder on a worker, the CLI) may add a root at any time, and the
    // table has a handful of rows.
    std::vector<RootInfo> roots()
    {
        std::vector<RootInfo> out;
        SQLite::Statement st(db, "SELECT id, path FROM roots ORDER BY id");
        while (st.executeStep()) out.push_back({st.getColumn(0).getInt64(), rootPath(st.getColumn(1).getString())});
        return out;
    }

    std::string rootPath(const std::string &stored) const { return rootPathOf(dir, stored); }

    Id insertRoot(const std::string &absDir)
    {
        for (const auto &r : roots())
            if (r.path == absDir) return r.id;
        // Relative to the project's folder when below it, so the project and its images move together.
        auto rel = relativeInside(absolute(dir), absDir);
        SQLite::Statement st(db, "INSERT INTO roots(path) VALUES(?)");
        st.bind(1, rel ? (rel->empty() ? std::string(".") : *rel) : absDir);
        st.exec();
        return db.getLastInsertRowid();
    }

    std::vector<ClassRecord> classes()
    {
        std::vector<ClassRecord> out;
        SQLite::Statement st(db, "SELECT id, name, color, hotkey FROM classes ORDER BY position, id");
        while (st.executeStep())
            out.push_back({st.getColumn(0).getInt64(), st.getColumn(1).getString(), st.getColumn(2).getString(),
                           static_cast<char>(st.getColumn(3).getInt())});
        return out;
    }

    std::unordered_map<std::string, Id> classIds()
    {
        std::unordered_map<std::string, Id> m;
        SQLite::Statement st(db, "SELECT id, name FROM classes");
        while (st.executeStep())
            m.emplace(st.getColumn(1).getString(), st.getColumn(0).getInt64());
        return m;
    }

    Id insertClass(const std::string &name, const std::string &color, char hotkey)
    {
        SQLite::Statement pos(db, "SELECT COALESCE(MAX(position), -1) + 1, COUNT(*) FROM classes");
        pos.executeStep();
        const int position = pos.getColumn(0).getInt();
        const std::size_t count = static_cast<std::size_t>(pos.getColumn(1).getInt64());
        SQLite::Statement st(db, "INSERT INTO classes(name, color, hotkey, position) VALUES(?,?,?,?)");
        st.bind(1, name);
        st.bind(2, color.empty() ? defaultClassColor(count) : color);
        st.bind(3, static_cast<int>(hotkey));
        st.bind(4, position);
        st.exec();
        return db.getLastInsertRowid();
    }

    void setSetting(const std::string &key, const std::string &value)
    {
        SQLite::Statement st(db, "INSERT INTO settings(key, value) VALUES(?,?) "
                                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
        st.bind(1, key);
        st.bind(2, value);
        st.exec();
    }
};

ProjectStore::ProjectStore(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
ProjectStore::~ProjectStore() = default;
ProjectStore::ProjectStore(ProjectStore &&) noexcept = default;
ProjectStore &ProjectStore::operator=(ProjectStore &&) noexcept = default;

namespace {

// Brings the schema up to date; every step in one transaction with its version bump.
Status migrate(SQLite::Database &db, const std::string &path, bool creating)
{
    int version = db.execAndGet("PRAGMA user_version").getInt();
    const int appId = db.execAndGet("PRAGMA application_id").getInt();
    if (!creating && appId != kApplicationId) {
        return makeError(ErrorCode::Invalid, path, {},
                         "not an Annotrain Studio project (SQLite application_id " + std::to_string(appId) + ")");
    }
    if (version > ProjectStore::kSchemaVersion) {
        return makeError(ErrorCode::Schema, path, {},
                         "was written by a newer Annotrain Studio (schema " + std::to_string(version)
                             + ", this build reads up to " + std::to_string(ProjectStore::kSchemaVersion)
                             + "); open it with a newer version");
    }
    while (version < ProjectStore::kSchemaVersion) {
        SQLite::Transaction tx(db, kWrite);
        // Another process may have migrated while this one waited for the lock.
        if (const int now = db.execAndGet("PRAGMA user_version").getInt(); now > version) {
            version = now;
            continue;
        }
        db.exec(kMigrations[version]);
        ++version;
        db.exec("PRAGMA user_version = " + std::to_string(version));
        tx.commit();
    }
    return {};
}

void configure(SQLite::Database &db)
{
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
}

} // namespace

Result<ProjectStore> ProjectStore::create(const std::string &path)
{
    std::error_code ec;
    if (fs::exists(path, ec)) return makeError(ErrorCode::Io, path, {}, "already exists; open it or choose another name");
    const std::string abs = absolute(path);
    try {
        auto impl = std::make_unique<Impl>(abs, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        configure(impl->db);
        impl->db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
        if (auto s = migrate(impl->db, path, true); !s) return s.error();
        impl->setSetting("created_at", nowIso());
        return ProjectStore(std::move(impl));
    } catch (const std::exception &e) {
        return dbError(path, e);
    }
}

Result<ProjectStore> ProjectStore::open(const std::string &path, int busyTimeoutMs)
{
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) return makeError(ErrorCode::Io, path, {}, "no such project file");
    if (fs::is_directory(st)) return makeError(ErrorCode::Io, path, {}, "is a folder, not a project file");
    if (!fs::is_regular_file(st)) return makeError(ErrorCode::Io, path, {}, "is not a regular file");
    if (::access(path.c_str(), R_OK | W_OK) != 0)
        return makeError(ErrorCode::Io, path, {}, std::string("cannot be opened for reading and writing: ") + std::strerror(errno));
    try {
        auto impl = std::make_unique<Impl>(absolute(path), SQLite::OPEN_READWRITE, busyTimeoutMs);
        // The first read tells the causes apart (dbError): not SQLite, damaged, locked, an I/O error.
        impl->db.execAndGet("SELECT count(*) FROM sqlite_master");
        if (auto s = migrate(impl->db, path, false); !s) return s.error();
        configure(impl->db);
        return ProjectStore(std::move(impl));
    } catch (const std::exception &e) {
        return dbError(path, e);
    }
}

const std::string &ProjectStore::path() const { return d->path; }
std::string ProjectStore::projectDir() const { return d->dir; }

// ---------------------------------------------------------------- roots and images

namespace {

// `p` with every symbolic link resolved (of the part that exists), absolute and normalised.
std::string realPath(const std::string &p)
{
    std::error_code ec;
    fs::path r = fs::weakly_canonical(p, ec);
    return ec ? normalizePath(p) : normalizePath(r.generic_string());
}

// Where an image named `name` (relative to `importRoot`, or absolute) belongs: the first
// candidate root that holds its path. Its real path (links resolved) must lie inside one of
// the candidates too, so a link below a root that points elsewhere (`x.png -> /etc/passwd`,
// a folder link to outside) is refused like `../outside/x.png`. rootId 0 stands for
// importRoot when it is not a root of the project yet.
struct Placement {
    Id rootId = 0;
    std::string rel;
};

Result<Placement> placeImage(const std::vector<RootInfo> &candidates, const std::string &importRoot, const std::string &name)
{
    std::string n = name;
    std::replace(n.begin(), n.end(), '\\', '/');
    if (n.empty()) return makeError(ErrorCode::Invalid, {}, {}, "empty image path");
    const std::string full = normalizePath(!n.empty() && n[0] == '/' ? n : importRoot + "/" + n);
    std::optional<Placement> where;
    for (const auto &r : candidates)
        if (auto rel = relativeInside(r.path, full); rel && !rel->empty()) {
            where = Placement{r.id, *rel};
            break;
        }
    if (!where)
        return makeError(ErrorCode::OutsideRoots, {}, {},
                         "image path '" + name + "' resolves outside the image folder " + importRoot + "; refused");
    const std::string real = realPath(full);
    if (real != full) {
        bool inside = false;
        for (const auto &r : candidates)
            if (auto rel = relativeInside(realPath(r.path), real); rel && !rel->empty()) inside = true;
        if (!inside)
            return makeError(ErrorCode::OutsideRoots, {}, {},
                             "image path '" + name + "' goes through a symbolic link to " + real
                                 + ", outside the image folders; refused");
    }
    return *where;
}

} // namespace

Result<Id> ProjectStore::addRoot(const std::string &dir)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return makeError(ErrorCode::Io, dir, {}, "not a folder");
    try {
        SQLite::Transaction tx(d->db, kWrite);
        const Id id = d->insertRoot(absolute(dir));
        tx.commit();
        return id;
    } catch (const std::exception &e) {
        return dbError(d->path, e);
    }
}

Result<std::vector<RootInfo>> ProjectStore::roots() const
{
    return readQuery(d->path, [&] { return d->roots(); });
}

Result<int> ProjectStore::addImagesFromDir(const std::string &dir)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return makeError(ErrorCode::Io, dir, {}, "not a folder");
    const std::string absDir = absolute(dir);
    std::vector<std::pair<std::string, std::int64_t>> files;
    for (auto it = fs::recursive_directory_iterator(absDir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && isImageFileName(it->path().filename().string())) {
            const std::string p = normalizePath(it->path().generic_string());
            auto rel = relativeInside(absDir, p);
            // A file link to outside the folder (x.png -> /etc/passwd) is not an image of it.
            if (rel && (!it->is_symlink(ec) || relativeInside(absDir, realPath(p))))
                files.emplace_back(*rel, static_cast<std::int64_t>(it->file_size(ec)));
        }
    }
    if (ec) return makeError(ErrorCode::Io, dir, {}, "cannot list folder: " + ec.message());
    std::sort(files.begin(), files.end());
    try {
        SQLite::Transaction tx(d->db, kWrite);
        const Id root = d->insertRoot(absDir);
        SQLite::Statement st(d->db, "INSERT OR IGNORE INTO images(root_id, rel_path, file_size) VALUES(?,?,?)");
        int added = 0;
        for (const auto &[rel, size] : files) {
            st.bind(1, root);
            st.bind(2, rel);
            st.bind(3, static_cast<int64_t>(size));
            added += st.exec();
            st.reset();
        }
        tx.commit();
        return added;
    } catch (const std::exception &e) {
        return dbError(d->path, e);
    }
}

namespace {
// Columns of an image row; the root's stored path comes joined, so an image's path is
// never built from a stale copy of the roots.
const char *const kImageColumns = "i.id, i.root_id, i.rel_path, i.width, i.height, i.file_size, i.split, "
                                  "COALESCE(i.class_id, 0), r.path";
const char *const kImageFrom = " FROM images i JOIN roots r ON r.id = i.root_id";

ImageInfo readImage(SQLite::Statement &st, const std::string &projectDir)
{
    ImageInfo im;
    im.id = st.getColumn(0).getInt64();
    im.rootId = st.getColumn(1).getInt64();
    im.relPath = st.getColumn(2).getString();
    im.width = st.getColumn(3).getInt();
    im.height = st.getColumn(4).getInt();
    im.fileSize = st.getColumn(5).getInt64();
    im.split = static_cast<Split>(st.getColumn(6).getInt());
    im.classId = st.getColumn(7).getInt64();
    im.absPath = rootPathOf(projectDir, st.getColumn(8).getString()) + "/" + im.relPath;
    return im;
}
} // namespace

Result<std::vector<ImageInfo>> ProjectStore::images() const
{
    return readQuery(d->path, [&] {
        std::vector<ImageInfo> out;
        SQLite::Statement st(d->db, std::string("SELECT ") + kImageColumns + ", COALESCE(c.n, 0)" + kImageFrom
                                        + " LEFT JOIN (SELECT image_id, COUNT(*) AS n FROM regions GROUP BY image_id) c "
                                          "ON c.image_id = i.id ORDER BY i.id");
        while (st.executeStep()) {
            out.push_back(readImage(st, d->dir));
            out.back().regionCount = st.getColumn(9).getInt();
        }
        return out;
    });
}

Result<ImageInfo> ProjectStore::image(Id id) const
{
    return readQuery(d->path, [&]() -> Result<ImageInfo> {
        SQLite::Statement st(d->db, std::string("SELECT ") + kImageColumns
                                        + ", (SELECT COUNT(*) FROM regions g WHERE g.image_id = i.id)" + kImageFrom
                                        + " WHERE i.id = ?");
        st.bind(1, id);
        if (!st.executeStep())
            return makeError(ErrorCode::NotFound, d->path, {}, "no image with id " + std::to_string(id));
        ImageInfo im = readImage(st, d->dir);
        im.regionCount = st.getColumn(9).getInt();
        return im;
    });
}

Result<int> ProjectStore::imageCount() const
{
    return readQuery(d->path, [&] { return d->db.execAndGet("SELECT COUNT(*) FROM images").getInt(); });
}

Result<std::pair<Id, std::string>> ProjectStore::resolveImagePath(const std::string &rootDir,
                                                                   const std::string &name) const
{
    const std::string root = absolute(rootDir);
    auto projectRoots = roots();
    if (!projectRoots) return projectRoots.error();
    // Inside the given root first, then inside any root the project already has.
    std::vector<RootInfo> candidates{{0, root}};
    for (const auto &r : *projectRoots) {
        if (r.path == root) candidates[0].id = r.id;
        else candidates.push_back(r);
    }
    auto where = placeImage(candidates, root, name);
    if (!where) return where.error();
    return std::make_pair(where->rootId, where->rel);
}

namespace {
template <typename Fn>
Status inTransaction(SQLite::Database &db, const std::string &path, Fn fn)
{
    try {
        SQLite::Transaction tx(db, kWrite);
        if (Status s = fn(); !s) return s;
        tx.commit();
        return {};
    } catch (const std::exception &e) {
        return dbError(path, e);
    }
}
} // namespace

#define TX(body) inTransaction(d->db, d->path, [&]() -> Status { body return {}; })

Status ProjectStore::setImageSize(Id image, int width, int height)
{
    return TX({
        SQLite::Statement st(d->db, "UPDATE images SET width = ?, height = ? WHERE id = ?");
        st.bind(1, width);
        st.bind(2, height);
        st.bind(3, image);
        st.exec();
    });
}

Status ProjectStore::setSplits(const std::vector<std::pair<Id, Split>> &splits)
{
    return TX({
        SQLite::Statement st(d->db, "UPDATE images SET split = ? WHERE id = ?");
        for (const auto &[id, split] : splits) {
            st.bind(1, static_cast<int>(split));
            st.bind(2, id);
            st.exec();
            st.reset();
        }
    });
}

Status ProjectStore::setImageClass(Id image, Id classId)
{
    return TX({
        SQLite::Statement st(d->db, "UPDATE images SET class_id = ? WHERE id = ?");
        if (classId) st.bind(1, classId); else st.bind(1);
        st.bind(2, image);
        st.exec();
    });
}

Status ProjectStore::setImageAttributes(Id image, const nlohmann::ordered_json &attrs)
{
    return TX({
        SQLite::Statement st(d->db, "UPDATE images SET attributes = ? WHERE id = ?");
        st.bind(1, dumpJson(attrs));
        st.bind(2, image);
        st.exec();
    });
}

Result<nlohmann::ordered_json> ProjectStore::imageAttributes(Id image) const
{
    return readQuery(d->path, [&]() -> Result<nlohmann::ordered_json> {
        SQLite::Statement st(d->db, "SELECT attributes FROM images WHERE id = ?");
        st.bind(1, image);
        if (!st.executeStep())
            return makeError(ErrorCode::NotFound, d->path, {}, "no image with id " + std::to_string(image));
        return jsonColumn(st.getColumn(0), d->path, "image " + std::to_string(image) + " attributes");
    });
}

// ---------------------------------------------------------------- classes

Result<std::vector<ClassRecord>> ProjectStore::classes() const
{
    return readQuery(d->path, [&] { return d->classes(); });
}

Result<Id> ProjectStore::addClass(const std::string &name, const std::string &color, char hotkey)
{
    if (name.empty()) return makeError(ErrorCode::Invalid, d->path, {}, "a class needs a name");
    try {
        SQLite::Transaction tx(d->db, kWrite);
        if (d->classIds().count(name)) return makeError(ErrorCode::Invalid, d->path, {}, "class '" + name + "' exists already");
        const Id id = d->insertClass(name, color, hotkey);
        tx.commit();
        return id;
    } catch (const std::exception &e) {
        return dbError(d->path, e);
    }
}

Status ProjectStore::renameClass(Id id, const std::string &newName)
{
    if (newName.empty()) return makeError(ErrorCode::Invalid, d->path, {}, "a class needs a name");
    return TX({
        auto ids = d->classIds();
        if (auto it = ids.find(newName); it != ids.end() && it->second != id)
            return makeError(ErrorCode::Invalid, d->path, {}, "class '" + newName + "' exists already; merge instead");
        SQLite::Statement st(d->db, "UPDATE classes SET name = ? WHERE id = ?");
        st.bind(1, newName);
        st.bind(2, id);
        if (st.exec() == 0) return makeError(ErrorCode::Invalid, d->path, {}, "no class with id " + std::to_string(id));
    });
}

Status ProjectStore::setClassColor(Id id, const std::string &color)
{
    return TX({
        SQLite::Statement st(d->db, "UPDATE classes SET color = ? WHERE id = ?");
        st.bind(1, color);
        st.bind(2, id);
        st.exec();
    });
}

Status ProjectStore::setClassHotkey(Id id, char hotkey)
{
    return TX({
        if (hotkey) { // a hotkey belongs to one class at a time
            SQLite::Statement clear(d->db, "UPDATE classes SET hotkey = 0 WHERE hotkey = ?");
            clear.bind(1, static_cast<int>(hotkey));
            clear.exec();
        }
        SQLite::Statement st(d->db, "UPDATE classes SET hotkey = ? WHERE id = ?");
        st.bind(1, static_cast<int>(hotkey));
        st.bind(2, id);
        st.exec();
    });
}

Status ProjectStore::mergeClasses(Id from, Id into)
{
    if (from == into) return {};
    return TX({
        for (const char *sql : {"UPDATE regions SET class_id = ?1 WHERE class_id = ?2",
                                "UPDATE images SET class_id = ?1 WHERE class_id = ?2", "DELETE FROM classes WHERE id = ?2"}) {
            SQLite::Statement st(d->db, sql);
            st.bind(1, into);
            st.bind(2, from);
            st.exec();
        }
    });
}

Status ProjectStore::removeClass(Id id)
{
    return TX({
        SQLite::Statement st(d->db, "DELETE FROM classes WHERE id = ?");
        st.bind(1, id);
        st.exec();
    });
}

Result<ProjectStore::ClassUsage> ProjectStore::classUsage() const
{
    return readQuery(d->path, [&] {
        ClassUsage usage;
        SQLite::Transaction snapshot(d->db); // both counts from one state
        for (const auto &[sql, out] : {std::pair{"SELECT COALESCE(class_id, 0), COUNT(*) FROM regions GROUP BY 1", &usage.regions},
                                       std::pair{"SELECT class_id, COUNT(*) FROM images WHERE class_id IS NOT NULL GROUP BY 1", &usage.images}}) {
            SQLite::Statement st(d->db, sql);
            while (st.executeStep()) (*out)[st.getColumn(0).getInt64()] = st.getColumn(1).getInt();
        }
        snapshot.commit();
        return usage;
    });
}

Result<ClassState> ProjectStore::classState(const std::vector<Id> &concerned) const
{
    return readQuery(d->path, [&] {
        ClassState state;
        SQLite::Transaction snapshot(d->db);
        state.classes = d->classes();
        for (const auto &[table, out] : {std::pair{"regions", &state.regionClasses}, std::pair{"images", &state.imageClasses}}) {
            SQLite::Statement st(d->db, std::string("SELECT id FROM ") + table + " WHERE class_id = ?");
            for (Id cls : concerned) {
                st.reset();
                st.bind(1, cls);
                while (st.executeStep()) out->emplace_back(st.getColumn(0).getInt64(), cls);
            }
        }
        snapshot.commit();
        return state;
    });
}

Status ProjectStore::restoreClassState(const ClassState &state)
{
    return TX({
        std::set<Id> keep;
        for (const auto &c : state.classes) keep.insert(c.id);
        std::set<Id> present;
        {
            SQLite::Statement st(d->db, "SELECT id FROM classes");
            while (st.executeStep()) present.insert(st.getColumn(0).getInt64());
        }
        for (Id id : present)
            if (!keep.count(id)) {
                SQLite::Statement del(d->db, "DELETE FROM classes WHERE id = ?");
                del.bind(1, id);
                del.exec();
            }
        // Names are unique: park the kept ones on names no user can type first, so
        // that swapping two names back cannot collide half way.
        d->db.exec("UPDATE classes SET name = char(31) || id");
        SQLite::Statement update(d->db, "UPDATE classes SET name = ?, color = ?, hotkey = ?, position = ? WHERE id = ?");
        SQLite::Statement insert(d->db, "INSERT INTO classes(name, color, hotkey, position, id) VALUES(?,?,?,?,?)");
        for (std::size_t i = 0; i < state.classes.size(); ++i) {
            const ClassRecord &c = state.classes[i];
            SQLite::Statement &st = present.count(c.id) ? update : insert;
            st.reset();
            st.bind(1, c.name);
            st.bind(2, c.color);
            st.bind(3, static_cast<int>(c.hotkey));
            st.bind(4, static_cast<int>(i));
            st.bind(5, c.id);
            st.exec();
        }
        for (const auto &[table, rows] : {std::pair{"regions", &state.regionClasses}, std::pair{"images", &state.imageClasses}}) {
            SQLite::Statement st(d->db, std::string("UPDATE ") + table + " SET class_id = ? WHERE id = ?");
            for (const auto &[row, cls] : *rows) {
                st.reset();
                if (cls) st.bind(1, cls);
                else st.bind(1);
                st.bind(2, row);
                st.exec();
            }
        }
    });
}

// ---------------------------------------------------------------- attribute schema

namespace {
nlohmann::ordered_json defToJson(const AttributeDef &a)
{
    return {{"type", a.type}, {"description", a.description}, {"options", a.options},
            {"default_options", a.defaults}, {"default_value", a.defaultValue}};
}

AttributeDef defFromJson(const std::string &scope, const std::string &name, const nlohmann::ordered_json &j)
{
    AttributeDef a;
    a.scope = scope;
    a.name = name;
    a.type = j.value("type", "text");
    a.description = j.value("description", "");
    if (j.contains("options") && j["options"].is_object()) a.options = j["options"];
    if (j.contains("default_options") && j["default_options"].is_array())
        for (const auto &o : j["default_options"])
            if (o.is_string()) a.defaults.push_back(o.get<std::string>());
    a.defaultValue = j.value("default_value", "");
    return a;
}

void upsertDefs(SQLite::Database &db, const std::vector<AttributeDef> &defs)
{
    SQLite::Statement st(db, "INSERT INTO attribute_defs(scope, name, def) VALUES(?,?,?) "
                             "ON CONFLICT(scope, name) DO UPDATE SET def = excluded.def");
    for (const auto &a : defs) {
        st.bind(1, a.scope);
        st.bind(2, a.name);
        st.bind(3, defToJson(a).dump());
        st.exec();
        st.reset();
    }
}

std::vector<AttributeDef> readSchema(SQLite::Database &db)
{
    std::vector<AttributeDef> out;
    SQLite::Statement st(db, "SELECT scope, name, def FROM attribute_defs ORDER BY id");
    while (st.executeStep()) {
        auto j = nlohmann::ordered_json::parse(st.getColumn(2).getString(), nullptr, false);
        out.push_back(defFromJson(st.getColumn(0).getString(), st.getColumn(1).getString(),
                                  j.is_object() ? j : nlohmann::ordered_json::object()));
    }
    return out;
}
} // namespace

Result<std::vector<AttributeDef>> ProjectStore::attributeSchema() const
{
    return readQuery(d->path, [&] { return readSchema(d->db); });
}

Status ProjectStore::setAttributeSchema(const std::vector<AttributeDef> &defs)
{
    return TX({
        d->db.exec("DELETE FROM attribute_defs");
        upsertDefs(d->db, defs);
    });
}

// ---------------------------------------------------------------- regions

namespace {
const char *const kRegionColumns = "id, image_id, shape, geom, COALESCE(class_id, 0), attributes, origin, score, "
                                   "run_id, iscrowd, extra";

// A region row; a row this build cannot interpret is an error naming the region, not skipped.
Result<Region> readRegion(SQLite::Statement &st, const std::string &file)
{
    Region r;
    r.id = st.getColumn(0).getInt64();
    const std::string where = "region " + std::to_string(r.id);
    auto shape = readShape(st.getColumn(2), st.getColumn(3));
    if (!shape) return makeError(ErrorCode::Invalid, file, where, shape.error().message);
    auto attributes = jsonColumn(st.getColumn(5), file, where + " attributes");
    if (!attributes) return attributes.error();
    auto extra = jsonColumn(st.getColumn(10), file, where);
    if (!extra) return extra.error();
    r.imageId = st.getColumn(1).getInt64();
    r.shape = std::move(shape.value());
    r.classId = st.getColumn(4).getInt64();
    r.attributes = std::move(attributes.value());
    r.origin = static_cast<Origin>(st.getColumn(6).getInt());
    r.score = st.getColumn(7).getDouble();
    r.runId = st.getColumn(8).getInt64();
    r.iscrowd = st.getColumn(9).getInt() != 0;
    r.extra = std::move(extra.value());
    return r;
}

Result<std::vector<Region>> readRegions(SQLite::Statement &st, const std::string &file)
{
    std::vector<Region> out;
    while (st.executeStep()) {
        auto r = readRegion(st, file);
        if (!r) return r.error();
        out.push_back(std::move(r.value()));
    }
    return out;
}

// Binds columns 2.. of a region row (image_id, shape, geom, class_id, attributes, origin, score, run_id, iscrowd, extra).
void bindRegion(SQLite::Statement &st, int first, const Region &r)
{
    st.bind(first, r.imageId);
    st.bind(first + 1, static_cast<int>(r.shape.type()));
    bindGeom(st, first + 2, r.shape);
    if (r.classId) st.bind(first + 3, r.classId); else st.bind(first + 3);
    st.bind(first + 4, dumpJson(r.attributes));
    st.bind(first + 5, static_cast<int>(r.origin));
    st.bind(first + 6, r.score);
    st.bind(first + 7, r.runId);
    st.bind(first + 8, r.iscrowd ? 1 : 0);
    st.bind(first + 9, dumpJson(r.extra));
}
} // namespace

Result<std::vector<Region>> ProjectStore::regions(Id image) const
{
    return readQuery(d->path, [&] {
        SQLite::Statement st(d->db, std::string("SELECT ") + kRegionColumns + " FROM regions WHERE image_id = ? ORDER BY id");
        st.bind(1, image);
        return readRegions(st, d->path);
    });
}

Result<std::vector<Region>> ProjectStore::allRegions() const
{
    return readQuery(d->path, [&] {
        SQLite::Statement st(d->db, std::string("SELECT ") + kRegionColumns + " FROM regions ORDER BY image_id, id");
        return readRegions(st, d->path);
    });
}

Result<std::vector<Id>> ProjectStore::addRegions(const std::vector<Region> &regions)
{
    std::vector<Id> ids;
    Status s = TX({
        SQLite::Statement st(d->db, "INSERT INTO regions(image_id, shape, geom, class_id, attributes, origin, score, "
                                    "run_id, iscrowd, extra) VALUES(?,?,?,?,?,?,?,?,?,?)");
        for (const Region &r : regions) {
            bindRegion(st, 1, r);
            st.exec();
            st.reset();
            ids.push_back(d->db.getLastInsertRowid());
        }
    });
    if (!s) return s.error();
    return ids;
}

Status ProjectStore::updateRegions(const std::vector<Region> &regions)
{
    return TX({
        SQLite::Statement st(d->db, "UPDATE regions SET image_id = ?, shape = ?, geom = ?, class_id = ?, attributes = ?, "
                                    "origin = ?, score = ?, run_id = ?, iscrowd = ?, extra = ? WHERE id = ?");
        for (const Region &r : regions) {
            bindRegion(st, 1, r);
            st.bind(11, r.id);
            if (st.exec() == 0)
                return makeError(ErrorCode::Invalid, d->path, {}, "no region with id " + std::to_string(r.id));
            st.reset();
        }
    });
}

Status ProjectStore::removeRegions(const std::vector<Id> &ids)
{
    return TX({
        SQLite::Statement st(d->db, "DELETE FROM regions WHERE id = ?");
        for (Id id : ids) {
            st.bind(1, id);
            st.exec();
            st.reset();
        }
    });
}

Status ProjectStore::restoreRegions(const std::vector<Region> &regions)
{
    return TX({
        SQLite::Statement st(d->db, "INSERT INTO regions(id, image_id, shape, geom, class_id, attributes, origin, score, "
                                    "run_id, iscrowd, extra) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
        for (const Region &r : regions) {
            st.bind(1, r.id);
            bindRegion(st, 2, r);
            st.exec();
            st.reset();
        }
    });
}

// ---------------------------------------------------------------- whole datasets

Result<ImportReport> ProjectStore::importDataset(const Dataset &data, const ImportOptions &opts)
{
    std::error_code ec;
    const std::string root = absolute(opts.imageRoot.empty() ? d->dir : opts.imageRoot);
    if (!fs::is_directory(root, ec)) return makeError(ErrorCode::Io, opts.imageRoot, {}, "image folder does not exist");

    // Resolve and validate every path before touching the database: a bad import changes
    // nothing. An image below a root the project has already keeps that root, so the same
    // file is never recorded twice; otherwise it must lie below the import's image folder.
    auto projectRoots = roots();
    if (!projectRoots) return projectRoots.error();
    std::vector<RootInfo> candidates = *projectRoots;
    if (std::none_of(candidates.begin(), candidates.end(), [&](const RootInfo &r) { return r.path == root; }))
        candidates.push_back({0, root});
    std::vector<std::pair<Id, std::string>> where(data.images.size()); // root id (0: the import root) and path
    bool needImportRoot = false;
    for (std::size_t i = 0; i < data.images.size(); ++i) {
        auto placed = placeImage(candidates, root, data.images[i].path);
        if (!placed) {
            Error e = placed.error();
            e.where = "$.images[" + std::to_string(i) + "]";
            e.message += "; nothing was imported";
            return e;
        }
        where[i] = {placed->rootId, placed->rel};
        needImportRoot = needImportRoot || placed->rootId == 0;
    }

    ImportReport report;
    try {
        SQLite::Transaction tx(d->db, kWrite);
        const Id importRoot = needImportRoot ? d->insertRoot(root) : 0;
        for (auto &w : where)
            if (w.first == 0) w.first = importRoot;

        auto classIds = d->classIds();
        auto ensureClass = [&](const std::string &name, const std::string &color, char hotkey) -> Id {
            if (name.empty()) return 0;
            if (auto it = classIds.find(name); it != classIds.end()) return it->second;
            const Id id = d->insertClass(name, color, hotkey);
            classIds.emplace(name, id);
            ++report.classesAdded;
            return id;
        };
        for (const auto &c : data.classes)
            ensureClass(c.name, c.color, c.hotkey);
        upsertDefs(d->db, data.attributes);
        if (!data.extra.empty()) {
            SQLite::Statement get(d->db, "SELECT value FROM settings WHERE key = 'dataset.extra'");
            nlohmann::ordered_json merged = nlohmann::ordered_json::object();
            if (get.executeStep()) {
                merged = nlohmann::ordered_json::parse(get.getColumn(0).getString(), nullptr, false);
                if (!merged.is_object()) merged = nlohmann::ordered_json::object();
            }
            merged.update(data.extra);
            d->setSetting("dataset.extra", merged.dump());
        }

        std::unordered_map<std::string, Id> existing; // "<root id>/<path>" -> image id
        {
            SQLite::Statement st(d->db, "SELECT root_id, rel_path, id FROM images");
            while (st.executeStep())
                existing.emplace(std::to_string(st.getColumn(0).getInt64()) + "/" + st.getColumn(1).getString(), st.getColumn(2).getInt64());
        }

        SQLite::Statement insImage(d->db, "INSERT INTO images(root_id, rel_path, width, height, file_size, split, "
                                          "class_id, attributes, extra) VALUES(?,?,?,?,?,?,?,?,?)");
        SQLite::Statement updImage(d->db, "UPDATE images SET width = CASE WHEN ?1 > 0 THEN ?1 ELSE width END, "
                                          "height = CASE WHEN ?2 > 0 THEN ?2 ELSE height END, "
                                          "file_size = CASE WHEN ?3 >= 0 THEN ?3 ELSE file_size END, "
                                          "split = CASE WHEN ?4 > 0 THEN ?4 ELSE split END, "
                                          "class_id = COALESCE(?5, class_id), attributes = ?6, extra = ?7 WHERE id = ?8");
        SQLite::Statement delRegions(d->db, "DELETE FROM regions WHERE image_id = ?");
        SQLite::Statement insRegion(d->db, "INSERT INTO regions(image_id, shape, geom, class_id, attributes, origin, "
                                           "score, run_id, iscrowd, extra) VALUES(?,?,?,?,?,?,?,?,?,?)");

        const std::size_t n = data.images.size();
        const std::size_t step = std::max<std::size_t>(1, n / 100);
        for (std::size_t i = 0; i < n; ++i) {
            if (opts.cancel && opts.cancel->load()) return makeError(ErrorCode::Cancelled, {}, {}, "import cancelled; nothing was changed");
            if (opts.progress && i % step == 0) opts.progress(static_cast<double>(i) / static_cast<double>(n));
            const ImageEntry &im = data.images[i];
            const Id imageClass = ensureClass(im.imageClass, {}, 0);
            Id imageId;
            const std::string key = std::to_string(where[i].first) + "/" + where[i].second;
            if (auto it = existing.find(key); it != existing.end()) {
                imageId = it->second;
                updImage.bind(1, im.width);
                updImage.bind(2, im.height);
                updImage.bind(3, static_cast<int64_t>(im.fileSize));
                updImage.bind(4, static_cast<int>(im.split));
                if (imageClass) updImage.bind(5, imageClass); else updImage.bind(5);
                updImage.bind(6, dumpJson(im.fileAttributes));
                updImage.bind(7, dumpJson(im.extra));
                updImage.bind(8, imageId);
                updImage.exec();
                updImage.reset();
                ++report.imagesMatched;
                if (opts.replaceRegions) {
                    delRegions.bind(1, imageId);
                    delRegions.exec();
                    delRegions.reset();
                }
            } else {
                insImage.bind(1, where[i].first);
                insImage.bind(2, where[i].second);
                insImage.bind(3, im.width);
                insImage.bind(4, im.height);
                insImage.bind(5, static_cast<int64_t>(im.fileSize));
                insImage.bind(6, static_cast<int>(im.split));
                if (imageClass) insImage.bind(7, imageClass); else insImage.bind(7);
                insImage.bind(8, dumpJson(im.fileAttributes));
                insImage.bind(9, dumpJson(im.extra));
                insImage.exec();
                insImage.reset();
                imageId = d->db.getLastInsertRowid();
                existing.emplace(key, imageId);
                ++report.imagesAdded;
            }
            Region r;
            r.imageId = imageId;
            for (const RegionData &rd : im.regions) {
                insRegion.bind(1, imageId);
                insRegion.bind(2, static_cast<int>(rd.shape.type()));
                bindGeom(insRegion, 3, rd.shape);
                const Id cls = ensureClass(rd.className, {}, 0);
                if (cls) insRegion.bind(4, cls); else insRegion.bind(4);
                insRegion.bind(5, dumpJson(rd.attributes));
                insRegion.bind(6, static_cast<int>(rd.origin));
                insRegion.bind(7, rd.score);
                insRegion.bind(8, static_cast<int64_t>(rd.runId));
                insRegion.bind(9, rd.iscrowd ? 1 : 0);
                insRegion.bind(10, dumpJson(rd.extra));
                insRegion.exec();
                insRegion.reset();
                ++report.regionsAdded;
            }
        }
        tx.commit();
        if (opts.progress) opts.progress(1.0);
    } catch (const std::exception &e) {
        return dbError(d->path, e);
    }
    return report;
}

Result<Dataset> ProjectStore::exportDataset(std::optional<Split> split, std::vector<std::string> *rootOf) const
{
    std::vector<std::string> roots;
    auto ds = readQuery(d->path, [&]() -> Result<Dataset> {
        Dataset ds;
        SQLite::Transaction snapshot(d->db); // classes, images and regions of one state
        std::unordered_map<Id, std::string> classNames;
        for (const auto &c : d->classes()) {
            classNames.emplace(c.id, c.name);
            ds.classes.push_back({c.name, c.color, c.hotkey});
        }
        ds.attributes = readSchema(d->db);
        {
            SQLite::Statement st(d->db, "SELECT value FROM settings WHERE key = 'dataset.extra'");
            if (st.executeStep()) {
                auto j = jsonColumn(st.getColumn(0), d->path, "setting dataset.extra");
                if (!j) return j.error();
                ds.extra = std::move(j.value());
            }
        }
        std::unordered_map<Id, std::size_t> index;
        const std::string where = split ? " WHERE split = " + std::to_string(static_cast<int>(*split)) : "";
        SQLite::Statement st(d->db, "SELECT i.id, r.path, i.rel_path, i.width, i.height, i.file_size, i.split, "
                                    "COALESCE(i.class_id, 0), i.attributes, i.extra FROM images i "
                                    "JOIN roots r ON r.id = i.root_id" + where + " ORDER BY i.id");
        while (st.executeStep()) {
            ImageEntry im;
            const std::string place = "image " + st.getColumn(2).getString();
            im.path = st.getColumn(2).getString();
            im.width = st.getColumn(3).getInt();
            im.height = st.getColumn(4).getInt();
            im.fileSize = st.getColumn(5).getInt64();
            im.split = static_cast<Split>(st.getColumn(6).getInt());
            if (Id c = st.getColumn(7).getInt64()) im.imageClass = classNames[c];
            auto attrs = jsonColumn(st.getColumn(8), d->path, place + " attributes");
            auto extra = jsonColumn(st.getColumn(9), d->path, place);
            if (!attrs) return attrs.error();
            if (!extra) return extra.error();
            im.fileAttributes = std::move(attrs.value());
            im.extra = std::move(extra.value());
            index.emplace(st.getColumn(0).getInt64(), ds.images.size());
            roots.push_back(d->rootPath(st.getColumn(1).getString()));
            ds.images.push_back(std::move(im));
        }
        SQLite::Statement rs(d->db, std::string("SELECT ") + kRegionColumns + " FROM regions ORDER BY image_id, id");
        while (rs.executeStep()) {
            auto it = index.find(rs.getColumn(1).getInt64());
            if (it == index.end()) continue; // an image of another split
            auto r = readRegion(rs, d->path);
            if (!r) return r.error();
            RegionData rd;
            rd.shape = std::move(r->shape);
            if (r->classId) rd.className = classNames[r->classId];
            rd.attributes = std::move(r->attributes);
            rd.origin = r->origin;
            rd.score = r->score;
            rd.runId = r->runId;
            rd.iscrowd = r->iscrowd;
            rd.extra = std::move(r->extra);
            ds.images[it->second].regions.push_back(std::move(rd));
        }
        snapshot.commit();
        return ds;
    });
    if (ds && rootOf) *rootOf = std::move(roots);
    return ds;
}

// ---------------------------------------------------------------- runs and settings

Result<Id> ProjectStore::addRun(const RunRecord &run)
{
    try {
        SQLite::Transaction tx(d->db, kWrite);
        SQLite::Statement st(d->db, "INSERT INTO runs(name, created_at, dir, config, summary) VALUES(?,?,?,?,?)");
        st.bind(1, run.name);
        st.bind(2, run.createdAt.empty() ? nowIso() : run.createdAt);
        st.bind(3, run.dir);
        st.bind(4, run.config.dump());
        st.bind(5, run.summary.dump());
        st.exec();
        const Id id = d->db.getLastInsertRowid();
        tx.commit();
        return id;
    } catch (const std::exception &e) {
        return dbError(d->path, e);
    }
}

Status ProjectStore::updateRun(const RunRecord &run)
{
    return TX({
        SQLite::Statement st(d->db, "UPDATE runs SET name = ?, dir = ?, config = ?, summary = ? WHERE id = ?");
        st.bind(1, run.name);
        st.bind(2, run.dir);
        st.bind(3, run.config.dump());
        st.bind(4, run.summary.dump());
        st.bind(5, run.id);
        if (st.exec() == 0) return makeError(ErrorCode::Invalid, d->path, {}, "no run with id " + std::to_string(run.id));
    });
}

Result<std::vector<RunRecord>> ProjectStore::runs() const
{
    return readQuery(d->path, [&] {
        std::vector<RunRecord> out;
        SQLite::Statement st(d->db, "SELECT id, name, created_at, dir, config, summary FROM runs ORDER BY id");
        while (st.executeStep()) {
            RunRecord r;
            r.id = st.getColumn(0).getInt64();
            r.name = st.getColumn(1).getString();
            r.createdAt = st.getColumn(2).getString();
            r.dir = st.getColumn(3).getString();
            r.config = nlohmann::json::parse(st.getColumn(4).getString(), nullptr, false);
            if (r.config.is_discarded()) r.config = nlohmann::json::object(); // a damaged record still lists
            r.summary = nlohmann::json::parse(st.getColumn(5).getString(), nullptr, false);
            if (r.summary.is_discarded()) r.summary = nlohmann::json::object();
            out.push_back(std::move(r));
        }
        return out;
    });
}

Result<std::string> ProjectStore::setting(const std::string &key, const std::string &fallback) const
{
    return readQuery(d->path, [&] {
        SQLite::Statement st(d->db, "SELECT value FROM settings WHERE key = ?");
        st.bind(1, key);
        return st.executeStep() ? st.getColumn(0).getString() : fallback;
    });
}

Status ProjectStore::setSetting(const std::string &key, const std::string &value)
{
    return TX({ d->setSetting(key, value); });
}

} // namespace core
