// sampler/tpe_split.h: TPE's gamma, observation weights and below/above split of the history.
//
// Optuna 5.0 semantics (docs/tpe.md 1.1, 1.3 and 1.9):
//   * gamma(n) = min(ceil(0.1 n), 25) "below" trials, n = COMPLETE + PRUNED trials; ceil(0.1 n)
//     for multi-objective studies;
//   * weights(n): all ones for n < 25, else linspace(1/n, 1, n - 25) followed by 25 ones;
//     all ones for l(x) (the below trials) of a multi-objective study;
//   * below = the best COMPLETE trials (by value in the study direction), then if slots remain
//     the best PRUNED trials, ranked by (-last step, last intermediate value) (value negated
//     for maximize, NaN as +inf, no intermediate values = (1, 0) = worst);
//   * above = every other COMPLETE/PRUNED trial plus, with constant liar, every RUNNING trial
//     except the one being sampled (RUNNING trials do not count in n). FAIL and WAITING trials
//     are never used;
//   * outcome constraints (Optuna 5.1's _split_trials; system attrs "constraints:<name>" read by
//     core/pareto.h TrialConstraints): a COMPLETE or PRUNED trial whose penalty (the sum of its
//     positive constraint values) is > 0 is infeasible: it still counts in n but competes only
//     for the below slots that the feasible COMPLETE and then PRUNED trials leave, ranked by
//     penalty (smaller first, ties by number); the rest go above. A trial without constraints
//     is feasible, as in Optuna 5.
// Multi-objective studies rank COMPLETE trials by non-dominated sorting (objectives flipped to
// minimisation, NaN as +inf); whole fronts are taken while they fit in gamma(n) and the front
// that does not fit is cut by greedy hypervolume subset selection (tpe_hssp.h), as Optuna 5's
// _split_complete_trials_multi_objective does. Pruned trials are ranked with the first
// objective's direction. A COMPLETE trial whose number of values differs from the number of
// directions is ignored. Pure functions; thread-safe.
#ifndef NASQ_SAMPLER_TPE_SPLIT_H_
#define NASQ_SAMPLER_TPE_SPLIT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/study.h"
#include "core/trial.h"

namespace nasq {

// Optuna's default_gamma: min(ceil(0.1 n), 25).
int DefaultGamma(int n);

// Optuna 5.0's default_gamma_multiobjective: ceil(0.1 n).
int MultiObjectiveGamma(int n);

// The i-th of Optuna's default_weights(n) (0 <= i < n); index order is chronological.
double DefaultWeight(int i, int n);

// All of default_weights(n).
std::vector<double> DefaultWeights(int n);

// Weights of n below trials: all ones when `n_objectives` > 1 (Optuna 5.0), else DefaultWeights.
std::vector<double> BelowWeights(int n, size_t n_objectives);

struct TrialSplit {
  std::vector<int> below;  // indices into the history, sorted by trial number
  std::vector<int> above;  // indices into the history, sorted by trial number
  int n_finished = 0;      // COMPLETE + PRUNED trials (the n of gamma and n_startup_trials)
};

// Splits `history` (excluding the trial numbered `current_number`). `directions` has one entry
// per objective.
TrialSplit SplitTrials(std::span<const Trial> history, int64_t current_number,
                       const std::vector<StudyDirection>& directions, bool constant_liar);

}  // namespace nasq

#endif  // NASQ_SAMPLER_TPE_SPLIT_H_
