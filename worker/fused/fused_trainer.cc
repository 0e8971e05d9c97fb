#include "worker/fused/fused_trainer.h"

#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/status_macros.h"
#include "worker/fused/fused_adamw.h"
#include "worker/text/batch_plan.h"
#include "worker/text/batching.h"
#include "worker/train/train_shared.h"

namespace nasq {
namespace {

// OK when `a` and `b` agree on everything members must share.
absl::Status CheckShared(const TrainOptions& a, const TrainOptions& b) {
  const bool same =
      a.epochs == b.epochs && a.batch_size == b.batch_size && a.warmup_steps == b.warmup_steps &&
      a.max_grad_norm == b.max_grad_norm && a.group_by_length == b.group_by_length &&
      a.progress_every_steps == b.progress_every_steps && a.adam_beta1 == b.adam_beta1 &&
      a.adam_beta2 == b.adam_beta2 && a.adam_epsilon == b.adam_epsilon &&
      a.compute.device == b.compute.device && a.compute.bf16 == b.compute.bf16 &&
      a.compute.num_threads == b.compute.num_threads;
  if (same) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "fused members must share epochs, batch_size, warmup_steps, max_grad_norm, "
      "group_by_length, progress_every_steps, Adam constants and compute options");
}

// The training loop over the members still in the model. `active[p]` is the member index
// (into members) at model position p.
class FusedTraining {
 public:
  FusedTraining(FusedBert& model, const DeviceDataset& dataset,
                const std::vector<FusedTrainMember>& members, const FusedDropHook& on_drop)
      : model_(model),
        dataset_(dataset),
        members_(members),
        on_drop_(on_drop),
        shared_(members.front().options),
        outcomes_(members.size()),
        loss_sums_(members.size(), 0.0),
        window_sums_(members.size(), 0.0) {
    for (size_t m = 0; m < members.size(); ++m) active_.push_back(m);
  }

  absl::StatusOr<std::vector<FusedTrainOutcome>> Run() {
    const std::chrono::steady_clock::time_point start = start_;
    const torch::Device device = shared_.compute.device;
    torch::manual_seed(shared_.seed);
    model_.to(device);
    model_.train();
    std::vector<torch::Tensor> parameters;
    std::vector<torch::Tensor> decay_mask;
    for (FusedParameter& p : model_.FusedParameters()) {
      parameters.push_back(p.value);
      decay_mask.push_back(ExemptFromWeightDecay(p.name) ? torch::zeros_like(p.used) : p.used);
    }
    FusedAdamW optimizer(parameters, decay_mask,
                         {shared_.adam_beta1, shared_.adam_beta2, shared_.adam_epsilon});
    const int64_t total_steps =
        TotalTrainSteps(static_cast<int64_t>(dataset_.size()), shared_.batch_size, shared_.epochs);
    int64_t step = 0;
    int64_t window_steps = 0;
    for (int epoch = 0; epoch < shared_.epochs && !active_.empty(); ++epoch) {
      std::vector<std::vector<std::vector<size_t>>> plans;  // [member][batch]
      for (size_t m : active_) {
        BatchPlanOptions plan;
        plan.batch_size = shared_.batch_size;
        plan.shuffle = true;
        plan.seed = members_[m].options.seed;
        plan.bucket_by_length = shared_.group_by_length;
        NASQ_ASSIGN_OR_RETURN(auto batches, PlanBatches(dataset_.host(), plan, epoch));
        plans.push_back(std::move(batches));
      }
      std::vector<size_t> planned = active_;  // members in `plans` order
      for (size_t b = 0; b < plans.front().size() && !active_.empty(); ++b) {
        std::vector<std::vector<size_t>> indices;
        for (size_t p = 0, a = 0; p < planned.size(); ++p) {
          if (a < active_.size() && planned[p] == active_[a]) {
            indices.push_back(plans[p][b]);
            ++a;
          }
        }
        NASQ_ASSIGN_OR_RETURN(TextBatch batch, dataset_.MakeMemberBatch(indices));
        const double factor = LinearScheduleFactor(step, shared_.warmup_steps, total_steps);
        const int64_t k = static_cast<int64_t>(active_.size());
        const torch::Tensor logits = model_.forward(batch.input_ids, batch.attention_mask);
        const int64_t rows = logits.size(1);
        const torch::Tensor losses =
            torch::cross_entropy_loss(logits.reshape({k * rows, -1}), batch.labels.reshape(-1), {},
                                      at::Reduction::None)
                .view({k, rows})
                .mean(1);
        optimizer.ZeroGrad();
        losses.sum().backward();
        ++step;
        ++window_steps;
        const torch::Tensor host_losses = losses.detach().to(torch::kCPU, torch::kFloat64);
        const double* loss = host_losses.data_ptr<double>();
        std::vector<std::pair<int64_t, absl::Status>> drops;
        for (int64_t p = 0; p < k; ++p) {
          const size_t m = active_[p];
          if (!std::isfinite(loss[p])) {
            drops.emplace_back(p, absl::InternalError(absl::StrCat("training diverged: loss is ",
                                                                   loss[p], " at step ", step)));
            continue;
          }
          loss_sums_[m] += loss[p];
          window_sums_[m] += loss[p];
        }
        NASQ_RETURN_IF_ERROR(Drop(drops, optimizer));
        if (active_.empty()) break;
        if (shared_.max_grad_norm > 0) optimizer.ClipGradNorm(shared_.max_grad_norm);
        std::vector<double> lr;
        std::vector<double> weight_decay;
        for (size_t m : active_) {
          lr.push_back(PeakLearningRate(members_[m].options) * factor);
          weight_decay.push_back(members_[m].options.weight_decay);
        }
        optimizer.Step(lr, weight_decay);
        const bool last = step == total_steps;
        const bool report = step % shared_.progress_every_steps == 0 || last;
        std::vector<std::pair<int64_t, absl::Status>> stops;
        for (size_t p = 0; p < active_.size(); ++p) {
          const size_t m = active_[p];
          outcomes_[m].result.steps = step;
          bool keep = true;
          if (report && members_[m].progress) {
            const TrainProgress progress{step,  total_steps,
                                         epoch, window_sums_[m] / window_steps,
                                         lr[p], SecondsSince(start)};
            keep = members_[m].progress(progress) || last;
          }
          const auto& should_stop = members_[m].options.should_stop;
          if (keep && !last && should_stop && should_stop()) keep = false;
          if (!keep) {
            outcomes_[m].result.stopped_early = true;
            stops.emplace_back(static_cast<int64_t>(p), absl::CancelledError("training stopped"));
          }
        }
        if (report) {
          std::fill(window_sums_.begin(), window_sums_.end(), 0.0);
          window_steps = 0;
        }
        NASQ_RETURN_IF_ERROR(Drop(stops, optimizer));
      }
    }
    for (size_t m = 0; m < members_.size(); ++m) {
      TrainResult& result = outcomes_[m].result;
      result.mean_loss = result.steps > 0 ? loss_sums_[m] / result.steps : 0.0;
      if (!result.seconds) result.seconds = SecondsSince(start);
    }
    return outcomes_;
  }

 private:
  static bool DroppedAt(const std::vector<std::pair<int64_t, absl::Status>>& drops, int64_t p) {
    for (const auto& drop : drops) {
      if (drop.first == p) return true;
    }
    return false;
  }

  // Removes the members at model positions `drops` (ascending) with their reasons.
  absl::Status Drop(const std::vector<std::pair<int64_t, absl::Status>>& drops,
                    FusedAdamW& optimizer) {
    if (drops.empty()) return absl::OkStatus();
    std::vector<int64_t> kept;
    std::vector<size_t> active;
    for (int64_t p = 0; p < static_cast<int64_t>(active_.size()); ++p) {
      if (DroppedAt(drops, p)) continue;
      kept.push_back(p);
      active.push_back(active_[p]);
    }
    for (const auto& [p, reason] : drops) {
      const size_t m = active_[p];
      if (on_drop_) on_drop_(m, p, reason);
      if (!absl::IsCancelled(reason)) outcomes_[m].status = reason;
      outcomes_[m].result.seconds = SecondsSince(start_);
    }
    if (!kept.empty()) {
      NASQ_RETURN_IF_ERROR(model_.KeepMembers(kept));
      optimizer.KeepMembers(kept);
    }
    active_ = std::move(active);
    return absl::OkStatus();
  }

  FusedBert& model_;
  const DeviceDataset& dataset_;
  const std::vector<FusedTrainMember>& members_;
  const FusedDropHook& on_drop_;
  const TrainOptions& shared_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::vector<size_t> active_;
  std::vector<FusedTrainOutcome> outcomes_;
  std::vector<double> loss_sums_;
  std::vector<double> window_sums_;
};

}  // namespace

absl::StatusOr<std::vector<FusedTrainOutcome>> TrainFused(
    FusedBert& model, const DeviceDataset& dataset, const std::vector<FusedTrainMember>& members,
    const FusedDropHook& on_drop) {
  if (members.empty() || static_cast<int64_t>(members.size()) != model.members()) {
    return absl::InvalidArgumentError(absl::StrCat("TrainFused got ", members.size(),
                                                   " members for a model of ", model.members()));
  }
  for (const FusedTrainMember& member : members) {
    NASQ_RETURN_IF_ERROR(CheckTrainOptions(member.options));
    NASQ_RETURN_IF_ERROR(CheckShared(members.front().options, member.options));
  }
  if (members.front().options.compute.bf16) {
    return absl::InvalidArgumentError("fused training runs in fp32 (bf16 is solo-only)");
  }
  NASQ_RETURN_IF_ERROR(CheckDataset(model.member_config(0), dataset.host()));
  NASQ_RETURN_IF_ERROR(CheckDatasetDevice(dataset, members.front().options.compute.device));
  NASQ_RETURN_IF_ERROR(ApplyComputeOptions(members.front().options.compute));
  try {
    return FusedTraining(model, dataset, members, on_drop).Run();
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("fused training failed: ", e.what_without_backtrace()));
  }
}

absl::StatusOr<std::vector<EvalMetrics>> EvaluateFused(FusedBert& model,
                                                       const DeviceDataset& dataset,
                                                       const EvalOptions& options) {
  if (options.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("eval batch_size must be positive, got ", options.batch_size));
  }
  if (options.compute.bf16) {
    return absl::InvalidArgumentError("fused evaluation runs in fp32 (bf16 is solo-only)");
  }
  NASQ_RETURN_IF_ERROR(CheckDataset(model.member_config(0), dataset.host()));
  NASQ_RETURN_IF_ERROR(CheckDatasetDevice(dataset, options.compute.device));
  NASQ_RETURN_IF_ERROR(ApplyComputeOptions(options.compute));
  try {
    const torch::Device device = options.compute.device;
    model.to(device);
    const bool was_training = model.is_training();
    model.eval();
    torch::NoGradGuard no_grad;
    const int64_t k = model.members();
    NASQ_ASSIGN_OR_RETURN(
        auto plan,
        PlanBatches(dataset.host(), {.batch_size = options.batch_size, .shuffle = false}, 0));
    std::vector<torch::Tensor> predictions;
    std::vector<torch::Tensor> labels;
    torch::Tensor loss_sum = torch::zeros({k}, torch::TensorOptions().device(device));
    for (const std::vector<size_t>& indices : plan) {
      NASQ_ASSIGN_OR_RETURN(TextBatch batch, dataset.MakeMemberBatch({indices}));
      const auto expanded = [&](const torch::Tensor& t) {
        return t.expand({k, t.size(1), t.size(2)});
      };
      const torch::Tensor logits =
          model.forward(expanded(batch.input_ids), expanded(batch.attention_mask));
      const int64_t rows = logits.size(1);
      const torch::Tensor truth = batch.labels[0];
      loss_sum += torch::cross_entropy_loss(logits.reshape({k * rows, -1}), truth.repeat({k}), {},
                                            at::Reduction::None)
                      .view({k, rows})
                      .sum(1);
      predictions.push_back(logits.argmax(-1).cpu());
      labels.push_back(truth.cpu());
    }
    model.train(was_training);
    const torch::Tensor predicted = torch::cat(predictions, 1);
    const torch::Tensor truth = torch::cat(labels);
    const torch::Tensor losses = loss_sum.to(torch::kCPU, torch::kFloat64);
    std::vector<EvalMetrics> metrics;
    for (int64_t m = 0; m < k; ++m) {
      metrics.push_back(ClassificationMetrics(predicted[m], truth, losses[m].item<double>(),
                                              model.member_config(m).num_labels));
    }
    return metrics;
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("fused evaluation failed: ", e.what_without_backtrace()));
  }
}

}  // namespace nasq
