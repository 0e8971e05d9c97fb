// worker/pipeline/base_checkpoint.h: an HF checkpoint held in memory so that every trial can
// build a fresh model from it without reading the folder again.
//
// Thread-safety: immutable once built; the tensors must not be modified (trials copy them into
// their own model with LoadStateDict).
#ifndef NASQ_WORKER_PIPELINE_BASE_CHECKPOINT_H_
#define NASQ_WORKER_PIPELINE_BASE_CHECKPOINT_H_

#include <filesystem>

#include "worker/checkpoint/tensor_map.h"
#include "worker/model/bert_config.h"

namespace nasq {

struct BaseCheckpoint {
  BertConfig config;
  TensorMap weights;                 // HF names, fp32 CPU tensors
  std::filesystem::path vocab_path;  // <folder>/vocab.txt
};

}  // namespace nasq

#endif  // NASQ_WORKER_PIPELINE_BASE_CHECKPOINT_H_
