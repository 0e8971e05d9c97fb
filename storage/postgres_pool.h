// storage/postgres_pool.h: a small pool of PostgreSQL connections for the PostgreSQL storage,
// so that concurrent callers run their transactions on connections of their own.
//
// A connection is opened when a caller needs one and none is idle (up to `size` at once;
// further callers wait for one to come back) and kept for the next caller. A connection given
// back broken (the server restarted, the network failed) is closed together with every idle
// one, so the next caller connects again: that is how the storage reconnects, after one failed
// call rather than one per pooled connection.
//
// Thread-safety: thread-safe.
#ifndef NASQ_STORAGE_POSTGRES_POOL_H_
#define NASQ_STORAGE_POSTGRES_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "storage/postgres_db.h"

namespace nasq {

class PostgresPool {
 public:
  // Connects to `url` (named `redacted_url` in messages) as `application_name`, at most `size`
  // connections at once.
  PostgresPool(std::string url, std::string redacted_url, std::string application_name, int size)
      : url_(std::move(url)),
        redacted_url_(std::move(redacted_url)),
        application_name_(std::move(application_name)),
        size_(size) {}
  PostgresPool(const PostgresPool&) = delete;
  PostgresPool& operator=(const PostgresPool&) = delete;

  // A connection for the caller alone until Give: an idle one, else a new one (then `*fresh`
  // is set to true; false otherwise), waiting while `size` are in use. The errors of
  // PgConnection::Connect.
  absl::StatusOr<std::unique_ptr<PgConnection>> Take(bool* fresh);
  // Returns a connection from Take; a broken one is closed instead, and the idle ones with it.
  void Give(std::unique_ptr<PgConnection> conn);

 private:
  const std::string url_;
  const std::string redacted_url_;
  const std::string application_name_;
  const int size_;
  Mutex mu_;
  CondVar returned_;
  std::vector<std::unique_ptr<PgConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle and taken
};

}  // namespace nasq

#endif  // NASQ_STORAGE_POSTGRES_POOL_H_
