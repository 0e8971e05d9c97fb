// bench/tpe/bench_study.cc: see bench_study.h.
#include "bench/tpe/bench_study.h"

#include <cmath>
#include <limits>
#include <utility>

#include "core/status_macros.h"

namespace nasq::bench {

absl::StatusOr<BenchStudy> BenchStudy::Create(const BenchProblem* problem, SamplerConfig config) {
  StudySpec spec;
  spec.name = "bench_" + problem->name;
  spec.directions = {problem->direction};
  spec.space = problem->space;
  spec.sampler = std::move(config);
  NASQ_ASSIGN_OR_RETURN(StudyLoop loop, StudyLoop::Create(std::move(spec)));
  return BenchStudy(problem, std::move(loop));
}

BenchStudy::BenchStudy(const BenchProblem* problem, StudyLoop loop)
    : problem_(problem), loop_(std::move(loop)), best_(std::numeric_limits<double>::quiet_NaN()) {}

absl::StatusOr<double> BenchStudy::RunTrial() {
  NASQ_ASSIGN_OR_RETURN(InternalParams params, loop_.Ask());
  const double value = problem_->Evaluate(params);
  Record(std::move(params), value);
  return value;
}

void BenchStudy::Record(InternalParams params, double value) {
  loop_.Tell(std::move(params), {value});
  if (std::isnan(best_) || IsBetter(problem_->direction, value, best_)) best_ = value;
}

}  // namespace nasq::bench
