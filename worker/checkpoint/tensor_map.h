// worker/checkpoint/tensor_map.h: the name -> tensor map that checkpoint readers and writers
// exchange.
//
// Thread-safety: type aliases only.
#ifndef NASQ_WORKER_CHECKPOINT_TENSOR_MAP_H_
#define NASQ_WORKER_CHECKPOINT_TENSOR_MAP_H_

#include <torch/torch.h>

#include <map>
#include <string>

namespace nasq {

// Parameter name (HF naming) -> CPU tensor, sorted by name.
using TensorMap = std::map<std::string, torch::Tensor>;

}  // namespace nasq

#endif  // NASQ_WORKER_CHECKPOINT_TENSOR_MAP_H_
