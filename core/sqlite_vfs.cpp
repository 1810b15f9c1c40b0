#include "core/sqlite_vfs.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace core {

namespace {

constexpr const char *kVfsName = "annotrain";

// The lock bytes of the database file and of the -shm file, as the unix VFS and
// every other SQLite program place them (os_unix.c, walformat.html).
constexpr off_t kPendingByte = 0x40000000;
constexpr off_t kReservedByte = kPendingByte + 1;
constexpr off_t kSharedFirst = kPendingByte + 2;
constexpr off_t kSharedSize = 510;
constexpr off_t kShmBase = (22 + SQLITE_SHM_NLOCK) * 4; // 120: the eight WAL-index lock slots
constexpr off_t kShmDms = kShmBase + SQLITE_SHM_NLOCK;  // 128: the dead-man switch

sqlite3_vfs *g_unix = nullptr;

// One open file of a connection. `real` is the unix VFS's file object, allocated
// in the same block right after this struct; it does all the I/O.
struct File {
    sqlite3_file base;
    sqlite3_file *real = nullptr;
    int lockFd = -1;                   // main database only: the descriptor the OFD locks are on
    int lockLevel = SQLITE_LOCK_NONE;
    std::string *path = nullptr;       // main database only
    // The WAL index, mapped by this connection alone.
    int shmFd = -1;
    std::vector<void *> *regions = nullptr;
    int regionSize = 0;
    unsigned sharedMask = 0, exclMask = 0;
};

// Sets (F_RDLCK, F_WRLCK) or clears (F_UNLCK) an OFD lock without waiting.
// SQLITE_BUSY when another description holds a conflicting lock.
int ofdLock(int fd, short type, off_t start, off_t len, int ioerr)
{
    struct flock fl;
    std::memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    fl.l_pid = 0; // required for OFD locks
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return SQLITE_OK;
    if (errno == EAGAIN || errno == EACCES || errno == EINTR) return SQLITE_BUSY;
    return ioerr;
}

File *self(sqlite3_file *f) { return reinterpret_cast<File *>(f); }

// ---------------------------------------------------------------- WAL index

void unmapShm(File *p, bool deleteFile)
{
    if (p->regions) {
        for (void *r : *p->regions)
            if (r) munmap(r, static_cast<std::size_t>(p->regionSize));
        delete p->regions;
        p->regions = nullptr;
    }
    if (p->shmFd >= 0) {
        close(p->shmFd); // releases this connection's -shm locks, and only them
        p->shmFd = -1;
        if (deleteFile && p->path) unlink((*p->path + "-shm").c_str());
    }
    p->sharedMask = p->exclMask = 0;
}

// Opens <db>-shm and takes part in the dead-man switch: the first connection of
// all (it gets the DMS byte exclusively) truncates a stale index; every connection
// then holds the DMS byte shared while it has the index open.
int openShm(File *p)
{
    struct stat st;
    if (fstat(p->lockFd, &st) != 0) return SQLITE_IOERR_SHMOPEN;
    const std::string name = *p->path + "-shm";
    const int fd = open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, st.st_mode & 0777);
    if (fd < 0) return SQLITE_CANTOPEN;
    int rc = ofdLock(fd, F_WRLCK, kShmDms, 1, SQLITE_IOERR_SHMOPEN);
    if (rc == SQLITE_OK) {
        // Truncate to 3 bytes, not 0, as the unix VFS does (a sign that the truncation was legitimate).
        if (ftruncate(fd, 3) != 0) rc = SQLITE_IOERR_SHMOPEN;
    } else if (rc != SQLITE_BUSY) {
        close(fd);
        return rc;
    }
    if (rc == SQLITE_OK || rc == SQLITE_BUSY) rc = ofdLock(fd, F_RDLCK, kShmDms, 1, SQLITE_IOERR_SHMOPEN);
    if (rc != SQLITE_OK) { // SQLITE_BUSY: another connection is initialising the index right now
        close(fd);
        return rc;
    }
    p->shmFd = fd;
    p->regions = new std::vector<void *>();
    return SQLITE_OK;
}

int ioShmMap(sqlite3_file *f, int iRegion, int szRegion, int bExtend, void volatile **pp)
{
    File *p = self(f);
    *pp = nullptr;
    if (!p->path) return SQLITE_IOERR_SHMMAP;
    if (p->shmFd < 0) {
        if (int rc = openShm(p); rc != SQLITE_OK) return rc;
        p->regionSize = szRegion;
    }
    if (szRegion != p->regionSize) return SQLITE_IOERR_SHMMAP;
    std::vector<void *> &regions = *p->regions;
    if (static_cast<int>(regions.size()) <= iRegion) {
        const off_t need = static_cast<off_t>(iRegion + 1) * szRegion;
        struct stat st;
        if (fstat(p->shmFd, &st) != 0) return SQLITE_IOERR_SHMSIZE;
        if (st.st_size < need) {
            if (!bExtend) return SQLITE_OK; // *pp stays null: the index is not that large yet
            // Write one byte per page rather than ftruncate, so that a full disk is an
            // error here and not a SIGBUS later (as the unix VFS does).
            const off_t page = 4096;
            for (off_t at = (st.st_size / page) * page + page - 1; at < need; at += page)
                if (pwrite(p->shmFd, "", 1, at) != 1) return SQLITE_IOERR_SHMSIZE;
        }
        while (static_cast<int>(regions.size()) <= iRegion) {
            const off_t offset = static_cast<off_t>(regions.size()) * szRegion;
            void *m = mmap(nullptr, static_cast<std::size_t>(szRegion), PROT_READ | PROT_WRITE, MAP_SHARED, p->shmFd, offset);
            if (m == MAP_FAILED) return SQLITE_IOERR_SHMMAP;
            regions.push_back(m);
        }
    }
    *pp = regions[static_cast<std::size_t>(iRegion)];
    return SQLITE_OK;
}

int ioShmLock(sqlite3_file *f, int ofst, int n, int flags)
{
    File *p = self(f);
    if (p->shmFd < 0 || ofst < 0 || n < 1 || ofst + n > SQLITE_SHM_NLOCK) return SQLITE_IOERR_SHMLOCK;
    const unsigned mask = ((1u << (ofst + n)) - 1u) & ~((1u << ofst) - 1u);
    if (flags & SQLITE_SHM_UNLOCK) {
        if (((p->sharedMask | p->exclMask) & mask) == 0) return SQLITE_OK;
        if (int rc = ofdLock(p->shmFd, F_UNLCK, kShmBase + ofst, n, SQLITE_IOERR_SHMLOCK); rc != SQLITE_OK) return rc;
        p->sharedMask &= ~mask;
        p->exclMask &= ~mask;
        return SQLITE_OK;
    }
    if (flags & SQLITE_SHM_SHARED) {
        if ((p->sharedMask & mask) == mask) return SQLITE_OK;
        if (int rc = ofdLock(p->shmFd, F_RDLCK, kShmBase + ofst, n, SQLITE_IOERR_SHMLOCK); rc != SQLITE_OK) return rc;
        p->sharedMask |= mask;
        return SQLITE_OK;
    }
    if ((p->exclMask & mask) == mask) return SQLITE_OK;
    if (int rc = ofdLock(p->shmFd, F_WRLCK, kShmBase + ofst, n, SQLITE_IOERR_SHMLOCK); rc != SQLITE_OK) return rc;
    p->exclMask |= mask;
    p->sharedMask &= ~mask;
    return SQLITE_OK;
}

void ioShmBarrier(sqlite3_file *) { __sync_synchronize(); }

int ioShmUnmap(sqlite3_file *f, int deleteFlag)
{
    unmapShm(self(f), deleteFlag != 0);
    return SQLITE_OK;
}

// ---------------------------------------------------------------- database file locks

// The five lock levels of the database file, taken on the same bytes as the unix
// VFS takes them (os_unix.c, unixLock), one connection at a time.
int ioLock(sqlite3_file *f, int level)
{
    File *p = self(f);
    if (p->lockFd < 0) return SQLITE_OK; // not a main database: SQLite does not lock it
    if (p->lockLevel >= level) return SQLITE_OK;
    if (level == SQLITE_LOCK_SHARED) {
        // A shared lock waits for no writer that holds PENDING, so writers cannot starve.
        if (int rc = ofdLock(p->lockFd, F_RDLCK, kPendingByte, 1, SQLITE_IOERR_LOCK); rc != SQLITE_OK) return rc;
        const int rc = ofdLock(p->lockFd, F_RDLCK, kSharedFirst, kSharedSize, SQLITE_IOERR_LOCK);
        ofdLock(p->lockFd, F_UNLCK, kPendingByte, 1, SQLITE_IOERR_UNLOCK);
        if (rc != SQLITE_OK) return rc;
        p->lockLevel = SQLITE_LOCK_SHARED;
        return SQLITE_OK;
    }
    if (level == SQLITE_LOCK_RESERVED) {
        if (int rc = ofdLock(p->lockFd, F_WRLCK, kReservedByte, 1, SQLITE_IOERR_LOCK); rc != SQLITE_OK) return rc;
        p->lockLevel = SQLITE_LOCK_RESERVED;
        return SQLITE_OK;
    }
    // PENDING, then EXCLUSIVE: once PENDING is held no new reader starts; a failed
    // EXCLUSIVE leaves the connection at PENDING, as SQLite expects.
    if (p->lockLevel < SQLITE_LOCK_PENDING) {
        if (int rc = ofdLock(p->lockFd, F_WRLCK, kPendingByte, 1, SQLITE_IOERR_LOCK); rc != SQLITE_OK) return rc;
        p->lockLevel = SQLITE_LOCK_PENDING;
    }
    if (level == SQLITE_LOCK_EXCLUSIVE) {
        if (int rc = ofdLock(p->lockFd, F_WRLCK, kSharedFirst, kSharedSize, SQLITE_IOERR_LOCK); rc != SQLITE_OK) return rc;
        p->lockLevel = SQLITE_LOCK_EXCLUSIVE;
    }
    return SQLITE_OK;
}

int ioUnlock(sqlite3_file *f, int level)
{
    File *p = self(f);
    if (p->lockFd < 0 || p->lockLevel <= level) return SQLITE_OK;
    if (level == SQLITE_LOCK_SHARED) {
        if (p->lockLevel > SQLITE_LOCK_SHARED) {
            if (ofdLock(p->lockFd, F_RDLCK, kSharedFirst, kSharedSize, SQLITE_IOERR_RDLOCK) != SQLITE_OK) return SQLITE_IOERR_RDLOCK;
            if (ofdLock(p->lockFd, F_UNLCK, kPendingByte, 2, SQLITE_IOERR_UNLOCK) != SQLITE_OK) return SQLITE_IOERR_UNLOCK;
        }
        p->lockLevel = SQLITE_LOCK_SHARED;
        return SQLITE_OK;
    }
    if (ofdLock(p->lockFd, F_UNLCK, 0, 0, SQLITE_IOERR_UNLOCK) != SQLITE_OK) return SQLITE_IOERR_UNLOCK;
    p->lockLevel = SQLITE_LOCK_NONE;
    return SQLITE_OK;
}

int ioCheckReservedLock(sqlite3_file *f, int *out)
{
    File *p = self(f);
    *out = 0;
    if (p->lockFd < 0) return SQLITE_OK;
    if (p->lockLevel >= SQLITE_LOCK_RESERVED) {
        *out = 1;
        return SQLITE_OK;
    }
    struct flock fl;
    std::memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = kReservedByte;
    fl.l_len = 1;
    if (fcntl(p->lockFd, F_OFD_GETLK, &fl) != 0) return SQLITE_IOERR_CHECKRESERVEDLOCK;
    *out = fl.l_type != F_UNLCK;
    return SQLITE_OK;
}

// ---------------------------------------------------------------- everything else goes to the unix VFS

int ioClose(sqlite3_file *f)
{
    File *p = self(f);
    unmapShm(p, false);
    if (p->lockFd >= 0) close(p->lockFd);
    p->lockFd = -1;
    delete p->path;
    p->path = nullptr;
    const int rc = p->real->pMethods ? p->real->pMethods->xClose(p->real) : SQLITE_OK;
    p->real->pMethods = nullptr;
    return rc;
}

int ioRead(sqlite3_file *f, void *buf, int n, sqlite3_int64 off) { return self(f)->real->pMethods->xRead(self(f)->real, buf, n, off); }
int ioWrite(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off) { return self(f)->real->pMethods->xWrite(self(f)->real, buf, n, off); }
int ioTruncate(sqlite3_file *f, sqlite3_int64 size) { return self(f)->real->pMethods->xTruncate(self(f)->real, size); }
int ioSync(sqlite3_file *f, int flags) { return self(f)->real->pMethods->xSync(self(f)->real, flags); }
int ioFileSize(sqlite3_file *f, sqlite3_int64 *size) { return self(f)->real->pMethods->xFileSize(self(f)->real, size); }
int ioSectorSize(sqlite3_file *f) { return self(f)->real->pMethods->xSectorSize(self(f)->real); }
int ioDeviceCharacteristics(sqlite3_file *f) { return self(f)->real->pMethods->xDeviceCharacteristics(self(f)->real); }

int ioFileControl(sqlite3_file *f, int op, void *arg)
{
    File *p = self(f);
    if (op == SQLITE_FCNTL_LOCKSTATE) {
        *static_cast<int *>(arg) = p->lockLevel;
        return SQLITE_OK;
    }
    return p->real->pMethods->xFileControl(p->real, op, arg);
}

int ioFetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    File *p = self(f);
    if (p->real->pMethods->iVersion < 3) {
        *pp = nullptr;
        return SQLITE_OK;
    }
    return p->real->pMethods->xFetch(p->real, off, n, pp);
}

int ioUnfetch(sqlite3_file *f, sqlite3_int64 off, void *pg)
{
    File *p = self(f);
    return p->real->pMethods->iVersion < 3 ? SQLITE_OK : p->real->pMethods->xUnfetch(p->real, off, pg);
}

const sqlite3_io_methods kMethods = {
    3, ioClose, ioRead, ioWrite, ioTruncate, ioSync, ioFileSize, ioLock, ioUnlock, ioCheckReservedLock, ioFileControl,
    ioSectorSize, ioDeviceCharacteristics, ioShmMap, ioShmLock, ioShmBarrier, ioShmUnmap, ioFetch, ioUnfetch,
};

int vfsOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *outFlags)
{
    File *p = new (f) File();
    p->real = reinterpret_cast<sqlite3_file *>(reinterpret_cast<char *>(f) + ((sizeof(File) + 7) & ~std::size_t(7)));
    p->real->pMethods = nullptr;
    (void)vfs;
    int rc = g_unix->xOpen(g_unix, name, p->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        p->base.pMethods = nullptr;
        return rc;
    }
    if ((flags & SQLITE_OPEN_MAIN_DB) && name) {
        // A descriptor of this connection's own for the locks (O_RDONLY is enough for
        // fcntl read locks, but write locks need the file open for writing).
        p->lockFd = open(name, ((flags & SQLITE_OPEN_READONLY) ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        if (p->lockFd < 0) {
            p->real->pMethods->xClose(p->real);
            p->base.pMethods = nullptr;
            return SQLITE_CANTOPEN;
        }
        p->path = new std::string(name);
    }
    p->base.pMethods = &kMethods;
    return SQLITE_OK;
}

int vfsDelete(sqlite3_vfs *, const char *name, int syncDir) { return g_unix->xDelete(g_unix, name, syncDir); }
int vfsAccess(sqlite3_vfs *, const char *name, int flags, int *out) { return g_unix->xAccess(g_unix, name, flags, out); }
int vfsFullPathname(sqlite3_vfs *, const char *name, int n, char *out) { return g_unix->xFullPathname(g_unix, name, n, out); }
void *vfsDlOpen(sqlite3_vfs *, const char *name) { return g_unix->xDlOpen(g_unix, name); }
void vfsDlError(sqlite3_vfs *, int n, char *msg) { g_unix->xDlError(g_unix, n, msg); }
void (*vfsDlSym(sqlite3_vfs *, void *h, const char *sym))(void) { return g_unix->xDlSym(g_unix, h, sym); }
void vfsDlClose(sqlite3_vfs *, void *h) { g_unix->xDlClose(g_unix, h); }
int vfsRandomness(sqlite3_vfs *, int n, char *out) { return g_unix->xRandomness(g_unix, n, out); }
int vfsSleep(sqlite3_vfs *, int us) { return g_unix->xSleep(g_unix, us); }
int vfsCurrentTime(sqlite3_vfs *, double *t) { return g_unix->xCurrentTime(g_unix, t); }
int vfsLastError(sqlite3_vfs *, int n, char *msg) { return g_unix->xGetLastError(g_unix, n, msg); }
int vfsCurrentTimeInt64(sqlite3_vfs *, sqlite3_int64 *t) { return g_unix->xCurrentTimeInt64(g_unix, t); }

sqlite3_vfs g_vfs;

// True when the kernel takes OFD locks (Linux >= 3.15).
bool ofdLocksWork()
{
    char name[] = "/tmp/annotrain-ofd-XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0) return false;
    unlink(name);
    const bool ok = ofdLock(fd, F_WRLCK, 0, 1, SQLITE_IOERR) == SQLITE_OK;
    close(fd);
    return ok;
}

} // namespace

const char *projectVfsName()
{
    static std::once_flag once;
    static const char *name = nullptr;
    std::call_once(once, [] {
        g_unix = sqlite3_vfs_find("unix");
        if (!g_unix || g_unix->iVersion < 2 || !ofdLocksWork()) return;
        std::memset(&g_vfs, 0, sizeof g_vfs);
        g_vfs.iVersion = 2;
        g_vfs.szOsFile = static_cast<int>(((sizeof(File) + 7) & ~std::size_t(7)) + static_cast<std::size_t>(g_unix->szOsFile));
        g_vfs.mxPathname = g_unix->mxPathname;
        g_vfs.zName = kVfsName;
        g_vfs.xOpen = vfsOpen;
        g_vfs.xDelete = vfsDelete;
        g_vfs.xAccess = vfsAccess;
        g_vfs.xFullPathname = vfsFullPathname;
        g_vfs.xDlOpen = vfsDlOpen;
        g_vfs.xDlError = vfsDlError;
        g_vfs.xDlSym = vfsDlSym;
        g_vfs.xDlClose = vfsDlClose;
        g_vfs.xRandomness = vfsRandomness;
        g_vfs.xSleep = vfsSleep;
        g_vfs.xCurrentTime = vfsCurrentTime;
        g_vfs.xGetLastError = vfsLastError;
        g_vfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;
        if (sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK) name = kVfsName;
    });
    return name;
}

} // namespace core
