#pragma once
// The SQLite VFS every project connection uses ("annotrain"): the "unix" VFS for all
// I/O, with its locks taken as Linux open-file-description (OFD) locks on a descriptor
// of the connection's own instead of POSIX record locks.
//
// Why: POSIX locks belong to the process, and any close() of any descriptor of the
// file in the process releases all of them (SQLite's "How To Corrupt An SQLite
// Database File", 2.2). A file dialog or MIME sniffer that opens and closes the
// project would silently drop the GUI's locks; another process could then reset the
// WAL index or delete the WAL under it. OFD locks belong to the open file description
// and go only when that description is closed, so nothing else in the process can
// take them away.
//
// Compatibility: OFD and POSIX locks conflict with each other on Linux, so other
// programs with stock SQLite (the sqlite3 shell, Python) and connections in this
// process on the plain "unix" VFS see these locks and are seen by them. Each
// connection locks like a separate process, which SQLite's protocol allows.
// The shared-memory WAL index (<db>-shm) is mapped per connection, with the same
// lock bytes and dead-man-switch protocol as the unix VFS, so the file layout is the one
// SQLite expects.

namespace core {

// Registers the VFS once (thread-safe) and returns its name; nullptr when this
// system has no OFD locks (the caller then uses the default VFS).
const char *projectVfsName();

} // namespace core
