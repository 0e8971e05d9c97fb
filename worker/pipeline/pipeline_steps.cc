#include "worker/pipeline/pipeline_steps.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/status_macros.h"
#include "task/cost_model.h"
#include "worker/checkpoint/checkpoint.h"
#include "worker/pipeline/precision_config.h"
#include "worker/quant/cost.h"
#include "worker/quant/pruning.h"

namespace nasq {
namespace {

// An unset learning rate for a randomly initialised model (a checkpoint gets the trainer's).
constexpr double kScratchLearningRate = 1e-3;

}  // namespace

absl::StatusOr<torch::Device> ParseDevice(const std::string& name) {
  try {
    torch::Device device(name);
    if (device.is_cuda() && !torch::cuda::is_available()) {
      return absl::FailedPreconditionError(
          absl::StrCat("device ", name, " requested but CUDA is not available"));
    }
    if (!device.is_cpu() && !device.is_cuda()) {
      return absl::InvalidArgumentError(absl::StrCat("device ", name, ": expected cpu or cuda:K"));
    }
    return device;
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("device \"", name, "\": expected cpu, cuda or cuda:K"));
  }
}

absl::StatusOr<ModelPlan> PlanModel(const TaskSpec& spec, const PipelineOptions& options,
                                    PipelineCache& cache) {
  const ModelSpec& m = spec.model;
  ModelPlan plan;
  if (!m.checkpoint.empty()) {
    NASQ_ASSIGN_OR_RETURN(std::filesystem::path folder,
                          ResolveInputPath(m.checkpoint, "task.model.checkpoint", options.paths));
    NASQ_ASSIGN_OR_RETURN(plan.base, cache.GetCheckpoint(folder, options.max_model_params));
  }
  NASQ_ASSIGN_OR_RETURN(plan.data,
                        cache.GetData(spec, plan.base ? plan.base->vocab_path : "", options.paths));
  BertConfig& config = plan.config;
  if (plan.base) {
    config = plan.base->config;
    if (config.num_labels != plan.data->train.num_labels()) {
      return absl::InvalidArgumentError(
          absl::StrCat("task.model.checkpoint: the checkpoint classifies ", config.num_labels,
                       " labels but the dataset has ", plan.data->train.num_labels()));
    }
    if (plan.data->vocab_size > config.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("task.tokenizer: the vocabulary has ", plan.data->vocab_size,
                       " tokens but the checkpoint's embeddings only ", config.vocab_size));
    }
  } else {
    config.vocab_size = plan.data->vocab_size;
    config.num_attention_heads = m.num_heads.value_or(config.num_attention_heads);
    config.pad_token_id = plan.data->train.pad_id;
    config.num_labels = plan.data->train.num_labels();
  }
  if (m.dropout) {
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = *m.dropout;
  }
  // The architecture the cost model prices (task/cost_model.h).
  BertArchitecture architecture =
      TrialArchitecture(m, {config.Dimensions(), std::move(config.identity_layers)});
  config.SetDimensions(architecture.dimensions);
  config.identity_layers = std::move(architecture.identity_layers);
  if (spec.dataset.max_length > config.max_position_embeddings) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task.dataset.max_length (", spec.dataset.max_length,
        ") exceeds the model's max_position_embeddings (", config.max_position_embeddings, ")"));
  }
  if (absl::Status status = config.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("task.model: ", status.message()));
  }
  if (absl::Status size = CheckModelSize(config.Dimensions(), options.max_model_params);
      !size.ok()) {
    return absl::Status(size.code(), absl::StrCat("task.model: ", size.message()));
  }
  return plan;
}

absl::StatusOr<std::shared_ptr<BertForSequenceClassification>> CreatePlannedModel(
    const ModelPlan& plan, uint64_t init_seed, const torch::Device& device) {
  NASQ_ASSIGN_OR_RETURN(auto model, BertForSequenceClassification::Create(plan.config, init_seed));
  if (plan.base) NASQ_RETURN_IF_ERROR(LoadStateDict(*model, plan.base->weights).status());
  model->to(device);
  return model;
}

absl::StatusOr<std::map<size_t, QuantisationConfig>> PlanQuantisation(const TaskSpec& spec,
                                                                      const BertConfig& config) {
  std::map<size_t, QuantisationConfig> configs;
  for (size_t i = 0; i < spec.stages.size(); ++i) {
    if (spec.stages[i].kind != StageKind::kQuantise) continue;
    NASQ_ASSIGN_OR_RETURN(
        configs[i], BuildQuantisationConfig(spec.stages[i].quantise, config, StageFieldPath(i)));
  }
  return configs;
}

TrainOptions StageTrainOptions(const TaskSpec& spec, const TrainSettings& train,
                               const ComputeOptions& compute) {
  TrainOptions options;
  static_cast<TrainSettings&>(options) = train;
  if (!options.learning_rate && spec.model.checkpoint.empty()) {
    options.learning_rate = kScratchLearningRate;
  }
  options.compute = compute;
  return options;
}

absl::Status AddCostMetrics(BertForSequenceClassification& model, const PreparedData& data,
                            const TaskSpec& spec, const torch::Device& device,
                            PipelineMetrics& metrics) {
  const std::vector<int32_t>& ids = data.test.examples.front().input_ids;
  const int64_t length = spec.dataset.max_length;
  std::vector<int64_t> tiled(length);
  for (int64_t t = 0; t < length; ++t) tiled[t] = ids[t % ids.size()];
  try {
    torch::NoGradGuard no_grad;
    model.eval();
    const auto options = torch::TensorOptions().dtype(torch::kLong);
    torch::Tensor input = torch::tensor(tiled, options).unsqueeze(0).to(device);
    model.forward(input, torch::ones_like(input));
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("cost forward failed: ", e.what_without_backtrace()));
  }
  NASQ_ASSIGN_OR_RETURN(std::vector<LinearCostInput> layers, DescribeLinearLayers(model));
  NASQ_ASSIGN_OR_RETURN(ModelCost cost, ComputeModelCost(layers));
  NASQ_ASSIGN_OR_RETURN(SparsityReport sparsity, ReportSparsity(model));
  for (const auto& [name, value] : CostMetricValues(cost)) metrics[name] = value;
  metrics["activation_sparsity"] = sparsity.total_activation_sparsity;
  return absl::OkStatus();
}

void AddLabelledEvalMetrics(const std::string& label, const EvalMetrics& eval,
                            PipelineMetrics& metrics) {
  if (label.empty()) return;
  metrics["accuracy_" + label] = eval.accuracy;
  metrics["f1_" + label] = eval.f1;
  metrics["loss_" + label] = eval.loss;
}

void AddTimingMetrics(const TaskSpec& spec, const TrialTimes& times, PipelineMetrics& metrics) {
  metrics["train_seconds"] = times.train_seconds;
  metrics["eval_seconds"] = times.eval_seconds;
  metrics["samples_per_second"] =
      times.train_seconds > 0 ? times.trained_samples / times.train_seconds : 0.0;
  if (spec.evaluate_every_steps > 0) {
    metrics["intermediate_eval_seconds"] = times.intermediate_eval_seconds;
  }
}

absl::Status SaveTrialModel(BertForSequenceClassification& model, const TaskSpec& spec,
                            int64_t trial_number, const std::filesystem::path& vocab_path) {
  if (spec.save_path.empty()) return absl::OkStatus();
  const std::string trial = trial_number >= 0 ? absl::StrCat(trial_number) : "local";
  const std::string path = absl::StrReplaceAll(spec.save_path, {{"{trial}", trial}});
  return SaveHfCheckpoint(model, path, vocab_path, {.do_lower_case = spec.tokenizer.lower_case});
}

}  // namespace nasq
