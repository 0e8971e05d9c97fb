#include "worker/pipeline/task_pipeline.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/status_macros.h"
#include "task/cost_model.h"
#include "worker/checkpoint/checkpoint.h"
#include "worker/model/bert_quantisation.h"
#include "worker/pipeline/base_checkpoint.h"
#include "worker/pipeline/precision_config.h"
#include "worker/quant/cost.h"
#include "worker/quant/pruning.h"
#include "worker/text/device_dataset.h"
#include "worker/train/trainer.h"

namespace nasq {
namespace {

using Clock = std::chrono::steady_clock;
using Model = BertForSequenceClassification;

// An unset learning rate for a randomly initialised model (a checkpoint gets the trainer's).
constexpr double kScratchLearningRate = 1e-3;
constexpr int kCalibrationBatches = 4;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

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

// Everything one run needs, so that stages are small methods.
class PipelineRun {
 public:
  PipelineRun(const TaskSpec& spec, const PipelineOptions& options, PipelineCache& cache,
              const PipelineProgressFn& progress)
      : spec_(spec), options_(options), cache_(cache), progress_(progress) {}

  absl::StatusOr<PipelineMetrics> Run() {
    NASQ_ASSIGN_OR_RETURN(compute_.device, ParseDevice(options_.device));
    compute_.num_threads = options_.num_threads;
    NASQ_RETURN_IF_ERROR(Report({.stage = "prepare"}));
    NASQ_RETURN_IF_ERROR(BuildModel());
    NASQ_RETURN_IF_ERROR(PlanQuantisation());
    const auto compression = CompressionRange(spec_);
    for (size_t i = 0; i < spec_.stages.size(); ++i) {
      if (compression && i == compression->first) {
        NASQ_ASSIGN_OR_RETURN(EvalMetrics before, CurrentEval());
        metrics_["accuracy_before_compression"] = before.accuracy;
      }
      if (absl::Status stage = RunStage(i); !stage.ok()) {
        if (absl::IsCancelled(stage) && options_.pruned && options_.pruned()) {
          return PrunedMetrics();
        }
        return stage;
      }
      if (compression && i + 1 == compression->second) {
        NASQ_ASSIGN_OR_RETURN(EvalMetrics after, CurrentEval());
        metrics_["accuracy_after_compression"] = after.accuracy;
      }
    }
    NASQ_ASSIGN_OR_RETURN(EvalMetrics final_eval, CurrentEval());
    metrics_["accuracy"] = final_eval.accuracy;
    metrics_["f1"] = final_eval.f1;
    metrics_["loss"] = final_eval.loss;
    NASQ_RETURN_IF_ERROR(AddCostMetrics());
    AddTimingMetrics();
    NASQ_RETURN_IF_ERROR(Save());
    return metrics_;
  }

 private:
  // The metrics of a pruned trial: the quantise and prune stages not started yet are applied
  // without training (they decide what the cost metrics measure), then the cost metrics and
  // timings are added to the metrics gathered so far.
  absl::StatusOr<PipelineMetrics> PrunedMetrics() {
    for (size_t i = stages_started_; i < spec_.stages.size(); ++i) {
      const StageSpec& stage = spec_.stages[i];
      if (stage.kind == StageKind::kQuantise) NASQ_RETURN_IF_ERROR(QuantiseStage(i));
      if (stage.kind == StageKind::kPrune) NASQ_RETURN_IF_ERROR(PruneStage(stage.prune));
    }
    NASQ_RETURN_IF_ERROR(AddCostMetrics());
    AddTimingMetrics();
    return metrics_;
  }

  void AddTimingMetrics() {
    metrics_["train_seconds"] = train_seconds_;
    metrics_["eval_seconds"] = eval_seconds_;
    metrics_["samples_per_second"] = train_seconds_ > 0 ? trained_samples_ / train_seconds_ : 0.0;
    if (spec_.evaluate_every_steps > 0) {
      metrics_["intermediate_eval_seconds"] = intermediate_eval_seconds_;
    }
  }

  absl::Status Report(const PipelineProgress& report) {
    PipelineProgress p = report;
    p.num_stages = static_cast<int>(spec_.stages.size());
    if (progress_ && !progress_(p)) {
      return absl::CancelledError(absl::StrCat("trial cancelled during ", p.stage));
    }
    return absl::OkStatus();
  }

  double Fraction(size_t stage_index, double within) const {
    const double stages = static_cast<double>(spec_.stages.size()) + 1.0;
    return (static_cast<double>(stage_index) + within) / stages;
  }

  absl::Status BuildModel() {
    const ModelSpec& m = spec_.model;
    std::shared_ptr<const BaseCheckpoint> base;
    if (!m.checkpoint.empty()) {
      NASQ_ASSIGN_OR_RETURN(
          std::filesystem::path folder,
          ResolveInputPath(m.checkpoint, "task.model.checkpoint", options_.paths));
      NASQ_ASSIGN_OR_RETURN(base, cache_.GetCheckpoint(folder, options_.max_model_params));
    }
    NASQ_ASSIGN_OR_RETURN(data_,
                          cache_.GetData(spec_, base ? base->vocab_path : "", options_.paths));
    NASQ_ASSIGN_OR_RETURN(train_rows_,
                          cache_.GetDeviceData(data_, DataSplit::kTrain, compute_.device.str()));
    NASQ_ASSIGN_OR_RETURN(test_rows_,
                          cache_.GetDeviceData(data_, DataSplit::kTest, compute_.device.str()));
    BertConfig config;
    if (base) {
      config = base->config;
      if (config.num_labels != data_->train.num_labels()) {
        return absl::InvalidArgumentError(
            absl::StrCat("task.model.checkpoint: the checkpoint classifies ", config.num_labels,
                         " labels but the dataset has ", data_->train.num_labels()));
      }
      if (data_->vocab_size > config.vocab_size) {
        return absl::InvalidArgumentError(
            absl::StrCat("task.tokenizer: the vocabulary has ", data_->vocab_size,
                         " tokens but the checkpoint's embeddings only ", config.vocab_size));
      }
    } else {
      config.vocab_size = data_->vocab_size;
      config.num_attention_heads = m.num_heads.value_or(config.num_attention_heads);
      config.pad_token_id = data_->train.pad_id;
      config.num_labels = data_->train.num_labels();
    }
    if (m.dropout) {
      config.hidden_dropout_prob = config.attention_probs_dropout_prob = *m.dropout;
    }
    // The architecture the cost model prices (task/cost_model.h).
    BertArchitecture architecture =
        TrialArchitecture(m, {config.Dimensions(), std::move(config.identity_layers)});
    config.SetDimensions(architecture.dimensions);
    config.identity_layers = std::move(architecture.identity_layers);
    if (spec_.dataset.max_length > config.max_position_embeddings) {
      return absl::InvalidArgumentError(absl::StrCat(
          "task.dataset.max_length (", spec_.dataset.max_length,
          ") exceeds the model's max_position_embeddings (", config.max_position_embeddings, ")"));
    }
    if (absl::Status status = config.Validate(); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("task.model: ", status.message()));
    }
    if (absl::Status size = CheckModelSize(config.Dimensions(), options_.max_model_params);
        !size.ok()) {
      return absl::Status(size.code(), absl::StrCat("task.model: ", size.message()));
    }
    NASQ_ASSIGN_OR_RETURN(model_, Model::Create(config, m.init_seed));
    if (base) NASQ_RETURN_IF_ERROR(LoadStateDict(*model_, base->weights).status());
    model_->to(compute_.device);
    trained_ = base != nullptr;
    return absl::OkStatus();
  }

  // Builds every quantise stage's config up front, so a bad one fails before any training.
  absl::Status PlanQuantisation() {
    for (size_t i = 0; i < spec_.stages.size(); ++i) {
      if (spec_.stages[i].kind != StageKind::kQuantise) continue;
      NASQ_ASSIGN_OR_RETURN(
          quant_configs_[i],
          BuildQuantisationConfig(spec_.stages[i].quantise, model_->config(), StageFieldPath(i)));
    }
    return absl::OkStatus();
  }

  absl::Status RunStage(size_t i) {
    const StageSpec& stage = spec_.stages[i];
    const std::string name(StageKindName(stage.kind));
    NASQ_RETURN_IF_ERROR(
        Report({.stage = name, .stage_index = static_cast<int>(i), .fraction = Fraction(i, 0.0)}));
    stages_started_ = i + 1;
    switch (stage.kind) {
      case StageKind::kQuantise:
        NASQ_RETURN_IF_ERROR(QuantiseStage(i));
        break;
      case StageKind::kTrain:
      case StageKind::kFinetune:
        NASQ_RETURN_IF_ERROR(TrainStage(i, stage.train));
        break;
      case StageKind::kPrune:
        NASQ_RETURN_IF_ERROR(PruneStage(stage.prune));
        break;
      case StageKind::kEvaluate: {
        NASQ_ASSIGN_OR_RETURN(EvalMetrics eval, CurrentEval());
        if (!stage.label.empty()) {
          metrics_["accuracy_" + stage.label] = eval.accuracy;
          metrics_["f1_" + stage.label] = eval.f1;
          metrics_["loss_" + stage.label] = eval.loss;
        }
        break;
      }
    }
    if (stage.kind != StageKind::kEvaluate) current_eval_.reset();
    double accuracy = std::numeric_limits<double>::quiet_NaN();
    if (spec_.evaluate_each_stage || stage.kind == StageKind::kEvaluate) {
      NASQ_ASSIGN_OR_RETURN(EvalMetrics eval, CurrentEval());
      accuracy = eval.accuracy;
    }
    return Report({.stage = name,
                   .stage_index = static_cast<int>(i),
                   .stage_done = true,
                   .step = static_cast<int64_t>(i),
                   .value = accuracy,
                   .fraction = Fraction(i + 1, 0.0),
                   .intermediate = spec_.evaluate_every_steps == 0});
  }

  absl::Status QuantiseStage(size_t i) {
    NASQ_RETURN_IF_ERROR(QuantiseBert(*model_, quant_configs_.at(i)).status());
    quantised_ = true;
    return absl::OkStatus();
  }

  absl::Status TrainStage(size_t i, const TrainSettings& train) {
    TrainOptions options;
    static_cast<TrainSettings&>(options) = train;
    if (!options.learning_rate && spec_.model.checkpoint.empty()) {
      options.learning_rate = kScratchLearningRate;
    }
    options.should_stop = options_.cancel_requested;
    options.compute = compute_;
    const int64_t every = spec_.evaluate_every_steps;
    // Progress reports must fall on every evaluation step.
    if (every > 0) options.progress_every_steps = std::gcd(options.progress_every_steps, every);
    const std::string name(StageKindName(spec_.stages[i].kind));
    bool cancelled = false;
    absl::Status eval_status;
    const double eval_seconds_before = intermediate_eval_seconds_;
    auto on_progress = [&](const TrainProgress& p) {
      const double within =
          p.total_steps > 0 ? static_cast<double>(p.step) / static_cast<double>(p.total_steps) : 0;
      const PipelineProgress report{.stage = name,
                                    .stage_index = static_cast<int>(i),
                                    .step = p.step,
                                    .value = p.loss,
                                    .fraction = Fraction(i, within)};
      cancelled = !Report(report).ok();
      const int64_t global_step = optimizer_steps_ + p.step;
      if (!cancelled && every > 0 && global_step % every == 0) {
        eval_status = IntermediateEval(report, global_step);
        cancelled = !eval_status.ok();
      }
      return !cancelled;
    };
    NASQ_ASSIGN_OR_RETURN(TrainResult result, Train(*model_, *train_rows_, options, on_progress));
    if (!eval_status.ok() && !absl::IsCancelled(eval_status)) return eval_status;
    // The trainer's wall time includes the intermediate evaluations, reported apart.
    train_seconds_ += result.seconds - (intermediate_eval_seconds_ - eval_seconds_before);
    optimizer_steps_ += result.steps;
    trained_ = true;
    if (cancelled || result.stopped_early) {
      trained_samples_ += static_cast<double>(result.steps) * train.batch_size;
      return absl::CancelledError(absl::StrCat("trial cancelled during ", name));
    }
    trained_samples_ += static_cast<double>(data_->train.size()) * train.epochs;
    return absl::OkStatus();
  }

  // Evaluates the model on the intermediate evaluation slice and reports its accuracy as the
  // intermediate value at `global_step`; `training` is the progress report it follows.
  absl::Status IntermediateEval(const PipelineProgress& training, int64_t global_step) {
    const auto start = Clock::now();
    NASQ_ASSIGN_OR_RETURN(const DeviceDataset* slice, IntermediateEvalSlice());
    NASQ_ASSIGN_OR_RETURN(
        EvalMetrics eval,
        Evaluate(*model_, *slice, {.batch_size = spec_.eval_batch_size, .compute = compute_}));
    const double seconds = SecondsSince(start);
    intermediate_eval_seconds_ += seconds;
    PipelineProgress report = training;
    report.step = global_step;
    report.value = eval.accuracy;
    report.intermediate = true;
    report.eval_seconds = seconds;
    return Report(report);
  }

  // intermediate_eval_examples test examples evenly spaced over the test split (examples
  // floor(k * size / n), k < n), so that a split stored by label still gives every label its
  // share; the whole split when the option is 0 or at least its size. Laid out on the device
  // once per run.
  absl::StatusOr<const DeviceDataset*> IntermediateEvalSlice() {
    const size_t wanted = static_cast<size_t>(spec_.intermediate_eval_examples);
    const size_t size = data_->test.size();
    if (wanted == 0 || wanted >= size) return test_rows_.get();
    if (!eval_slice_) {
      auto slice = std::make_shared<TokenizedDataset>(data_->test);
      slice->examples.clear();
      for (size_t k = 0; k < wanted; ++k) {
        slice->examples.push_back(data_->test.examples[k * size / wanted]);
      }
      NASQ_ASSIGN_OR_RETURN(eval_slice_, DeviceDataset::Create(std::move(slice), compute_.device));
    }
    return &*eval_slice_;
  }

  // Every Linear must be a QuantLinear to be pruned or costed; fp32 ones compute exactly as
  // before, and layers quantised earlier keep their config.
  absl::Status EnsureQuantLinears() {
    if (quantised_) return absl::OkStatus();
    NASQ_RETURN_IF_ERROR(QuantiseBert(*model_, QuantisationConfig{}).status());
    quantised_ = true;
    return absl::OkStatus();
  }

  absl::Status PruneStage(const PruneStageSpec& prune) {
    NASQ_RETURN_IF_ERROR(EnsureQuantLinears());
    const PruningConfig config{prune.prune_weights ? prune.weight : kNoPruning,
                               prune.prune_activations ? prune.activation : kNoPruning};
    torch::manual_seed(prune.seed);
    absl::Status calibration = absl::OkStatus();
    auto calibrate = [&] { calibration = Calibrate(); };
    try {
      NASQ_RETURN_IF_ERROR(ApplyPruning(*model_, config, calibrate));
    } catch (const c10::Error& e) {
      return absl::InternalError(absl::StrCat("pruning failed: ", e.what_without_backtrace()));
    }
    NASQ_RETURN_IF_ERROR(calibration);
    if (!prune.prune_activations) {
      NASQ_ASSIGN_OR_RETURN(auto layers, CollectQuantLinears(*model_));
      for (auto& [name, layer] : layers) layer->SetActivationPruning(std::nullopt);
    }
    return absl::OkStatus();
  }

  // Forward passes over the first training batches (global activation pruning's threshold).
  absl::Status Calibrate() {
    NASQ_ASSIGN_OR_RETURN(auto plan,
                          PlanBatches(data_->train, {.batch_size = 8, .shuffle = false}, 0));
    torch::NoGradGuard no_grad;
    model_->eval();
    for (size_t b = 0; b < plan.size() && b < kCalibrationBatches; ++b) {
      NASQ_ASSIGN_OR_RETURN(const TextBatch batch, train_rows_->MakeBatch(plan[b]));
      model_->forward(batch.input_ids, batch.attention_mask);
    }
    model_->train();
    return absl::OkStatus();
  }

  // The test metrics of the model as it is now, computed at most once per model state.
  absl::StatusOr<EvalMetrics> CurrentEval() {
    if (current_eval_) return *current_eval_;
    const auto start = Clock::now();
    NASQ_ASSIGN_OR_RETURN(
        EvalMetrics eval,
        Evaluate(*model_, *test_rows_, {.batch_size = spec_.eval_batch_size, .compute = compute_}));
    eval_seconds_ += SecondsSince(start);
    current_eval_ = eval;
    return eval;
  }

  // Cost of one max_length sequence (the first test example's tokens, repeated).
  absl::Status AddCostMetrics() {
    NASQ_RETURN_IF_ERROR(EnsureQuantLinears());
    const std::vector<int32_t>& ids = data_->test.examples.front().input_ids;
    const int64_t length = spec_.dataset.max_length;
    std::vector<int64_t> tiled(length);
    for (int64_t t = 0; t < length; ++t) tiled[t] = ids[t % ids.size()];
    try {
      torch::NoGradGuard no_grad;
      model_->eval();
      const auto options = torch::TensorOptions().dtype(torch::kLong);
      torch::Tensor input = torch::tensor(tiled, options).unsqueeze(0).to(compute_.device);
      model_->forward(input, torch::ones_like(input));
    } catch (const c10::Error& e) {
      return absl::InternalError(absl::StrCat("cost forward failed: ", e.what_without_backtrace()));
    }
    NASQ_ASSIGN_OR_RETURN(std::vector<LinearCostInput> layers, DescribeLinearLayers(*model_));
    NASQ_ASSIGN_OR_RETURN(ModelCost cost, ComputeModelCost(layers));
    NASQ_ASSIGN_OR_RETURN(SparsityReport sparsity, ReportSparsity(*model_));
    for (const auto& [name, value] : CostMetricValues(cost)) metrics_[name] = value;
    metrics_["activation_sparsity"] = sparsity.total_activation_sparsity;
    return absl::OkStatus();
  }

  absl::Status Save() {
    if (spec_.save_path.empty()) return absl::OkStatus();
    const std::string trial =
        options_.trial_number >= 0 ? absl::StrCat(options_.trial_number) : "local";
    const std::string path = absl::StrReplaceAll(spec_.save_path, {{"{trial}", trial}});
    return SaveHfCheckpoint(*model_, path, data_->vocab_path);
  }

  const TaskSpec& spec_;
  const PipelineOptions& options_;
  PipelineCache& cache_;
  const PipelineProgressFn& progress_;
  ComputeOptions compute_;
  std::shared_ptr<const PreparedData> data_;
  std::shared_ptr<const DeviceDataset> train_rows_;  // data_'s splits on compute_.device
  std::shared_ptr<const DeviceDataset> test_rows_;
  std::shared_ptr<Model> model_;
  std::map<size_t, QuantisationConfig> quant_configs_;
  bool trained_ = false;    // loaded from a checkpoint or trained by a stage
  bool quantised_ = false;  // every Linear is a QuantLinear
  std::optional<EvalMetrics> current_eval_;
  PipelineMetrics metrics_;
  double train_seconds_ = 0;
  double eval_seconds_ = 0;
  double trained_samples_ = 0;
  double intermediate_eval_seconds_ = 0;
  int64_t optimizer_steps_ = 0;              // over the train and finetune stages run so far
  size_t stages_started_ = 0;                // stages whose start was reported
  std::optional<DeviceDataset> eval_slice_;  // IntermediateEvalSlice's, made once
};

}  // namespace

absl::StatusOr<PipelineMetrics> RunTaskPipeline(const TaskSpec& spec,
                                                const PipelineOptions& options,
                                                PipelineCache& cache,
                                                const PipelineProgressFn& progress) {
  PipelineRun run(spec, options, cache, progress);
  try {
    return run.Run();
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("LibTorch error: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("error: ", e.what()));
  }
}

}  // namespace nasq
