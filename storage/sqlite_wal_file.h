// storage/sqlite_wal_file.h: fdatasync of an SQLite database's WAL file from outside SQLite.
//
// The SQLite storage runs its connection with synchronous=NORMAL, under which a COMMIT writes
// the transaction's frames to the WAL but does not sync them, and syncs the WAL itself with
// Sync() after the COMMIT, without holding the connection (storage/sqlite_group_commit.h): the
// next transaction's writes go on while the disk flushes. Sync() after COMMIT gives what
// synchronous=FULL gives (FULL syncs the WAL at the end of every COMMIT; under NORMAL SQLite
// still syncs the WAL's header when it restarts the WAL and around checkpoints).
//
// Thread-safety: thread-safe; calls are serialised. A Sync makes durable every byte written to
// the file before it started; bytes written while it runs are left to the next one.
#ifndef NASQ_STORAGE_SQLITE_WAL_FILE_H_
#define NASQ_STORAGE_SQLITE_WAL_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "core/mutex.h"

namespace nasq {

class SqliteWalFile {
 public:
  // `path`: the WAL file's path (SQLite's sqlite3_filename_wal of the database). Opens nothing.
  explicit SqliteWalFile(std::string path) : path_(std::move(path)) {}
  ~SqliteWalFile();
  SqliteWalFile(const SqliteWalFile&) = delete;
  SqliteWalFile& operator=(const SqliteWalFile&) = delete;

  // fdatasync(2) of the file now at `path`: opened on first use, and opened again when the
  // path names another file than the one held (SQLite deleted and re-created the WAL). Errors
  // (UNAVAILABLE) name the path and the failing call; after a failed fdatasync the file's
  // content is in doubt, as after a failed COMMIT.
  absl::Status Sync();

  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  dev_t device_ ABSL_GUARDED_BY(mu_) = 0;  // identity of the open file
  ino_t inode_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace nasq

#endif  // NASQ_STORAGE_SQLITE_WAL_FILE_H_
