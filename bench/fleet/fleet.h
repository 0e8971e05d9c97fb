// bench/fleet/fleet.h: Fleet, a simulated fleet of workers against one nasq-server. Each worker
// is a thread with its own gRPC channel (its own TCP connection, opened before its first call)
// that speaks WorkerService as nasq-worker does: LeaseTrial (a long poll of at most 2 s, only
// from the given study), then "runs" the trial by sleeping while it sends Heartbeat every
// heartbeat_interval_ms of the lease answer, then CompleteTrial with the value of param "x";
// and again, until Stop(), when a worker gives back the trial it holds with ReleaseTrial (as a
// worker that stops cleanly does). Each call is tried once (no retries), so every failure is
// counted.
//
// Measured: the round trip of each LeaseTrial that returned a trial (a LeaseTrial that ended its
// wait without one is counted apart, not timed), of each Heartbeat and of each CompleteTrial,
// for the calls that start inside [window_begin, window_end).
//
// Thread-safety: a Fleet is driven by one thread.
#ifndef NASQ_BENCH_FLEET_FLEET_H_
#define NASQ_BENCH_FLEET_FLEET_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/nasq_client.h"

namespace nasq::bench {

struct FleetOptions {
  std::string address;  // the server, host:port
  std::string study;    // the study id workers lease from
  int workers = 0;
  // Each trial sleeps this long times a uniform factor in [0.9, 1.1] drawn per trial, so that the
  // workers' calls do not fall into step.
  std::chrono::milliseconds trial_duration{5000};
  // Worker i starts (connects) at i / workers * stagger after construction, as a fleet whose
  // workers came up at different times.
  std::chrono::milliseconds stagger{0};
  // Calls that start in [window_begin, window_end) are timed.
  std::chrono::steady_clock::time_point window_begin;
  std::chrono::steady_clock::time_point window_end;
};

struct FleetTally {
  // Round trips in milliseconds of the calls that started in the window.
  std::vector<double> lease_ms;
  std::vector<double> heartbeat_ms;
  std::vector<double> complete_ms;
  int64_t completed = 0;  // CompleteTrial answered OK, over the whole run
  // Trials in hand at Stop(), given back with ReleaseTrial (answered OK), by name. A set: a
  // trial released by one worker may be leased by another whose LeaseTrial was under way at
  // Stop(), which then releases it too.
  std::set<std::string> released;
  int64_t empty_leases = 0;                // LeaseTrial answers without a trial (the wait ended)
  int64_t errors = 0;                      // calls that failed, and heartbeats that answered stop
  std::vector<std::string> error_samples;  // the first few errors, "<call>: <status>"

  void Merge(FleetTally other);
};

class Fleet {
 public:
  // Starts options.workers threads at once; each sleeps until its start time.
  explicit Fleet(FleetOptions options);
  // Stop()s if the caller did not.
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Stops every worker and waits for them: a worker holding a trial gives it back with
  // ReleaseTrial (reason "fleet bench stopped"; the server re-queues it WAITING), a worker in
  // LeaseTrial ends with its long poll (at most 2 s; a trial it gets then is released likewise).
  // Returns the tally of all workers; later calls return an empty tally.
  FleetTally Stop();

 private:
  // Worker `index`: waits for its start, connects, then leases and runs trials until Stop().
  void Run(int index);
  // Runs the trial of `leased` (heartbeats, then CompleteTrial; ReleaseTrial when stopped first).
  void RunTrial(const NasqClient& client, const v1::LeaseTrialResponse& leased,
                std::chrono::milliseconds duration, FleetTally& tally);
  // Adds the round trip of a call sent at `sent` to `into` if it was sent in the window.
  void Record(std::chrono::steady_clock::time_point sent, std::vector<double>& into) const;
  // Sleeps until `until` or Stop(), whichever is first; false when stopped.
  bool SleepUntil(std::chrono::steady_clock::time_point until);
  bool Stopped();

  const FleetOptions options_;
  std::mutex mu_;
  std::condition_variable stopped_;  // notified when stop_ is set
  bool stop_ = false;                // guarded by mu_
  FleetTally tally_;                 // guarded by mu_; each worker merges its own at its end
  std::vector<std::thread> threads_;
};

}  // namespace nasq::bench

#endif  // NASQ_BENCH_FLEET_FLEET_H_
