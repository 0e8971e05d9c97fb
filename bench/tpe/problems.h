// bench/tpe/problems.h: the problems of the TPE benchmarks, the C++ twin of problems.py.
//
// Quality problems (bench_tpe_quality): 5-D Sphere, Rosenbrock and Styblinski-Tang (minimise)
// and "nas_table", a deterministic synthetic accuracy table over a BERT-like architecture
// (maximise), and "nas_conditional", a conditional synthetic accuracy table over a network of 1-6
// layers with a quantisation format and width per layer (params of layers beyond the depth are
// inactive; maximise). Speed problem (bench_tpe_speed): the 46-parameter space of the seed labs
// with a deterministic synthetic objective. The formulas are documented once, in README.md;
// problems.py implements the same ones for Optuna, and bench_tpe_quality checks that both agree on
// the points Optuna evaluated.
//
// Thread-safety: BenchProblem is an immutable value; Evaluate is a pure function.
#ifndef NASQ_BENCH_TPE_PROBLEMS_H_
#define NASQ_BENCH_TPE_PROBLEMS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/distribution.h"
#include "core/search_space.h"
#include "core/study.h"

namespace nasq::bench {

struct BenchProblem {
  std::string name;
  StudyDirection direction = StudyDirection::kMinimize;
  SearchSpace space;
  // The objective; `params` must hold every active param of `space` (and no inactive one) with
  // a value it contains.
  std::function<double(const ExternalParams& params)> objective;
  // The best value over the whole space, for the finite problems; nullopt for continuous ones.
  std::optional<double> optimum;

  // Converts internal values (as a sampler returns them: the active params) to external ones
  // and evaluates.
  double Evaluate(const InternalParams& internal) const;
};

// True when `a` is a better objective value than `b` under `direction`.
bool IsBetter(StudyDirection direction, double a, double b);

// "sphere", "rosenbrock", "styblinski_tang", "nas_table", "nas_conditional".
std::vector<std::string> QualityProblemNames();

// The quality problem called `name`; INVALID_ARGUMENT listing the known names otherwise.
absl::StatusOr<BenchProblem> MakeQualityProblem(const std::string& name);

// The 46-param seed-lab space (4 architecture categoricals + 14 layers x {type, width,
// frac_width}) with its synthetic objective (maximise).
BenchProblem MakeSpeedProblem();

}  // namespace nasq::bench

#endif  // NASQ_BENCH_TPE_PROBLEMS_H_
