// worker/app/held_trial.h: one trial a nasq-worker holds under its lease, and its side of the
// WorkerService protocol while the pipeline runs it, alone or as a member of a fused group
// (lease_loop.h): heartbeats with its latest progress, one ReportIntermediate per intermediate
// value, and its end: CompleteTrial (metrics; PRUNED after a report answered prune) or FailTrial
// (the reason), each presenting the trial's own lease epoch and token.
//
// A heartbeat or report answered "stop", a lost lease (FAILED_PRECONDITION or NOT_FOUND), a
// prune answer or the worker's abort make cancel_requested() true for this trial only.
// Thread-safety: Heartbeat() may run on a heartbeat thread while the pipeline calls
// OnProgress() and cancel_requested(); Finish() and Fail() once, after both have stopped.
#ifndef NASQ_WORKER_APP_HELD_TRIAL_H_
#define NASQ_WORKER_APP_HELD_TRIAL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "client/nasq_client.h"
#include "worker/pipeline/task_pipeline.h"

namespace nasq {

// How a held trial ended, for the worker's counts.
enum class TrialOutcome {
  kCompleted,  // CompleteTrial accepted (COMPLETE or PRUNED)
  kFailed,     // FailTrial sent, or CompleteTrial refused
  kDropped,    // not reported: the lease was lost, or abandoned at shutdown (re-queued)
};

class HeldTrial {
 public:
  // `client` and `abort` (the worker's "abandon running trials") must outlive the trial.
  // `metric_names` are the study's (LeaseTrialResponse.metric_names).
  HeldTrial(const NasqClient& client, v1::Trial trial, v1::Lease lease,
            std::vector<std::string> metric_names, const std::atomic<bool>& abort);

  const std::string& name() const { return trial_.name(); }
  int64_t number() const { return trial_.number(); }
  int64_t epoch() const { return lease_.epoch(); }
  const v1::Trial& trial() const { return trial_; }

  // Renews the lease, with the latest progress.
  void Heartbeat();
  // The pipeline's progress callback: records the stage and reports an intermediate value.
  // Returns false once the trial should stop (as cancel_requested()).
  bool OnProgress(const PipelineProgress& progress);
  bool cancel_requested() const { return lost_ || stopped_ || pruned_ || abort_; }
  // The study's pruner answered prune to a report (PipelineOptions::pruned).
  bool pruned() const { return pruned_; }

  // Ends the trial with the pipeline's result (see top): a lost lease or an abandoned run is
  // not reported, a stop is failed, an error is failed with its message, else completed.
  TrialOutcome Finish(const absl::StatusOr<PipelineMetrics>& metrics);
  // Fails the trial with `reason` (FailTrial).
  TrialOutcome Fail(const std::string& reason);

 private:
  const NasqClient& client_;
  const v1::Trial trial_;
  const v1::Lease lease_;
  const std::vector<std::string> metric_names_;
  const std::atomic<bool>& abort_;
  std::mutex mu_;
  v1::Progress progress_;  // guarded by mu_
  std::atomic<bool> lost_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> pruned_{false};
};

// A thread that heartbeats `trials` every `interval` (one after another) from construction until
// Stop() or destruction. Thread-safety: Stop() from the owning thread.
class HeartbeatThread {
 public:
  HeartbeatThread(std::vector<HeldTrial*> trials, std::chrono::milliseconds interval);
  ~HeartbeatThread() { Stop(); }
  // Wakes the thread and waits for it to end.
  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable done_cv_;
  bool done_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace nasq

#endif  // NASQ_WORKER_APP_HELD_TRIAL_H_
