// worker/app/once.h: `nasq-worker --once`: runs one trial locally, without a coordinator.
//
// Thread-safety: one RunOnce per process at a time (the pipeline's LibTorch use).
#ifndef NASQ_WORKER_APP_ONCE_H_
#define NASQ_WORKER_APP_ONCE_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "task/task_spec.h"
#include "worker/pipeline/task_pipeline.h"

namespace nasq {

// Reads a task from `path`: a study YAML (".yaml"/".yml", parsed and validated with the clients'
// reader; its `task` section is used) or a JSON file holding the task object. NotFound when the
// file cannot be read; the parsers' INVALID_ARGUMENT otherwise.
absl::StatusOr<TaskSpec> LoadTaskFile(const std::string& path);

// Loads the task, binds `params_json` (a JSON object of param -> value) and runs the pipeline,
// writing one line per finished stage to `log`. Returns the metrics.
absl::StatusOr<PipelineMetrics> RunOnce(const std::string& task_path,
                                        const std::string& params_json,
                                        const PipelineOptions& options, std::ostream& log);

// The metrics as one JSON object, keys sorted.
std::string MetricsToJson(const PipelineMetrics& metrics);

}  // namespace nasq

#endif  // NASQ_WORKER_APP_ONCE_H_
