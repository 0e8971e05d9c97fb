// core/pareto.h: multi-objective arithmetic over objective vectors: dominance, non-dominated
// sorting (with Optuna's constrained variant), crowding distance, the Pareto front, outcome
// constraints of a trial and the exact hypervolume.
//
// Everything works on "loss" vectors, where every objective is to be minimised: LossVector flips
// the objectives a study maximises. The semantics are those of Optuna 5 (docs/tpe.md section 8):
// optuna/study/_multi_objective.py (dominance, ranks, front),
// optuna/samplers/nsgaii/_elite_population_selection_strategy.py (crowding distance),
// optuna/study/_constrained_optimization.py (feasibility) and optuna/_hypervolume/wfg.py.
// Pure functions; thread-safe.
#ifndef NASQ_CORE_PARETO_H_
#define NASQ_CORE_PARETO_H_

#include <cstddef>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "core/trial.h"

namespace nasq {

// `values` with every maximised objective negated (one value per direction; NaN stays NaN).
std::vector<double> LossVector(std::span<const double> values,
                               const std::vector<StudyDirection>& directions);

// True when loss vector `a` is no worse than `b` in every objective and the two differ
// (Optuna's _dominates). Vectors of different sizes never dominate.
bool Dominates(std::span<const double> a, std::span<const double> b);

// The 0-based non-domination rank of every loss vector (0 = the Pareto front, 1 = the front once
// rank 0 is removed, ...); equal vectors share a rank. With one objective this is the dense rank
// of the values. O(n log n + n * front size) per front.
std::vector<int> NonDominationRanks(const std::vector<std::vector<double>>& losses);

// Optuna's constrained ranking (_fast_non_domination_rank with a penalty): the vectors whose
// penalty is <= 0 (feasible) are ranked by NonDominationRanks; the infeasible ones follow, ranked
// by their penalty alone (smaller first, equal penalties share a rank). `penalties` has one entry
// per vector.
std::vector<int> ConstrainedNonDominationRanks(const std::vector<std::vector<double>>& losses,
                                               const std::vector<double>& penalties);

// Indices of the loss vectors on the Pareto front (rank 0), ascending.
std::vector<size_t> ParetoFront(const std::vector<std::vector<double>>& losses);

// NSGA-II crowding distance of each point of `points` (all of one size), as Optuna computes it:
// per objective, points sorted by it get the gap between their two neighbours divided by the
// spread of the finite values (1 when that spread is not positive), the extremes count as
// infinitely far, inf - inf counts as 0, and an objective on which all points agree adds nothing.
std::vector<double> CrowdingDistances(const std::vector<std::vector<double>>& points);

// The order in which Optuna's _crowding_distance_sort leaves `points`: by crowding distance,
// larger first, ties in the order its in-place sorts leave them (stable sorts by each objective
// in turn, then by distance, then reversed). Selecting the first k of this order is NSGA-II's
// choice of k survivors from a front.
std::vector<size_t> CrowdingDistanceOrder(const std::vector<std::vector<double>>& points);

// The outcome constraints of a trial, as Optuna 5 stores them: system attrs "constraints:<name>"
// holding a number each (Trial.set_constraint), by name, and the older "constraints" holding an
// array of numbers (null: none). A trial is feasible when every value is <= 0; empty when the
// trial has none (which Optuna treats alike). INVALID_ARGUMENT naming the attr when one is not a
// number (or an array of numbers) or is NaN.
absl::StatusOr<std::vector<double>> TrialConstraints(const Trial& trial);

// Optuna's penalty: the sum of the positive constraint values (0 = feasible).
double ConstraintPenalty(std::span<const double> constraints);

// The role of each trial of a study with `directions` in Optuna 5's best_trials:
//  * kNone: not COMPLETE, or without one value per direction;
//  * kInfeasible: COMPLETE but violating its outcome constraints (ConstraintPenalty > 0), or
//    with constraints that cannot be read (TrialConstraints fails);
//  * kFront: feasible and on the Pareto front of the feasible trials (with one objective: every
//    trial tied for the best value);
//  * kDominated: the other feasible trials.
// A study where no trial has constraints has no infeasible trial, as in Optuna.
enum class ParetoRole { kNone, kInfeasible, kDominated, kFront };
std::vector<ParetoRole> ParetoRoles(std::span<const Trial> trials,
                                    const std::vector<StudyDirection>& directions);

// The exact hypervolume of the region that `losses` dominate, bounded by `reference` (all
// vectors of reference.size() objectives, minimisation). Points that do not dominate the
// reference point add nothing; an infinite reference coordinate gives +inf when any point counts
// (as Optuna). Two objectives: one sweep, O(n log n); three and more: slicing along the last
// objective down to the two-objective sweep, O(n^2 log n) for three and O(n^(d-1) log n) for d
// (exact, but meant for small fronts beyond three). INVALID_ARGUMENT for no objectives, a vector
// of another size, or a NaN.
absl::StatusOr<double> Hypervolume(const std::vector<std::vector<double>>& losses,
                                   std::span<const double> reference);

// The reference point Optuna's TPE derives from loss vectors (_get_reference_point): per
// objective max(1.1 w, 0.9 w) for the worst value w, and 1e-12 where that is 0. `losses` must
// not be empty.
std::vector<double> DefaultReferencePoint(const std::vector<std::vector<double>>& losses);

}  // namespace nasq

#endif  // NASQ_CORE_PARETO_H_
