// task/pruning_config.h: the settings of the pruning pass (worker/quant/pruning.h runs it;
// docs/quantisation.md section 4). Free of LibTorch so that the task spec's prune stage embeds
// them (task_spec.h): each default is written here once.
//
// MASE's `{"weight": {...}, "activation": {...}}` config: each section has a scalar sparsity, a
// method (random | l1-norm), a scope (local | global) and a granularity (only elementwise).
// Thread-safety: plain value types.
#ifndef NASQ_TASK_PRUNING_CONFIG_H_
#define NASQ_TASK_PRUNING_CONFIG_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace nasq {

enum class PruneMethod {
  kRandom,  // "random": each element pruned independently with probability s (rand < s).
  kL1Norm,  // "l1-norm": keep |v| > quantile(|v|, s) (strict, so ties at the threshold go).
};
enum class PruneScope {
  kLocal,   // "local": one threshold per layer (per forward input for activations).
  kGlobal,  // "global": one threshold over all target layers (activations: fixed, calibrated).
};

absl::StatusOr<PruneMethod> ParsePruneMethod(std::string_view name);  // exactly "l1-norm"/"random"
absl::StatusOr<PruneScope> ParsePruneScope(std::string_view name);    // "local"/"global"

// One section (weight or activation): what a prune stage does unless told otherwise (half of
// the elements by l1-norm, per layer). Only elementwise granularity exists (MASE's "channel" has
// no implementation).
struct PruningSection {
  double sparsity = 0.5;  // in [0, 1]
  PruneMethod method = PruneMethod::kL1Norm;
  PruneScope scope = PruneScope::kLocal;
};

// A section that prunes nothing: each element is dropped with probability 0.
inline constexpr PruningSection kNoPruning = {0.0, PruneMethod::kRandom, PruneScope::kLocal};

// Both sections, as in MASE (where both are required); a section left out prunes nothing.
struct PruningConfig {
  PruningSection weight = kNoPruning;
  PruningSection activation = kNoPruning;
};

// OK when both sparsities lie in [0, 1]; InvalidArgument naming the section otherwise.
absl::Status ValidatePruningConfig(const PruningConfig& config);

}  // namespace nasq

#endif  // NASQ_TASK_PRUNING_CONFIG_H_
