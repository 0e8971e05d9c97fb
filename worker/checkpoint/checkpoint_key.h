// worker/checkpoint/checkpoint_key.h: the key under which a worker caches a loaded checkpoint
// folder, so that a checkpoint rewritten in place is loaded again.
//
// Thread-safety: a free function without shared state.
#ifndef NASQ_WORKER_CHECKPOINT_CHECKPOINT_KEY_H_
#define NASQ_WORKER_CHECKPOINT_CHECKPOINT_KEY_H_

#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace nasq {

// "<folder>|<FingerprintFiles(folder)>": equal for the same folder while none of its files
// changes path, size or mtime. FingerprintFiles's errors (NotFound naming a missing folder).
absl::StatusOr<std::string> CheckpointCacheKey(const std::filesystem::path& folder);

}  // namespace nasq

#endif  // NASQ_WORKER_CHECKPOINT_CHECKPOINT_KEY_H_
