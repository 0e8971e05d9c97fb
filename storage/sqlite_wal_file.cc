// storage/sqlite_wal_file.cc: see sqlite_wal_file.h.
#include "storage/sqlite_wal_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

absl::Status Errno(const std::string& path, const char* call, int error) {
  return absl::UnavailableError(
      absl::StrCat(path, ": ", call, " of the SQLite WAL failed: ", std::strerror(error)));
}

}  // namespace

SqliteWalFile::~SqliteWalFile() {
  MutexLock lock(&mu_);
  if (fd_ >= 0) close(fd_);
}

absl::Status SqliteWalFile::Sync() {
  MutexLock lock(&mu_);
  struct stat at_path {};
  if (stat(path_.c_str(), &at_path) != 0) return Errno(path_, "stat", errno);
  if (fd_ < 0 || at_path.st_dev != device_ || at_path.st_ino != inode_) {
    // Read-only is enough: fdatasync flushes the file, whoever wrote it.
    const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno(path_, "open", errno);
    struct stat opened {};
    if (fstat(fd, &opened) != 0) {
      const int error = errno;
      close(fd);
      return Errno(path_, "fstat", error);
    }
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
    device_ = opened.st_dev;
    inode_ = opened.st_ino;
  }
  if (fdatasync(fd_) != 0) return Errno(path_, "fdatasync", errno);
  return absl::OkStatus();
}

}  // namespace nasq
