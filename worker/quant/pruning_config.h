// worker/quant/pruning_config.h: the pruning pass settings (docs/quantisation.md section 4).
//
// MASE's `{"weight": {...}, "activation": {...}}` config: each section has a scalar sparsity, a
// method (random | l1-norm), a scope (local | global) and a granularity (only elementwise).
// Thread-safety: plain value types.
#ifndef NASQ_WORKER_QUANT_PRUNING_CONFIG_H_
#define NASQ_WORKER_QUANT_PRUNING_CONFIG_H_

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

// One section (weight or activation). Defaults are MASE's: sparsity 0 with random/local.
// Only elementwise granularity exists (MASE's "channel" has no implementation).
struct PruningSection {
  double sparsity = 0.0;  // in [0, 1]
  PruneMethod method = PruneMethod::kRandom;
  PruneScope scope = PruneScope::kLocal;
};

// Both sections, as in MASE (where both are required).
struct PruningConfig {
  PruningSection weight;
  PruningSection activation;
};

// OK when both sparsities lie in [0, 1]; InvalidArgument naming the section otherwise.
absl::Status ValidatePruningConfig(const PruningConfig& config);

}  // namespace nasq

#endif  // NASQ_WORKER_QUANT_PRUNING_CONFIG_H_
