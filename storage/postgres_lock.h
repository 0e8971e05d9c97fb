// storage/postgres_lock.h: the exclusive claim of one coordinator on a PostgreSQL database, so
// that two nasq servers can never serve (and diverge on) one database; the PostgreSQL
// counterpart of storage/db_lock.h.
//
// The claim is a session-level advisory lock (pg_try_advisory_lock(kNasqLockClass, 1)) held by
// a connection of its own for the lock's lifetime. Advisory locks belong to one database, so
// there is one claim per database (two nasq schemas in one database cannot be served at once,
// by design of this key). PostgreSQL releases the lock when the holding session
// ends, however the holder ends (SIGKILL, a lost host, a cut network once PostgreSQL notices
// the dead connection), so a coordinator on another host can take over; there is no stale lock
// to clean up. The connection's application_name says who holds it ("nasq pid N on HOST"), so
// that a refused process, and pg_stat_activity, can name the holder.
//
// Thread-safety: thread-safe.
#ifndef NASQ_STORAGE_POSTGRES_LOCK_H_
#define NASQ_STORAGE_POSTGRES_LOCK_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "storage/postgres_db.h"

namespace nasq {

// The advisory lock's first key: "nasq" in ASCII, as SQLite's application_id.
inline constexpr int32_t kNasqLockClass = 0x6E617371;

// "nasq pid <pid> on <host>": the application_name of this process's connections.
std::string NasqApplicationName();

class PostgresLock {
 public:
  // Connects to `url` (named `redacted_url` in messages) and takes the lock without waiting.
  // FAILED_PRECONDITION naming the database and, when PostgreSQL shows it, the holder (its
  // application_name, client address, backend pid and since when) when another session holds
  // it; the errors of PgConnection::Connect otherwise.
  static absl::StatusOr<std::unique_ptr<PostgresLock>> Acquire(const std::string& url,
                                                               const std::string& redacted_url);
  // Releases the lock (closes its connection).
  ~PostgresLock() = default;
  PostgresLock(const PostgresLock&) = delete;
  PostgresLock& operator=(const PostgresLock&) = delete;

  // OK while this process holds the lock. Looks at the lock's connection (one round trip) at
  // most once per kRecheckInterval unless `now` is true; when the connection was lost (and the
  // lock with it), connects again and takes the lock again. Errors as Acquire: then another
  // coordinator may serve the database, and the caller must not write.
  absl::Status Check(bool now);

  static constexpr std::chrono::seconds kRecheckInterval{1};

 private:
  PostgresLock(std::string url, std::string redacted_url, std::unique_ptr<PgConnection> conn)
      : url_(std::move(url)), redacted_url_(std::move(redacted_url)), conn_(std::move(conn)) {}
  // Takes the lock on `conn`; FAILED_PRECONDITION naming the holder when it is taken.
  static absl::Status TakeLock(PgConnection& conn, const std::string& redacted_url);

  const std::string url_;
  const std::string redacted_url_;
  Mutex mu_;
  std::unique_ptr<PgConnection> conn_ ABSL_GUARDED_BY(mu_);  // null after a failed retake
  std::chrono::steady_clock::time_point checked_ ABSL_GUARDED_BY(mu_) =
      std::chrono::steady_clock::now();
};

}  // namespace nasq

#endif  // NASQ_STORAGE_POSTGRES_LOCK_H_
