// bench/common/study_loop.h: a minimal in-process ask/tell loop over one study.
//
// The benchmarks drive samplers the way the coordinator does (sampler/sampler.h SampleTrial on
// the study's history, then a COMPLETE trial appended), without storage or RPC, so the figures
// measure the sampler alone. Single- and multi-objective studies alike.
//
// Thread-safety: not thread-safe; one StudyLoop per thread.
#ifndef NASQ_BENCH_COMMON_STUDY_LOOP_H_
#define NASQ_BENCH_COMMON_STUDY_LOOP_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/distribution.h"
#include "core/search_space.h"
#include "core/study.h"
#include "core/trial.h"
#include "core/trial_distributions.h"
#include "sampler/sampler.h"

namespace nasq::bench {

// The external values (as an objective sees them) of the params in `internal` (internal values
// of params of `space`, as a sampler returns them); names that `space` lacks are skipped.
ExternalParams ToExternalParams(const SearchSpace& space, const InternalParams& internal);

class StudyLoop {
 public:
  // A study of `spec` (its directions, space and sampler; validated by CreateSampler, whose
  // errors are passed through).
  static absl::StatusOr<StudyLoop> Create(StudySpec spec);

  // Samples the params of the next trial from the history; sampler errors are passed through.
  absl::StatusOr<InternalParams> Ask();

  // Records a COMPLETE trial with `params` (active params of the space, internal values) and
  // `values` (one per objective). Also for synthetic histories that no sampler proposed. The
  // trial's distributions are shared with the other trials' as the coordinator shares them
  // (DistributionsInterner::FromSpace).
  void Tell(InternalParams params, std::vector<double> values);

  // Pre-allocates room for `n` trials.
  void Reserve(size_t n) { history_.reserve(n); }

  const StudySpec& spec() const { return spec_; }
  const std::vector<Trial>& history() const { return history_; }

 private:
  StudyLoop(StudySpec spec, std::unique_ptr<Sampler> sampler)
      : spec_(std::move(spec)), sampler_(std::move(sampler)) {}

  StudySpec spec_;
  std::unique_ptr<Sampler> sampler_;
  std::vector<Trial> history_;
  DistributionsInterner distributions_;  // shared by the trials of history_
};

}  // namespace nasq::bench

#endif  // NASQ_BENCH_COMMON_STUDY_LOOP_H_
