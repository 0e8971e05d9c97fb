#include "worker/quant/quantiser.h"

#include <c10/util/Exception.h>
#include <torch/autograd.h>

#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/quant/blocking.h"

namespace nasq {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Forward returns the precomputed quantised tensor; backward is the identity for x, with no
// masking of saturated elements (section 0 "STE"), and nothing for the quantised operand.
class StraightThrough : public torch::autograd::Function<StraightThrough> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x,
                            const at::Tensor& quantised) {
    return quantised;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_output) {
    return {grad_output[0], at::Tensor()};
  }
};

// binarize(v) = sign(clamp(v, -1, 1)) (0 -> 0); backward is the gradient of the clamp, 1 on
// [-1, 1] and 0 outside (MASE's detach trick, section 1.10, without its fp32 rounding).
class ClampSign : public torch::autograd::Function<ClampSign> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x) {
    ctx->save_for_backward({x});
    return at::sign(at::clamp(x, -1, 1));
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_output) {
    const at::Tensor x = ctx->get_saved_variables()[0];
    return {grad_output[0] * (x.abs() <= 1).to(grad_output[0].scalar_type())};
  }
};

int DefaultBias(int exponent_bits) { return (1 << (exponent_bits - 1)) - 1; }

// sign(x + 1e-9): MASE's sign guard (section 0.1), so 0 maps to +1.
at::Tensor GuardedSign(const at::Tensor& x) { return at::sign(x + 1e-9); }

// Near-zero pass-through (section 0.1): elements with isclose(|x|, 0) (default tolerances,
// i.e. |x| <= 1e-8) are returned unchanged, not quantised.
at::Tensor NearZeroPassThrough(const at::Tensor& x, const at::Tensor& quantised) {
  return at::where(at::isclose(x.abs(), at::zeros_like(x)), x, quantised);
}

at::Tensor IntegerForward(const at::Tensor& x, const QuantConfig& c) {
  const double scale = std::ldexp(1.0, c.frac_width);
  const double q_min = -std::ldexp(1.0, c.width - 1);
  const double q_max = std::ldexp(1.0, c.width - 1) - 1;
  const at::Tensor scaled = x * scale;
  // torch.round is round-half-to-even (0.15625 * 16 = 2.5 -> 2).
  const at::Tensor rounded = c.floor ? at::floor(scaled) : at::round(scaled);
  return at::clamp(rounded, q_min, q_max) / scale;
}

at::Tensor MinifloatDenormForward(const at::Tensor& x, const QuantConfig& c) {
  const int mantissa_bits = c.width - c.exponent_width - 1;
  const int bias = c.exponent_bias.value_or(DefaultBias(c.exponent_width));
  const double shift = std::ldexp(1.0, mantissa_bits);
  const at::Tensor value = x.abs();
  // ceil: the unclamped mantissa lies in (0.5, 1]. Power-of-two quirk (section 1.2): a value
  // exactly 2^e gets mantissa 1, rounds to 2^m and is clamped to 2^m - 1 (1.0 -> 0.875 for
  // m = 3); values just below 2^e never carry into the next exponent.
  const at::Tensor exponent =
      at::clamp(at::ceil(at::log2(value + 1e-9)), -bias, (1 << c.exponent_width) - 1 - bias);
  const at::Tensor power = at::exp2(exponent);
  const at::Tensor mantissa = at::clamp(at::round(value / power * shift), 0, shift - 1) / shift;
  return NearZeroPassThrough(x, GuardedSign(x) * power * mantissa);
}

// IEEE-style minifloat with hidden bit and subnormals; `bias` is a scalar or a per-element
// tensor (block minifloat).
at::Tensor MinifloatIeeeWithBias(const at::Tensor& x, int width, int exponent_width,
                                 const at::Tensor& bias) {
  const int mantissa_bits = width - exponent_width - 1;
  const double shift = std::ldexp(1.0, mantissa_bits);
  const at::Tensor value = x.abs();
  const at::Tensor exponent =
      at::clamp(at::floor(at::log2(value + 1e-9)), -bias, ((1 << exponent_width) - 1) - bias);
  const at::Tensor power = at::exp2(exponent);
  const at::Tensor ratio = value / power;
  const at::Tensor is_normal = exponent != -bias;
  // No carry on rounding (section 1.3): the mantissa code is clamped to 2^m - 1 inside the
  // binade, so 1.95 -> 1.875 for e4m3 and inputs above the max saturate to it.
  const at::Tensor normal_code = at::clamp(at::round(ratio * shift - shift), 0, shift - 1);
  const at::Tensor subnormal_code = at::clamp(at::round(ratio * shift / 2), 0, shift - 1);
  const at::Tensor mantissa =
      at::where(is_normal, 1.0 + normal_code / shift, subnormal_code / shift * 2);
  return NearZeroPassThrough(x, GuardedSign(x) * power * mantissa);
}

at::Tensor BlockFpForward(const at::Tensor& x, const QuantConfig& c) {
  const int mantissa_bits = c.width - 1;
  const int bias = c.exponent_bias.value_or(DefaultBias(c.exponent_width));
  const double shift = std::ldexp(1.0, mantissa_bits);
  const at::Tensor block_max = PerElementBlockMax(x, c.block_size, c.skip_first_dim);
  // ceil without the 1e-9 guard: a block max of exactly 2^E maps to (1 - 2^-m) 2^E, the same
  // power-of-two quirk as denorm minifloat (section 1.5).
  const at::Tensor exponent =
      at::clamp(at::ceil(at::log2(block_max)), -bias, (1 << c.exponent_width) - 1 - bias);
  const at::Tensor power = at::exp2(exponent);
  const at::Tensor mantissa =
      at::clamp(at::round((x.abs() + 1e-9) / power * shift), 0, shift - 1) / shift;
  return NearZeroPassThrough(x, GuardedSign(x) * power * mantissa);
}

at::Tensor BlockMinifloatForward(const at::Tensor& x, const QuantConfig& c) {
  const at::Tensor block_max = PerElementBlockMax(x, c.block_size, c.skip_first_dim);
  // nasq differs from MASE here (section 9.3): MASE's beta = floor(log2(max)) moves the window
  // the wrong way; the intended shared bias aligns the top exponent with the block max.
  const at::Tensor bias = at::clamp(((1 << c.exponent_width) - 1) - at::floor(at::log2(block_max)),
                                    0, (1 << c.exponent_bias_width) - 1);
  return MinifloatIeeeWithBias(x, c.width, c.exponent_width, bias);
}

// Log quantisation with a scalar or per-element bias. Zero is not representable: it maps to
// +2^-bias (section 1.7); the 0.1 * 2^-bias offset shifts the rounding threshold (0.7 -> 1.0
// for w = 4, b = 3). Rounding is in the log domain, half-to-even.
at::Tensor LogWithBias(const at::Tensor& x, int width, const at::Tensor& bias) {
  const at::Tensor offset = at::exp2(-bias) * 0.1;
  const at::Tensor value = x.abs() + offset;
  const at::Tensor exponent =
      at::clamp(at::round(at::log2(value)), -bias, ((1 << (width - 1)) - 1) - bias);
  return at::sign(x + offset) * at::exp2(exponent);
}

at::Tensor ScalarBias(const at::Tensor& x, int bias) { return at::full({}, bias, x.options()); }

at::Tensor BlockLogForward(const at::Tensor& x, const QuantConfig& c) {
  const at::Tensor block_max = PerElementBlockMax(x, c.block_size, c.skip_first_dim);
  const at::Tensor bias = at::clamp(((1 << (c.width - 1)) - 1) - at::ceil(at::log2(block_max)), 0,
                                    (1 << c.exponent_bias_width) - 1);
  return LogWithBias(x, c.width, bias);
}

// Dims 1.. of a tensor of rank >= 2 (statistics per leading index); all dims of a 1-D one.
std::vector<int64_t> StatisticDims(const at::Tensor& x) {
  std::vector<int64_t> dims;
  for (int64_t d = x.dim() > 1 ? 1 : 0; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

at::Tensor BinaryForward(const at::Tensor& x, const QuantConfig& c) {
  // Stochastic: hard sigmoid p = clamp((x + 1) / 2, 0, 1) compared with a fresh U[0, 1) draw.
  const at::Tensor input = c.stochastic ? at::clamp((x + 1) / 2, 0, 1) : x;
  if (c.bipolar) {
    const at::Tensor threshold = c.stochastic ? at::rand_like(x) : at::zeros_like(x);
    return at::where(input >= threshold, at::ones_like(x), -at::ones_like(x));  // 0 -> +1
  }
  // Zero-scaled: [v > 0] * mean|v|. MASE quirk: with stochastic it is applied to the hard
  // sigmoid itself and the random draw is ignored. nasq differs (9.4): the mean is per leading
  // index for any rank >= 1 instead of requiring 4-D tensors.
  const at::Tensor alpha = input.abs().mean(StatisticDims(input), /*keepdim=*/true);
  return (input > 0).to(x.scalar_type()) * alpha;
}

at::Tensor TernaryForward(const at::Tensor& x, const QuantConfig& c) {
  // MASE quirk: the configured threshold statistics are ignored; delta = 0.75 * mean|x| is
  // recomputed per leading index (nasq: per output row of a 2-D weight, section 9.4).
  const std::vector<int64_t> dims = StatisticDims(x);
  const at::Tensor magnitude = x.abs();
  const at::Tensor delta = 0.75 * magnitude.mean(dims, /*keepdim=*/true);
  at::Tensor ternary = (x > delta).to(x.scalar_type()) - (x < -delta).to(x.scalar_type());
  if (!c.scaled) return ternary;
  const at::Tensor above = (magnitude > delta).to(x.scalar_type());
  // alpha = mean |x| over elements above delta; 0 when none is (MASE would give 0/0 = NaN).
  const at::Tensor count = above.sum(dims, /*keepdim=*/true);
  const at::Tensor alpha =
      at::where(count > 0, (above * magnitude).sum(dims, true) / count.clamp_min(1), count);
  return ternary * alpha;
}

at::Tensor QuantiseForward(const at::Tensor& x, const QuantConfig& c) {
  switch (c.format) {
    case QuantFormat::kFloat32:
      return x;
    case QuantFormat::kInteger:
      return IntegerForward(x, c);
    case QuantFormat::kMinifloatDenorm:
      return MinifloatDenormForward(x, c);
    case QuantFormat::kMinifloatIeee:
      return MinifloatIeeeWithBias(
          x, c.width, c.exponent_width,
          ScalarBias(x, c.exponent_bias.value_or(DefaultBias(c.exponent_width))));
    case QuantFormat::kBlockFp:
      return BlockFpForward(x, c);
    case QuantFormat::kBlockMinifloat:
      return BlockMinifloatForward(x, c);
    case QuantFormat::kLog:
      return LogWithBias(x, c.width,
                         ScalarBias(x, c.exponent_bias.value_or(DefaultBias(c.width - 1))));
    case QuantFormat::kBlockLog:
      return BlockLogForward(x, c);
    case QuantFormat::kBinary:
      return BinaryForward(x, c);
    case QuantFormat::kTernary:
      return TernaryForward(x, c);
    case QuantFormat::kBinaryResidualSign:
      break;  // has its own autograd path
  }
  TORCH_CHECK(false, "unhandled quantisation format");
}

}  // namespace

at::Tensor Quantise(const at::Tensor& x, const QuantConfig& config) {
  const absl::Status valid = ValidateQuantConfig(config);
  TORCH_CHECK(valid.ok(), "invalid ", QuantFormatName(config.format),
              " config: ", std::string(valid.message()));
  TORCH_CHECK(x.scalar_type() == at::kFloat, "Quantise expects an fp32 tensor, got ",
              x.scalar_type());
  if (config.format == QuantFormat::kFloat32) return x;
  if (config.format == QuantFormat::kBinaryResidualSign) {
    return ResidualSignQuantise(x, DefaultResidualMeans(config.levels).to(x.device()));
  }
  TORCH_CHECK(x.dim() >= 1, "cannot quantise a 0-D tensor as ", QuantFormatName(config.format));
  at::Tensor quantised;
  {
    at::NoGradGuard no_grad;
    quantised = QuantiseForward(x.detach(), config);
  }
  return StraightThrough::apply(x, quantised);
}

at::Tensor ResidualSignQuantise(const at::Tensor& x, const at::Tensor& means) {
  TORCH_CHECK(means.dim() == 1 && means.size(0) >= 1 && means.size(0) <= 3,
              "residual sign needs 1 to 3 means, got shape ", means.sizes());
  at::Tensor residual = x;
  at::Tensor sum;
  for (int64_t level = 0; level < means.size(0); ++level) {
    const at::Tensor out = ClampSign::apply(residual) * means[level].abs();
    // nasq differs from MASE for one level (section 9.4): the sum is returned for every level
    // count, so L = 1 is not indexed down to batch item 0.
    sum = sum.defined() ? sum + out : out;
    residual = residual - out;
  }
  return sum;
}

at::Tensor DefaultResidualMeans(int levels) {
  TORCH_CHECK(levels >= 1 && levels <= 3, "residual sign levels must be 1..3, got ", levels);
  const at::Tensor ramp = at::arange(levels, 0, -1, at::kFloat);
  return ramp / ramp.sum();
}

}  // namespace nasq
