// worker/app/held_trial.h: one trial a nasq-worker holds under its lease, and its side of the
// WorkerService protocol while the pipeline runs it, alone or as a member of a fused group
// (lease_loop.h): heartbeats with its latest progress, one ReportIntermediate per intermediate
// value, and its end: CompleteTrial (metrics; PRUNED after a report answered prune) or FailTrial
// (the reason), each presenting the trial's own lease epoch and token.
//
// A heartbeat or report answered "stop", a lost lease (FAILED_PRECONDITION or NOT_FOUND) or a
// prune answer make cancel_requested() true for this trial only; the worker's shutdown
// (Abandon) for every trial it holds.
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
  kReleased,   // given back at shutdown (ReleaseTrial accepted): re-queued at once
  kDropped,    // not reported: the lease was lost, or abandoned at shutdown (re-queued once its
               // lease expires)
};

// What a stopping worker does with the trials it holds (lease_loop.h).
enum class Abandon {
  kNone,     // nothing: they run to their end and report
  kDrop,     // cancel them without reporting: their leases expire and the coordinator re-queues
  kRelease,  // cancel them and give them back (ReleaseTrial): re-queued at once
};

// The reason a trial released at shutdown gives (ReleaseTrialRequest.reason).
inline constexpr char kShutdownReleaseReason[] =
    "the worker was stopped (SIGTERM) before the trial ended";

class HeldTrial {
 public:
  // `client` and `abandon` (the worker's shutdown, kNone while it runs) must outlive the trial.
  // `metric_names` are the study's (LeaseTrialResponse.metric_names).
  HeldTrial(const NasqClient& client, v1::Trial trial, v1::Lease lease,
            std::vector<std::string> metric_names, const std::atomic<Abandon>& abandon);

  const std::string& name() const { return trial_.name(); }
  int64_t number() const { return trial_.number(); }
  int64_t epoch() const { return lease_.epoch(); }
  const v1::Trial& trial() const { return trial_; }

  // Renews the lease, with the latest progress.
  void Heartbeat();
  // The pipeline's progress callback: records the stage and reports an intermediate value.
  // Returns false once the trial should stop (as cancel_requested()).
  bool OnProgress(const PipelineProgress& progress);
  bool cancel_requested() const {
    return lost_ || stopped_ || pruned_ || abandon_.load() != Abandon::kNone;
  }
  // The study's pruner answered prune to a report (PipelineOptions::pruned).
  bool pruned() const { return pruned_; }

  // Ends the trial with the pipeline's result (see top): a lost lease or a run dropped at
  // shutdown is not reported, a run cancelled by a releasing shutdown is released
  // (kShutdownReleaseReason), a stop is failed, an error is failed with its message, else
  // completed.
  TrialOutcome Finish(const absl::StatusOr<PipelineMetrics>& metrics);
  // Fails the trial with `reason` (FailTrial).
  TrialOutcome Fail(const std::string& reason);
  // Gives the trial back with `reason` (ReleaseTrial): kReleased, or kDropped when the call
  // failed (the lease then expires).
  TrialOutcome Release(const std::string& reason);

 private:
  const NasqClient& client_;
  const v1::Trial trial_;
  const v1::Lease lease_;
  const std::vector<std::string> metric_names_;
  const std::atomic<Abandon>& abandon_;
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
