#include "worker/quant/quant_config.h"

#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <memory>
#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "re2/re2.h"

namespace nasq {
namespace {

using Json = nlohmann::ordered_json;

// MASE's FX node name of a module path: dots become underscores.
std::string FxName(std::string_view layer_name) {
  return absl::StrReplaceAll(std::string(layer_name), {{".", "_"}});
}

absl::StatusOr<std::unique_ptr<RE2>> CompileRule(const std::string& pattern) {
  if (pattern.size() > kMaxRegexRuleLength) {
    return absl::InvalidArgumentError(absl::StrCat("regex rule of ", pattern.size(),
                                                   " bytes is longer than the limit of ",
                                                   kMaxRegexRuleLength));
  }
  auto compiled = std::make_unique<RE2>(pattern, RE2::Quiet);
  if (!compiled->ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("regex rule '", pattern, "' does not compile: ", compiled->error()));
  }
  return compiled;
}

// True when `rule` selects the layer called `layer_name` under `by`.
absl::StatusOr<bool> RuleMatches(SelectBy by, const std::string& rule,
                                 std::string_view layer_name) {
  switch (by) {
    case SelectBy::kType:
      return rule == "linear";
    case SelectBy::kName:
      return rule == layer_name || rule == FxName(layer_name);
    case SelectBy::kRegexName: {
      NASQ_ASSIGN_OR_RETURN(const std::unique_ptr<RE2> pattern, CompileRule(rule));
      return RE2::FullMatch(layer_name, *pattern) || RE2::FullMatch(FxName(layer_name), *pattern);
    }
  }
  return false;
}

// `root` (named "") followed by its descendants in named_modules() order. Unlike
// named_modules(include_self = true) this works for a root that is not owned by a shared_ptr.
// The pointers are valid while `root` keeps its children.
std::vector<std::pair<std::string, torch::nn::Module*>> NamedModulesWithRoot(
    torch::nn::Module& root) {
  std::vector<std::pair<std::string, torch::nn::Module*>> modules = {{"", &root}};
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    modules.emplace_back(item.key(), item.value().get());
  }
  return modules;
}

// ---- MASE pass_args parsing ----

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

absl::Status ValidateQuantisationConfig(const QuantisationConfig& config) {
  if (absl::Status s = ValidateLinearQuantConfig(config.default_config); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("default config: ", s.message()));
  }
  std::set<std::string> keys;
  for (const QuantRule& rule : config.rules) {
    if (absl::Status s = ValidateLinearQuantConfig(rule.config); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("rule '", rule.key, "': ", s.message()));
    }
    if (config.by == SelectBy::kRegexName) {
      NASQ_RETURN_IF_ERROR(CompileRule(rule.key).status());
    } else if (!keys.insert(rule.key).second) {
      return absl::InvalidArgumentError(absl::StrCat("rule '", rule.key, "' appears twice"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LinearQuantConfig> SelectLinearConfig(const QuantisationConfig& config,
                                                     std::string_view layer_name) {
  NASQ_RETURN_IF_ERROR(ValidateQuantisationConfig(config));
  for (const QuantRule& rule : config.rules) {
    NASQ_ASSIGN_OR_RETURN(const bool matches, RuleMatches(config.by, rule.key, layer_name));
    if (matches) return rule.config;
  }
  return config.default_config;
}

absl::StatusOr<std::vector<std::pair<std::string, QuantLinearImpl*>>> CollectQuantLinears(
    torch::nn::Module& root) {
  std::vector<std::pair<std::string, QuantLinearImpl*>> layers;
  for (const auto& [name, module] : NamedModulesWithRoot(root)) {
    if (auto* layer = dynamic_cast<QuantLinearImpl*>(module)) {
      layers.emplace_back(name, layer);
    } else if (dynamic_cast<torch::nn::LinearImpl*>(module) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "layer '", name, "' is a plain torch::nn::Linear; hold it as a nasq::QuantLinear"));
    }
  }
  return layers;
}

absl::StatusOr<std::vector<std::string>> ApplyQuantisation(torch::nn::Module& root,
                                                           const QuantisationConfig& config,
                                                           const LinearSwapFn& swap) {
  NASQ_RETURN_IF_ERROR(ValidateQuantisationConfig(config));
  // Snapshot the tree first (the children stay alive through it): `swap` changes the tree.
  const auto children = root.named_modules("", /*include_self=*/false);
  std::vector<std::string> visited;
  for (const auto& [name, module] : NamedModulesWithRoot(root)) {
    auto* plain = dynamic_cast<torch::nn::LinearImpl*>(module);
    auto* layer = dynamic_cast<QuantLinearImpl*>(module);
    if (plain == nullptr && layer == nullptr) continue;
    NASQ_ASSIGN_OR_RETURN(const LinearQuantConfig layer_config, SelectLinearConfig(config, name));
    if (layer != nullptr) {
      NASQ_RETURN_IF_ERROR(layer->SetQuantConfig(layer_config));
    } else {
      if (!swap || name.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("layer '", name, "' is a plain torch::nn::Linear and cannot be swapped",
                         swap ? " (it is the root)" : " (no swap function was given)"));
      }
      QuantLinear replacement(*plain);  // copies weight AND bias (section 9.2)
      NASQ_RETURN_IF_ERROR(replacement->SetQuantConfig(layer_config));
      NASQ_RETURN_IF_ERROR(swap(name, replacement));
    }
    visited.push_back(name);
  }
  return visited;
}

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
