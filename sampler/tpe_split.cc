// sampler/tpe_split.cc: see tpe_split.h.
#include "sampler/tpe_split.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/statusor.h"
#include "core/pareto.h"
#include "sampler/math_constants.h"
#include "sampler/tpe_hssp.h"

namespace nasq {
namespace {

// A value made "smaller is better"; NaN ranks after everything.
double MinimisationKey(double v, StudyDirection d) {
  if (std::isnan(v)) return kInf;
  return d == StudyDirection::kMaximize ? -v : v;
}

struct Ranked {
  double key0;
  double key1;
  int64_t number;
  int index;
  bool operator<(const Ranked& o) const {
    if (key0 != o.key0) return key0 < o.key0;
    if (key1 != o.key1) return key1 < o.key1;
    return number < o.number;
  }
};

// (-last step, last intermediate value) as in Optuna's pruned-trial ranking.
Ranked PrunedRank(const Trial& t, int index, StudyDirection d) {
  if (t.intermediate_values.empty()) return {1.0, 0.0, t.number, index};
  const auto& [step, value] = *t.intermediate_values.rbegin();
  return {-static_cast<double>(step), MinimisationKey(value, d), t.number, index};
}

// Moves the best `k` ranked entries to `out` (in rank order) and leaves the rest in `ranked`.
void TakeBest(std::vector<Ranked>& ranked, size_t k, std::vector<int>& out,
              std::vector<int>& rest) {
  k = std::min(k, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + k, ranked.end());
  for (size_t i = 0; i < ranked.size(); ++i) (i < k ? out : rest).push_back(ranked[i].index);
}

void SortByNumber(std::span<const Trial> history, std::vector<int>& indices) {
  std::sort(indices.begin(), indices.end(),
            [&](int a, int b) { return history[a].number < history[b].number; });
}

// Multi-objective selection of `k` best complete trials (see the header).
void TakeBestMultiObjective(std::span<const Trial> history, std::vector<int> complete,
                            const std::vector<StudyDirection>& directions, size_t k,
                            std::vector<int>& out, std::vector<int>& rest) {
  SortByNumber(history, complete);  // Optuna's order, which decides ties
  std::vector<std::vector<double>> points(complete.size());
  for (size_t i = 0; i < complete.size(); ++i) {
    const Trial& t = history[complete[i]];
    for (size_t m = 0; m < directions.size(); ++m) {
      points[i].push_back(MinimisationKey(t.values[m], directions[m]));
    }
  }
  std::vector<size_t> remaining(complete.size());
  for (size_t i = 0; i < remaining.size(); ++i) remaining[i] = i;
  size_t taken = 0;
  while (taken < k && !remaining.empty()) {
    std::vector<size_t> front, dominated;
    for (size_t a : remaining) {
      bool is_dominated = false;
      for (size_t b : remaining) {
        if (Dominates(points[b], points[a])) {
          is_dominated = true;
          break;
        }
      }
      (is_dominated ? dominated : front).push_back(a);
    }
    if (taken + front.size() > k) {
      std::vector<std::vector<double>> front_points;
      for (size_t a : front) front_points.push_back(points[a]);
      std::vector<bool> kept(front.size(), false);
      for (size_t i : SelectHypervolumeSubset(front_points, k - taken)) kept[i] = true;
      std::vector<size_t> below;
      for (size_t i = 0; i < front.size(); ++i) (kept[i] ? below : dominated).push_back(front[i]);
      front = std::move(below);
    }
    taken += front.size();
    for (size_t a : front) out.push_back(complete[a]);
    remaining = std::move(dominated);
  }
  for (size_t a : remaining) rest.push_back(complete[a]);
}

// Optuna 5's _get_infeasible_trial_score is the constraint penalty (0 without constraints); here
// +inf when they cannot be read (the server never stores such), which ranks the trial last.
// Adds history[index] = `t` to `infeasible`, ranked by that score, when the score is > 0.
bool TakeIfInfeasible(const Trial& t, int index, std::vector<Ranked>& infeasible) {
  const absl::StatusOr<std::vector<double>> c = TrialConstraints(t);
  const double score = c.ok() ? ConstraintPenalty(*c) : kInf;
  if (score <= 0.0) return false;
  infeasible.push_back({score, 0.0, t.number, index});
  return true;
}

}  // namespace

int DefaultGamma(int n) { return std::min(MultiObjectiveGamma(n), 25); }

int MultiObjectiveGamma(int n) { return (n + 9) / 10; }

double DefaultWeight(int i, int n) {
  if (n < 25) return 1.0;
  const int ramp = n - 25;  // linspace(1/n, 1, ramp)
  if (i >= ramp) return 1.0;
  if (ramp == 1) return 1.0 / n;
  if (i == ramp - 1) return 1.0;
  const double start = 1.0 / n;
  return start + i * ((1.0 - start) / (ramp - 1));
}

std::vector<double> DefaultWeights(int n) {
  std::vector<double> w(n);
  for (int i = 0; i < n; ++i) w[i] = DefaultWeight(i, n);
  return w;
}

std::vector<double> BelowWeights(int n, size_t n_objectives) {
  return n_objectives > 1 ? std::vector<double>(n, 1.0) : DefaultWeights(n);
}

TrialSplit SplitTrials(std::span<const Trial> history, int64_t current_number,
                       const std::vector<StudyDirection>& directions, bool constant_liar) {
  TrialSplit split;
  const StudyDirection first_direction =
      directions.empty() ? StudyDirection::kMinimize : directions[0];
  std::vector<int> complete;
  std::vector<Ranked> pruned;
  std::vector<Ranked> infeasible;
  for (int i = 0; i < static_cast<int>(history.size()); ++i) {
    const Trial& t = history[i];
    if (t.number == current_number) continue;
    switch (t.state) {
      case TrialState::kComplete:
        if (t.values.size() != directions.size() || directions.empty()) break;
        if (!TakeIfInfeasible(t, i, infeasible)) complete.push_back(i);
        break;
      case TrialState::kPruned:
        if (!TakeIfInfeasible(t, i, infeasible)) {
          pruned.push_back(PrunedRank(t, i, first_direction));
        }
        break;
      case TrialState::kRunning:
        if (constant_liar) split.above.push_back(i);
        break;
      case TrialState::kFail:
      case TrialState::kWaiting:
        break;
    }
  }
  split.n_finished = static_cast<int>(complete.size() + pruned.size() + infeasible.size());
  const size_t n_below = directions.size() > 1 ? MultiObjectiveGamma(split.n_finished)
                                               : DefaultGamma(split.n_finished);
  if (directions.size() == 1) {
    std::vector<Ranked> ranked;
    ranked.reserve(complete.size());
    for (int i : complete) {
      ranked.push_back(
          {MinimisationKey(history[i].values[0], first_direction), 0.0, history[i].number, i});
    }
    TakeBest(ranked, n_below, split.below, split.above);
  } else {
    TakeBestMultiObjective(history, std::move(complete), directions, n_below, split.below,
                           split.above);
  }
  TakeBest(pruned, n_below - std::min(n_below, split.below.size()), split.below, split.above);
  TakeBest(infeasible, n_below - std::min(n_below, split.below.size()), split.below, split.above);
  SortByNumber(history, split.below);
  SortByNumber(history, split.above);
  return split;
}

}  // namespace nasq
