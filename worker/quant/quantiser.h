// worker/quant/quantiser.h: elementwise fake quantisation of fp32 tensors (MASE numerics).
//
// Every format returns an fp32 tensor holding values on the format's grid; nothing is stored as
// real integers. The numerics follow docs/quantisation.md section 1 exactly, MASE
// quirks included (section 9.7), except where nasq deliberately differs (section 9.3/9.4):
// block minifloat uses the intended shared bias and has an identity STE; non-bipolar binary and
// ternary compute their statistics per leading index (per output row of a 2-D weight, per sample
// of an activation); residual sign with one level returns the per-sample sum.
//
// Gradients (section 1.13): every format's backward is the identity (straight-through, no masking
// of saturated elements) except residual sign, whose backward is the clamp STE (1 on [-1, 1]).
//
// Thread-safety: all functions are pure except that stochastic binary draws from LibTorch's
// global generator; concurrent calls on different tensors are safe.
#ifndef NASQ_WORKER_QUANT_QUANTISER_H_
#define NASQ_WORKER_QUANT_QUANTISER_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "task/quant_format.h"

namespace nasq {

// How one operand (data_in, weight or bias) is quantised. Each format reads only its fields.
struct QuantConfig {
  QuantFormat format = QuantFormat::kFloat32;
  // Total width in bits: integer, minifloat*, block_fp (sign + mantissa), block_minifloat,
  // log (sign + exponent bits), block_log.
  int width = 8;
  // Integer: bits right of the binary point; may be negative or exceed `width`.
  int frac_width = 4;
  // Integer: floor instead of round-half-to-even (MASE `floor`).
  bool floor = false;
  // Minifloat*, block_fp (shared exponent width), block_minifloat (per-element exponent).
  int exponent_width = 4;
  // Minifloat*, block_fp, log: exponent bias; nullopt = 2^(ew-1)-1 (log: 2^(w-2)-1).
  std::optional<int> exponent_bias;
  // Block minifloat and block log: width of the shared per-block bias.
  int exponent_bias_width = 4;
  // Block formats: block size per dim, right-aligned with the tensor (section 1.4); -1 means the
  // full dim. [16] on a weight [O, I] shares one exponent across all O rows; use [1, 16] for
  // one exponent per row and 16 inputs.
  std::vector<int64_t> block_size = {16};
  // Block formats: treat dim 0 as a batch dim (reference shape [1, ...]). QuantLinear sets this
  // for data_in (MASE's data_in_skip_first_dim default) and clears it for weight and bias.
  bool skip_first_dim = false;
  // Binary: stochastic (hard-sigmoid Bernoulli) instead of deterministic sign.
  bool stochastic = false;
  // Binary: +-1 if true; otherwise {0, mean|x|} per leading index.
  bool bipolar = true;
  // Residual sign: number of binary levels, 1..3 (MASE default 2).
  int levels = 2;
  // Ternary: multiply by alpha = mean |x| over elements above the threshold, per leading index.
  bool scaled = false;
};

// OK when `config` is usable by Quantise: widths in range for the format (integer 1..32,
// minifloat ew in 1..w-2, block_fp w >= 2 and ew in 1..16, log w >= 2, levels 1..3, block sizes
// positive or -1, ...). InvalidArgument names the offending field.
absl::Status ValidateQuantConfig(const QuantConfig& config);

// Fake-quantises `x` (fp32) with `config`; differentiable with the format's STE (see top).
// Block formats accept 1-D (skip_first_dim false), 2-D and 3-D tensors; binary and ternary need
// at least 1 dim. Throws c10::Error on a config that ValidateQuantConfig rejects or an
// unsupported rank (callers at module boundaries convert it to a Status). kBinaryResidualSign
// uses the initial means DefaultResidualMeans(levels); QuantLinear holds learnable ones.
at::Tensor Quantise(const at::Tensor& x, const QuantConfig& config);

// Residual sign (section 1.10): r_0 = x, o_l = binarize(r_l) * |means[l]|, r_{l+1} = r_l - o_l,
// returns sum_l o_l with x's shape (for every level count, see 9.4). binarize(v) =
// sign(clamp(v, -1, 1)) (0 -> 0) with the clamp STE; gradients also flow into `means` (1-D,
// one entry per level).
at::Tensor ResidualSignQuantise(const at::Tensor& x, const at::Tensor& means);

// MASE's initial residual means: [L, L-1, ..., 1] / sum, e.g. [2/3, 1/3] for L = 2.
at::Tensor DefaultResidualMeans(int levels);

}  // namespace nasq

#endif  // NASQ_WORKER_QUANT_QUANTISER_H_
