// bench/tpe/bench_study.h: the single-objective ask/tell loop of the TPE benchmarks over one
// BenchProblem (bench/common/study_loop.h with the problem's objective and the best value).
//
// Thread-safety: not thread-safe; one BenchStudy per thread.
#ifndef NASQ_BENCH_TPE_BENCH_STUDY_H_
#define NASQ_BENCH_TPE_BENCH_STUDY_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/common/study_loop.h"
#include "bench/tpe/problems.h"
#include "core/study.h"
#include "core/trial.h"

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

  // Pre-allocates room for `n` trials.
  void Reserve(size_t n) { loop_.Reserve(n); }

  // Best value recorded so far; NaN before the first trial.
  double best() const { return best_; }
  const std::vector<Trial>& history() const { return loop_.history(); }

 private:
  BenchStudy(const BenchProblem* problem, StudyLoop loop);

  const BenchProblem* problem_;
  StudyLoop loop_;
  double best_;
};

}  // namespace nasq::bench

#endif  // NASQ_BENCH_TPE_BENCH_STUDY_H_
