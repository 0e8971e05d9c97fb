// bench/mo/problems.h: the multi-objective problems of bench_mo_quality, the C++ twin of
// problems.py.
//
// ZDT1 and ZDT2 (2 objectives, minimised), DTLZ2 with 3 objectives (minimised) and
// "mixed_precision", a deterministic surrogate of per-layer number formats (accuracy maximised,
// average bits per weight minimised). Each problem carries the fixed reference point of its
// hypervolume. The formulas, dimensions and reference points are documented once, in README.md;
// problems.py implements the same ones for Optuna, and bench_mo_quality checks that both agree
// on the points Optuna evaluated.
//
// Thread-safety: MoProblem is an immutable value; Evaluate is a pure function.
#ifndef NASQ_BENCH_MO_PROBLEMS_H_
#define NASQ_BENCH_MO_PROBLEMS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/search_space.h"
#include "core/study.h"

namespace nasq::bench {

struct MoProblem {
  std::string name;
  std::vector<StudyDirection> directions;
  SearchSpace space;
  // The objective values, one per direction; `params` must hold every param of `space`.
  std::function<std::vector<double>(const ExternalParams& params)> objective;
  // The hypervolume's reference point in loss space (core/pareto.h LossVector: maximised
  // objectives negated), one coordinate per objective.
  std::vector<double> reference;

  // Converts internal values (as a sampler returns them) to external ones and evaluates.
  std::vector<double> Evaluate(const InternalParams& internal) const;

  // The hypervolume (core/pareto.h Hypervolume, against `reference`) of the objective values of
  // the first `count` entries of `values` (all of them when there are fewer). Errors from
  // Hypervolume (a vector of the wrong size, a NaN).
  absl::StatusOr<double> HypervolumeOfFirst(const std::vector<std::vector<double>>& values,
                                            size_t count) const;
};

// "zdt1", "zdt2", "dtlz2", "mixed_precision".
std::vector<std::string> MoProblemNames();

// The problem called `name`; INVALID_ARGUMENT listing the known names otherwise.
absl::StatusOr<MoProblem> MakeMoProblem(const std::string& name);

}  // namespace nasq::bench

#endif  // NASQ_BENCH_MO_PROBLEMS_H_
