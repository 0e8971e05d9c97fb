// storage/postgres_db.h: a thin RAII layer over libpq for the PostgreSQL storage: one
// connection, statements with text parameters, results, the single place where libpq errors
// become absl::Status (PostgresStatus), and the URL helpers (which URLs select PostgreSQL, how
// a URL is named in messages without its password).
//
// Thread-safety: none. A PgConnection must be used by one thread at a time (the PostgreSQL
// storage hands each connection to one caller at a time, storage/postgres_pool.h); PgResult is
// an immutable value. The free functions are pure.
#ifndef NASQ_STORAGE_POSTGRES_DB_H_
#define NASQ_STORAGE_POSTGRES_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct pg_conn;
struct pg_result;

namespace nasq {

// True for the URLs that select PostgreSQL: postgresql://... and postgres://... (libpq's URI
// forms); anything else is an SQLite path.
bool IsPostgresUrl(absl::string_view db);

// `url` with its password replaced by "***", both the one in the user part
// (postgresql://user:secret@host/db) and a `password=` query parameter, for every message and
// log line that names the database. Other text is returned unchanged.
std::string RedactPostgresUrl(absl::string_view url);

// The values of one statement's parameters ($1, $2, ...) in libpq's text format; nullopt is SQL
// NULL. Doubles are written with 17 significant digits, so they round-trip exactly.
class PgParams {
 public:
  PgParams& Add(int64_t value);
  PgParams& Add(double value);
  PgParams& Add(absl::string_view value);
  PgParams& AddNull();
  // Add(*value), or AddNull() for nullopt.
  PgParams& Add(const std::optional<int64_t>& value);

  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// The rows of one statement's result (owned; freed on destruction). Columns are 0-based.
class PgResult {
 public:
  explicit PgResult(pg_result* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept;
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  std::string Text(int row, int column) const;
  // The column parsed as a number; DATA_LOSS naming the column's text when it is not one.
  absl::StatusOr<int64_t> Int(int row, int column) const;
  absl::StatusOr<double> Double(int row, int column) const;

 private:
  pg_result* result_;
};

// Converts a failed statement (`result` may be null when libpq could not even send it) on
// `conn` into a Status whose message starts with `context` and holds PostgreSQL's message and
// SQLSTATE. Mapping: a lost connection (the connection is bad, or SQLSTATE class 08), the
// server shutting down (57P01..57P03), insufficient resources (class 53: disk full, out of
// memory, too many connections) and a serialization failure or deadlock (40001, 40P01) ->
// UNAVAILABLE; unique violation (23505) -> ALREADY_EXISTS; data corruption (XX001, XX002) ->
// DATA_LOSS; everything else -> INTERNAL.
absl::Status PostgresStatus(pg_conn* conn, const pg_result* result, absl::string_view context);

class PgConnection {
 public:
  // Connects with libpq's usual settings: the URL (host, port, user, database, password,
  // sslmode, options ...) and, for what it leaves out, the PG* environment variables and the
  // password file (PGPASSFILE, ~/.pgpass). `application_name` is used unless the URL sets one
  // (it shows in pg_stat_activity); connect_timeout defaults to 10 s unless the URL sets it.
  // UNAVAILABLE naming `redacted_url` when the server cannot be reached or refuses the login;
  // INVALID_ARGUMENT when the URL cannot be parsed.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& url,
                                                               const std::string& redacted_url,
                                                               const std::string& application_name);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with `params` and returns its rows (none for a command). Errors as
  // PostgresStatus, with the statement's first words as context.
  absl::StatusOr<PgResult> Query(absl::string_view sql, const PgParams& params = {});
  // Query for statements whose rows (if any) are not needed.
  absl::Status Run(absl::string_view sql, const PgParams& params = {});
  // Runs one or more statements without parameters in one round trip (schema scripts; BEGIN
  // with SET LOCAL). Stops at the first error and returns it.
  absl::Status RunScript(absl::string_view sql);

  // Runs `body` in one transaction: BEGIN (kWrite: READ COMMITTED, body locks the rows it
  // checks; kDeferredWrite: the same with synchronous_commit off, so COMMIT returns before the
  // commit is flushed to disk; kRead: REPEATABLE READ READ ONLY, one snapshot for all its
  // statements), then COMMIT when `body` returns OK, else ROLLBACK and body's error. When the
  // connection is lost while COMMIT is in flight, the outcome is unknown: the error is returned and
  // `*commit_in_doubt` (when given) is set to true; it is left alone otherwise.
  enum class TxKind { kRead, kWrite, kDeferredWrite };
  absl::Status InTransaction(TxKind kind, absl::FunctionRef<absl::Status()> body,
                             bool* commit_in_doubt = nullptr);

  // Whether the connection is lost (it must then be dropped; libpq does not reconnect).
  bool broken() const;
  // The backend's process id (pg_stat_activity.pid).
  int backend_pid() const;

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  pg_conn* conn_;
};

}  // namespace nasq

#endif  // NASQ_STORAGE_POSTGRES_DB_H_
