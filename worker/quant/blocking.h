// worker/quant/blocking.h: MASE's block / unblock machinery (docs/quantisation.md section 1.4).
//
// Internal to worker/quant. The block quantisers are elementwise once each element knows the
// |max| of its block, so instead of materialising blocks this returns that per-element block max.
// Thread-safety: pure functions.
#ifndef NASQ_WORKER_QUANT_BLOCKING_H_
#define NASQ_WORKER_QUANT_BLOCKING_H_

#include <ATen/ATen.h>

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

// For each element of `x`, the max |x| over its tile (padding counts as 0), after the zero-block
// fix: if every tile max is 0 all become 1, otherwise a 0 tile max becomes the smallest non-zero
// tile max of the tensor. Same shape as `x`; throws c10::Error where InferBlockShape fails.
at::Tensor PerElementBlockMax(const at::Tensor& x, const std::vector<int64_t>& block_size,
                              bool skip_first_dim);

}  // namespace nasq

#endif  // NASQ_WORKER_QUANT_BLOCKING_H_
