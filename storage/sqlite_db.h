// storage/sqlite_db.h: a thin RAII layer over the SQLite C API for the SQLite storage: one
// connection, cached prepared statements, transactions, and the single place where SQLite
// result codes become absl::Status (SqliteStatus).
//
// Thread-safety: none. A SqliteDb and its statements must be used by one thread at a time (the
// SQLite storage guards its connection with a mutex).
#ifndef NASQ_STORAGE_SQLITE_DB_H_
#define NASQ_STORAGE_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace nasq {

// Converts an SQLite result code into a Status whose message starts with `context` and
// includes SQLite's description. OK for SQLITE_OK / SQLITE_ROW / SQLITE_DONE.
// Mapping: BUSY / LOCKED / IOERR / FULL / CANTOPEN / READONLY / PERM -> UNAVAILABLE;
// NOTADB -> FAILED_PRECONDITION; CORRUPT -> DATA_LOSS; CONSTRAINT (unique / primary key) ->
// ALREADY_EXISTS;
// everything else -> INTERNAL.
absl::Status SqliteStatus(int rc, absl::string_view context, sqlite3* db = nullptr);

// The status of a method result: itself for a Status, .status() for a StatusOr.
inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <class T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// A prepared statement borrowed from SqliteDb's cache. Bindings and the cursor are reset when
// the borrow ends (destructor), so the next user starts clean.
class SqliteStatement {
 public:
  SqliteStatement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  SqliteStatement(SqliteStatement&& other) noexcept
      : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), bind_rc_(other.bind_rc_) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  ~SqliteStatement();

  // Parameters are 1-based, as in SQLite. Binding failures surface from Step().
  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, double value);
  SqliteStatement& Bind(int index, absl::string_view value);
  SqliteStatement& Bind(int index, std::nullopt_t);

  // Advances: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  absl::Status Run();

  // Column accessors for the current row (0-based).
  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
  int bind_rc_ = 0;  // first binding failure, reported by Step()
};

class SqliteDb {
 public:
  // Opens `path` read-write (creating it when `create` is true). Writes nothing to the file.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool create);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Executes one or more SQL statements without results (schema, pragmas, BEGIN/COMMIT).
  absl::Status Exec(absl::string_view sql);

  // Switches to the WAL journal (outside any transaction). False when SQLite kept another
  // journal mode (e.g. a file system without shared memory for the WAL index).
  absl::StatusOr<bool> EnableWal();
  // The path of the database's WAL file (whether or not it exists).
  std::string WalPath() const;

  // A cached prepared statement for `sql` (prepared on first use).
  absl::StatusOr<SqliteStatement> Prepare(const std::string& sql);

  // Runs `body` inside BEGIN IMMEDIATE (write) or BEGIN (read) ... COMMIT; rolls back and
  // returns the error when `body` or the commit fails.
  enum class TxKind { kRead, kWrite };
  template <class Body>
  auto InTransaction(TxKind kind, Body&& body) -> decltype(body()) {
    if (absl::Status s = Exec(kind == TxKind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"); !s.ok()) {
      return s;
    }
    auto result = body();
    absl::Status status = StatusOf(result);
    if (status.ok()) status = Exec("COMMIT");
    if (!status.ok()) {
      Rollback();
      return status;
    }
    return result;
  }

  // Whether closing the last connection to a WAL database copies the WAL into the database
  // file (SQLite's default: true). False leaves the file's bytes as they are.
  absl::Status SetCheckpointOnClose(bool checkpoint);
  // Whether a transaction is open (false after SQLite rolled one back by itself, as it may on
  // SQLITE_FULL or SQLITE_IOERR).
  bool IsInTransaction() const;

  const std::string& path() const { return path_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void Rollback();

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace nasq

#endif  // NASQ_STORAGE_SQLITE_DB_H_
