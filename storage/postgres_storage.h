// storage/postgres_storage.h: a durable Storage in a PostgreSQL database, for coordinators whose
// database lives on a (managed) PostgreSQL server rather than on their own disk, so that the
// coordinator can restart on another host with nothing lost.
//
// Layout: the tables of the SQLite storage (storage/sqlite_storage.h) in PostgreSQL types, in
// the connection's current schema (search_path; `public` by default), and a
// `nasq_schema_version` table; schema migrations are applied in one transaction when the
// storage opens (storage/postgres_schema.h). Floats round-trip exactly (storage/stored_float.h).
//
// Transactions: every method is one transaction on a connection of its own from a small pool
// (storage/postgres_pool.h): writes under READ COMMITTED, locking the row they check
// (compare-and-set on the trial row, trial numbering on the study row), reads under REPEATABLE
// READ so that a loaded history is one snapshot.
//
// Durability: a write method returns once PostgreSQL has committed it, so the change is as
// durable as the server's settings make a commit (synchronous_commit = on and fsync = on, the
// defaults, survive a crash of either machine; synchronous replication adds a standby).
// Group commit: CreateTrialDeferred and UpdateTrialDeferred commit with synchronous_commit off
// (visible to every later call at once, not yet flushed) and hand out a ticket; WaitDurable
// then runs one small synchronous commit, which flushes PostgreSQL's write-ahead log up to it
// and so every deferred commit made before it, for every waiter at once (a waiter whose ticket
// an ongoing flush covers waits for that flush). The log is flushed in commit order, so the
// durable state is always a prefix of the commits. A flush that fails (the connection lost: a
// crash of PostgreSQL may have lost the deferred commits) counts as a failed commit (below):
// WaitDurable returns its error for every ticket it covered, now and later.
//
// Failures: when PostgreSQL cannot be reached or the connection is lost, a method returns
// UNAVAILABLE and its transaction is rolled back (nothing changed); the broken connection is
// dropped and the next call connects again. Two cases are in doubt: the connection lost while
// COMMIT was in flight, when the change may or may not have been committed, and a failed flush
// of deferred commits. They return UNAVAILABLE and count as failed commits (CommitFailures
// grows): writes are refused with that error until ResumeWrites, so that the caller re-reads
// what it cached first (as after a failed SQLite commit). CommitHealth reports the latest backend
// failure until a call succeeds again.
//
// One coordinator per database: the storage holds PostgreSQL's advisory lock for its lifetime
// (storage/postgres_lock.h) and checks before a call (at most once a second, and on every new
// connection) that it still does, taking it again after a lost connection; a call after the
// lock went to another coordinator fails with FAILED_PRECONDITION naming the holder.
//
// Thread-safety: the returned Storage is thread-safe; up to PostgresOptions::pool_size calls
// run their transactions concurrently, further calls wait for a connection.
#ifndef NASQ_STORAGE_POSTGRES_STORAGE_H_
#define NASQ_STORAGE_POSTGRES_STORAGE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/storage.h"

namespace nasq {

struct PostgresOptions {
  // Connections for concurrent calls (besides the lock's own), 1 or more. Default 8.
  int pool_size = 8;
  // Create nasq's schema in a database (schema) that has no tables yet. When false such a
  // database is NOT_FOUND. Default true.
  bool create_if_missing = true;
};

// Opens the nasq database at `url` (postgresql://[user[:password]@][host][:port][/dbname]
// [?param=value&...], libpq's URI; what it leaves out comes from the PG* environment variables
// and the password file, as for psql). Takes the database's advisory lock, checks the schema
// version and nasq's row invariants of an existing database (storage/postgres_checks.h), and
// brings the schema up to date. Messages name the URL without its password.
// Errors, all of which leave the database unchanged:
//  * FAILED_PRECONDITION when another nasq server holds the database (naming it), when the
//    schema holds tables but is not nasq's, or when it was written by a newer nasq (both
//    versions named).
//  * DATA_LOSS when rows break nasq's invariants (naming the study, the trial number and what
//    is wrong).
//  * NOT_FOUND when the database has no nasq schema and `create_if_missing` is false.
//  * UNAVAILABLE when PostgreSQL cannot be reached or refuses the login (e.g. no such database
//    or role, a wrong password); INVALID_ARGUMENT for a URL that is not postgresql:// or
//    postgres://, or that libpq cannot parse, or a pool_size below 1.
absl::StatusOr<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& url,
                                                             const PostgresOptions& options = {});

}  // namespace nasq

#endif  // NASQ_STORAGE_POSTGRES_STORAGE_H_
