// worker/pipeline/task_pipeline.h: runs one bert-classify trial: data -> tokenizer -> model
// (random init or checkpoint, Identity layer choices) -> the task's stages in order (quantise,
// train/QAT, prune, finetune, evaluate) -> final evaluation -> cost metrics -> optional save.
//
// The spec must already carry the trial's params (BindTrialParams). Every stage is checked
// before any training starts (e.g. a quantise config naming a layer the model does not have),
// so bad trials fail in seconds. The header is LibTorch-free.
// Thread-safety: RunTaskPipeline uses LibTorch's global thread count and RNG (like the trainer),
// so run one pipeline per process at a time; the PipelineCache may be shared.
#ifndef NASQ_WORKER_PIPELINE_TASK_PIPELINE_H_
#define NASQ_WORKER_PIPELINE_TASK_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "task/model_size.h"
#include "task/task_spec.h"
#include "worker/pipeline/data_preparation.h"
#include "worker/pipeline/pipeline_cache.h"

namespace nasq {

struct PipelineOptions {
  // "cpu" (default), "cuda" or "cuda:K".
  std::string device = "cpu";
  // LibTorch intra-op threads; 0 = all cores (default).
  int num_threads = 0;
  // Where relative input paths are found and built vocabularies are written.
  DataPaths paths;
  // Replaces "{trial}" in the task's save_path (default -1: "{trial}" is kept as "local").
  int64_t trial_number = -1;
  // Largest model built, in parameters (BertParameterCount): a larger random-init or checkpoint
  // architecture fails the trial with RESOURCE_EXHAUSTED before anything is allocated.
  int64_t max_model_params = kDefaultMaxModelParams;
  // Polled after every training step; returning true cancels the trial there (CANCELLED), so a
  // stop takes effect within one step, not one progress period (default none).
  std::function<bool()> cancel_requested;
  // Asked when the trial was cancelled (by the progress callback or cancel_requested): true means
  // the study's pruner stopped it. The pipeline then applies the quantise and prune stages it
  // has not run yet, without training, and returns the cost metrics of that model and the
  // timings (no accuracy) instead of CANCELLED, so that the PRUNED trial keeps them. Default
  // none: a cancel always returns CANCELLED.
  std::function<bool()> pruned;
};

// What the pipeline is doing, passed to the progress callback.
struct PipelineProgress {
  std::string stage;     // StageKindName of the running stage, or "prepare"
  int stage_index = -1;  // 0-based index into TaskSpec::stages (-1 while preparing)
  int num_stages = 0;
  // true once per stage when it has finished; `value` is then the test accuracy after it (NaN
  // when the stage was not evaluated). false during training: `step` is the optimizer step and
  // `value` the mean training loss since the previous report.
  bool stage_done = false;
  int64_t step = 0;
  double value = 0.0;
  double fraction = 0.0;  // of the whole pipeline, 0..1 (approximate)
  // true when `value` is an intermediate value for the study's pruner (reported unless NaN): the
  // test accuracy after a stage (stage_done; step = stage index) when the task's
  // evaluate_every_steps is 0, else the accuracy of an evaluate_every_steps evaluation (not
  // stage_done; step = the global optimizer step) whose wall time is `eval_seconds`.
  bool intermediate = false;
  double eval_seconds = 0.0;
};

// Returning false cancels the trial: the pipeline stops at the next step and returns CANCELLED.
using PipelineProgressFn = std::function<bool(const PipelineProgress&)>;

// Metric name -> value (the names of ProducedMetricNames(spec)).
using PipelineMetrics = std::map<std::string, double>;

// Runs the trial. Errors: INVALID_ARGUMENT for anything wrong with the spec or data (naming the
// field or layer), NOT_FOUND for missing files, RESOURCE_EXHAUSTED for a model larger than
// options.max_model_params, CANCELLED when `progress` returned false, INTERNAL for LibTorch
// failures (message included).
absl::StatusOr<PipelineMetrics> RunTaskPipeline(const TaskSpec& spec,
                                                const PipelineOptions& options,
                                                PipelineCache& cache,
                                                const PipelineProgressFn& progress = nullptr);

}  // namespace nasq

#endif  // NASQ_WORKER_PIPELINE_TASK_PIPELINE_H_
