#include "worker/io/file_fingerprint.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/io/hashing.h"

namespace nasq {

absl::StatusOr<uint64_t> FingerprintFiles(const std::filesystem::path& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    return absl::NotFoundError(absl::StrCat("path not found: ", path.string()));
  }
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_regular_file(status)) {
    files.push_back(path);
  } else {
    for (auto it = std::filesystem::recursive_directory_iterator(path, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (it->is_regular_file(error)) files.push_back(it->path());
    }
    if (error) {
      return absl::DataLossError(
          absl::StrCat("cannot list ", path.string(), ": ", error.message()));
    }
  }
  std::sort(files.begin(), files.end());
  Fnv1a64 hash;
  hash.AddU64(files.size());
  for (const std::filesystem::path& file : files) {
    const auto size = std::filesystem::file_size(file, error);
    const auto mtime = std::filesystem::last_write_time(file, error);
    if (error) {
      return absl::DataLossError(
          absl::StrCat("cannot stat ", file.string(), ": ", error.message()));
    }
    hash.AddString(file.lexically_relative(path).generic_string());
    hash.AddU64(size);
    hash.AddU64(static_cast<uint64_t>(mtime.time_since_epoch().count()));
  }
  return hash.value();
}

}  // namespace nasq
