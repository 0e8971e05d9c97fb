// server/trial_binding.h: a stored trial's params bound onto its study's task, for what the
// coordinator derives from the task a trial will run (its per-layer precision, its fusion key).
// Thread-safety: a pure function.
#ifndef NASQ_SERVER_TRIAL_BINDING_H_
#define NASQ_SERVER_TRIAL_BINDING_H_

#include "absl/status/statusor.h"
#include "core/trial.h"
#include "task/task_spec.h"

namespace nasq {

// `task` with `trial`'s params (their external values) bound (BindTrialParams).
// INVALID_ARGUMENT when a param has no external value ("params.<name>: ...") or does not bind.
absl::StatusOr<TaskSpec> BindTrialTask(const TaskSpec& task, const Trial& trial);

}  // namespace nasq

#endif  // NASQ_SERVER_TRIAL_BINDING_H_
