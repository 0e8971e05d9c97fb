// core/file_util.h: reading a small file (a certificate, a key, a token file) whole.
//
// Pure function; thread-safe.
#ifndef NASQ_CORE_FILE_UTIL_H_
#define NASQ_CORE_FILE_UTIL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nasq {

// The bytes of the file at `path`. NOT_FOUND when it does not exist, PERMISSION_DENIED or
// UNAVAILABLE when it cannot be read; the message names `field` (e.g. "--tls-cert") and the path.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, absl::string_view field);

}  // namespace nasq

#endif  // NASQ_CORE_FILE_UTIL_H_
