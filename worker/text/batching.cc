#include "worker/text/batching.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace nasq {

absl::StatusOr<TextBatch> MakeBatch(const TokenizedDataset& dataset,
                                    const std::vector<size_t>& indices) {
  if (indices.empty()) return absl::InvalidArgumentError("cannot make an empty batch");
  size_t longest = 0;
  for (size_t index : indices) {
    if (index >= dataset.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("example index ", index, " outside the dataset of ", dataset.size()));
    }
    longest = std::max(longest, dataset.examples[index].input_ids.size());
  }
  const auto rows = static_cast<int64_t>(indices.size());
  const auto columns = static_cast<int64_t>(longest);
  TextBatch batch;
  batch.input_ids =
      torch::full({rows, columns}, static_cast<int64_t>(dataset.pad_id), torch::kInt64);
  batch.attention_mask = torch::zeros({rows, columns}, torch::kInt64);
  batch.labels = torch::empty({rows}, torch::kInt64);
  auto ids = batch.input_ids.accessor<int64_t, 2>();
  auto mask = batch.attention_mask.accessor<int64_t, 2>();
  auto labels = batch.labels.accessor<int64_t, 1>();
  for (int64_t row = 0; row < rows; ++row) {
    const TokenizedExample& example = dataset.examples[indices[row]];
    for (size_t column = 0; column < example.input_ids.size(); ++column) {
      ids[row][column] = example.input_ids[column];
      mask[row][column] = 1;
    }
    labels[row] = example.label;
  }
  return batch;
}

absl::StatusOr<std::vector<TextBatch>> MakeEpochBatches(const TokenizedDataset& dataset,
                                                        const BatchPlanOptions& options,
                                                        int epoch) {
  NASQ_ASSIGN_OR_RETURN(const auto plan, PlanBatches(dataset, options, epoch));
  std::vector<TextBatch> batches;
  batches.reserve(plan.size());
  for (const std::vector<size_t>& indices : plan) {
    NASQ_ASSIGN_OR_RETURN(TextBatch batch, MakeBatch(dataset, indices));
    batches.push_back(std::move(batch));
  }
  return batches;
}

}  // namespace nasq
