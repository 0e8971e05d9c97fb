// worker/fused/fused_batch.h: the batches of a fused model (worker/fused/fused_bert.h): one batch
// per member, padded to their common length and stacked on a leading member dimension. The one
// place where the fused trainer turns planned indices into tensors.
// Thread-safety: pure functions.
#ifndef NASQ_WORKER_FUSED_FUSED_BATCH_H_
#define NASQ_WORKER_FUSED_FUSED_BATCH_H_

#include <torch/torch.h>

#include <vector>

#include "absl/status/statusor.h"
#include "worker/text/tokenized_dataset.h"

namespace nasq {

struct FusedBatch {
  torch::Tensor input_ids;       // int64 [K, B, T], padded with dataset.pad_id
  torch::Tensor attention_mask;  // int64 [K, B, T]
  torch::Tensor labels;          // int64 [K, B]
};

// Member k's batch holds the examples `indices[k]` (every member the same count B, non-empty),
// padded to the longest sequence among all members (extra padding is masked, so each member's
// logits equal those of its own batch padded to its own length). On `device`.
// InvalidArgument for unequal or empty batches or an index out of range.
absl::StatusOr<FusedBatch> MakeFusedBatch(const TokenizedDataset& dataset,
                                          const std::vector<std::vector<size_t>>& indices,
                                          const torch::Device& device);

}  // namespace nasq

#endif  // NASQ_WORKER_FUSED_FUSED_BATCH_H_
