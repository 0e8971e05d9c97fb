// task/block_shape.h: the tile shape arithmetic of MASE's block / unblock machinery
// (docs/quantisation.md section 1.4), without LibTorch: worker/quant's block quantisers tile
// tensors with it (blocking.h) and the cost metrics count the shared exponents of the padded
// blocks with it (cost_metrics.h).
// Thread-safety: pure functions.
#ifndef NASQ_TASK_BLOCK_SHAPE_H_
#define NASQ_TASK_BLOCK_SHAPE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace nasq {

// The tile shape for a tensor of `sizes` (rank 1..3): `block_size` right-aligned with the
// reference shape (sizes, or [1, sizes[1:]] when skip_first_dim), missing leading dims -1, and
// -1 or oversize entries replaced by the full reference dim. InvalidArgument for rank 0 or > 3,
// a 1-D tensor with skip_first_dim, or an empty block_size.
absl::StatusOr<std::vector<int64_t>> InferBlockShape(const std::vector<int64_t>& sizes,
                                                     const std::vector<int64_t>& block_size,
                                                     bool skip_first_dim);

// Number of tiles after zero-padding every dim at the end to a multiple of its tile dim.
int64_t CountBlocks(const std::vector<int64_t>& sizes, const std::vector<int64_t>& block_shape);

}  // namespace nasq

#endif  // NASQ_TASK_BLOCK_SHAPE_H_
