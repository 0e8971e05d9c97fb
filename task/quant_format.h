// task/quant_format.h: the names of the number formats a Linear layer can be quantised to (MASE
// quantiser names), without LibTorch, so that the task schema can check a `type` field wherever
// a study is validated. worker/quant's quantisers implement each format (quantiser.h).
// Thread-safety: pure functions.
#ifndef NASQ_TASK_QUANT_FORMAT_H_
#define NASQ_TASK_QUANT_FORMAT_H_

#include <string_view>

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

}  // namespace nasq

#endif  // NASQ_TASK_QUANT_FORMAT_H_
