// bench/pruners/pruned_study.h: one study of the learning-curve surrogate run through the
// coordinator's StudyManager (in-memory storage, fake clock) by simulated workers, for the
// pruner benchmark.
//
// It does what nasq-worker does with a trial: ask for it, report the loss after every training
// step (ReportIntermediate, step = the step number, 1-based), finish it PRUNED as soon as the
// server answers prune, COMPLETE with the final loss after max_steps steps. `workers` workers
// take turns one step at a time (worker 0's step, worker 1's step, ...), so with more than one
// the pruner and the sampler see the other workers' RUNNING trials, as in a parallel study; an
// idle worker asks for the next trial until `trials` trials have been started. The fake clock
// moves 1 ms per step, so trials finish in a well-defined order.
//
// Thread-safety: RunPrunedStudy is reentrant (each call owns its manager and storage).
#ifndef NASQ_BENCH_PRUNERS_PRUNED_STUDY_H_
#define NASQ_BENCH_PRUNERS_PRUNED_STUDY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "bench/pruners/learning_curve.h"
#include "core/pruner_config.h"
#include "core/study.h"

namespace nasq::bench {

struct PrunedStudyOptions {
  SamplerConfig sampler;  // its seed also seeds the noise of every trial's curve
  PrunerConfig pruner;
  int trials = 100;     // trials started
  int max_steps = 100;  // steps of a trial that is not pruned
  int workers = 1;
};

struct PrunedStudyResult {
  int64_t steps = 0;  // training steps spent over all trials
  double best = 0.0;  // the best final loss of a COMPLETE trial
  int pruned = 0;     // trials that ended PRUNED
};

// Runs the study. Errors from the StudyManager (e.g. an invalid spec: INVALID_ARGUMENT) are
// passed through; INTERNAL when no trial completed.
absl::StatusOr<PrunedStudyResult> RunPrunedStudy(const LearningCurveSurrogate& surrogate,
                                                 const PrunedStudyOptions& options);

}  // namespace nasq::bench

#endif  // NASQ_BENCH_PRUNERS_PRUNED_STUDY_H_
