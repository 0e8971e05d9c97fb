// storage/postgres_checks.h: nasq's row invariants, checked when the PostgreSQL storage opens a
// nasq database and by `nasq-server --check`: every RUNNING trial has a lease row (so the
// reaper can expire it) and each study's trial numbers are exactly 0..N-1 (so a trial number
// addresses the right trial). The same invariants as the SQLite storage's CheckNasqRows
// (storage/sqlite_checks.h); PostgreSQL's own structures are PostgreSQL's to check (amcheck,
// data checksums).
//
// Reads only. Thread-safety: uses `db` like any PgConnection call (one thread at a time).
#ifndef NASQ_STORAGE_POSTGRES_CHECKS_H_
#define NASQ_STORAGE_POSTGRES_CHECKS_H_

#include <string>

#include "absl/status/status.h"

namespace nasq {

class PgConnection;

// OK when the rows of the nasq database behind `db` (schema version >= 1) keep nasq's
// invariants. DATA_LOSS naming the database (`name`) and each offending row (study name, trial
// number, what is wrong; the first few of them) otherwise.
absl::Status CheckPostgresNasqRows(PgConnection& db, const std::string& name);

}  // namespace nasq

#endif  // NASQ_STORAGE_POSTGRES_CHECKS_H_
