// storage/sqlite_storage.h: a durable Storage in one SQLite database file.
//
// Layout: WAL journal, normalised tables (studies with the StudySpec as JSON, directions, study
// system attributes, trials, params with Optuna-format distribution JSON, values, intermediate
// values, user/system attributes, leases) and a `schema_version` table. Schema migrations are
// applied in order when the file is opened (storage/sqlite_schema.h).
//
// Durability: once a write method has returned OK, or WaitDurable has for a deferred write, the
// change survives a crash of the process or of the machine: every commit's WAL frames are
// fsync'ed before it counts as durable. Writes use group commit
// (storage/sqlite_group_commit.h): each runs as a savepoint of one open transaction that the
// first waiter commits for everybody, so concurrent writers share one fsync, and the fsync runs
// after the connection is released (synchronous=NORMAL COMMIT, then storage/sqlite_wal_file.h),
// so the next writes do not wait for the disk. Where SQLite cannot use a WAL (no shared memory
// on the file system), every COMMIT syncs itself (synchronous=FULL). A commit that
// fails (disk full, I/O error) loses the changes of that transaction only: their waiters get
// the error, and writes are refused until ResumeWrites (see Storage::WaitDurable).
//
// Floats round-trip exactly (objective values +-inf as NULL plus a FINITE/INF_POS/INF_NEG type
// column, intermediate values also NaN, like Optuna), except that -0.0 reads back as 0.0.
//
// Only one process should write a database (the server owns it and locks it, storage/db_lock.h);
// a second process opening the same file waits up to `busy_timeout_ms` for locks and then fails
// with UNAVAILABLE.
//
// Thread-safety: the returned Storage is thread-safe; one connection is shared behind a mutex,
// so statements are serialised, but a commit's fsync is shared by every writer waiting for it.
#ifndef NASQ_STORAGE_SQLITE_STORAGE_H_
#define NASQ_STORAGE_SQLITE_STORAGE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/sqlite_checks.h"
#include "storage/storage.h"

namespace nasq {

struct SqliteOptions {
  // How long a statement waits for a lock held by another connection before failing with
  // UNAVAILABLE. Default 5000 ms.
  int busy_timeout_ms = 5000;
  // Create the file (and the schema) when it does not exist. When false, a missing file is
  // NOT_FOUND. Default true.
  bool create_if_missing = true;
  // Initialise an existing empty file (0 bytes, or an SQLite database without any schema
  // object or application id) as a new nasq database. When false such a file is refused, so a
  // mistyped path to some other file is never silently turned into a database. Default false.
  bool initialize_empty_file = false;
  // Which structural check runs at open: kQuick (PRAGMA quick_check) or kFull (PRAGMA
  // integrity_check, slower: it also compares every index with its table). Default kQuick.
  IntegrityCheck integrity_check = IntegrityCheck::kQuick;
};

// Opens (or creates) the nasq database at `path`, checks it and brings its schema up to date.
// A database is created only at a path that does not exist yet (with create_if_missing) or,
// with initialize_empty_file, in an existing empty file. (A process killed between creating the
// file and committing the schema leaves such an empty file behind.) Opening an existing database
// first runs options.integrity_check and then checks nasq's row invariants (every RUNNING trial
// has a lease; each study's trial numbers are 0..N-1).
// Errors, all of which leave the file byte-for-byte unchanged:
//  * FAILED_PRECONDITION naming the file when it is not a nasq database (not SQLite at all, or
//    an SQLite database with tables but without nasq's schema_version marker), when it is an
//    existing empty file and initialize_empty_file is false, or when it was written by a newer
//    nasq (its schema version is above the one this build knows; both versions are named).
//  * DATA_LOSS naming the file when the integrity check fails (with SQLite's findings) or rows
//    break nasq's invariants (naming the study, the trial number and what is wrong).
//  * NOT_FOUND when the file does not exist and `create_if_missing` is false.
//  * UNAVAILABLE / INTERNAL when SQLite itself fails (permissions, locks, I/O).
absl::StatusOr<std::unique_ptr<Storage>> OpenSqliteStorage(const std::string& path,
                                                           const SqliteOptions& options = {});

}  // namespace nasq

#endif  // NASQ_STORAGE_SQLITE_STORAGE_H_
