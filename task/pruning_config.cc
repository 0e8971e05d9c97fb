#include "task/pruning_config.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace nasq {

absl::StatusOr<PruneMethod> ParsePruneMethod(std::string_view name) {
  if (name == "l1-norm") return PruneMethod::kL1Norm;
  if (name == "random") return PruneMethod::kRandom;
  return absl::InvalidArgumentError(absl::StrCat("unknown pruning method '", std::string(name),
                                                 "' (expected 'l1-norm' or 'random')"));
}

absl::StatusOr<PruneScope> ParsePruneScope(std::string_view name) {
  if (name == "local") return PruneScope::kLocal;
  if (name == "global") return PruneScope::kGlobal;
  return absl::InvalidArgumentError(absl::StrCat("unknown pruning scope '", std::string(name),
                                                 "' (expected 'local' or 'global')"));
}

absl::Status ValidatePruningConfig(const PruningConfig& config) {
  const std::pair<const char*, const PruningSection*> sections[] = {
      {"weight", &config.weight}, {"activation", &config.activation}};
  for (const auto& [name, section] : sections) {
    // Written so that NaN fails too.
    if (!(section->sparsity >= 0.0 && section->sparsity <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " sparsity must be in [0, 1], got ", section->sparsity));
    }
  }
  return absl::OkStatus();
}

}  // namespace nasq
