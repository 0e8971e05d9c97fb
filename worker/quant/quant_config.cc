#include "worker/quant/quant_config.h"

#include <torch/nn/modules/linear.h>

#include <algorithm>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/status_macros.h"
#include "re2/re2.h"

namespace nasq {
namespace {

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

}  // namespace nasq
