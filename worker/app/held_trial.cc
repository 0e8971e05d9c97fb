#include "worker/app/held_trial.h"

#include <cmath>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/app/worker_log.h"

namespace nasq {
namespace {

bool LeaseLost(const absl::Status& status) {
  return status.code() == absl::StatusCode::kFailedPrecondition ||
         status.code() == absl::StatusCode::kNotFound;
}

}  // namespace

HeldTrial::HeldTrial(const NasqClient& client, v1::Trial trial, v1::Lease lease,
                     std::vector<std::string> metric_names, const std::atomic<Abandon>& abandon)
    : client_(client),
      trial_(std::move(trial)),
      lease_(std::move(lease)),
      metric_names_(std::move(metric_names)),
      abandon_(abandon) {
  progress_.set_stage("prepare");
}

void HeldTrial::Heartbeat() {
  if (lost_) return;
  v1::HeartbeatRequest request;
  request.set_name(name());
  request.set_epoch(epoch());
  request.set_lease_token(lease_.token());
  {
    std::lock_guard<std::mutex> lock(mu_);
    *request.mutable_progress() = progress_;
  }
  auto answer = client_.Heartbeat(request);
  if (!answer.ok()) {
    if (LeaseLost(answer.status())) lost_ = true;
    WorkerLog(absl::StrCat(name(), ": Heartbeat failed: ", answer.status().ToString()));
  } else if (answer->stop()) {
    stopped_ = true;
  }
}

bool HeldTrial::OnProgress(const PipelineProgress& p) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    progress_.set_stage(p.stage);
    progress_.set_fraction(p.fraction);
  }
  if (p.intermediate && std::isfinite(p.value) && !lost_) {
    v1::ReportIntermediateRequest request;
    request.set_name(name());
    request.set_epoch(epoch());
    request.set_lease_token(lease_.token());
    request.set_step(p.step);
    request.set_value(p.value);
    (*request.mutable_metrics())["accuracy"] = p.value;
    if (!p.stage_done) (*request.mutable_metrics())["intermediate_eval_seconds"] = p.eval_seconds;
    auto answer = client_.ReportIntermediate(request);
    if (!answer.ok()) {
      if (LeaseLost(answer.status())) lost_ = true;
      WorkerLog(absl::StrCat(name(), ": ReportIntermediate failed: ", answer.status().ToString()));
    }
    if (answer.ok() && answer->stop()) stopped_ = true;
    if (answer.ok() && answer->prune()) pruned_ = true;
  }
  return !cancel_requested();
}

TrialOutcome HeldTrial::Fail(const std::string& reason) {
  v1::FailTrialRequest request;
  request.set_name(name());
  request.set_epoch(epoch());
  request.set_lease_token(lease_.token());
  request.set_reason(reason);
  auto answer = client_.FailTrial(request);
  WorkerLog(absl::StrCat(
      name(), " failed: ", reason,
      answer.ok() ? "" : absl::StrCat(" (FailTrial: ", answer.status().ToString(), ")")));
  return TrialOutcome::kFailed;
}

TrialOutcome HeldTrial::Release(const std::string& reason) {
  v1::ReleaseTrialRequest request;
  request.set_name(name());
  request.set_epoch(epoch());
  request.set_lease_token(lease_.token());
  request.set_reason(reason);
  auto answer = client_.ReleaseTrial(request);
  if (!answer.ok()) {
    WorkerLog(absl::StrCat(name(), ": ReleaseTrial failed (", answer.status().ToString(),
                           "); the coordinator re-queues it once its lease expires"));
    return TrialOutcome::kDropped;
  }
  WorkerLog(absl::StrCat(name(), " released: the coordinator re-queued it"));
  return TrialOutcome::kReleased;
}

TrialOutcome HeldTrial::Finish(const absl::StatusOr<PipelineMetrics>& metrics) {
  if (lost_) {
    WorkerLog(absl::StrCat(name(), ": the lease was lost; the result is dropped"));
    return TrialOutcome::kDropped;
  }
  if (stopped_) return Fail("stopped by the coordinator");
  const Abandon abandon = abandon_.load();
  if (abandon == Abandon::kRelease && !metrics.ok()) return Release(kShutdownReleaseReason);
  if (abandon == Abandon::kDrop && !metrics.ok()) {
    WorkerLog(absl::StrCat(name(), ": abandoned at shutdown; the coordinator re-queues it"));
    return TrialOutcome::kDropped;
  }
  if (!pruned_ && !metrics.ok()) return Fail(metrics.status().ToString());

  // A pruned trial ends PRUNED: the server gives it its last intermediate value and keeps its
  // intermediate values; it gets the metrics the pipeline returns for a pruned run (cost metrics
  // and timings, PipelineOptions::pruned), none when that failed.
  v1::CompleteTrialRequest request;
  request.set_name(name());
  request.set_epoch(epoch());
  request.set_lease_token(lease_.token());
  if (metrics.ok()) {
    for (const auto& [metric, value] : *metrics) (*request.mutable_metrics())[metric] = value;
  }
  if (pruned_) {
    request.set_state(v1::TRIAL_STATE_PRUNED);
  } else if (metric_names_.empty()) {
    request.add_values(metrics->at("accuracy"));
  }
  auto answer = client_.CompleteTrial(request);
  if (!answer.ok()) {
    WorkerLog(absl::StrCat(name(), ": CompleteTrial failed: ", answer.status().ToString()));
    return TrialOutcome::kFailed;
  }
  WorkerLog(pruned_ ? absl::StrCat(name(), " pruned by the study's pruner")
                    : absl::StrCat(name(), " complete: accuracy ", metrics->at("accuracy")));
  return TrialOutcome::kCompleted;
}

HeartbeatThread::HeartbeatThread(std::vector<HeldTrial*> trials, std::chrono::milliseconds interval)
    : thread_([this, trials = std::move(trials), interval] {
        std::unique_lock<std::mutex> lock(mu_);
        while (!done_cv_.wait_for(lock, interval, [&] { return done_; })) {
          lock.unlock();
          for (HeldTrial* trial : trials) trial->Heartbeat();
          lock.lock();
        }
      }) {}

void HeartbeatThread::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  done_cv_.notify_all();
  thread_.join();
}

}  // namespace nasq
