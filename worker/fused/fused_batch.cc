#include "worker/fused/fused_batch.h"

#include <algorithm>

#include "core/status_macros.h"
#include "worker/text/batching.h"

namespace nasq {

absl::StatusOr<FusedBatch> MakeFusedBatch(const TokenizedDataset& dataset,
                                          const std::vector<std::vector<size_t>>& indices,
                                          const torch::Device& device) {
  if (indices.empty()) return absl::InvalidArgumentError("a fused batch needs members");
  std::vector<TextBatch> batches;
  int64_t length = 0;
  for (const std::vector<size_t>& member : indices) {
    if (member.size() != indices.front().size()) {
      return absl::InvalidArgumentError("fused members need batches of equal size");
    }
    NASQ_ASSIGN_OR_RETURN(TextBatch batch, MakeBatch(dataset, member));
    length = std::max(length, batch.input_ids.size(1));
    batches.push_back(std::move(batch));
  }
  std::vector<torch::Tensor> ids;
  std::vector<torch::Tensor> masks;
  std::vector<torch::Tensor> labels;
  for (const TextBatch& batch : batches) {
    const int64_t extra = length - batch.input_ids.size(1);
    ids.push_back(torch::constant_pad_nd(batch.input_ids, {0, extra}, dataset.pad_id));
    masks.push_back(torch::constant_pad_nd(batch.attention_mask, {0, extra}, 0));
    labels.push_back(batch.labels);
  }
  return FusedBatch{torch::stack(ids).to(device), torch::stack(masks).to(device),
                    torch::stack(labels).to(device)};
}

}  // namespace nasq
