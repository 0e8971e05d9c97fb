// worker/text/batching.h: turns planned batches of a TokenizedDataset into LibTorch tensors with
// dynamic padding (each batch is padded to its own longest sequence). With device_dataset.h, the
// only files of worker/text that need LibTorch (target nasq_worker_text_batching).
//
// Thread-safety: pure functions; tensors are freshly allocated on the CPU.
#ifndef NASQ_WORKER_TEXT_BATCHING_H_
#define NASQ_WORKER_TEXT_BATCHING_H_

#include <torch/torch.h>

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/text/batch_plan.h"
#include "worker/text/tokenized_dataset.h"

namespace nasq {

struct TextBatch {
  torch::Tensor input_ids;       // int64 [B, T], padded with dataset.pad_id
  torch::Tensor attention_mask;  // int64 [B, T], 1 for real tokens, 0 for padding
  torch::Tensor labels;          // int64 [B]
};

// Builds the batch of `indices` (in that order), T = longest sequence among them.
// InvalidArgument when indices is empty or an index is out of range.
absl::StatusOr<TextBatch> MakeBatch(const TokenizedDataset& dataset,
                                    const std::vector<size_t>& indices);

// PlanBatches + MakeBatch for every batch of `epoch`.
absl::StatusOr<std::vector<TextBatch>> MakeEpochBatches(const TokenizedDataset& dataset,
                                                        const BatchPlanOptions& options, int epoch);

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_BATCHING_H_
