// worker/io/file_io.h: whole-file reads and atomic writes with absl::Status errors naming the
// file (used by the dataset readers, the vocabulary writer and the dataset cache).
//
// Thread-safety: free functions; WriteFileAtomically uses a unique temp name per call, so
// concurrent writers of the same path never see each other's partial files.
#ifndef NASQ_WORKER_IO_FILE_IO_H_
#define NASQ_WORKER_IO_FILE_IO_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nasq {

// Contents of `path`. NotFound when it does not exist or is not a regular file, DataLoss on read
// errors; messages name the path.
absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path);

// Writes `contents` to a unique temp file beside `path`, flushes it and renames it over `path`
// (creating the parent folder). Internal naming the path on failure; the temp file is removed.
absl::Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// Regular files directly in `dir` whose name ends with `extension` (e.g. ".json"), sorted by
// name. NotFound naming `dir` when it is not a folder.
absl::StatusOr<std::vector<std::filesystem::path>> ListFiles(const std::filesystem::path& dir,
                                                             std::string_view extension);

}  // namespace nasq

#endif  // NASQ_WORKER_IO_FILE_IO_H_
