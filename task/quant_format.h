// task/quant_format.h: the number formats a Linear layer can be quantised to (MASE quantiser
// names) and the per-operand configs that select them, without LibTorch, so that the task schema
// can check a `type` field wherever a study is validated and the cost model (cost_model.h) can
// price a precision before any model exists. worker/quant's quantisers implement each format
// (quantiser.h) and QuantLinear applies a LinearQuantConfig (quant_linear.h).
// Thread-safety: plain value types and pure functions.
#ifndef NASQ_TASK_QUANT_FORMAT_H_
#define NASQ_TASK_QUANT_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nasq {

// A number format. The names in comments are the MASE quantiser names accepted by
// ParseQuantFormat.
enum class QuantFormat {
  kFloat32,             // "none"/"fp32"/"bypass": not quantised.
  kInteger,             // "integer" or "fixed": signed fixed point, width w, frac_width f.
  kMinifloatDenorm,     // "minifloat_denorm": no hidden bit (section 1.2).
  kMinifloatIeee,       // "minifloat_ieee": hidden bit and subnormals (section 1.3).
  kBlockFp,             // "block_fp": MSFP, one shared exponent per block (section 1.5).
  kBlockMinifloat,      // "block_minifloat": minifloat with a shared bias per block (9.3).
  kLog,                 // "log": sign and power of two (section 1.7).
  kBlockLog,            // "block_log": log with a shared bias per block (section 1.8).
  kBinary,              // "binary": +-1 (bipolar) or {0, mean|x|} (section 1.9, 9.4).
  kBinaryResidualSign,  // "binary_residual": ReBNet residual sign, 1..3 levels (1.10, 9.4).
  kTernary,             // "ternary": {-1, 0, +1}, optionally scaled (section 1.11, 9.4).
};

// Parses a MASE quantiser name (see QuantFormat); InvalidArgument names unknown formats.
absl::StatusOr<QuantFormat> ParseQuantFormat(std::string_view name);
// The canonical MASE name of `format` ("none" for kFloat32).
std::string_view QuantFormatName(QuantFormat format);

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

// OK when `config` is usable by worker/quant's Quantise: widths in range for the format (integer
// 1..32, minifloat ew in 1..w-2, block_fp w >= 2 and ew in 1..16, log w >= 2, levels 1..3, block
// sizes positive or -1, ...). InvalidArgument names the offending field.
absl::Status ValidateQuantConfig(const QuantConfig& config);

// Per-operand formats of one Linear layer (MASE's data_in_* / weight_* / bias_* keys). The
// default is all kFloat32, i.e. MASE's bypass. QuantLinear applies WithOperandRoles (below).
struct LinearQuantConfig {
  QuantConfig data_in;
  QuantConfig weight;
  QuantConfig bias;
};

// OK when all three operands pass ValidateQuantConfig (and only data_in uses residual sign);
// the message names the operand.
absl::Status ValidateLinearQuantConfig(const LinearQuantConfig& config);

// `config` with the blocking role of each operand set: data_in.skip_first_dim = true (an
// activation, MASE's data_in_skip_first_dim default), weight and bias false (parameters).
LinearQuantConfig WithOperandRoles(LinearQuantConfig config);

}  // namespace nasq

#endif  // NASQ_TASK_QUANT_FORMAT_H_
