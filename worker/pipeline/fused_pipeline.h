// worker/pipeline/fused_pipeline.h: runs several bert-classify trials whose specs have equal
// task/fusion_key.h keys as one horizontally fused model (docs/fused-training.md): every weight
// gains a member dimension, each member keeps its own init seed, quantisers, Identity choices,
// learning rate, weight decay, seed and data order, and reports, completes or fails on its own.
//
// Members run as RunTaskPipeline would run each of them alone (same stages, same metrics),
// within the tolerance stated in docs/fused-training.md. A member whose training diverges (a
// non-finite loss) or whose spec fails a check is dropped from the group with its own error,
// without disturbing the others; a member whose `progress` returns false or whose
// `cancel_requested` turns true is dropped at the next step (CANCELLED, or its pruned metrics
// when `pruned` says the study's pruner stopped it, as PipelineOptions::pruned).
// A member whose quantise stages use binary residual sign data_in (learnable per-layer means
// that a fused layer does not hold) runs alone through RunTaskPipeline. Each member's
// train_seconds and eval_seconds are the wall times of the fused steps it took part in, so
// samples_per_second is per member, not per group. Cost metrics and saves run on the member's
// Unfuse()d solo model with the solo pipeline's code (pipeline_steps.h).
// Thread-safety: as RunTaskPipeline (one pipeline per process at a time).
#ifndef NASQ_WORKER_PIPELINE_FUSED_PIPELINE_H_
#define NASQ_WORKER_PIPELINE_FUSED_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "task/task_spec.h"
#include "worker/pipeline/pipeline_cache.h"
#include "worker/pipeline/task_pipeline.h"

namespace nasq {

// One trial of a fused group and its own hooks (the per-trial fields of PipelineOptions).
struct FusedMember {
  TaskSpec spec;                // the task with the trial's params bound (BindTrialParams)
  int64_t trial_number = -1;    // replaces "{trial}" in spec.save_path (as PipelineOptions)
  PipelineProgressFn progress;  // this member's reports; false drops it (CANCELLED)
  std::function<bool()> cancel_requested;  // polled every step; true drops the member
  std::function<bool()> pruned;            // as PipelineOptions::pruned, for this member
};

// Runs `members` (1 or more) fused on options.device with options.num_threads, options.paths
// and options.max_model_params; options' per-trial fields (trial_number, cancel_requested,
// pruned) are ignored in favour of each member's. Returns one result per member, in order.
// INVALID_ARGUMENT for every member when their FusionKey values differ or are empty.
std::vector<absl::StatusOr<PipelineMetrics>> RunFusedTaskPipeline(
    const std::vector<FusedMember>& members, const PipelineOptions& options, PipelineCache& cache);

}  // namespace nasq

#endif  // NASQ_WORKER_PIPELINE_FUSED_PIPELINE_H_
