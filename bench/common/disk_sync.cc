// bench/common/disk_sync.cc: see disk_sync.h.
#include "bench/common/disk_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace nasq::bench {

absl::StatusOr<std::vector<double>> MeasureAppendSyncMs(const std::string& dir, int samples) {
  const std::string path = absl::StrCat(dir, "/fdatasync-probe-", getpid());
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(absl::StrCat(path, ": ", std::strerror(errno)));
  const std::string block(4096, 'x');
  std::vector<double> latencies_ms;
  absl::Status status;
  for (int i = 0; i < samples && status.ok(); ++i) {
    if (write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) {
      status = absl::UnavailableError(absl::StrCat(path, ": write: ", std::strerror(errno)));
      break;
    }
    const auto start = std::chrono::steady_clock::now();
    if (fdatasync(fd) != 0) {
      status = absl::UnavailableError(absl::StrCat(path, ": fdatasync: ", std::strerror(errno)));
      break;
    }
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count());
  }
  close(fd);
  unlink(path.c_str());
  if (!status.ok()) return status;
  return latencies_ms;
}

}  // namespace nasq::bench
