#include "worker/quant/blocking.h"

#include <c10/util/Exception.h>

#include <string>

namespace nasq {

at::Tensor PerElementBlockMax(const at::Tensor& x, const std::vector<int64_t>& block_size,
                              bool skip_first_dim) {
  const std::vector<int64_t> sizes = x.sizes().vec();
  absl::StatusOr<std::vector<int64_t>> block_shape =
      InferBlockShape(sizes, block_size, skip_first_dim);
  TORCH_CHECK(block_shape.ok(), std::string(block_shape.status().message()));
  const size_t rank = sizes.size();
  std::vector<int64_t> pad;  // constant_pad_nd order: last dim first, (before, after) pairs
  std::vector<int64_t> tiled;
  std::vector<int64_t> padded;
  std::vector<int64_t> tile_dims;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t blocks = (sizes[d] + (*block_shape)[d] - 1) / (*block_shape)[d];
    padded.push_back(blocks * (*block_shape)[d]);
    tiled.push_back(blocks);
    tiled.push_back((*block_shape)[d]);
    tile_dims.push_back(static_cast<int64_t>(2 * d + 1));
  }
  for (size_t d = rank; d-- > 0;) {
    pad.push_back(0);
    pad.push_back(padded[d] - sizes[d]);
  }
  at::Tensor maxes =
      at::constant_pad_nd(x.abs(), pad, 0).reshape(tiled).amax(tile_dims, /*keepdim=*/true);
  // Zero-block fix (done by each MASE block quantiser): avoid log2(0) = -inf.
  const at::Tensor is_zero = maxes == 0;
  if (is_zero.all().item<bool>()) {
    maxes = at::ones_like(maxes);
  } else if (is_zero.any().item<bool>()) {
    maxes = at::where(is_zero, maxes.masked_select(~is_zero).min(), maxes);
  }
  at::Tensor per_element = maxes.expand(tiled).reshape(padded);
  for (size_t d = 0; d < rank; ++d) per_element = per_element.narrow(d, 0, sizes[d]);
  return per_element.contiguous();
}

}  // namespace nasq
