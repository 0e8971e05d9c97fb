// storage/db_lock.cc: see db_lock.h.
#include "storage/db_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

// The pid recorded in the lock file open as `fd`, or "" when none is (yet) recorded.
std::string RecordedPid(int fd) {
  char buffer[32] = {};
  const ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
  if (n <= 0) return "";
  const std::string text(absl::StripAsciiWhitespace(absl::string_view(buffer, n)));
  int64_t pid = 0;
  return absl::SimpleAtoi(text, &pid) && pid > 0 ? text : "";
}

// Replaces the lock file's contents with this process's pid (best effort: the pid only helps
// the message of a refused process).
void RecordPid(int fd) {
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) == 0) {
    (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<DbLock>> DbLock::Acquire(const std::string& db_path) {
  std::string path = absl::StrCat(db_path, ".lock");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open lock file ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string holder = RecordedPid(fd);
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "database ", db_path, " is in use by another nasq-server",
          holder.empty() ? "" : absl::StrCat(" (pid ", holder, ")"), "; lock file ", path));
    }
    return absl::UnavailableError(absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
  }
  RecordPid(fd);
  return std::unique_ptr<DbLock>(new DbLock(fd, std::move(path)));
}

DbLock::~DbLock() { ::close(fd_); }  // closing the only descriptor releases the flock

}  // namespace nasq
