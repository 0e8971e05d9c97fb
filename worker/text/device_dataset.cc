#include "worker/text/device_dataset.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace nasq {

absl::StatusOr<DeviceDataset> DeviceDataset::Create(std::shared_ptr<const TokenizedDataset> dataset,
                                                    torch::Device device) {
  if (dataset->examples.empty()) return absl::InvalidArgumentError("the dataset is empty");
  // The whole dataset as one batch is the [N, L] layout, padded as MakeBatch pads.
  std::vector<size_t> all(dataset->size());
  std::iota(all.begin(), all.end(), 0);
  NASQ_ASSIGN_OR_RETURN(TextBatch whole, nasq::MakeBatch(*dataset, all));
  DeviceDataset laid_out;
  laid_out.host_ = std::move(dataset);
  try {
    laid_out.input_ids_ = whole.input_ids.to(device);
    laid_out.attention_mask_ = whole.attention_mask.to(device);
    laid_out.labels_ = whole.labels.to(device);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("cannot put the dataset on ", device.str(), ": ", e.what_without_backtrace()));
  }
  return laid_out;
}

absl::Status DeviceDataset::AppendRows(const std::vector<size_t>& indices,
                                       std::vector<int64_t>& rows, int64_t& longest) const {
  if (indices.empty()) return absl::InvalidArgumentError("cannot make an empty batch");
  for (size_t index : indices) {
    if (index >= size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("example index ", index, " outside the dataset of ", size()));
    }
    rows.push_back(static_cast<int64_t>(index));
    longest = std::max(longest, static_cast<int64_t>(host_->examples[index].input_ids.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<DevicePlan> DeviceDataset::Finish(DevicePlan plan,
                                                 const std::vector<int64_t>& rows) const {
  try {
    plan.rows_ = torch::tensor(rows, torch::kInt64).to(device());
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("cannot upload the batch plan: ", e.what_without_backtrace()));
  }
  return plan;
}

absl::StatusOr<DevicePlan> DeviceDataset::UploadPlan(
    const std::vector<std::vector<size_t>>& plan) const {
  DevicePlan uploaded;
  std::vector<int64_t> rows;
  uploaded.offsets_.push_back(0);
  for (const std::vector<size_t>& batch : plan) {
    int64_t longest = 0;
    NASQ_RETURN_IF_ERROR(AppendRows(batch, rows, longest));
    uploaded.offsets_.push_back(static_cast<int64_t>(rows.size()));
    uploaded.longest_.push_back(longest);
  }
  return Finish(std::move(uploaded), rows);
}

absl::StatusOr<DevicePlan> DeviceDataset::UploadMemberPlans(
    const std::vector<std::vector<std::vector<size_t>>>& plans) const {
  if (plans.empty()) return absl::InvalidArgumentError("member plans: no members");
  const size_t steps = plans.front().size();
  for (size_t k = 1; k < plans.size(); ++k) {
    if (plans[k].size() != steps) {
      return absl::InvalidArgumentError(absl::StrCat(
          "member plans: member ", k, " has ", plans[k].size(), " batches, member 0 has ", steps));
    }
  }
  DevicePlan uploaded;
  uploaded.members_ = static_cast<int64_t>(plans.size());
  std::vector<int64_t> rows;
  uploaded.offsets_.push_back(0);
  for (size_t step = 0; step < steps; ++step) {
    int64_t longest = 0;
    for (size_t k = 0; k < plans.size(); ++k) {
      const size_t batch_size = plans[k][step].size();
      if (batch_size != plans.front()[step].size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("member plans: batch ", step, " of member ", k, " has ", batch_size,
                         " examples, member 0's has ", plans.front()[step].size()));
      }
      NASQ_RETURN_IF_ERROR(AppendRows(plans[k][step], rows, longest));
    }
    uploaded.offsets_.push_back(static_cast<int64_t>(rows.size()));
    uploaded.longest_.push_back(longest);
  }
  return Finish(std::move(uploaded), rows);
}

absl::StatusOr<TextBatch> DeviceDataset::Batch(const DevicePlan& plan, size_t step) const {
  if (step >= plan.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("batch ", step, " of a plan of ", plan.size(), " batches"));
  }
  const int64_t begin = plan.offsets_[step];
  const torch::Tensor rows = plan.rows_.narrow(0, begin, plan.offsets_[step + 1] - begin);
  const int64_t longest = plan.longest_[step];
  TextBatch batch;
  try {
    // Narrowing the source first makes index_select write [B, T] contiguously.
    batch.input_ids = input_ids_.narrow(1, 0, longest).index_select(0, rows);
    batch.attention_mask = attention_mask_.narrow(1, 0, longest).index_select(0, rows);
    batch.labels = labels_.index_select(0, rows);
    if (plan.members_ > 0) {
      batch.input_ids = batch.input_ids.view({plan.members_, -1, longest});
      batch.attention_mask = batch.attention_mask.view({plan.members_, -1, longest});
      batch.labels = batch.labels.view({plan.members_, -1});
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("cannot gather batch ", step, ": ", e.what_without_backtrace()));
  }
  return batch;
}

absl::StatusOr<TextBatch> DeviceDataset::MakeBatch(const std::vector<size_t>& indices) const {
  NASQ_ASSIGN_OR_RETURN(const DevicePlan plan, UploadPlan({indices}));
  return Batch(plan, 0);
}

absl::StatusOr<TextBatch> DeviceDataset::MakeMemberBatch(
    const std::vector<std::vector<size_t>>& members) const {
  std::vector<std::vector<std::vector<size_t>>> plans;
  plans.reserve(members.size());
  for (const std::vector<size_t>& indices : members) plans.push_back({indices});
  NASQ_ASSIGN_OR_RETURN(const DevicePlan plan, UploadMemberPlans(plans));
  return Batch(plan, 0);
}

}  // namespace nasq
