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
  NASQ_ASSIGN_OR_RETURN(std::unique_ptr<Sampler> sampler, CreateSampler(spec));
  return BenchStudy(problem, std::move(spec), std::move(sampler));
}

BenchStudy::BenchStudy(const BenchProblem* problem, StudySpec spec,
                       std::unique_ptr<Sampler> sampler)
    : problem_(problem),
      spec_(std::move(spec)),
      sampler_(std::move(sampler)),
      best_(std::numeric_limits<double>::quiet_NaN()) {}

absl::StatusOr<double> BenchStudy::RunTrial() {
  SamplingContext ctx;
  ctx.spec = &spec_;
  ctx.history = history_;
  ctx.trial_number = static_cast<int64_t>(history_.size());
  NASQ_ASSIGN_OR_RETURN(InternalParams params, SampleTrial(*sampler_, ctx));
  const double value = problem_->Evaluate(params);
  Record(std::move(params), value);
  return value;
}

void BenchStudy::DropDistributions() {
  for (Trial& trial : history_) trial.distributions.clear();
}

void BenchStudy::Record(InternalParams params, double value) {
  Trial trial;
  trial.id = static_cast<int64_t>(history_.size());
  trial.study_id = 0;
  trial.number = trial.id;
  trial.state = TrialState::kComplete;
  for (const auto& [name, unused] : params) {
    trial.distributions.emplace(name, spec_.space.Find(name)->distribution);
  }
  trial.params = std::move(params);
  trial.values = {value};
  history_.push_back(std::move(trial));
  if (std::isnan(best_) || IsBetter(problem_->direction, value, best_)) best_ = value;
}

}  // namespace nasq::bench
