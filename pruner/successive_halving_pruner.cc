// pruner/successive_halving_pruner.cc: Optuna's SuccessiveHalvingPruner, asynchronous successive
// halving (optuna/pruners/_successive_halving.py).
//
// A trial that reaches the step of rung k (min_resource * reduction_factor ^
// (min_early_stopping_rate + k)) records its value there as system attr "completed_rung_<k>"
// and competes with the values that the other trials recorded at that rung: it goes on when it
// is in the top 1 / reduction_factor of them, else it is pruned.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "pruner/pruners.h"

namespace nasq {
namespace {

std::string CompletedRungKey(int rung) { return absl::StrCat("completed_rung_", rung); }

// The first rung the trial has not completed.
int CurrentRung(const Trial& trial) {
  int rung = 0;
  while (trial.system_attrs.contains(CompletedRungKey(rung))) ++rung;
  return rung;
}

// min_resource * reduction_factor ^ exponent, saturating at int64's maximum (Python's integers
// do not overflow; no step reaches the saturated value).
int64_t RungPromotionStep(int64_t min_resource, int64_t reduction_factor, int64_t exponent) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t step = min_resource;
  for (int64_t i = 0; i < exponent; ++i) {
    if (step > kMax / reduction_factor) return kMax;
    step *= reduction_factor;
  }
  return step;
}

// Optuna's _is_trial_promotable_to_next_rung; `competing` includes `value`.
bool IsPromotable(double value, std::vector<double> competing, int reduction_factor,
                  StudyDirection direction) {
  int64_t promotable_idx = static_cast<int64_t>(competing.size()) / reduction_factor - 1;
  // Optuna cannot suspend trials: the first reduction_factor - 1 go on when they are the best.
  if (promotable_idx == -1) promotable_idx = 0;
  std::sort(competing.begin(), competing.end());
  if (direction == StudyDirection::kMaximize) {
    return value >= competing[competing.size() - 1 - promotable_idx];
  }
  return value <= competing[promotable_idx];
}

class SuccessiveHalvingPruner : public Pruner {
 public:
  explicit SuccessiveHalvingPruner(const SuccessiveHalvingPrunerOptions& options)
      : options_(options) {}

  PruneDecision ShouldPrune(const PruningContext& ctx) const override {
    SuccessiveHalvingPrunerOptions options = options_;
    if (options.min_resource == 0) {  // auto (Optuna's _estimate_min_resource)
      const Trial* first = FirstCompleteWithSteps(ctx.history);
      if (first == nullptr) return {};
      options.min_resource = static_cast<int>(
          std::clamp<int64_t>(*LastStep(*first) / 100, 1, std::numeric_limits<int>::max()));
    }
    return SuccessiveHalving(ctx, options, [](const Trial&) { return true; });
  }

 private:
  const SuccessiveHalvingPrunerOptions options_;
};

}  // namespace

PruneDecision SuccessiveHalving(const PruningContext& ctx,
                                const SuccessiveHalvingPrunerOptions& options,
                                const std::function<bool(const Trial&)>& member) {
  const Trial& trial = *ctx.trial;
  const std::optional<int64_t> step = LastStep(trial);
  if (!step) return {};
  int rung = CurrentRung(trial);
  const double value = trial.intermediate_values.at(*step);
  PruneDecision decision;
  while (true) {
    const int64_t promotion_step =
        RungPromotionStep(options.min_resource, options.reduction_factor,
                          int64_t{options.min_early_stopping_rate} + rung);
    if (*step < promotion_step) return decision;
    if (std::isnan(value)) {
      decision.prune = true;
      return decision;
    }
    const std::string rung_key = CompletedRungKey(rung);
    decision.system_attrs[rung_key] = AttrDouble(value);
    std::vector<double> competing;
    for (const Trial& t : ctx.history) {
      if (t.number == trial.number || !member(t)) continue;
      auto it = t.system_attrs.find(rung_key);
      if (it == t.system_attrs.end()) continue;
      if (std::optional<double> v = ParseAttrDouble(it->second)) competing.push_back(*v);
    }
    competing.push_back(value);
    // `competing` includes this trial, hence <=.
    if (static_cast<int64_t>(competing.size()) <= options.bootstrap_count ||
        !IsPromotable(value, std::move(competing), options.reduction_factor, ctx.direction)) {
      decision.prune = true;
      return decision;
    }
    ++rung;
  }
}

std::unique_ptr<Pruner> MakeSuccessiveHalvingPruner(const SuccessiveHalvingPrunerOptions& options) {
  return std::make_unique<SuccessiveHalvingPruner>(options);
}

}  // namespace nasq
