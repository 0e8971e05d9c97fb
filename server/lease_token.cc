#include "server/lease_token.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace nasq {

absl::StatusOr<std::string> NewLeaseToken() {
  constexpr size_t kBytes = 16;
  char bytes[kBytes];
  size_t filled = 0;
  while (filled < kBytes) {
    const ssize_t n = getrandom(bytes + filled, kBytes - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::InternalError(
          absl::StrCat("cannot draw a lease token: getrandom: ", std::strerror(errno)));
    }
    filled += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(absl::string_view(bytes, kBytes));
}

bool LeaseTokenMatches(absl::string_view expected, absl::string_view presented) {
  if (expected.empty() || expected.size() != presented.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<uint8_t>(expected[i] ^ presented[i]);
  }
  return diff == 0;
}

}  // namespace nasq
