// worker/text/batch_plan.h: decides which examples go into which batch, per epoch (no LibTorch):
// seeded shuffling and optional length bucketing to reduce padding.
//
// Shuffling uses its own SplitMix64-driven Fisher-Yates, so plans are identical across standard
// libraries and platforms for the same (seed, epoch).
// Thread-safety: pure functions.
#ifndef NASQ_WORKER_TEXT_BATCH_PLAN_H_
#define NASQ_WORKER_TEXT_BATCH_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/text/tokenized_dataset.h"

namespace nasq {

struct BatchPlanOptions {
  // Examples per batch (default 32); the last batch may be smaller unless drop_last.
  int batch_size = 32;
  // Shuffle example order each epoch (default true); false keeps dataset order (evaluation).
  bool shuffle = true;
  uint64_t seed = 0;
  // Group examples of similar length: shuffled examples are cut into pools of
  // batch_size * bucket_pool_batches, each pool is sorted by length and cut into batches, then
  // the batch order is shuffled (default false).
  bool bucket_by_length = false;
  int bucket_pool_batches = 50;
  // Drop a final incomplete batch (default false).
  bool drop_last = false;
};

// Example indices of each batch for `epoch`. Every index appears at most once (exactly once
// unless drop_last drops the tail). InvalidArgument when batch_size or bucket_pool_batches < 1.
absl::StatusOr<std::vector<std::vector<size_t>>> PlanBatches(const TokenizedDataset& dataset,
                                                             const BatchPlanOptions& options,
                                                             int epoch);

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_BATCH_PLAN_H_
