// storage/sqlite_checks.h: the checks the SQLite storage runs when it opens a nasq database,
// before anything is written to it: SQLite's own structural check (PRAGMA quick_check, or the
// full integrity_check) and nasq's row invariants that the server relies on (every RUNNING trial
// has a lease row, so the reaper can expire it; each study's trial numbers are exactly
// 0..N-1, so a trial number addresses the right trial).
//
// Both only read. Thread-safety: they use `db` like any SqliteDb call (one thread at a time).
#ifndef NASQ_STORAGE_SQLITE_CHECKS_H_
#define NASQ_STORAGE_SQLITE_CHECKS_H_

#include "absl/status/status.h"

namespace nasq {

class SqliteDb;

enum class IntegrityCheck {
  kQuick,  // PRAGMA quick_check: page structure and records, without index contents
  kFull,   // PRAGMA integrity_check: also checks that every index matches its table
};

// OK when SQLite reports the file sound (an empty file is). DATA_LOSS naming the file and the
// check with SQLite's first findings when it does not, or when the check itself hits a corrupt
// page. FAILED_PRECONDITION (SQLite's NOTADB) when the file is not an SQLite database at all.
absl::Status CheckSqliteIntegrity(SqliteDb& db, IntegrityCheck check);

// OK when the rows of a nasq database (schema version >= 1) keep nasq's invariants. DATA_LOSS
// naming the file and each offending row (study name, trial number, what is wrong; the first
// few of them) otherwise.
absl::Status CheckNasqRows(SqliteDb& db);

}  // namespace nasq

#endif  // NASQ_STORAGE_SQLITE_CHECKS_H_
