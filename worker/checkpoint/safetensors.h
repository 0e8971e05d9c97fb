// worker/checkpoint/safetensors.h: reading and writing the safetensors format (HF
// model.safetensors).
//
// Layout: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the byte buffer the offsets index. Reading validates everything (sizes, dtypes, shapes,
// offsets in range, contiguous and non-overlapping, full coverage of the buffer) and names the
// offending tensor in the error. Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8,
// BOOL. Assumes a little-endian host. Thread-safety: free functions without shared state.
#ifndef NASQ_WORKER_CHECKPOINT_SAFETENSORS_H_
#define NASQ_WORKER_CHECKPOINT_SAFETENSORS_H_

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/checkpoint/tensor_map.h"

namespace nasq {

struct SafetensorsContents {
  TensorMap tensors;
  // The optional "__metadata__" string map.
  std::map<std::string, std::string> metadata;
};

// Parses a whole safetensors file held in memory. The tensors are copies on the CPU.
// InvalidArgument with the reason for any malformed input.
absl::StatusOr<SafetensorsContents> ParseSafetensors(std::string_view bytes);

// Reads and parses the file at `path`; NotFound if it cannot be opened, DataLoss on a read
// error.
absl::StatusOr<SafetensorsContents> ReadSafetensors(const std::filesystem::path& path);

// Serialises `contents` (tensors in name order, made contiguous and moved to the CPU; header
// padded with spaces to a multiple of 8 bytes). InvalidArgument for an unsupported dtype.
absl::StatusOr<std::string> SerializeSafetensors(const SafetensorsContents& contents);

// Serialises and writes `contents` to `path`, replacing it atomically (WriteFileAtomically);
// Internal on I/O failure.
absl::Status WriteSafetensors(const std::filesystem::path& path,
                              const SafetensorsContents& contents);

}  // namespace nasq

#endif  // NASQ_WORKER_CHECKPOINT_SAFETENSORS_H_
