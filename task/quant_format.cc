#include "task/quant_format.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

constexpr std::array<std::pair<std::string_view, QuantFormat>, 12> kFormatNames = {{
    {"none", QuantFormat::kFloat32},
    {"integer", QuantFormat::kInteger},
    {"fixed", QuantFormat::kInteger},
    {"minifloat_denorm", QuantFormat::kMinifloatDenorm},
    {"minifloat_ieee", QuantFormat::kMinifloatIeee},
    {"block_fp", QuantFormat::kBlockFp},
    {"block_minifloat", QuantFormat::kBlockMinifloat},
    {"log", QuantFormat::kLog},
    {"block_log", QuantFormat::kBlockLog},
    {"binary", QuantFormat::kBinary},
    {"binary_residual", QuantFormat::kBinaryResidualSign},
    {"ternary", QuantFormat::kTernary},
}};

// Largest exponent bias magnitude accepted, so every clamped 2^e stays representable in fp32.
constexpr int kMaxBias = 127;

absl::Status CheckRange(const char* field, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be in [", lo, ", ", hi, "], got ", value));
  }
  return absl::OkStatus();
}

absl::Status ValidateBlockSize(const std::vector<int64_t>& block_size) {
  if (block_size.empty()) return absl::InvalidArgumentError("block_size must not be empty");
  for (int64_t entry : block_size) {
    if (entry == 0 || entry < -1) {
      return absl::InvalidArgumentError(
          absl::StrCat("block_size entries must be positive or -1, got ", entry));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBias(const QuantConfig& c, int lo, int hi) {
  if (!c.exponent_bias.has_value()) return absl::OkStatus();
  return CheckRange("exponent_bias", *c.exponent_bias, lo, hi);
}

}  // namespace

absl::StatusOr<QuantFormat> ParseQuantFormat(std::string_view name) {
  for (const auto& [known, format] : kFormatNames) {
    if (known == name) return format;
  }
  if (name == "fp32" || name == "bypass") return QuantFormat::kFloat32;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown quantisation format '", std::string(name), "'"));
}

std::string_view QuantFormatName(QuantFormat format) {
  for (const auto& [name, known] : kFormatNames) {
    if (known == format) return name;
  }
  return "unknown";
}

absl::Status ValidateQuantConfig(const QuantConfig& c) {
  // Exponent/bias ranges are kept small enough that every 2^e stays a finite fp32 value.
  switch (c.format) {
    case QuantFormat::kFloat32:
    case QuantFormat::kBinary:
      return absl::OkStatus();
    case QuantFormat::kInteger:
      if (auto s = CheckRange("width", c.width, 1, 32); !s.ok()) return s;
      return CheckRange("frac_width", c.frac_width, -64, 64);
    case QuantFormat::kMinifloatDenorm:
    case QuantFormat::kMinifloatIeee:
      if (auto s = CheckRange("width", c.width, 3, 32); !s.ok()) return s;
      if (auto s = CheckRange("exponent_width", c.exponent_width, 1, std::min(c.width - 2, 8));
          !s.ok()) {
        return s;
      }
      return ValidateBias(c, -kMaxBias, kMaxBias);
    case QuantFormat::kBlockFp:
      if (auto s = CheckRange("width", c.width, 2, 32); !s.ok()) return s;
      if (auto s = CheckRange("exponent_width", c.exponent_width, 1, 8); !s.ok()) return s;
      if (auto s = ValidateBias(c, -kMaxBias, kMaxBias); !s.ok()) return s;
      return ValidateBlockSize(c.block_size);
    case QuantFormat::kBlockMinifloat:
      if (auto s = CheckRange("width", c.width, 3, 32); !s.ok()) return s;
      if (auto s = CheckRange("exponent_width", c.exponent_width, 1, std::min(c.width - 2, 6));
          !s.ok()) {
        return s;
      }
      if (auto s = CheckRange("exponent_bias_width", c.exponent_bias_width, 1, 6); !s.ok())
        return s;
      return ValidateBlockSize(c.block_size);
    case QuantFormat::kLog:
      if (auto s = CheckRange("width", c.width, 2, 8); !s.ok()) return s;
      return ValidateBias(c, -kMaxBias, kMaxBias);
    case QuantFormat::kBlockLog:
      if (auto s = CheckRange("width", c.width, 2, 8); !s.ok()) return s;
      if (auto s = CheckRange("exponent_bias_width", c.exponent_bias_width, 1, 6); !s.ok())
        return s;
      return ValidateBlockSize(c.block_size);
    case QuantFormat::kBinaryResidualSign:
      return CheckRange("levels", c.levels, 1, 3);
    case QuantFormat::kTernary:
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("unknown quantisation format");
}

absl::Status ValidateLinearQuantConfig(const LinearQuantConfig& config) {
  const std::pair<const char*, const QuantConfig*> operands[] = {
      {"data_in", &config.data_in}, {"weight", &config.weight}, {"bias", &config.bias}};
  for (const auto& [name, operand] : operands) {
    if (absl::Status s = ValidateQuantConfig(*operand); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", s.message()));
    }
  }
  if (config.weight.format == QuantFormat::kBinaryResidualSign ||
      config.bias.format == QuantFormat::kBinaryResidualSign) {
    return absl::InvalidArgumentError("binary_residual applies to data_in only");
  }
  return absl::OkStatus();
}

LinearQuantConfig WithOperandRoles(LinearQuantConfig config) {
  config.data_in.skip_first_dim = true;
  config.weight.skip_first_dim = false;
  config.bias.skip_first_dim = false;
  return config;
}

}  // namespace nasq
