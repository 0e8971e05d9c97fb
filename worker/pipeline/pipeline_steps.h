// worker/pipeline/pipeline_steps.h: the steps of a bert-classify trial that the solo pipeline
// (task_pipeline.cc) and the fused one (fused_pipeline.cc) share, so both build, configure,
// measure and save a trial's model alike: the device, the model's config (random init or
// checkpoint), the quantise stages' configs, a stage's train options, the cost, evaluation and
// timing metrics and the save.
// Thread-safety: as RunTaskPipeline (LibTorch's global state); the PipelineCache may be shared.
#ifndef NASQ_WORKER_PIPELINE_PIPELINE_STEPS_H_
#define NASQ_WORKER_PIPELINE_PIPELINE_STEPS_H_

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "task/task_spec.h"
#include "worker/model/bert_model.h"
#include "worker/pipeline/base_checkpoint.h"
#include "worker/pipeline/pipeline_cache.h"
#include "worker/pipeline/task_pipeline.h"
#include "worker/quant/quant_config.h"
#include "worker/train/trainer.h"

namespace nasq {

// "cpu", "cuda" or "cuda:K" as a device; FailedPrecondition when CUDA is asked for but absent,
// InvalidArgument for anything else.
absl::StatusOr<torch::Device> ParseDevice(const std::string& name);

// What a trial's model is built from: the prepared data, the base checkpoint (null for a random
// init) and the checked config (the trial's architecture and Identity layers).
struct ModelPlan {
  std::shared_ptr<const PreparedData> data;
  std::shared_ptr<const BaseCheckpoint> base;
  BertConfig config;
};

// The plan of `spec`'s model (data and checkpoint through `cache`). INVALID_ARGUMENT naming the
// field when the checkpoint and data disagree or the architecture is invalid, RESOURCE_EXHAUSTED
// above options.max_model_params, the cache's errors.
absl::StatusOr<ModelPlan> PlanModel(const TaskSpec& spec, const PipelineOptions& options,
                                    PipelineCache& cache);

// A fresh model of `plan` initialised with `init_seed`, the checkpoint's weights loaded, on
// `device`.
absl::StatusOr<std::shared_ptr<BertForSequenceClassification>> CreatePlannedModel(
    const ModelPlan& plan, uint64_t init_seed, const torch::Device& device);

// The QuantisationConfig of every quantise stage of `spec` by stage index, for a model of
// `config`; INVALID_ARGUMENT naming the stage and layer (BuildQuantisationConfig).
absl::StatusOr<std::map<size_t, QuantisationConfig>> PlanQuantisation(const TaskSpec& spec,
                                                                      const BertConfig& config);

// The trainer's options for a train/finetune stage of `spec`: `train`'s settings, the scratch
// learning rate when none is set and the model is not a checkpoint, on `compute`.
TrainOptions StageTrainOptions(const TaskSpec& spec, const TrainSettings& train,
                               const ComputeOptions& compute);

// Adds the cost metrics (task/cost_metrics.h) and activation_sparsity of `model` (every Linear
// a QuantLinear), measured by one forward of a max_length sequence tiled from the first test
// example, to `metrics`. INTERNAL for a LibTorch failure.
absl::Status AddCostMetrics(BertForSequenceClassification& model, const PreparedData& data,
                            const TaskSpec& spec, const torch::Device& device,
                            PipelineMetrics& metrics);

// Adds an evaluate stage's labelled metrics (accuracy_<label>, f1_<label>, loss_<label>); none
// for an empty label.
void AddLabelledEvalMetrics(const std::string& label, const EvalMetrics& eval,
                            PipelineMetrics& metrics);

// Wall times and work of a trial, for its timing metrics.
struct TrialTimes {
  double train_seconds = 0;
  double eval_seconds = 0;
  double trained_samples = 0;
  double intermediate_eval_seconds = 0;
};

// Adds train_seconds, eval_seconds, samples_per_second and (with evaluate_every_steps)
// intermediate_eval_seconds.
void AddTimingMetrics(const TaskSpec& spec, const TrialTimes& times, PipelineMetrics& metrics);

// Saves `model` as an HF folder at spec.save_path with "{trial}" replaced by `trial_number`
// ("local" when negative) and the vocabulary `vocab_path`; OK without a save_path.
absl::Status SaveTrialModel(BertForSequenceClassification& model, const TaskSpec& spec,
                            int64_t trial_number, const std::filesystem::path& vocab_path);

}  // namespace nasq

#endif  // NASQ_WORKER_PIPELINE_PIPELINE_STEPS_H_
