// pruner/threshold_pruner.cc: Optuna's ThresholdPruner (optuna/pruners/_threshold.py).
#include <cmath>

#include "pruner/pruners.h"

namespace nasq {
namespace {

class ThresholdPruner : public Pruner {
 public:
  explicit ThresholdPruner(const ThresholdPrunerOptions& options) : options_(options) {}

  PruneDecision ShouldPrune(const PruningContext& ctx) const override {
    const Trial& trial = *ctx.trial;
    const std::optional<int64_t> step = LastStep(trial);
    if (!step || *step < options_.n_warmup_steps) return {};
    if (!IsFirstInIntervalStep(*step, trial.intermediate_values, options_.n_warmup_steps,
                               options_.interval_steps)) {
      return {};
    }
    const double latest = trial.intermediate_values.at(*step);
    return {.prune = std::isnan(latest) || latest < options_.lower || latest > options_.upper};
  }

 private:
  const ThresholdPrunerOptions options_;
};

}  // namespace

std::unique_ptr<Pruner> MakeThresholdPruner(const ThresholdPrunerOptions& options) {
  return std::make_unique<ThresholdPruner>(options);
}

}  // namespace nasq
