// server/auth_authorizer.h: Authorizer, the one place that decides whether a caller may call a
// gRPC method or HTTP route, from its "authorization: Bearer <token>" header, the token file and
// the role table (auth_role.h).
//
// The token file is re-read whenever it changes (its inode, size or modification time differs
// from the last read; checked on every call, so a removed token is refused from the next call on,
// without a restart). Replace the file atomically (write a new file, then rename it over the old
// one). A file that cannot be read or parsed refuses every token until it is fixed (fail closed);
// the error is logged once per change. Refusals never say which part of a token was wrong.
// Thread-safety: thread-safe.
#ifndef NASQ_SERVER_AUTH_AUTHORIZER_H_
#define NASQ_SERVER_AUTH_AUTHORIZER_H_

#include <sys/types.h>

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/clock.h"
#include "core/mutex.h"
#include "server/auth_role.h"
#include "server/auth_token_file.h"

namespace nasq {

class Authorizer {
 public:
  // Reads the token file at `path`. Errors: NOT_FOUND / PERMISSION_DENIED when it cannot be
  // read, INVALID_ARGUMENT naming the line for a malformed one (both naming the path). `clock`
  // decides expiry and must outlive the Authorizer.
  static absl::StatusOr<std::unique_ptr<Authorizer>> Open(std::string path, const Clock* clock);

  // OK when the caller presenting `authorization` (the value of the authorization header,
  // "Bearer <token>"; empty when absent) may call `resource` (auth_role.h). UNAUTHENTICATED when
  // the token is missing, unknown, removed or expired; PERMISSION_DENIED when its role is too low.
  absl::Status Check(absl::string_view authorization, absl::string_view resource);

  // Whether the caller presenting `authorization` holds `role` (or a higher one).
  bool HasRole(absl::string_view authorization, Role role);

 private:
  struct FileVersion {
    ino_t inode = 0;
    off_t size = -1;
    timespec mtime = {};
    bool operator==(const FileVersion& o) const {
      return inode == o.inode && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
             mtime.tv_nsec == o.mtime.tv_nsec;
    }
  };

  Authorizer(std::string path, const Clock* clock) : path_(std::move(path)), clock_(clock) {}
  // The role of the token in `authorization`; nullopt when it is missing, unknown or expired.
  std::optional<Role> RoleOf(absl::string_view authorization);
  // Re-reads the file if it changed since the last read.
  void RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads and parses the file; on success replaces tokens_ and version_.
  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const Clock* const clock_;
  Mutex mu_;
  std::unordered_map<std::string, TokenEntry> tokens_ ABSL_GUARDED_BY(mu_);  // by sha256 hex
  FileVersion version_ ABSL_GUARDED_BY(mu_);
};

}  // namespace nasq

#endif  // NASQ_SERVER_AUTH_AUTHORIZER_H_
