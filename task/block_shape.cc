#include "task/block_shape.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nasq {

absl::StatusOr<std::vector<int64_t>> InferBlockShape(const std::vector<int64_t>& sizes,
                                                     const std::vector<int64_t>& block_size,
                                                     bool skip_first_dim) {
  const size_t rank = sizes.size();
  if (rank == 0 || rank > 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block quantisation supports 1-D to 3-D tensors, got rank ", rank, " (MASE also fails)"));
  }
  if (rank == 1 && skip_first_dim) {
    return absl::InvalidArgumentError(
        "block quantisation of a 1-D tensor needs skip_first_dim false");
  }
  if (block_size.empty()) return absl::InvalidArgumentError("block_size is empty");
  std::vector<int64_t> reference = sizes;
  if (skip_first_dim) reference[0] = 1;
  std::vector<int64_t> shape(rank, -1);
  // Right-align: keep the trailing dims of a longer block_size, prepend -1 to a shorter one.
  for (size_t i = 0; i < rank && i < block_size.size(); ++i) {
    shape[rank - 1 - i] = block_size[block_size.size() - 1 - i];
  }
  for (size_t d = 0; d < rank; ++d) {
    if (shape[d] == -1 || shape[d] > reference[d]) shape[d] = reference[d];
    if (shape[d] <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("block_size [",
                                                     absl::StrJoin(block_size, ", "),
                                                     "] has a non-positive entry other than -1"));
    }
  }
  return shape;
}

int64_t CountBlocks(const std::vector<int64_t>& sizes, const std::vector<int64_t>& block_shape) {
  int64_t blocks = 1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    blocks *= (sizes[d] + block_shape[d] - 1) / block_shape[d];
  }
  return blocks;
}

}  // namespace nasq
