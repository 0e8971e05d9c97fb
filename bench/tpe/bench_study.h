// bench/tpe/bench_study.h: a minimal in-process ask/tell loop over one BenchProblem.
//
// The benchmarks drive samplers the way the coordinator does (sampler/sampler.h SampleTrial on
// the study's history, then a COMPLETE trial appended), without storage or RPC, so the figures
// measure the sampler alone.
//
// Thread-safety: not thread-safe; one BenchStudy per thread.
#ifndef NASQ_BENCH_TPE_BENCH_STUDY_H_
#define NASQ_BENCH_TPE_BENCH_STUDY_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/tpe/problems.h"
#include "core/study.h"
#include "core/trial.h"
#include "sampler/sampler.h"

namespace nasq::bench {

class BenchStudy {
 public:
  // A single-objective study of `problem` (which must outlive it) sampled as `config` says
  // (kind, seed, TPE options, skip_duplicates). Errors from CreateSampler.
  static absl::StatusOr<BenchStudy> Create(const BenchProblem* problem, SamplerConfig config);

  // One ask/tell round: samples the next trial, evaluates the problem, records the trial as
  // COMPLETE. Returns the value; sampler errors are passed through.
  absl::StatusOr<double> RunTrial();

  // Records a COMPLETE trial with `params` (a complete assignment of the space, internal
  // values) and `value` without asking the sampler; for synthetic histories.
  void Record(InternalParams params, double value);

  // Clears the distributions of every recorded trial (each trial holds its own copy of its
  // params' distributions, as core/trial.h says; the samplers read the spec's), so that the
  // memory bench can measure their share of the history.
  void DropDistributions();

  // Pre-allocates room for `n` trials.
  void Reserve(size_t n) { history_.reserve(n); }

  // Best value recorded so far; NaN before the first trial.
  double best() const { return best_; }
  const std::vector<Trial>& history() const { return history_; }

 private:
  BenchStudy(const BenchProblem* problem, StudySpec spec, std::unique_ptr<Sampler> sampler);

  const BenchProblem* problem_;
  StudySpec spec_;
  std::unique_ptr<Sampler> sampler_;
  std::vector<Trial> history_;
  double best_;
};

}  // namespace nasq::bench

#endif  // NASQ_BENCH_TPE_BENCH_STUDY_H_
