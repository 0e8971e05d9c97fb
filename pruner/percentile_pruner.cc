// pruner/percentile_pruner.cc: Optuna's PercentilePruner and MedianPruner
// (optuna/pruners/_percentile.py, _median.py).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "pruner/pruners.h"

namespace nasq {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// numpy.nanpercentile(values, percentile) with the default linear method: NaN dropped, then
// numpy's _lerp between the neighbours of the virtual index (n - 1) * percentile / 100.
double NanPercentile(std::vector<double> values, double percentile) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double virtual_index = static_cast<double>(values.size() - 1) * (percentile / 100.0);
  const double previous = std::floor(virtual_index);
  const size_t lo = static_cast<size_t>(previous);
  const size_t hi = std::min(lo + 1, values.size() - 1);
  const double t = virtual_index - previous;
  const double a = values[lo];
  const double b = values[hi];
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

class PercentilePruner : public Pruner {
 public:
  explicit PercentilePruner(const PercentilePrunerOptions& options) : options_(options) {}

  PruneDecision ShouldPrune(const PruningContext& ctx) const override {
    std::vector<const Trial*> completed;
    for (const Trial& t : ctx.history) {
      if (t.state == TrialState::kComplete) completed.push_back(&t);
    }
    const int64_t n_trials = static_cast<int64_t>(completed.size());
    if (n_trials == 0 || n_trials < options_.n_startup_trials) return {};
    const Trial& trial = *ctx.trial;
    const std::optional<int64_t> step = LastStep(trial);
    if (!step || *step < options_.n_warmup_steps) return {};
    if (!IsFirstInIntervalStep(*step, trial.intermediate_values, options_.n_warmup_steps,
                               options_.interval_steps)) {
      return {};
    }
    std::vector<double> own;
    for (const auto& [s, value] : trial.intermediate_values) own.push_back(value);
    const double best = NanBest(own, ctx.direction);
    if (std::isnan(best)) return {.prune = true};
    const double p = PercentileOverTrials(completed, *step, ctx.direction);
    if (std::isnan(p)) return {};
    return {.prune = ctx.direction == StudyDirection::kMaximize ? best < p : best > p};
  }

 private:
  // Optuna's _get_percentile_intermediate_result_over_trials: the percentile (mirrored when
  // maximising) of the completed trials' values at `step`; NaN with fewer than n_min_trials
  // values or only NaN.
  double PercentileOverTrials(const std::vector<const Trial*>& completed, int64_t step,
                              StudyDirection direction) const {
    std::vector<double> values;
    for (const Trial* t : completed) {
      if (auto it = t->intermediate_values.find(step); it != t->intermediate_values.end()) {
        values.push_back(it->second);
      }
    }
    const bool all_nan =
        std::all_of(values.begin(), values.end(), [](double v) { return std::isnan(v); });
    if (static_cast<int64_t>(values.size()) < options_.n_min_trials || all_nan) return kNaN;
    double percentile = options_.percentile;
    if (direction == StudyDirection::kMaximize) percentile = 100 - percentile;
    return NanPercentile(std::move(values), percentile);
  }

  const PercentilePrunerOptions options_;
};

}  // namespace

std::unique_ptr<Pruner> MakePercentilePruner(const PercentilePrunerOptions& options) {
  return std::make_unique<PercentilePruner>(options);
}

}  // namespace nasq
