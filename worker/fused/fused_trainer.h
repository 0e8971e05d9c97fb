// worker/fused/fused_trainer.h: training and evaluation of a FusedBert, each member as
// worker/train/trainer.h's Train and Evaluate would treat it alone.
//
// Per member: its own learning rate, weight decay and seed (data order: PlanBatches with that
// seed, so member k sees the batches its solo run sees), the same linear warmup/decay schedule,
// HF's parameter groups and per-member gradient clipping (FusedAdamW). The loss is the sum of the
// members' mean cross-entropies, so gradients stay independent. After every step each member's
// loss is checked: a non-finite one drops the member with "training diverged: loss is nan at
// step N" (N counts from 1); a progress callback returning false or should_stop returning true
// drops it as stopped (stopped_early). Dropping removes the member's slice from every parameter
// and optimizer state, so the rest run on undisturbed (and faster). Dropout masks are drawn for
// the whole fused tensor from LibTorch's generator seeded with the first member's seed, so with
// dropout > 0 they differ from a solo run's.
// Thread-safety: as Train (global thread count and RNG; one at a time per process).
#ifndef NASQ_WORKER_FUSED_FUSED_TRAINER_H_
#define NASQ_WORKER_FUSED_FUSED_TRAINER_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/fused/fused_bert.h"
#include "worker/text/device_dataset.h"
#include "worker/train/trainer.h"

namespace nasq {

// One member's training: its TrainOptions (learning_rate, weight_decay, seed and should_stop
// are its own; every other field must equal the other members') and progress callback.
struct FusedTrainMember {
  TrainOptions options;
  ProgressCallback progress;
};

// How a member's training ended: `result` as Train returns it (stopped_early when stopped), or
// `status` an error (diverged) with `result` holding the steps run.
struct FusedTrainOutcome {
  absl::Status status;
  TrainResult result;
};

// Called when member `member` (index into the `members` of TrainFused) is about to be dropped,
// while the model still holds it at position `position` (e.g. to Unfuse it), with the reason.
using FusedDropHook =
    std::function<void(size_t member, int64_t position, const absl::Status& reason)>;

// Trains `model` (members.size() members, moved to the shared compute device, left in training
// mode) on `dataset`, laid out on that device: each step gathers the members' batches there as
// one [K, B, T] stack (DeviceDataset::MakeMemberBatch), without host-side batch building.
// Returns one outcome per member, in order; afterwards the model holds only the members whose
// status is OK and that were not stopped, in their original order. Errors for all
// (InvalidArgument): a member count that differs from the model's, shared options that differ
// between members, options Train would refuse, a dataset that does not fit the model or lies on
// another device; Internal for a LibTorch failure.
absl::StatusOr<std::vector<FusedTrainOutcome>> TrainFused(
    FusedBert& model, const DeviceDataset& dataset, const std::vector<FusedTrainMember>& members,
    const FusedDropHook& on_drop = nullptr);

// Evaluates every member of `model` on the same batches of `dataset` (dataset order, no
// gradients, eval mode; the previous mode is restored). Metrics per member, as Evaluate; the
// dataset must lie on options.compute.device (InvalidArgument otherwise).
absl::StatusOr<std::vector<EvalMetrics>> EvaluateFused(FusedBert& model,
                                                       const DeviceDataset& dataset,
                                                       const EvalOptions& options);

}  // namespace nasq

#endif  // NASQ_WORKER_FUSED_FUSED_TRAINER_H_
