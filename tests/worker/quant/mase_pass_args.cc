#include "tests/worker/quant/mase_pass_args.h"

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "task/quant_format.h"
#include "worker/quant/quantiser.h"

namespace nasq {
namespace {

using Json = nlohmann::ordered_json;

// Reads `key` from `config` into `out`; InvalidArgument when it is missing or has the wrong type.
template <typename T>
absl::Status Require(const Json& config, const std::string& key, T& out) {
  const auto it = config.find(key);
  if (it == config.end())
    return absl::InvalidArgumentError(absl::StrCat("missing key '", key, "'"));
  try {
    if constexpr (std::is_same_v<T, bool>) {
      // MASE configs store flags as 0/1 as often as true/false.
      out = it->is_number() ? it->template get<double>() != 0 : it->template get<bool>();
    } else {
      out = it->template get<T>();
    }
  } catch (const nlohmann::json::exception& error) {
    return absl::InvalidArgumentError(absl::StrCat("key '", key, "': ", error.what()));
  }
  return absl::OkStatus();
}

// Like Require, but leaves `out` unchanged when the key is absent.
template <typename T>
absl::Status Optional(const Json& config, const std::string& key, T& out) {
  if (!config.contains(key)) return absl::OkStatus();
  return Require(config, key, out);
}

bool HasOperandKeys(const Json& config, const std::string& operand) {
  const std::string prefix = operand + "_";
  for (const auto& [key, value] : config.items()) {
    if (key.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

absl::Status ParseBlockSize(const Json& config, const std::string& key, QuantConfig& out) {
  const auto it = config.find(key);
  if (it != config.end() && it->is_number_integer()) {
    out.block_size = {it->get<int64_t>()};  // block_fp wraps a plain int in a list
    return absl::OkStatus();
  }
  return Require(config, key, out.block_size);
}

// One operand's QuantConfig in `format` from the `<operand>_*` keys of `config`.
absl::StatusOr<QuantConfig> ParseOperand(const Json& config, const std::string& operand,
                                         QuantFormat format) {
  QuantConfig out;
  out.format = format;
  const std::string p = operand + "_";
  absl::Status status;
  const auto parse_bias = [&]() -> absl::Status {
    const auto it = config.find(p + "exponent_bias");
    if (it == config.end())
      return absl::InvalidArgumentError(absl::StrCat("missing key '", p, "exponent_bias'"));
    if (!it->is_null())
      NASQ_RETURN_IF_ERROR(Require(config, p + "exponent_bias", out.exponent_bias.emplace()));
    return absl::OkStatus();
  };
  switch (format) {
    case QuantFormat::kFloat32:
      break;
    case QuantFormat::kInteger:
      NASQ_RETURN_IF_ERROR(Require(config, p + "width", out.width));
      NASQ_RETURN_IF_ERROR(Require(config, p + "frac_width", out.frac_width));
      NASQ_RETURN_IF_ERROR(Optional(config, "floor", out.floor));
      break;
    case QuantFormat::kMinifloatDenorm:
    case QuantFormat::kMinifloatIeee:
      NASQ_RETURN_IF_ERROR(Require(config, p + "width", out.width));
      NASQ_RETURN_IF_ERROR(Require(config, p + "exponent_width", out.exponent_width));
      NASQ_RETURN_IF_ERROR(parse_bias());
      break;
    case QuantFormat::kLog:
      NASQ_RETURN_IF_ERROR(Require(config, p + "width", out.width));
      NASQ_RETURN_IF_ERROR(parse_bias());
      break;
    case QuantFormat::kBlockFp:
      NASQ_RETURN_IF_ERROR(Require(config, p + "width", out.width));
      NASQ_RETURN_IF_ERROR(Require(config, p + "exponent_width", out.exponent_width));
      NASQ_RETURN_IF_ERROR(parse_bias());
      NASQ_RETURN_IF_ERROR(ParseBlockSize(config, p + "block_size", out));
      break;
    case QuantFormat::kBlockMinifloat:
      NASQ_RETURN_IF_ERROR(Require(config, p + "width", out.width));
      NASQ_RETURN_IF_ERROR(Require(config, p + "exponent_width", out.exponent_width));
      NASQ_RETURN_IF_ERROR(Require(config, p + "exponent_bias_width", out.exponent_bias_width));
      NASQ_RETURN_IF_ERROR(ParseBlockSize(config, p + "block_size", out));
      break;
    case QuantFormat::kBlockLog:
      NASQ_RETURN_IF_ERROR(Require(config, p + "width", out.width));
      NASQ_RETURN_IF_ERROR(Require(config, p + "exponent_bias_width", out.exponent_bias_width));
      NASQ_RETURN_IF_ERROR(ParseBlockSize(config, p + "block_size", out));
      break;
    case QuantFormat::kBinary:
      NASQ_RETURN_IF_ERROR(Require(config, p + "stochastic", out.stochastic));
      NASQ_RETURN_IF_ERROR(Require(config, p + "bipolar", out.bipolar));
      break;
    case QuantFormat::kBinaryResidualSign:
      NASQ_RETURN_IF_ERROR(Optional(config, p + "levels", out.levels));
      break;
    case QuantFormat::kTernary:
      NASQ_RETURN_IF_ERROR(Optional(config, p + "scaling_factor", out.scaled));
      break;
  }
  NASQ_RETURN_IF_ERROR(ValidateQuantConfig(out));
  return out;
}

absl::StatusOr<LinearQuantConfig> ParseLinearConfig(const Json& config) {
  LinearQuantConfig out;  // all fp32
  if (!config.is_object()) return absl::InvalidArgumentError("a config must be an object");
  bool bypass = false;
  NASQ_RETURN_IF_ERROR(Optional(config, "bypass", bypass));
  const auto name = config.find("name");
  if (bypass || name == config.end() || name->is_null()) return out;
  if (!name->is_string()) return absl::InvalidArgumentError("'name' must be a string or null");
  NASQ_ASSIGN_OR_RETURN(const QuantFormat format, ParseQuantFormat(name->get<std::string>()));
  const std::pair<const char*, QuantConfig*> operands[] = {
      {"data_in", &out.data_in}, {"weight", &out.weight}, {"bias", &out.bias}};
  for (const auto& [operand, target] : operands) {
    QuantFormat operand_format = format;
    bool quantised = HasOperandKeys(config, operand);
    if (format == QuantFormat::kBinaryResidualSign) {
      // LinearBinaryResidualSign: residual-sign data_in (unless data_in_residual_sign is false),
      // binary W, bias passed through.
      bool residual_sign = true;
      NASQ_RETURN_IF_ERROR(Optional(config, "data_in_residual_sign", residual_sign));
      const std::string_view op = operand;
      quantised = op == "data_in" ? residual_sign : op == "weight";
      if (op == "weight") operand_format = QuantFormat::kBinary;
    }
    if (!quantised) continue;
    absl::StatusOr<QuantConfig> parsed = ParseOperand(config, operand, operand_format);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(QuantFormatName(format)), " ",
                                                     operand, ": ", parsed.status().message()));
    }
    *target = *std::move(parsed);
  }
  return out;
}

// The "config" member of a pass_args entry.
absl::StatusOr<LinearQuantConfig> ParseEntry(const std::string& key, const Json& entry) {
  if (!entry.is_object() || !entry.contains("config")) {
    return absl::InvalidArgumentError(absl::StrCat("entry '", key, "' needs a 'config' object"));
  }
  absl::StatusOr<LinearQuantConfig> parsed = ParseLinearConfig(entry.at("config"));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("entry '", key, "': ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace

absl::StatusOr<QuantisationConfig> ParseQuantisationConfig(const Json& pass_args) {
  if (!pass_args.is_object()) return absl::InvalidArgumentError("pass_args must be an object");
  QuantisationConfig out;
  std::string by;
  NASQ_RETURN_IF_ERROR(Require(pass_args, "by", by));
  if (by == "type") {
    out.by = SelectBy::kType;
  } else if (by == "name") {
    out.by = SelectBy::kName;
  } else if (by == "regex_name") {
    out.by = SelectBy::kRegexName;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'by' must be type, name or regex_name, got '", by, "'"));
  }
  for (const auto& [key, entry] : pass_args.items()) {
    if (key == "by") continue;
    NASQ_ASSIGN_OR_RETURN(LinearQuantConfig parsed, ParseEntry(key, entry));
    if (key == "default") {
      out.default_config = std::move(parsed);
    } else {
      out.rules.push_back({key, std::move(parsed)});
    }
  }
  NASQ_RETURN_IF_ERROR(ValidateQuantisationConfig(out));
  return out;
}

}  // namespace nasq
