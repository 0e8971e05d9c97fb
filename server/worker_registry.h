// server/worker_registry.h: the workers the coordinator has heard from since it started, for the
// dashboard's GET /api/v1/workers (docs/dashboard.md). Kept in memory only.
//
// WorkerServiceImpl records a worker when it calls LeaseTrial (with its labels, also when no
// trial was leased), Heartbeat or ReportIntermediate under a worker's lease (kind worker: a
// client holding an asked lease heart-beats through the same RPCs but is no worker), and
// CompleteTrial, FailTrial or ReleaseTrial (the trial's lease holder; only workers end leases
// through these, clients tell through StudyService). Times are the injected Clock's. A worker
// unseen for kForgetWorkerAfterUs is dropped: listing never returns it, and it is erased when a
// new worker is recorded or the registry is listed (so memory stays bounded by the workers of
// the last hour without a scan per heartbeat).
//
// Thread-safety: thread-safe; the clock must outlive the registry.
#ifndef NASQ_SERVER_WORKER_REGISTRY_H_
#define NASQ_SERVER_WORKER_REGISTRY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include "nlohmann/json.hpp"
#include "server/study_manager.h"

namespace nasq {

// How long a worker is kept after it was last seen: one hour.
inline constexpr int64_t kForgetWorkerAfterUs = 3600LL * 1'000'000;

// What the registry knows of one worker.
struct WorkerRecord {
  std::string id;
  WorkerLabels labels;  // from its latest LeaseTrial; empty until it leases
  int64_t first_seen_us = 0;
  int64_t last_seen_us = 0;
};

class WorkerRegistry {
 public:
  explicit WorkerRegistry(Clock* clock) : clock_(*clock) {}

  // `worker_id` called LeaseTrial with `labels` now: recorded (first seen now when new), its
  // labels replaced. An empty id is ignored.
  void RecordLease(const std::string& worker_id, const WorkerLabels& labels);
  // `worker_id` called under its lease now (Heartbeat, ReportIntermediate, CompleteTrial,
  // FailTrial, ReleaseTrial): recorded, keeping its labels (none when new). An empty id is
  // ignored.
  void RecordCall(const std::string& worker_id);

  // The workers seen less than kForgetWorkerAfterUs before `now_us`, by id.
  std::vector<WorkerRecord> Workers(int64_t now_us);

 private:
  // The record of `worker_id`, seen now; created (after dropping the forgotten ones) when new.
  WorkerRecord& Touch(const std::string& worker_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Erases the workers unseen for kForgetWorkerAfterUs before `now_us`.
  void Forget(int64_t now_us) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock& clock_;
  Mutex mu_;
  std::map<std::string, WorkerRecord> workers_ ABSL_GUARDED_BY(mu_);
};

// GET /api/v1/workers as docs/dashboard.md says: {"now_us", "workers": [{"id", "labels",
// "first_seen_us", "last_seen_us", "heartbeat_age_ms" (now - last seen, >= 0), "running":
// [{"study", "number", "since_us" (the trial's start, i.e. its lease's), "last_step" (its highest
// reported step, null before any)}]}]}, workers by id, each with the RUNNING trials of every study
// whose worker lease names it (by study name, then number). Reads every study's RUNNING trials from
// `manager`; a study that cannot be read (deleted meanwhile) is skipped.
nlohmann::json WorkersJson(WorkerRegistry& registry, StudyManager& manager, int64_t now_us);

}  // namespace nasq

#endif  // NASQ_SERVER_WORKER_REGISTRY_H_
