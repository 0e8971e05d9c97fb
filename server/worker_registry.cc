#include "server/worker_registry.h"

#include <algorithm>
#include <utility>

namespace nasq {

WorkerRecord& WorkerRegistry::Touch(const std::string& worker_id) {
  const int64_t now = clock_.NowMicros();
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) {
    Forget(now);
    it = workers_.emplace(worker_id, WorkerRecord{worker_id, {}, now, now}).first;
  }
  it->second.last_seen_us = now;
  return it->second;
}

void WorkerRegistry::Forget(int64_t now_us) {
  std::erase_if(workers_, [&](const auto& entry) {
    return now_us - entry.second.last_seen_us >= kForgetWorkerAfterUs;
  });
}

void WorkerRegistry::RecordLease(const std::string& worker_id, const WorkerLabels& labels) {
  if (worker_id.empty()) return;
  MutexLock lock(&mu_);
  Touch(worker_id).labels = labels;
}

void WorkerRegistry::RecordCall(const std::string& worker_id) {
  if (worker_id.empty()) return;
  MutexLock lock(&mu_);
  Touch(worker_id);
}

std::vector<WorkerRecord> WorkerRegistry::Workers(int64_t now_us) {
  MutexLock lock(&mu_);
  Forget(now_us);
  std::vector<WorkerRecord> out;
  out.reserve(workers_.size());
  for (const auto& [id, record] : workers_) out.push_back(record);
  return out;
}

nlohmann::json WorkersJson(WorkerRegistry& registry, StudyManager& manager, int64_t now_us) {
  using Json = nlohmann::json;
  const std::vector<WorkerRecord> records = registry.Workers(now_us);
  std::map<std::string, Json> running;  // worker id -> its RUNNING trials
  for (const WorkerRecord& record : records) running[record.id] = Json::array();
  std::vector<StudySummary> studies = manager.ListStudies();
  std::sort(studies.begin(), studies.end(), [](const StudySummary& a, const StudySummary& b) {
    return a.study.spec.name < b.study.spec.name;
  });
  for (const StudySummary& summary : studies) {
    if (summary.count(TrialState::kRunning) == 0) continue;
    const std::string& name = summary.study.spec.name;
    absl::StatusOr<std::vector<Trial>> trials = manager.ListTrials(name, {TrialState::kRunning});
    if (!trials.ok()) continue;  // deleted since ListStudies
    for (const Trial& trial : *trials) {
      if (!trial.lease || trial.lease->kind != LeaseKind::kWorker) continue;
      auto holder = running.find(trial.lease->worker_id);
      if (holder == running.end()) continue;
      holder->second.push_back(
          {{"study", name},
           {"number", trial.number},
           {"since_us", trial.datetime_start_us},
           {"last_step", trial.intermediate_values.empty()
                             ? Json(nullptr)
                             : Json(trial.intermediate_values.rbegin()->first)}});
    }
  }
  Json workers = Json::array();
  for (const WorkerRecord& record : records) {
    workers.push_back(
        {{"id", record.id},
         {"labels", record.labels},
         {"first_seen_us", record.first_seen_us},
         {"last_seen_us", record.last_seen_us},
         {"heartbeat_age_ms", std::max<int64_t>(0, now_us - record.last_seen_us) / 1000},
         {"running", std::move(running[record.id])}});
  }
  return {{"now_us", now_us}, {"workers", std::move(workers)}};
}

}  // namespace nasq
