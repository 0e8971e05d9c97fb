// worker/checkpoint/torch_save_reader.h: reads state dicts written by Python's `torch.save` (HF
// pytorch_model.bin) without Python.
//
// LibTorch's torch::pickle_load cannot read a torch.save'd OrderedDict, so this reads the zip
// archive with caffe2::serialize::PyTorchStreamReader and interprets the pickle in `data.pkl`
// with a small opcode interpreter covering what torch.save emits for a dict of tensors (protocol
// 2-4 opcodes, collections.OrderedDict, torch._utils._rebuild_tensor(_v2), _rebuild_parameter,
// typed storages from persistent ids ('storage', type, key, location, numel) under data/<key>,
// storage offsets and strides). Anything else (legacy pre-1.6 files, other Python objects,
// big-endian archives) is refused with an error naming it. Assumes a little-endian host.
// Thread-safety: free functions without shared state.
#ifndef NASQ_WORKER_CHECKPOINT_TORCH_SAVE_READER_H_
#define NASQ_WORKER_CHECKPOINT_TORCH_SAVE_READER_H_

#include <filesystem>

#include "absl/status/statusor.h"
#include "worker/checkpoint/tensor_map.h"

namespace nasq {

// Reads the state dict (str -> tensor, CPU, contiguous copies) saved at `path`. NotFound when the
// file is missing; InvalidArgument naming the problem for anything that is not a zip-format
// torch.save of a dict of tensors.
absl::StatusOr<TensorMap> ReadTorchSaveStateDict(const std::filesystem::path& path);

}  // namespace nasq

#endif  // NASQ_WORKER_CHECKPOINT_TORCH_SAVE_READER_H_
