#include "worker/app/lease_loop.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/convert.h"
#include "task/param_binding.h"
#include "worker/app/worker_labels.h"
#include "worker/pipeline/task_pipeline.h"

namespace nasq {
namespace {

void Log(const std::string& line) { std::clog << "nasq-worker: " << line << std::endl; }

bool LeaseLost(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kNotFound;
}

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

// The task with the trial's params bound, and a check that the study's objectives are metrics
// this task reports.
absl::StatusOr<TaskSpec> TrialTask(const v1::LeaseTrialResponse& lease) {
  auto task = ParseTaskSpec(lease.task_json());
  if (!task.ok()) return task.status();
  ExternalParams params;
  for (const auto& [name, value] : lease.trial().params()) {
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
  abort_ = true;
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
  v1::WorkerCapabilities& capabilities = *request.mutable_capabilities();
  capabilities.add_task_kinds(std::string(kBertClassifyKind));
  for (const std::string& study : options_.studies) capabilities.add_studies(study);
  for (const auto& [key, value] : DescribeWorker(options_)) {
    (*capabilities.mutable_labels())[key] = value;
  }
  while (!stop_) {
    auto lease = client_.LeaseTrial(request);
    if (!lease.ok()) {
      Log(absl::StrCat(worker_id, ": LeaseTrial failed: ", lease.status().ToString()));
      SleepUnlessStopped(options_.retry_backoff);
      continue;
    }
    if (!lease->has_trial()) continue;
    RunTrial(*lease);
  }
  Log(absl::StrCat("stopped after ", completed_.load(), " completed and ", failed_.load(),
                   " failed trials"));
  return absl::OkStatus();
}

void LeaseLoop::RunTrial(const v1::LeaseTrialResponse& lease) {
  const std::string name = lease.trial().name();
  const int64_t epoch = lease.lease().epoch();
  const std::string& token = lease.lease().token();  // every report presents it with the epoch
  Log(absl::StrCat(options_.worker_id, ": running ", name, " (epoch ", epoch, ")"));
  auto fail = [&](const std::string& reason) {
    v1::FailTrialRequest request;
    request.set_name(name);
    request.set_epoch(epoch);
    request.set_lease_token(token);
    request.set_reason(reason);
    auto answer = client_.FailTrial(request);
    ++failed_;
    Log(absl::StrCat(
        name, " failed: ", reason,
        answer.ok() ? "" : absl::StrCat(" (FailTrial: ", answer.status().ToString(), ")")));
  };
  auto task = CatchAll([&] { return TrialTask(lease); });
  if (!task.ok()) return fail(std::string(task.status().message()));

  // The heartbeat thread renews the lease with the latest progress until the pipeline ends.
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  v1::Progress progress;
  progress.set_stage("prepare");
  std::atomic<bool> lost{false};
  std::atomic<bool> stopped{false};
  std::atomic<bool> pruned{false};  // the study's pruner answered prune to a report
  const auto interval = lease.heartbeat_interval_ms() > 0
                            ? std::chrono::milliseconds(lease.heartbeat_interval_ms())
                            : options_.default_heartbeat;
  std::thread heartbeat([&] {
    std::unique_lock<std::mutex> lock(mu);
    while (!done_cv.wait_for(lock, interval, [&] { return done; })) {
      v1::HeartbeatRequest request;
      request.set_name(name);
      request.set_epoch(epoch);
      request.set_lease_token(token);
      *request.mutable_progress() = progress;
      lock.unlock();
      auto answer = client_.Heartbeat(request);
      lock.lock();
      if (!answer.ok()) {
        if (LeaseLost(answer.status())) lost = true;
        Log(absl::StrCat(name, ": Heartbeat failed: ", answer.status().ToString()));
      } else if (answer->stop()) {
        stopped = true;
      }
    }
  });

  PipelineOptions pipeline = ToPipelineOptions(options_);
  pipeline.trial_number = lease.trial().number();
  pipeline.cancel_requested = [&] { return lost || stopped || pruned || abort_; };
  pipeline.pruned = [&] { return pruned.load(); };
  auto metrics = CatchAll([&] {
    return RunTaskPipeline(*task, pipeline, cache_, [&](const PipelineProgress& p) {
      {
        std::lock_guard<std::mutex> lock(mu);
        progress.set_stage(p.stage);
        progress.set_fraction(p.fraction);
      }
      if (p.intermediate && std::isfinite(p.value)) {
        v1::ReportIntermediateRequest request;
        request.set_name(name);
        request.set_epoch(epoch);
        request.set_lease_token(token);
        request.set_step(p.step);
        request.set_value(p.value);
        (*request.mutable_metrics())["accuracy"] = p.value;
        if (!p.stage_done) {
          (*request.mutable_metrics())["intermediate_eval_seconds"] = p.eval_seconds;
        }
        auto answer = client_.ReportIntermediate(request);
        if (!answer.ok() && LeaseLost(answer.status())) lost = true;
        if (answer.ok() && answer->stop()) stopped = true;
        if (answer.ok() && answer->prune()) pruned = true;
      }
      return !lost && !stopped && !pruned && !abort_;
    });
  });
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  done_cv.notify_all();
  heartbeat.join();

  if (lost) {
    Log(absl::StrCat(name, ": the lease was lost; the result is dropped"));
    return;
  }
  if (stopped) return fail("stopped by the coordinator");
  if (abort_ && !metrics.ok()) {
    Log(absl::StrCat(name, ": abandoned at shutdown; the coordinator re-queues it"));
    return;
  }
  if (!pruned && !metrics.ok()) return fail(metrics.status().ToString());

  // A pruned trial ends PRUNED: the server gives it its last intermediate value and keeps its
  // intermediate values; it gets the metrics the pipeline returns for a pruned run (cost metrics
  // and timings, PipelineOptions::pruned), none when that failed.
  v1::CompleteTrialRequest request;
  request.set_name(name);
  request.set_epoch(epoch);
  request.set_lease_token(token);
  if (metrics.ok()) {
    for (const auto& [metric, value] : *metrics) (*request.mutable_metrics())[metric] = value;
  }
  if (pruned) {
    request.set_state(v1::TRIAL_STATE_PRUNED);
  } else if (lease.metric_names().empty()) {
    request.add_values(metrics->at("accuracy"));
  }
  auto answer = client_.CompleteTrial(request);
  if (!answer.ok()) {
    Log(absl::StrCat(name, ": CompleteTrial failed: ", answer.status().ToString()));
    ++failed_;
    return;
  }
  ++completed_;
  Log(pruned ? absl::StrCat(name, " pruned by the study's pruner")
             : absl::StrCat(name, " complete: accuracy ", metrics->at("accuracy")));
}

}  // namespace nasq
