// task/study_validation.h: checks a whole `bert-classify` study (its task section against its
// search space and objectives) before any trial runs, so that a typo is refused at study
// creation instead of failing every trial on the workers. The coordinator calls it from
// CreateStudy; workers run the same parser and binder (task_spec.h, param_binding.h).
// Thread-safety: pure functions.
#ifndef NASQ_TASK_STUDY_VALIDATION_H_
#define NASQ_TASK_STUDY_VALIDATION_H_

#include "absl/status/status.h"
#include "core/study.h"

namespace nasq {

// OK when a worker can run `study`'s trials as far as the spec alone decides:
//   * task_json parses as a bert-classify task (every field known, every value in range):
//     ParseTaskSpec's error, e.g. "task.stages[1].warmup: unknown field (...)";
//   * every space param binds to a task field at its bounds (low and high) or at every choice:
//     "space.params.num_layerz: binds to no task field (...)",
//     "space.params.prune.sparsity: expected a number in [0, 1], got 1.5";
//   * every objective metric is produced by the task:
//     "metric_names[0] 'acuracy' is not produced by the task; it produces: accuracy, f1, ...".
// Rules that depend on a combination of params (num_heads must divide hidden_size) or on the
// worker (files, the model size limit) are checked when a trial runs. All errors are
// INVALID_ARGUMENT naming the field.
absl::Status ValidateBertClassifyStudy(const StudySpec& study);

}  // namespace nasq

#endif  // NASQ_TASK_STUDY_VALIDATION_H_
