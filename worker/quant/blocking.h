// worker/quant/blocking.h: MASE's block / unblock machinery (docs/quantisation.md section 1.4).
//
// Internal to worker/quant; the tile shape arithmetic is task/block_shape.h. The block quantisers
// are elementwise once each element knows the |max| of its block, so instead of materialising
// blocks this returns that per-element block max.
// Thread-safety: pure functions.
#ifndef NASQ_WORKER_QUANT_BLOCKING_H_
#define NASQ_WORKER_QUANT_BLOCKING_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "task/block_shape.h"

namespace nasq {

// For each element of `x`, the max |x| over its tile (padding counts as 0), after the zero-block
// fix: if every tile max is 0 all become 1, otherwise a 0 tile max becomes the smallest non-zero
// tile max of the tensor. Same shape as `x`; throws c10::Error where InferBlockShape fails.
at::Tensor PerElementBlockMax(const at::Tensor& x, const std::vector<int64_t>& block_size,
                              bool skip_first_dim);

}  // namespace nasq

#endif  // NASQ_WORKER_QUANT_BLOCKING_H_
