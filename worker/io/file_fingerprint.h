// worker/io/file_fingerprint.h: a cheap identity of files on disk (paths, sizes, mtimes) for cache
// keys: the dataset cache and the checkpoint cache use it to notice changed inputs.
//
// Thread-safety: a free function without shared state.
#ifndef NASQ_WORKER_IO_FILE_FINGERPRINT_H_
#define NASQ_WORKER_IO_FILE_FINGERPRINT_H_

#include <cstdint>
#include <filesystem>

#include "absl/status/statusor.h"

namespace nasq {

// Hashes the relative path, size and mtime of every regular file under `path` (or of `path`
// itself when it is a file), in sorted order. NotFound naming the path when it does not exist,
// DataLoss naming the folder or file that cannot be listed or stat'ed.
absl::StatusOr<uint64_t> FingerprintFiles(const std::filesystem::path& path);

}  // namespace nasq

#endif  // NASQ_WORKER_IO_FILE_FINGERPRINT_H_
