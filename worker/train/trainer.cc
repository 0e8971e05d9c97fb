#include "worker/train/trainer.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <chrono>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/status_macros.h"
#include "worker/quant/pruning.h"
#include "worker/text/batch_plan.h"
#include "worker/train/train_shared.h"

namespace nasq {
namespace {

// Enables bf16 autocast on CUDA for its lifetime (the API changed in LibTorch 2.4).
class CudaBf16Autocast {
 public:
  explicit CudaBf16Autocast(bool enabled) : enabled_(enabled) {
    if (!enabled_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
#endif
  }
  ~CudaBf16Autocast() {
    if (!enabled_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
    at::autocast::set_enabled(false);
#endif
    at::autocast::clear_cache();
  }
  CudaBf16Autocast(const CudaBf16Autocast&) = delete;
  CudaBf16Autocast& operator=(const CudaBf16Autocast&) = delete;

 private:
  bool enabled_;
};

// AdamW with HF's parameter groups: no weight decay for biases and LayerNorm weights.
torch::optim::AdamW MakeOptimizer(BertForSequenceClassification& model,
                                  const TrainOptions& options) {
  std::vector<torch::Tensor> decay;
  std::vector<torch::Tensor> no_decay;
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    (ExemptFromWeightDecay(item.key()) ? no_decay : decay).push_back(item.value());
  }
  auto group_options = [&](double weight_decay) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(PeakLearningRate(options))
            .betas({options.adam_beta1, options.adam_beta2})
            .eps(options.adam_epsilon)
            .weight_decay(weight_decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, group_options(options.weight_decay));
  groups.emplace_back(no_decay, group_options(0.0));
  return torch::optim::AdamW(groups, torch::optim::AdamWOptions(PeakLearningRate(options)));
}

// A non-owning handle on a caller's dataset, for a DeviceDataset that lives within one call.
std::shared_ptr<const TokenizedDataset> Borrowed(const TokenizedDataset& dataset) {
  return std::shared_ptr<const TokenizedDataset>(std::shared_ptr<const TokenizedDataset>(),
                                                 &dataset);
}

absl::StatusOr<TrainResult> TrainUnchecked(BertForSequenceClassification& model,
                                           const DeviceDataset& dataset,
                                           const TrainOptions& options,
                                           const ProgressCallback& progress) {
  const auto start = std::chrono::steady_clock::now();
  const torch::Device device = options.compute.device;
  torch::manual_seed(options.seed);
  model.to(device);
  model.train();
  torch::optim::AdamW optimizer = MakeOptimizer(model, options);
  const std::vector<torch::Tensor> parameters = model.parameters();
  const int64_t total_steps =
      TotalTrainSteps(static_cast<int64_t>(dataset.size()), options.batch_size, options.epochs);

  BatchPlanOptions plan_options;
  plan_options.batch_size = options.batch_size;
  plan_options.shuffle = true;
  plan_options.seed = options.seed;
  plan_options.bucket_by_length = options.group_by_length;

  TrainResult result;
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(device));
  torch::Tensor window_loss_sum = torch::zeros({}, torch::TensorOptions().device(device));
  int64_t window_steps = 0;
  for (int epoch = 0; epoch < options.epochs && !result.stopped_early; ++epoch) {
    NASQ_ASSIGN_OR_RETURN(auto plan, PlanBatches(dataset.host(), plan_options, epoch));
    NASQ_ASSIGN_OR_RETURN(const DevicePlan rows, dataset.UploadPlan(plan));
    for (size_t step = 0; step < rows.size(); ++step) {
      NASQ_ASSIGN_OR_RETURN(const TextBatch batch, dataset.Batch(rows, step));
      const double lr = PeakLearningRate(options) *
                        LinearScheduleFactor(result.steps, options.warmup_steps, total_steps);
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
      }
      torch::Tensor loss;
      {
        CudaBf16Autocast autocast(options.compute.bf16);
        const torch::Tensor logits = model.forward(batch.input_ids, batch.attention_mask);
        loss = torch::cross_entropy_loss(logits.to(torch::kFloat32), batch.labels);
      }
      optimizer.zero_grad();
      loss.backward();
      if (options.max_grad_norm > 0) {
        torch::nn::utils::clip_grad_norm_(parameters, options.max_grad_norm);
      }
      optimizer.step();
      ReapplyWeightMasks(model);
      loss_sum += loss.detach();
      window_loss_sum += loss.detach();
      ++window_steps;
      ++result.steps;
      const bool last = result.steps == total_steps;
      if (progress && (result.steps % options.progress_every_steps == 0 || last)) {
        TrainProgress report{result.steps, total_steps,
                             epoch,        window_loss_sum.item<double>() / window_steps,
                             lr,           SecondsSince(start)};
        window_loss_sum.zero_();
        window_steps = 0;
        if (!progress(report) && !last) {
          result.stopped_early = true;
          break;
        }
      }
      if (options.should_stop && !last && options.should_stop()) {
        result.stopped_early = true;
        break;
      }
    }
  }
  result.mean_loss = result.steps > 0 ? loss_sum.item<double>() / result.steps : 0.0;
  result.seconds = SecondsSince(start);
  return result;
}

absl::StatusOr<EvalMetrics> EvaluateUnchecked(BertForSequenceClassification& model,
                                              const DeviceDataset& dataset,
                                              const EvalOptions& options) {
  const torch::Device device = options.compute.device;
  model.to(device);
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  BatchPlanOptions plan_options;
  plan_options.batch_size = options.batch_size;
  plan_options.shuffle = false;
  NASQ_ASSIGN_OR_RETURN(auto plan, PlanBatches(dataset.host(), plan_options, 0));
  NASQ_ASSIGN_OR_RETURN(const DevicePlan rows, dataset.UploadPlan(plan));
  std::vector<torch::Tensor> predictions;
  std::vector<torch::Tensor> labels;
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().device(device));
  for (size_t step = 0; step < rows.size(); ++step) {
    NASQ_ASSIGN_OR_RETURN(const TextBatch batch, dataset.Batch(rows, step));
    CudaBf16Autocast autocast(options.compute.bf16);
    const torch::Tensor logits =
        model.forward(batch.input_ids, batch.attention_mask).to(torch::kFloat32);
    loss_sum += torch::cross_entropy_loss(logits, batch.labels, {}, at::Reduction::Sum);
    predictions.push_back(logits.argmax(-1).cpu());
    labels.push_back(batch.labels.cpu());
  }
  model.train(was_training);
  return ClassificationMetrics(torch::cat(predictions), torch::cat(labels), loss_sum.item<double>(),
                               model.config().num_labels);
}

// Every check Train makes before touching the model (the dataset's device apart).
absl::Status CheckTrainCall(const BertForSequenceClassification& model,
                            const TokenizedDataset& dataset, const TrainOptions& options) {
  NASQ_RETURN_IF_ERROR(CheckTrainOptions(options));
  NASQ_RETURN_IF_ERROR(CheckDataset(model.config(), dataset));
  return ApplyComputeOptions(options.compute);
}

absl::Status CheckEvalCall(const BertForSequenceClassification& model,
                           const TokenizedDataset& dataset, const EvalOptions& options) {
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("eval batch_size must be positive, got ", options.batch_size));
  }
  NASQ_RETURN_IF_ERROR(CheckDataset(model.config(), dataset));
  return ApplyComputeOptions(options.compute);
}

absl::StatusOr<TrainResult> TrainChecked(BertForSequenceClassification& model,
                                         const DeviceDataset& dataset, const TrainOptions& options,
                                         const ProgressCallback& progress) {
  try {
    return TrainUnchecked(model, dataset, options, progress);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("training failed: ", e.what_without_backtrace()));
  }
}

absl::StatusOr<EvalMetrics> EvaluateChecked(BertForSequenceClassification& model,
                                            const DeviceDataset& dataset,
                                            const EvalOptions& options) {
  try {
    return EvaluateUnchecked(model, dataset, options);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("evaluation failed: ", e.what_without_backtrace()));
  }
}

}  // namespace

absl::StatusOr<TrainResult> Train(BertForSequenceClassification& model,
                                  const TokenizedDataset& dataset, const TrainOptions& options,
                                  const ProgressCallback& progress) {
  NASQ_RETURN_IF_ERROR(CheckTrainCall(model, dataset, options));
  NASQ_ASSIGN_OR_RETURN(const DeviceDataset rows,
                        DeviceDataset::Create(Borrowed(dataset), options.compute.device));
  return TrainChecked(model, rows, options, progress);
}

absl::StatusOr<TrainResult> Train(BertForSequenceClassification& model,
                                  const DeviceDataset& dataset, const TrainOptions& options,
                                  const ProgressCallback& progress) {
  NASQ_RETURN_IF_ERROR(CheckTrainCall(model, dataset.host(), options));
  NASQ_RETURN_IF_ERROR(CheckDatasetDevice(dataset, options.compute.device));
  return TrainChecked(model, dataset, options, progress);
}

absl::StatusOr<EvalMetrics> Evaluate(BertForSequenceClassification& model,
                                     const TokenizedDataset& dataset, const EvalOptions& options) {
  NASQ_RETURN_IF_ERROR(CheckEvalCall(model, dataset, options));
  NASQ_ASSIGN_OR_RETURN(const DeviceDataset rows,
                        DeviceDataset::Create(Borrowed(dataset), options.compute.device));
  return EvaluateChecked(model, rows, options);
}

absl::StatusOr<EvalMetrics> Evaluate(BertForSequenceClassification& model,
                                     const DeviceDataset& dataset, const EvalOptions& options) {
  NASQ_RETURN_IF_ERROR(CheckEvalCall(model, dataset.host(), options));
  NASQ_RETURN_IF_ERROR(CheckDatasetDevice(dataset, options.compute.device));
  return EvaluateChecked(model, dataset, options);
}

}  // namespace nasq
