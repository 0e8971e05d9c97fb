// storage/postgres_pool.cc: see postgres_pool.h.
#include "storage/postgres_pool.h"

#include <utility>

namespace nasq {

absl::StatusOr<std::unique_ptr<PgConnection>> PostgresPool::Take(bool* fresh) {
  {
    MutexLock lock(&mu_);
    while (idle_.empty() && open_ >= size_) returned_.Wait(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      *fresh = false;
      return conn;
    }
    ++open_;  // reserved while connecting, without the lock
  }
  absl::StatusOr<std::unique_ptr<PgConnection>> conn =
      PgConnection::Connect(url_, redacted_url_, application_name_);
  if (!conn.ok()) {
    MutexLock lock(&mu_);
    --open_;
    returned_.Signal();
    return conn.status();
  }
  *fresh = true;
  return conn;
}

void PostgresPool::Give(std::unique_ptr<PgConnection> conn) {
  std::vector<std::unique_ptr<PgConnection>> closed;  // closed after `lock` is released
  MutexLock lock(&mu_);
  if (conn->broken()) {
    // What broke one connection (a server restart, a network failure) most likely broke the
    // idle ones too: they are dropped rather than failing one call each.
    closed.swap(idle_);
    closed.push_back(std::move(conn));
    open_ -= static_cast<int>(closed.size());
    returned_.SignalAll();
  } else {
    idle_.push_back(std::move(conn));
    returned_.Signal();
  }
}

}  // namespace nasq
