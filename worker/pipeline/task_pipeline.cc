#include "worker/pipeline/task_pipeline.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/status_macros.h"
#include "worker/model/bert_quantisation.h"
#include "worker/pipeline/pipeline_steps.h"
#include "worker/quant/pruning.h"
#include "worker/text/device_dataset.h"
#include "worker/train/trainer.h"

namespace nasq {
namespace {

using Model = BertForSequenceClassification;

constexpr int kCalibrationBatches = 4;

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
    nasq::AddTimingMetrics(
        spec_, {train_seconds_, eval_seconds_, trained_samples_, intermediate_eval_seconds_},
        metrics_);
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
    NASQ_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(spec_, options_, cache_));
    data_ = plan.data;
    NASQ_ASSIGN_OR_RETURN(train_rows_,
                          cache_.GetDeviceData(data_, DataSplit::kTrain, compute_.device.str()));
    NASQ_ASSIGN_OR_RETURN(test_rows_,
                          cache_.GetDeviceData(data_, DataSplit::kTest, compute_.device.str()));
    NASQ_ASSIGN_OR_RETURN(model_, CreatePlannedModel(plan, spec_.model.init_seed, compute_.device));
    trained_ = plan.base != nullptr;
    return absl::OkStatus();
  }

  // Builds every quantise stage's config up front, so a bad one fails before any training.
  absl::Status PlanQuantisation() {
    NASQ_ASSIGN_OR_RETURN(quant_configs_, nasq::PlanQuantisation(spec_, model_->config()));
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
        AddLabelledEvalMetrics(stage.label, eval, metrics_);
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
    TrainOptions options = StageTrainOptions(spec_, train, compute_);
    options.should_stop = options_.cancel_requested;
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
    const auto start = std::chrono::steady_clock::now();
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
    const auto start = std::chrono::steady_clock::now();
    NASQ_ASSIGN_OR_RETURN(
        EvalMetrics eval,
        Evaluate(*model_, *test_rows_, {.batch_size = spec_.eval_batch_size, .compute = compute_}));
    eval_seconds_ += SecondsSince(start);
    current_eval_ = eval;
    return eval;
  }

  absl::Status AddCostMetrics() {
    NASQ_RETURN_IF_ERROR(EnsureQuantLinears());
    return nasq::AddCostMetrics(*model_, *data_, spec_, compute_.device, metrics_);
  }

  absl::Status Save() {
    return SaveTrialModel(*model_, spec_, options_.trial_number, data_->vocab_path);
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
