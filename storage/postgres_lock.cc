// storage/postgres_lock.cc: see postgres_lock.h.
#include "storage/postgres_lock.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

constexpr int64_t kNasqLockObject = 1;

// Who holds the lock, as PostgreSQL shows it: "application_name, connected from ADDRESS
// (backend pid N, since TIME)", or "" when it cannot tell (e.g. the holder just left, or this
// role may not see other roles' sessions).
std::string DescribeHolder(PgConnection& conn) {
  absl::StatusOr<PgResult> rows = conn.Query(
      "SELECT a.application_name, COALESCE(host(a.client_addr), 'a local socket'), a.pid, "
      "date_trunc('second', a.backend_start) FROM pg_catalog.pg_locks l "
      "JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid AND "
      "l.objid = $2::bigint::oid AND l.objsubid = 2 AND l.database = "
      "(SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())",
      PgParams().Add(int64_t{kNasqLockClass}).Add(kNasqLockObject));
  if (!rows.ok() || rows->rows() == 0) return "";
  const std::string name = rows->Text(0, 0);
  return absl::StrCat(name.empty() ? "a session without application_name" : name,
                      ", connected from ", rows->Text(0, 1), " (backend pid ", rows->Text(0, 2),
                      ", since ", rows->Text(0, 3), ")");
}

}  // namespace

std::string NasqApplicationName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat("nasq pid ", ::getpid(), " on ", host[0] != '\0' ? host : "unknown host");
}

absl::Status PostgresLock::TakeLock(PgConnection& conn, const std::string& redacted_url) {
  NASQ_ASSIGN_OR_RETURN(PgResult taken,
                        conn.Query("SELECT pg_try_advisory_lock($1, $2)",
                                   PgParams().Add(int64_t{kNasqLockClass}).Add(kNasqLockObject)));
  if (taken.Text(0, 0) == "t") return absl::OkStatus();
  const std::string holder = DescribeHolder(conn);
  return absl::FailedPreconditionError(
      absl::StrCat("database ", redacted_url, " is in use by another nasq-server",
                   holder.empty() ? "" : absl::StrCat(" (", holder, ")"),
                   "; only one coordinator may serve a database (its PostgreSQL advisory lock ",
                   kNasqLockClass, "/", kNasqLockObject, " is taken)"));
}

absl::StatusOr<std::unique_ptr<PostgresLock>> PostgresLock::Acquire(
    const std::string& url, const std::string& redacted_url) {
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                        PgConnection::Connect(url, redacted_url, NasqApplicationName()));
  NASQ_RETURN_IF_ERROR(TakeLock(*conn, redacted_url));
  return std::unique_ptr<PostgresLock>(new PostgresLock(url, redacted_url, std::move(conn)));
}

absl::Status PostgresLock::Check(bool now) {
  MutexLock lock(&mu_);
  const auto time = std::chrono::steady_clock::now();
  if (!now && conn_ != nullptr && time - checked_ < kRecheckInterval) return absl::OkStatus();
  if (conn_ != nullptr && !conn_->broken() && conn_->Run("SELECT 1").ok()) {
    checked_ = time;
    return absl::OkStatus();
  }
  // The session, and the lock with it, is gone: take it again unless someone else has.
  conn_.reset();
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn,
                        PgConnection::Connect(url_, redacted_url_, NasqApplicationName()));
  NASQ_RETURN_IF_ERROR(TakeLock(*conn, redacted_url_));
  conn_ = std::move(conn);
  checked_ = time;
  return absl::OkStatus();
}

}  // namespace nasq
