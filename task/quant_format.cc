#include "task/quant_format.h"

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

}  // namespace nasq
