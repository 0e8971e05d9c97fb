// worker/app/lease_loop.h: the coordinator-driven life of a nasq-worker: lease a trial
// (LeaseTrial long-poll), run its pipeline while a heartbeat thread renews the lease, report
// each finished stage (ReportIntermediate, step = stage index, value = accuracy after it; an answer
// "prune" cancels the pipeline and ends the trial PRUNED through CompleteTrial), and
// end with CompleteTrial (metrics; the server picks the objective values by the study's metric
// names) or FailTrial (the error message). A failed trial never ends the worker.
//
// Fused groups: with options.fuse K > 1 the loop asks for up to K trials at once
// (LeaseTrialRequest.max_trials); when the answer carries several (LeaseTrialResponse.fused, all
// with one fusion key), they run as one fused model (worker/pipeline/fused_pipeline.h), each
// member with its own heartbeats, reports, cancellation and end exactly as a single trial
// (held_trial.h); a single trial runs as without --fuse.
//
// Stopping: RequestStop() stops leasing and lets running trials finish (the first SIGTERM with
// --on-sigterm finish); RequestAbort() also cancels running trials without reporting them, so
// their leases expire and the coordinator re-queues them with the same params (the second
// SIGTERM); RequestRelease() stops leasing, cancels running trials and gives them back
// (ReleaseTrial), so the coordinator re-queues them at once (every SIGTERM with --on-sigterm
// release). A trial leased while the worker stops is dropped or released before it starts. A
// heartbeat or intermediate report answered "stop", or a lease that was lost, cancels that trial
// only.
// Thread-safety: Run() once; RequestStop/RequestAbort/RequestRelease from any thread (e.g. a
// signal thread).
#ifndef NASQ_WORKER_APP_LEASE_LOOP_H_
#define NASQ_WORKER_APP_LEASE_LOOP_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "client/nasq_client.h"
#include "worker/app/held_trial.h"
#include "worker/app/worker_options.h"
#include "worker/pipeline/pipeline_cache.h"

namespace nasq {

class LeaseLoop {
 public:
  // `client` must outlive the loop. options.server and options.client are not used (the caller
  // built `client` from them).
  LeaseLoop(const NasqClient& client, WorkerOptions options);

  // Leases and runs trials (or fused groups) one at a time as options.worker_id until
  // RequestStop/RequestAbort and the running trial has ended. Returns OK after an orderly stop. (A
  // multi-slot worker runs one LeaseLoop per slot process, slot_supervisor.h; options.slots only
  // sets the labels and the default thread count.)
  absl::Status Run();

  void RequestStop();
  // Drops the running trials, unless RequestRelease came first (a release is never undone).
  void RequestAbort();
  void RequestRelease();

  // Trials ended so far (completed, failed or released), for logs and tests.
  int trials_completed() const { return completed_.load(); }
  int trials_failed() const { return failed_.load(); }
  int trials_released() const { return released_.load(); }

 private:
  // Runs one leased trial to its end (complete, fail or abandoned).
  void RunTrial(const v1::LeaseTrialResponse& lease);
  // Runs a leased fused group (lease.fused non-empty) as one fused model (fused_pipeline.h), each
  // member reporting and ending on its own (held_trial.h).
  void RunFusedGroup(const v1::LeaseTrialResponse& lease);
  void Count(TrialOutcome outcome);
  // The study's heartbeat interval, else options.default_heartbeat.
  std::chrono::milliseconds HeartbeatInterval(const v1::LeaseTrialResponse& lease) const;
  // Sleeps up to `duration`, waking early on stop.
  void SleepUnlessStopped(std::chrono::milliseconds duration);

  const NasqClient& client_;
  WorkerOptions options_;
  PipelineCache cache_;
  std::atomic<bool> stop_{false};
  std::atomic<Abandon> abandon_{Abandon::kNone};
  std::atomic<int> completed_{0};
  std::atomic<int> failed_{0};
  std::atomic<int> released_{0};
  std::mutex mu_;
  std::condition_variable stop_cv_;
};

}  // namespace nasq

#endif  // NASQ_WORKER_APP_LEASE_LOOP_H_
