#include "worker/pipeline/fused_pipeline.h"

#include <torch/torch.h>

#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/clock.h"
#include "core/status_macros.h"
#include "task/fusion_key.h"
#include "worker/fused/fused_bert.h"
#include "worker/fused/fused_trainer.h"
#include "worker/model/bert_quantisation.h"
#include "worker/pipeline/pipeline_steps.h"

namespace nasq {
namespace {

using Model = BertForSequenceClassification;
using Result = absl::StatusOr<PipelineMetrics>;

// True when a quantise stage gives some layer binary residual sign data_in, whose learnable
// means FusedLinear does not hold: such a trial runs alone.
bool NeedsSoloRun(const std::map<size_t, QuantisationConfig>& quant) {
  for (const auto& [stage, config] : quant) {
    if (config.default_config.data_in.format == QuantFormat::kBinaryResidualSign) return true;
    for (const QuantRule& rule : config.rules) {
      if (rule.config.data_in.format == QuantFormat::kBinaryResidualSign) return true;
    }
  }
  return false;
}

// One trial of the group and what the pipeline knows of it.
struct MemberState {
  const FusedMember* member = nullptr;
  ModelPlan plan;
  std::map<size_t, QuantisationConfig> quant;
  std::optional<Result> result;  // set once the member is finished or dropped
  PipelineMetrics metrics;
  TrialTimes times;
  bool quantised = false;     // a quantise stage ran: every Linear is configured
  size_t stages_started = 0;  // stages whose start was reported
  std::optional<EvalMetrics> current_eval;
  std::shared_ptr<Model> stopped_model;  // unfused when training stopped it (pruned metrics)
};

class FusedRun {
 public:
  FusedRun(const std::vector<FusedMember>& members, const PipelineOptions& options,
           PipelineCache& cache)
      : options_(options), cache_(cache), states_(members.size()) {
    for (size_t m = 0; m < members.size(); ++m) states_[m].member = &members[m];
  }

  // Results of every member; a failure of the group (a LibTorch error, a failed fused
  // evaluation) is the result of every member still in it.
  std::vector<Result> Run() {
    absl::Status status;
    try {
      status = RunStages();
    } catch (const c10::Error& e) {
      status = absl::InternalError(absl::StrCat("LibTorch error: ", e.what_without_backtrace()));
    } catch (const std::exception& e) {
      status = absl::InternalError(absl::StrCat("error: ", e.what()));
    }
    if (!status.ok()) {
      for (size_t m : active_) states_[m].result = status;
    }
    std::vector<Result> results;
    for (MemberState& state : states_) {
      if (!state.result) state.result = absl::InternalError("the fused run left the member");
      results.push_back(std::move(*state.result));
    }
    return results;
  }

 private:
  const TaskSpec& Spec() const { return states_.front().member->spec; }

  absl::Status RunStages() {
    NASQ_ASSIGN_OR_RETURN(compute_.device, ParseDevice(options_.device));
    compute_.num_threads = options_.num_threads;
    NASQ_RETURN_IF_ERROR(BuildModels());
    const TaskSpec& spec = Spec();
    const auto compression = CompressionRange(spec);
    for (size_t i = 0; i < spec.stages.size() && !active_.empty(); ++i) {
      if (compression && i == compression->first) {
        NASQ_RETURN_IF_ERROR(EvaluateAll());
        for (size_t m : active_) {
          states_[m].metrics["accuracy_before_compression"] = states_[m].current_eval->accuracy;
        }
      }
      NASQ_RETURN_IF_ERROR(RunStage(i));
      if (compression && i + 1 == compression->second && !active_.empty()) {
        NASQ_RETURN_IF_ERROR(EvaluateAll());
        for (size_t m : active_) {
          states_[m].metrics["accuracy_after_compression"] = states_[m].current_eval->accuracy;
        }
      }
    }
    if (active_.empty()) return absl::OkStatus();
    NASQ_RETURN_IF_ERROR(EvaluateAll());
    for (size_t p = 0; p < active_.size(); ++p) {
      MemberState& state = states_[active_[p]];
      state.metrics["accuracy"] = state.current_eval->accuracy;
      state.metrics["f1"] = state.current_eval->f1;
      state.metrics["loss"] = state.current_eval->loss;
      state.result = Finish(state, p);
    }
    active_.clear();
    return absl::OkStatus();
  }

  // Reports `report` to member m; false when its callback cancels it.
  bool Report(size_t m, PipelineProgress report) {
    const FusedMember& member = *states_[m].member;
    report.num_stages = static_cast<int>(member.spec.stages.size());
    return !member.progress || member.progress(report);
  }

  double Fraction(size_t stage_index, double within) const {
    const double stages = static_cast<double>(Spec().stages.size()) + 1.0;
    return (static_cast<double>(stage_index) + within) / stages;
  }

  // Plans and builds every member's model; members that fail get their error, members that
  // need a solo run get RunTaskPipeline's result; the rest are fused.
  absl::Status BuildModels() {
    std::vector<std::shared_ptr<Model>> models;
    for (size_t m = 0; m < states_.size(); ++m) {
      MemberState& state = states_[m];
      if (!Report(m, {.stage = "prepare"})) {
        state.result = absl::CancelledError("trial cancelled during prepare");
        continue;
      }
      absl::StatusOr<std::shared_ptr<Model>> model = BuildModel(state);
      if (!model.ok()) {
        state.result = model.status();
        continue;
      }
      if (NeedsSoloRun(state.quant)) {
        state.result = RunSolo(*state.member);
        continue;
      }
      if (data_ && state.plan.data != data_) {
        state.result = absl::InvalidArgumentError("fused members must share their dataset");
        continue;
      }
      data_ = state.plan.data;
      models.push_back(*std::move(model));
      active_.push_back(m);
    }
    if (active_.empty()) return absl::OkStatus();
    NASQ_ASSIGN_OR_RETURN(fused_, FusedBert::Create(models));
    return absl::OkStatus();
  }

  absl::StatusOr<std::shared_ptr<Model>> BuildModel(MemberState& state) {
    NASQ_ASSIGN_OR_RETURN(state.plan, PlanModel(state.member->spec, options_, cache_));
    NASQ_ASSIGN_OR_RETURN(
        auto model,
        CreatePlannedModel(state.plan, state.member->spec.model.init_seed, compute_.device));
    NASQ_ASSIGN_OR_RETURN(state.quant, PlanQuantisation(state.member->spec, model->config()));
    return model;
  }

  Result RunSolo(const FusedMember& member) const {
    PipelineOptions own = options_;
    own.trial_number = member.trial_number;
    own.cancel_requested = member.cancel_requested;
    own.pruned = member.pruned;
    return RunTaskPipeline(member.spec, own, cache_, member.progress);
  }

  absl::Status RunStage(size_t i) {
    const StageSpec& stage = Spec().stages[i];
    const std::string name(StageKindName(stage.kind));
    std::vector<std::pair<int64_t, Result>> leaving;
    for (size_t p = 0; p < active_.size(); ++p) {
      const size_t m = active_[p];
      if (Report(
              m,
              {.stage = name, .stage_index = static_cast<int>(i), .fraction = Fraction(i, 0.0)})) {
        states_[m].stages_started = i + 1;
      } else {
        leaving.emplace_back(p, Cancelled(m, p, name));
      }
    }
    NASQ_RETURN_IF_ERROR(Leave(leaving));
    switch (stage.kind) {
      case StageKind::kQuantise:
        NASQ_RETURN_IF_ERROR(QuantiseStage(i));
        break;
      case StageKind::kTrain:
      case StageKind::kFinetune:
        NASQ_RETURN_IF_ERROR(TrainStage(i, name));
        break;
      case StageKind::kEvaluate:
        NASQ_RETURN_IF_ERROR(EvaluateAll());
        for (size_t m : active_) {
          AddLabelledEvalMetrics(states_[m].member->spec.stages[i].label, *states_[m].current_eval,
                                 states_[m].metrics);
        }
        break;
      case StageKind::kPrune:
        return absl::InvalidArgumentError("prune stages cannot be fused");
    }
    if (stage.kind != StageKind::kEvaluate) {
      for (MemberState& state : states_) state.current_eval.reset();
    }
    const bool evaluated = Spec().evaluate_each_stage || stage.kind == StageKind::kEvaluate;
    if (evaluated && !active_.empty()) NASQ_RETURN_IF_ERROR(EvaluateAll());
    leaving.clear();
    for (size_t p = 0; p < active_.size(); ++p) {
      const size_t m = active_[p];
      const double accuracy =
          evaluated ? states_[m].current_eval->accuracy : std::numeric_limits<double>::quiet_NaN();
      if (!Report(m, {.stage = name,
                      .stage_index = static_cast<int>(i),
                      .stage_done = true,
                      .step = static_cast<int64_t>(i),
                      .value = accuracy,
                      .fraction = Fraction(i + 1, 0.0),
                      .intermediate = true})) {
        leaving.emplace_back(p, Cancelled(m, p, name));
      }
    }
    return Leave(leaving);
  }

  absl::Status QuantiseStage(size_t i) {
    std::vector<std::pair<int64_t, Result>> leaving;
    for (size_t p = 0; p < active_.size(); ++p) {
      MemberState& state = states_[active_[p]];
      if (absl::Status status = fused_->QuantiseMember(p, state.quant.at(i)); !status.ok()) {
        leaving.emplace_back(p, status);
      }
      state.quantised = true;
    }
    return Leave(leaving);
  }

  absl::Status TrainStage(size_t i, const std::string& name) {
    std::vector<FusedTrainMember> training;
    const std::vector<size_t> members = active_;
    for (size_t m : members) {
      const FusedMember& member = *states_[m].member;
      FusedTrainMember own;
      own.options = StageTrainOptions(member.spec, member.spec.stages[i].train, compute_);
      own.options.should_stop = member.cancel_requested;
      own.progress = [this, m, i, &name](const TrainProgress& p) {
        const double within = p.total_steps > 0
                                  ? static_cast<double>(p.step) / static_cast<double>(p.total_steps)
                                  : 0;
        return Report(m, {.stage = name,
                          .stage_index = static_cast<int>(i),
                          .step = p.step,
                          .value = p.loss,
                          .fraction = Fraction(i, within)});
      };
      training.push_back(std::move(own));
    }
    // A member stopped by its hooks is unfused before its slice goes, for its pruned metrics.
    auto on_drop = [&](size_t j, int64_t position, const absl::Status& reason) {
      MemberState& state = states_[members[j]];
      if (absl::IsCancelled(reason) && state.member->pruned && state.member->pruned()) {
        absl::StatusOr<std::shared_ptr<Model>> model = fused_->Unfuse(position);
        state.stopped_model = model.ok() ? *model : nullptr;
      }
    };
    NASQ_ASSIGN_OR_RETURN(auto rows, Rows(DataSplit::kTrain));
    NASQ_ASSIGN_OR_RETURN(auto outcomes, TrainFused(*fused_, *rows, training, on_drop));
    active_.clear();
    for (size_t j = 0; j < members.size(); ++j) {
      const size_t m = members[j];
      MemberState& state = states_[m];
      const FusedTrainOutcome& outcome = outcomes[j];
      const TrainSettings& train = state.member->spec.stages[i].train;
      state.times.train_seconds += outcome.result.seconds;
      if (!outcome.status.ok()) {
        state.result = outcome.status;
      } else if (outcome.result.stopped_early) {
        state.times.trained_samples += static_cast<double>(outcome.result.steps) * train.batch_size;
        state.result =
            state.stopped_model
                ? PrunedMetrics(state, *state.stopped_model)
                : Result(absl::CancelledError(absl::StrCat("trial cancelled during ", name)));
        state.stopped_model.reset();
      } else {
        state.times.trained_samples += static_cast<double>(data_->train.size()) * train.epochs;
        active_.push_back(m);
      }
    }
    return absl::OkStatus();
  }

  // data_'s `split` laid out on compute_.device, made once per process by the cache.
  absl::StatusOr<std::shared_ptr<const DeviceDataset>> Rows(DataSplit split) {
    return cache_.GetDeviceData(data_, split, compute_.device.str());
  }

  // Test metrics of every active member (current_eval), computed at most once per model state.
  absl::Status EvaluateAll() {
    if (active_.empty() || states_[active_.front()].current_eval) return absl::OkStatus();
    const auto start = std::chrono::steady_clock::now();
    NASQ_ASSIGN_OR_RETURN(auto rows, Rows(DataSplit::kTest));
    NASQ_ASSIGN_OR_RETURN(
        std::vector<EvalMetrics> evals,
        EvaluateFused(*fused_, *rows, {.batch_size = Spec().eval_batch_size, .compute = compute_}));
    const double seconds = SecondsSince(start);
    for (size_t p = 0; p < active_.size(); ++p) {
      MemberState& state = states_[active_[p]];
      state.current_eval = evals[p];
      state.times.eval_seconds += seconds;
    }
    return absl::OkStatus();
  }

  // The result of member m at model position p, cancelled during `stage`: its pruned metrics
  // when its `pruned` hook says so, else CANCELLED.
  Result Cancelled(size_t m, int64_t p, const std::string& stage) {
    MemberState& state = states_[m];
    if (!state.member->pruned || !state.member->pruned()) {
      return absl::CancelledError(absl::StrCat("trial cancelled during ", stage));
    }
    NASQ_ASSIGN_OR_RETURN(std::shared_ptr<Model> model, fused_->Unfuse(p));
    return PrunedMetrics(state, *model);
  }

  // As the solo pipeline: the quantise stages not started are applied without training, then
  // the cost and timing metrics are added to the metrics gathered so far.
  Result PrunedMetrics(MemberState& state, Model& model) {
    const TaskSpec& spec = state.member->spec;
    for (size_t i = state.stages_started; i < spec.stages.size(); ++i) {
      if (spec.stages[i].kind != StageKind::kQuantise) continue;
      NASQ_RETURN_IF_ERROR(QuantiseBert(model, state.quant.at(i)).status());
      state.quantised = true;
    }
    NASQ_RETURN_IF_ERROR(CostAndTiming(state, model));
    return state.metrics;
  }

  absl::Status CostAndTiming(MemberState& state, Model& model) {
    if (!state.quantised) NASQ_RETURN_IF_ERROR(QuantiseBert(model, QuantisationConfig{}).status());
    NASQ_RETURN_IF_ERROR(
        AddCostMetrics(model, *data_, state.member->spec, compute_.device, state.metrics));
    AddTimingMetrics(state.member->spec, state.times, state.metrics);
    return absl::OkStatus();
  }

  // The finished member at model position p: unfused for its cost metrics and save.
  Result Finish(MemberState& state, int64_t p) {
    NASQ_ASSIGN_OR_RETURN(std::shared_ptr<Model> model, fused_->Unfuse(p));
    NASQ_RETURN_IF_ERROR(CostAndTiming(state, *model));
    NASQ_RETURN_IF_ERROR(
        SaveTrialModel(*model, state.member->spec, state.member->trial_number, data_->vocab_path));
    return state.metrics;
  }

  // Members at model positions `leaving` (ascending) leave the group with their results.
  absl::Status Leave(std::vector<std::pair<int64_t, Result>>& leaving) {
    if (leaving.empty()) return absl::OkStatus();
    std::vector<int64_t> kept;
    std::vector<size_t> active;
    size_t next = 0;
    for (int64_t p = 0; p < static_cast<int64_t>(active_.size()); ++p) {
      if (next < leaving.size() && leaving[next].first == p) {
        states_[active_[p]].result = std::move(leaving[next].second);
        ++next;
        continue;
      }
      kept.push_back(p);
      active.push_back(active_[p]);
    }
    active_ = std::move(active);
    if (!kept.empty()) NASQ_RETURN_IF_ERROR(fused_->KeepMembers(kept));
    return absl::OkStatus();
  }

  const PipelineOptions& options_;
  PipelineCache& cache_;
  std::vector<MemberState> states_;
  std::vector<size_t> active_;  // members still fused, by model position
  ComputeOptions compute_;
  std::shared_ptr<const PreparedData> data_;
  std::shared_ptr<FusedBert> fused_;
};

}  // namespace

std::vector<absl::StatusOr<PipelineMetrics>> RunFusedTaskPipeline(
    const std::vector<FusedMember>& members, const PipelineOptions& options, PipelineCache& cache) {
  const std::string key = members.empty() ? "" : FusionKey(members.front().spec);
  for (const FusedMember& member : members) {
    if (key.empty() || FusionKey(member.spec) != key) {
      return std::vector<absl::StatusOr<PipelineMetrics>>(
          members.size(),
          absl::InvalidArgumentError("the trials cannot be fused: their fusion keys differ"));
    }
  }
  return FusedRun(members, options, cache).Run();
}

}  // namespace nasq
