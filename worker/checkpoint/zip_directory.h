// worker/checkpoint/zip_directory.h: the sizes a zip archive's central directory declares, read
// before LibTorch's zip reader trusts them.
//
// caffe2::serialize::PyTorchStreamReader allocates each record's declared uncompressed size
// before reading it, so a forged directory entry makes it allocate gigabytes from a file of a
// few bytes. ReadZipDirectory reads only the end-of-central-directory record (zip64 included) and
// the central directory, so callers can refuse such files first.
// Thread-safety: free functions without shared state.
#ifndef NASQ_WORKER_CHECKPOINT_ZIP_DIRECTORY_H_
#define NASQ_WORKER_CHECKPOINT_ZIP_DIRECTORY_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace nasq {

// One central-directory entry.
struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
};

// The entries of the zip archive at `path`, in directory order. InvalidArgument naming the
// problem when the file has no end-of-central-directory record or its directory is truncated or
// points outside the file; NotFound when it cannot be opened.
absl::StatusOr<std::vector<ZipEntry>> ReadZipDirectory(const std::filesystem::path& path);

}  // namespace nasq

#endif  // NASQ_WORKER_CHECKPOINT_ZIP_DIRECTORY_H_
