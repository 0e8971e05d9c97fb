// worker/text/device_dataset.h: a TokenizedDataset laid out once as tensors on a device (the CPU
// or a GPU), so that batches are gathered there without per-step host work: input_ids padded to
// [N, L] with pad_id (L = the longest example), the matching attention mask, and the labels, all
// int64. A batch is an index_select of its rows narrowed to its longest sequence: exactly the
// tensors MakeBatch (batching.h) builds, with the same dynamic padding, on the device.
//
// The row indices of a whole plan (an epoch) go to the device in one copy (UploadPlan); each
// step then only slices that tensor. For horizontally fused training, UploadMemberPlans stacks
// the batches of K members (each with its own plan) into [K, B, T] tensors per step.
//
// Memory: two int64 [N, L] tensors on the device (e.g. 4,800 e-mails at max_length 128: 9.8 MB).
// Thread-safety: immutable after Create; every const method may be called concurrently.
#ifndef NASQ_WORKER_TEXT_DEVICE_DATASET_H_
#define NASQ_WORKER_TEXT_DEVICE_DATASET_H_

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/text/batching.h"
#include "worker/text/tokenized_dataset.h"

namespace nasq {

// The row indices of planned batches, on the device of the DeviceDataset that made it.
class DevicePlan {
 public:
  // Number of steps (batches, or stacks of member batches).
  size_t size() const { return longest_.size(); }

 private:
  friend class DeviceDataset;
  torch::Tensor rows_;            // int64 [all rows], step after step (members in order)
  std::vector<int64_t> offsets_;  // step s = rows_[offsets_[s], offsets_[s + 1])
  std::vector<int64_t> longest_;  // the longest sequence among step s's rows (its T)
  int64_t members_ = 0;           // 0: steps are [B, T] batches; K: [K, B, T] stacks
};

class DeviceDataset {
 public:
  // Lays `dataset` out on `device`; the dataset is kept (shared) as host(). InvalidArgument
  // when it is empty; Internal for a LibTorch failure (e.g. an unavailable device).
  static absl::StatusOr<DeviceDataset> Create(std::shared_ptr<const TokenizedDataset> dataset,
                                              torch::Device device);

  // One step per batch of `plan` (PlanBatches' output), uploaded in one copy. InvalidArgument
  // when a batch is empty or an index is outside the dataset.
  absl::StatusOr<DevicePlan> UploadPlan(const std::vector<std::vector<size_t>>& plan) const;

  // plans[k][s] is member k's batch at step s; step s stacks the members' batches into
  // [K, B, T] tensors, T the longest sequence among all K * B rows. InvalidArgument when plans
  // is empty, the members' step counts or their batch sizes at a step differ, a batch is empty
  // or an index is outside the dataset.
  // (Length-grouped plans shuffle the batch order, so the short last
  // batch of different seeds lands at different steps: plan such members with drop_last.)
  absl::StatusOr<DevicePlan> UploadMemberPlans(
      const std::vector<std::vector<std::vector<size_t>>>& plans) const;

  // Step `step` of `plan` (made by this dataset): input_ids and attention_mask [B, T] (or
  // [K, B, T]), labels [B] (or [K, B]), on device(). OutOfRange when step >= plan.size().
  absl::StatusOr<TextBatch> Batch(const DevicePlan& plan, size_t step) const;

  // The batch of `indices` (one upload): MakeBatch(host(), indices) on device(). MakeBatch's
  // errors.
  absl::StatusOr<TextBatch> MakeBatch(const std::vector<size_t>& indices) const;

  // The [K, B, T] stack of K members' batches of equal size (one upload). UploadMemberPlans'
  // errors.
  absl::StatusOr<TextBatch> MakeMemberBatch(const std::vector<std::vector<size_t>>& members) const;

  const TokenizedDataset& host() const { return *host_; }
  size_t size() const { return host_->size(); }
  torch::Device device() const { return input_ids_.device(); }

 private:
  DeviceDataset() = default;
  // Checks `indices` and appends them to rows, widening *longest to their longest sequence.
  absl::Status AppendRows(const std::vector<size_t>& indices, std::vector<int64_t>& rows,
                          int64_t& longest) const;
  // Copies the collected rows to the device.
  absl::StatusOr<DevicePlan> Finish(DevicePlan plan, const std::vector<int64_t>& rows) const;

  std::shared_ptr<const TokenizedDataset> host_;
  torch::Tensor input_ids_;       // int64 [N, L], padded with pad_id
  torch::Tensor attention_mask_;  // int64 [N, L], 1 for real tokens
  torch::Tensor labels_;          // int64 [N]
};

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_DEVICE_DATASET_H_
