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

#include "task/quant_format.h"

namespace nasq {

// Fake-quantises `x` (fp32) with `config` (task/quant_format.h's QuantConfig); differentiable with
// the format's STE (see top). Block formats accept 1-D (skip_first_dim false), 2-D and 3-D tensors;
// binary and ternary need at least 1 dim. Throws c10::Error on a config that ValidateQuantConfig
// rejects or an unsupported rank (callers at module boundaries convert it to a Status).
// kBinaryResidualSign uses the initial means DefaultResidualMeans(levels); QuantLinear holds
// learnable ones.
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
