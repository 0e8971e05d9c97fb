// storage/db_lock.h: an exclusive lock on a database file for the lifetime of the process that
// serves it, so that two coordinators can never serve (and diverge on) one database.
//
// The lock is a flock(2) on the file "<db>.lock" beside the database (created when missing and
// left in place: removing it would let a second process lock a new file while the first still
// holds the old one). The holder writes its pid into the file, so a refused process can name it.
// The kernel drops the lock when the holder exits, however it exits (SIGKILL included), so a
// crashed coordinator never leaves a stale lock. flock locks conflict between open file
// descriptions, so a second DbLock in the same process is refused as well.
//
// Thread-safety: a DbLock is immutable after Acquire; Acquire may be called from any thread.
#ifndef NASQ_STORAGE_DB_LOCK_H_
#define NASQ_STORAGE_DB_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace nasq {

class DbLock {
 public:
  // Takes the lock on `db_path` without waiting. FAILED_PRECONDITION naming the database (and
  // the holder's pid when it has recorded one) when another holder has it; UNAVAILABLE naming
  // the lock file when it cannot be opened or locked for another reason (permissions, I/O).
  static absl::StatusOr<std::unique_ptr<DbLock>> Acquire(const std::string& db_path);
  // Releases the lock.
  ~DbLock();
  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;

  // The lock file's path ("<db>.lock").
  const std::string& path() const { return path_; }

 private:
  DbLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  const int fd_;
  const std::string path_;
};

}  // namespace nasq

#endif  // NASQ_STORAGE_DB_LOCK_H_
