#include "worker/app/lease_loop.h"

#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "proto/convert.h"
#include "task/param_binding.h"
#include "worker/app/held_trial.h"
#include "worker/app/worker_labels.h"
#include "worker/app/worker_log.h"
#include "worker/pipeline/fused_pipeline.h"
#include "worker/pipeline/task_pipeline.h"

namespace nasq {
namespace {

// `run()`, with any exception that escapes it turned into INTERNAL, so that whatever a leased
// task does, its trial fails with the reason and the worker lives on.
template <typename Run>
auto CatchAll(const Run& run) -> decltype(run()) {
  try {
    return run();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("uncaught exception: ", e.what()));
  } catch (...) {
    return absl::InternalError("uncaught exception of an unknown type");
  }
}

// The study's task with `trial`'s params bound, and a check that the study's objectives are
// metrics this task reports.
absl::StatusOr<TaskSpec> TrialTask(const v1::LeaseTrialResponse& lease, const v1::Trial& trial) {
  auto task = ParseTaskSpec(lease.task_json());
  if (!task.ok()) return task.status();
  ExternalParams params;
  for (const auto& [name, value] : trial.params()) {
    auto external = ParamValueFromProto(value, absl::StrCat("params.", name));
    if (!external.ok()) return external.status();
    params[name] = *external;
  }
  auto bound = BindTrialParams(*std::move(task), params);
  if (!bound.ok()) return bound.status();
  const std::vector<std::string> metrics(lease.metric_names().begin(), lease.metric_names().end());
  if (absl::Status produced = CheckMetricsProduced(*bound, metrics); !produced.ok()) {
    return produced;
  }
  return bound;
}

// The result of a trial leased while the worker stops: it never starts.
absl::Status StoppingBeforeStart() {
  return absl::CancelledError("the worker is stopping; the trial was not started");
}

}  // namespace

LeaseLoop::LeaseLoop(const NasqClient& client, WorkerOptions options)
    : client_(client), options_(std::move(options)) {
  ApplyWorkerDefaults(options_);
}

void LeaseLoop::RequestStop() {
  stop_ = true;
  stop_cv_.notify_all();
}

void LeaseLoop::RequestAbort() {
  Abandon none = Abandon::kNone;
  abandon_.compare_exchange_strong(none, Abandon::kDrop);
  RequestStop();
}

void LeaseLoop::RequestRelease() {
  abandon_ = Abandon::kRelease;
  RequestStop();
}

void LeaseLoop::SleepUnlessStopped(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mu_);
  stop_cv_.wait_for(lock, duration, [&] { return stop_.load(); });
}

absl::Status LeaseLoop::Run() {
  const std::string& worker_id = options_.worker_id;
  v1::LeaseTrialRequest request;
  request.set_worker_id(worker_id);
  request.set_wait_ms(options_.lease_wait.count());
  if (options_.fuse > 1) request.set_max_trials(options_.fuse);
  v1::WorkerCapabilities& capabilities = *request.mutable_capabilities();
  capabilities.add_task_kinds(std::string(kBertClassifyKind));
  for (const std::string& study : options_.studies) capabilities.add_studies(study);
  for (const auto& [key, value] : DescribeWorker(options_)) {
    (*capabilities.mutable_labels())[key] = value;
  }
  while (!stop_) {
    auto lease = client_.LeaseTrial(request);
    if (!lease.ok()) {
      WorkerLog(absl::StrCat(worker_id, ": LeaseTrial failed: ", lease.status().ToString()));
      SleepUnlessStopped(options_.retry_backoff);
      continue;
    }
    if (!lease->has_trial()) continue;
    if (lease->fused().empty()) {
      RunTrial(*lease);
    } else {
      RunFusedGroup(*lease);
    }
  }
  WorkerLog(absl::StrCat("stopped after ", completed_.load(), " completed, ", failed_.load(),
                         " failed and ", released_.load(), " released trials"));
  return absl::OkStatus();
}

void LeaseLoop::Count(TrialOutcome outcome) {
  if (outcome == TrialOutcome::kCompleted) ++completed_;
  if (outcome == TrialOutcome::kFailed) ++failed_;
  if (outcome == TrialOutcome::kReleased) ++released_;
}

std::chrono::milliseconds LeaseLoop::HeartbeatInterval(const v1::LeaseTrialResponse& lease) const {
  return lease.heartbeat_interval_ms() > 0
             ? std::chrono::milliseconds(lease.heartbeat_interval_ms())
             : options_.default_heartbeat;
}

void LeaseLoop::RunTrial(const v1::LeaseTrialResponse& lease) {
  HeldTrial trial(client_, lease.trial(), lease.lease(),
                  {lease.metric_names().begin(), lease.metric_names().end()}, abandon_);
  if (trial.cancel_requested()) return Count(trial.Finish(StoppingBeforeStart()));
  WorkerLog(
      absl::StrCat(options_.worker_id, ": running ", trial.name(), " (epoch ", trial.epoch(), ")"));
  auto task = CatchAll([&] { return TrialTask(lease, lease.trial()); });
  if (!task.ok()) return Count(trial.Fail(std::string(task.status().message())));

  HeartbeatThread heartbeat({&trial}, HeartbeatInterval(lease));
  PipelineOptions pipeline = ToPipelineOptions(options_);
  pipeline.trial_number = trial.number();
  pipeline.cancel_requested = [&] { return trial.cancel_requested(); };
  pipeline.pruned = [&] { return trial.pruned(); };
  auto metrics = CatchAll([&] {
    return RunTaskPipeline(*task, pipeline, cache_,
                           [&](const PipelineProgress& p) { return trial.OnProgress(p); });
  });
  heartbeat.Stop();
  Count(trial.Finish(metrics));
}

void LeaseLoop::RunFusedGroup(const v1::LeaseTrialResponse& lease) {
  const std::vector<std::string> metric_names(lease.metric_names().begin(),
                                              lease.metric_names().end());
  std::vector<std::unique_ptr<HeldTrial>> held;
  held.push_back(
      std::make_unique<HeldTrial>(client_, lease.trial(), lease.lease(), metric_names, abandon_));
  for (const v1::FusedTrial& fused : lease.fused()) {
    held.push_back(
        std::make_unique<HeldTrial>(client_, fused.trial(), fused.lease(), metric_names, abandon_));
  }
  // One member per trial whose task binds; the others fail at once.
  std::vector<HeldTrial*> running;
  std::vector<FusedMember> members;
  for (const std::unique_ptr<HeldTrial>& trial : held) {
    if (trial->cancel_requested()) {
      Count(trial->Finish(StoppingBeforeStart()));
      continue;
    }
    auto task = CatchAll([&] { return TrialTask(lease, trial->trial()); });
    if (!task.ok()) {
      Count(trial->Fail(std::string(task.status().message())));
      continue;
    }
    HeldTrial* member = trial.get();
    running.push_back(member);
    members.push_back(FusedMember{
        .spec = *std::move(task),
        .trial_number = member->number(),
        .progress = [member](const PipelineProgress& p) { return member->OnProgress(p); },
        .cancel_requested = [member] { return member->cancel_requested(); },
        .pruned = [member] { return member->pruned(); },
    });
  }
  if (running.empty()) return;
  std::vector<std::string> names;
  for (const HeldTrial* trial : running) names.push_back(trial->name());
  WorkerLog(absl::StrCat(options_.worker_id, ": running ", running.size(),
                         " trials fused: ", absl::StrJoin(names, ", ")));

  HeartbeatThread heartbeat(running, HeartbeatInterval(lease));
  std::vector<absl::StatusOr<PipelineMetrics>> results;
  const absl::Status crashed = CatchAll([&] {
    results = RunFusedTaskPipeline(members, ToPipelineOptions(options_), cache_);
    return absl::OkStatus();
  });
  if (!crashed.ok() || results.size() != running.size()) {
    results.assign(running.size(),
                   crashed.ok() ? absl::InternalError("the fused pipeline returned no result for "
                                                      "some members")
                                : crashed);
  }
  heartbeat.Stop();
  for (size_t i = 0; i < running.size(); ++i) Count(running[i]->Finish(results[i]));
}

}  // namespace nasq
