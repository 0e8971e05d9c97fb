// server/task_validation.h: the check CreateStudy runs on a study's task section, chosen by the
// task's kind.
//
// The task section is JSON whose "kind" names the worker task that runs the study's trials.
// A kind with a registered validator is checked in full against the study's space and metrics
// (bert-classify: task/study_validation.h), so a typo is refused before any trial runs. A task
// without a kind (`{}`, the studies of ask/tell clients) and kinds no validator knows (a custom
// worker advertises its own task kinds) are stored unchecked.
// Thread-safety: pure functions.
#ifndef NASQ_SERVER_TASK_VALIDATION_H_
#define NASQ_SERVER_TASK_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "core/study.h"

namespace nasq {

// The "kind" string of the task JSON text `task_json`; "" when it has none (or is not an object).
std::string TaskKindOf(const std::string& task_json);

// OK when no validator is registered for the task's kind or it accepts `spec`; otherwise its
// INVALID_ARGUMENT naming the field ("task.stages[1].warmup: unknown field ...",
// "space.params.num_layerz: binds to no task field ...", "metric_names[0] 'acuracy' is not
// produced by the task; ...").
absl::Status ValidateStudyTask(const StudySpec& spec);

}  // namespace nasq

#endif  // NASQ_SERVER_TASK_VALIDATION_H_
