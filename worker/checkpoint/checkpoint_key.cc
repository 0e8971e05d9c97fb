#include "worker/checkpoint/checkpoint_key.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "worker/io/file_fingerprint.h"

namespace nasq {

absl::StatusOr<std::string> CheckpointCacheKey(const std::filesystem::path& folder) {
  NASQ_ASSIGN_OR_RETURN(uint64_t fingerprint, FingerprintFiles(folder));
  return absl::StrCat(folder.string(), "|", fingerprint);
}

}  // namespace nasq
