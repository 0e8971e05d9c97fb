// worker/model/file_io.h: whole-file reads and writes with absl::Status errors.
//
// Thread-safety: free functions without shared state.
#ifndef NASQ_WORKER_MODEL_FILE_IO_H_
#define NASQ_WORKER_MODEL_FILE_IO_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nasq {

// The bytes of the file at `path`; NotFound if it cannot be opened, Internal on a read error.
absl::StatusOr<std::string> ReadFileBytes(const std::filesystem::path& path);

// Writes `bytes` to `path` (replacing it); Internal on failure.
absl::Status WriteFileBytes(const std::filesystem::path& path, std::string_view bytes);

}  // namespace nasq

#endif  // NASQ_WORKER_MODEL_FILE_IO_H_
