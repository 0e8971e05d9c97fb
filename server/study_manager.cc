#include "server/study_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/limits.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "pruner/pruner.h"
#include "sampler/sampler.h"
#include "server/lease_token.h"
#include "server/task_validation.h"
#include "server/trial_attempts.h"
#include "server/trial_rules.h"
#include "storage/trial_checks.h"
#include "task/fusion_key.h"

namespace nasq {

StudyManager::Entry::Entry(int64_t id, std::string study_name, std::string task_kind)
    : id(id), study_name(std::move(study_name)), task_kind(std::move(task_kind)) {}

StudyManager::Entry::~Entry() = default;

void StudyManager::Entry::Track(const Trial& trial, int delta) {
  counts[static_cast<int>(trial.state)] += delta;
  std::set<int64_t>* set = trial.state == TrialState::kWaiting   ? &waiting
                           : trial.state == TrialState::kRunning ? &running
                                                                 : nullptr;
  if (set == nullptr) return;
  if (delta > 0) {
    set->insert(trial.number);
  } else {
    set->erase(trial.number);
  }
}

SamplingContext StudyManager::Entry::Context() const {
  SamplingContext ctx;
  ctx.spec = &study.spec;
  ctx.history = std::span<const Trial>(trials);
  ctx.trial_number = static_cast<int64_t>(trials.size());
  if (admissible) ctx.admissible = &admissible;
  return ctx;
}

namespace {

// Study system attrs: why the study stopped (a JSON string) and when it was last resumed.
constexpr char kStopReasonAttr[] = "stop_reason";
constexpr char kResumedAttr[] = "resumed_us";
// Trial system attr: who told the trial's result (a JSON string).
constexpr char kToldByAttr[] = "told_by";

// A trial of `spec` in `state` (attempt 1) with `params` and their distributions, shared
// through `interner` with the study's other trials.
Trial NewTrial(const StudySpec& spec, DistributionsInterner& interner, TrialState state,
               InternalParams params) {
  Trial trial;
  trial.state = state;
  trial.distributions = interner.FromSpace(spec.space, params);
  trial.params = std::move(params);
  trial.attempt = 1;
  return trial;
}

// The system attr kWorkerAttr of a leased trial: {"id": worker_id, <labels>} as JSON text.
std::string WorkerJson(const std::string& worker_id, const WorkerLabels& labels) {
  nlohmann::json worker = nlohmann::json::object();
  for (const auto& [key, value] : labels) worker[key] = value;
  worker["id"] = worker_id;
  return worker.dump();
}

// What a study samples with: its task's cost model, the check of its budgets and its sampler.
struct StudySampling {
  std::shared_ptr<const TrialCostModel> cost_model;
  AdmissibilityCheck admissible;
  std::unique_ptr<Sampler> sampler;
};

absl::StatusOr<StudySampling> CreateStudySampling(const StudySpec& spec) {
  StudySampling sampling;
  NASQ_ASSIGN_OR_RETURN(sampling.cost_model, CreateTrialCostModel(spec));
  sampling.admissible = BudgetCheck(spec.budgets, sampling.cost_model);
  NASQ_ASSIGN_OR_RETURN(sampling.sampler, CreateSampler(spec, sampling.admissible));
  return sampling;
}

absl::Status StudyNotFound(const std::string& study) {
  return absl::NotFoundError(absl::StrCat("study '", study, "' not found"));
}

// OK when `lease_duration_ms` is unset or within [kMinAskedLeaseMs, kMaxLeaseDurationMs].
absl::Status CheckAskedLease(std::optional<int64_t> lease_duration_ms) {
  if (!lease_duration_ms || (*lease_duration_ms >= kMinAskedLeaseMs &&
                             *lease_duration_ms <= limits::kMaxLeaseDurationMs)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("lease_duration_ms: must be between ", kMinAskedLeaseMs, " (1 s) and ",
                   limits::kMaxLeaseDurationMs, " (7 days), got ", *lease_duration_ms));
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

StudyManager::StudyManager(Storage* storage, Clock* clock, StudyManagerOptions options)
    : storage_(storage), clock_(clock), options_(options) {}

StudyManager::~StudyManager() { Shutdown(); }

absl::StatusOr<std::unique_ptr<StudyManager>> StudyManager::Create(Storage* storage, Clock* clock,
                                                                   StudyManagerOptions options) {
  std::unique_ptr<StudyManager> manager(new StudyManager(storage, clock, options));
  NASQ_RETURN_IF_ERROR(manager->Load());
  return manager;
}

absl::Status StudyManager::Load() {
  NASQ_ASSIGN_OR_RETURN(std::vector<Study> studies, storage_->ListStudies());
  WriterMutexLock registry(&registry_mu_);  // not shared yet; for the analysis
  for (Study& study : studies) {
    auto entry =
        std::make_shared<Entry>(study.id, study.spec.name, TaskKindOf(study.spec.task_json));
    {
      MutexLock lock(&entry->mu);
      NASQ_RETURN_IF_ERROR(LoadEntry(std::move(study), *entry));
    }
    studies_[entry->name()] = std::move(entry);
  }
  return absl::OkStatus();
}

absl::Status StudyManager::LoadEntry(Study study, Entry& entry) {
  absl::StatusOr<StudySampling> sampling = CreateStudySampling(study.spec);
  if (!sampling.ok()) {
    return absl::Status(sampling.status().code(),
                        absl::StrCat("study '", study.spec.name,
                                     "': cannot build its sampler: ", sampling.status().message()));
  }
  NASQ_ASSIGN_OR_RETURN(std::vector<Trial> trials, storage_->GetAllTrials(study.id));
  entry.cost_model = std::move(sampling->cost_model);
  entry.admissible = std::move(sampling->admissible);
  entry.sampler = std::move(sampling->sampler);
  entry.pruner = CreatePruner(study.spec.pruner);
  entry.fusion_keys = FusionKeys(study.spec);
  entry.trials = std::move(trials);
  entry.counts = {};
  entry.waiting.clear();
  entry.running.clear();
  entry.distributions = DistributionsInterner();
  // The grace period (see the header): the cached deadline only; Storage keeps the stored one.
  const int64_t grace_deadline = DeadlineAfterMs(clock_->NowMicros(), study.spec.lease_duration_ms);
  for (Trial& t : entry.trials) {
    if (t.lease) t.lease->deadline_us = std::max(t.lease->deadline_us, grace_deadline);
    entry.distributions.Intern(t.distributions);
    entry.Track(t, 1);
  }
  int64_t resumed_us = 0;
  if (auto it = study.system_attrs.find(kResumedAttr); it != study.system_attrs.end()) {
    if (!absl::SimpleAtoi(it->second, &resumed_us)) resumed_us = 0;  // unreadable: count all
  }
  entry.consecutive_failures = TrailingFailures(entry.trials, resumed_us);
  entry.study = std::move(study);
  entry.last_write = 0;
  ++entry.revision;  // never reset: a re-read after a failed commit may change the cache
  return absl::OkStatus();
}

void StudyManager::RecoverFromCommitFailures() {
  if (storage_->CommitFailures() == recovered_failures_.load()) return;
  WriterMutexLock registry(&registry_mu_);  // no call can lock a study meanwhile
  const int64_t failures = storage_->CommitFailures();
  if (failures == recovered_failures_.load()) return;  // another call did it
  const auto now = std::chrono::steady_clock::now();
  if (now < next_recovery_) return;
  next_recovery_ = now + std::chrono::milliseconds(options_.commit_retry_ms);
  // Storage refuses writes until ResumeWrites, so no study changes while they are re-read.
  for (const auto& [name, entry] : studies_) {
    MutexLock lock(&entry->mu);
    absl::StatusOr<Study> study = storage_->GetStudy(entry->id);
    absl::Status loaded = study.ok() ? LoadEntry(*std::move(study), *entry) : study.status();
    if (!loaded.ok()) {
      spdlog::error("storage: cannot re-read study '{}' after a failed commit: {}", name,
                    loaded.ToString());
      return;
    }
  }
  recovered_failures_.store(failures);
  storage_->ResumeWrites();
  spdlog::warn("storage: re-read {} studies after a failed commit; accepting writes again",
               studies_.size());
  registry.Unlock();
  NotifyWork();  // re-read WAITING trials can be leased
}

absl::Status StudyManager::StorageHealth() { return storage_->CommitHealth(); }

absl::StatusOr<std::shared_ptr<StudyManager::Entry>> StudyManager::Find(const std::string& study) {
  RecoverFromCommitFailures();
  ReaderMutexLock lock(&registry_mu_);
  auto it = studies_.find(study);
  if (it == studies_.end()) return StudyNotFound(study);
  return it->second;
}

absl::Status StudyManager::WaitDurable(const Entry& entry, CommitTicket seen) {
  // A queued call will write next and wait for a ticket >= seen: let it commit for both, so a
  // queue of N calls on a busy study costs one commit (fsync), not N.
  return entry.queued_calls.load() > 0 ? storage_->WaitDurableBeforeFollowers(seen)
                                       : storage_->WaitDurable(seen);
}

template <class Body>
std::invoke_result_t<Body, StudyManager::Entry&> StudyManager::InStudy(const std::string& study,
                                                                       Body&& body) {
  absl::StatusOr<std::shared_ptr<Entry>> found = Find(study);
  if (!found.ok()) return found.status();
  Entry& entry = **found;
  entry.queued_calls.fetch_add(1);
  MutexLock lock(&entry.mu);
  entry.queued_calls.fetch_sub(1);
  if (entry.deleted) return StudyNotFound(study);
  auto result = body(entry);
  const CommitTicket seen = entry.last_write;
  lock.Unlock();
  NASQ_RETURN_IF_ERROR(WaitDurable(entry, seen));
  return result;
}

std::vector<std::shared_ptr<StudyManager::Entry>> StudyManager::Snapshot() {
  RecoverFromCommitFailures();
  std::vector<std::shared_ptr<Entry>> entries;
  {
    ReaderMutexLock lock(&registry_mu_);
    entries.reserve(studies_.size());
    for (const auto& [name, entry] : studies_) entries.push_back(entry);
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a->id < b->id; });
  return entries;
}

absl::StatusOr<StudySummary> StudyManager::CreateStudy(const StudySpec& spec) {
  RecoverFromCommitFailures();
  NASQ_ASSIGN_OR_RETURN(StudySampling sampling, CreateStudySampling(spec));
  NASQ_ASSIGN_OR_RETURN(int64_t id, storage_->CreateStudy(spec, clock_->NowMicros()));
  auto entry = std::make_shared<Entry>(id, spec.name, TaskKindOf(spec.task_json));
  StudySummary summary;
  {
    MutexLock lock(&entry->mu);  // not shared yet; for the analysis
    entry->cost_model = std::move(sampling.cost_model);
    entry->admissible = std::move(sampling.admissible);
    entry->sampler = std::move(sampling.sampler);
    entry->pruner = CreatePruner(spec.pruner);
    entry->fusion_keys = FusionKeys(spec);
    NASQ_ASSIGN_OR_RETURN(entry->study, storage_->GetStudy(id));
    summary = entry->Summary();
  }
  {
    WriterMutexLock lock(&registry_mu_);
    studies_[spec.name] = std::move(entry);
  }
  NotifyWork();
  return summary;
}

absl::StatusOr<StudySummary> StudyManager::GetStudy(const std::string& study) {
  return InStudy(study, [](Entry& entry) -> absl::StatusOr<StudySummary> {
    entry.mu.AssertHeld();
    return entry.Summary();
  });
}

std::vector<StudySummary> StudyManager::ListStudies() {
  std::vector<StudySummary> out;
  for (const auto& entry : Snapshot()) {
    MutexLock lock(&entry->mu);
    if (!entry->deleted) out.push_back(entry->Summary());
  }
  return out;
}

absl::Status StudyManager::DeleteStudy(const std::string& study) {
  RecoverFromCommitFailures();
  WriterMutexLock registry(&registry_mu_);
  auto it = studies_.find(study);
  if (it == studies_.end()) return StudyNotFound(study);
  // Keeps the entry (and its lock) alive past the erase below, until `lock` has released it.
  const std::shared_ptr<Entry> entry = it->second;
  MutexLock lock(&entry->mu);
  NASQ_RETURN_IF_ERROR(storage_->DeleteStudy(entry->id));
  entry->deleted = true;
  studies_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<StudySummary> StudyManager::StopStudy(const std::string& study) {
  return InStudy(study, [&](Entry& entry) -> absl::StatusOr<StudySummary> {
    entry.mu.AssertHeld();
    if (entry.study.state != StudyState::kRunning) {
      return absl::FailedPreconditionError(absl::StrCat(
          "study '", study, "' is ", StudyStateName(entry.study.state), ", not RUNNING"));
    }
    NASQ_RETURN_IF_ERROR(storage_->SetStudyState(entry.study.id, StudyState::kStopped));
    entry.study.state = StudyState::kStopped;
    ++entry.revision;
    return entry.Summary();
  });
}

absl::StatusOr<StudySummary> StudyManager::ResumeStudy(const std::string& study,
                                                       std::optional<int64_t> max_trials) {
  absl::StatusOr<StudySummary> resumed =
      InStudy(study, [&](Entry& entry) -> absl::StatusOr<StudySummary> {
        entry.mu.AssertHeld();
        const bool running = entry.study.state == StudyState::kRunning;
        if (running && !max_trials) {
          return absl::FailedPreconditionError(absl::StrCat(
              "study '", study, "' is RUNNING; nothing to resume (give max_trials to extend it)"));
        }
        const int64_t limit = max_trials.value_or(entry.spec().max_trials);
        const int64_t done = entry.count(TrialState::kComplete) + entry.count(TrialState::kPruned);
        const int64_t in_use =
            done + entry.count(TrialState::kRunning) + entry.count(TrialState::kWaiting);
        if (limit < 0) {
          return absl::InvalidArgumentError(
              absl::StrCat("max_trials: must be >= 0 (0 = unlimited), got ", limit));
        }
        if (max_trials && limit > 0 && limit < in_use) {
          return absl::InvalidArgumentError(
              absl::StrCat("max_trials: ", limit, " is below the ", in_use, " trials study '",
                           study, "' already has (finished, running or waiting)"));
        }
        if (!running && limit > 0 && done >= limit) {
          return absl::FailedPreconditionError(absl::StrCat(
              "max_trials: study '", study, "' has finished ", done, " trials, which max_trials (",
              limit, ") allows; raise max_trials to resume it"));
        }
        if (!running && entry.running.empty() && entry.waiting.empty() &&
            entry.sampler->IsExhausted(entry.Context())) {
          return absl::FailedPreconditionError(absl::StrCat(
              "study '", study, "': every grid cell has been tried; there is nothing to resume"));
        }
        StudyUpdate update;
        if (max_trials) update.max_trials = limit;
        const std::string now = absl::StrCat(clock_->NowMicros());
        if (!running) {
          update.state = StudyState::kRunning;
          update.erased_system_attrs = {kStopReasonAttr};
          update.system_attrs[kResumedAttr] = now;
        }
        NASQ_RETURN_IF_ERROR(storage_->UpdateStudy(entry.study.id, update));
        entry.study.spec.max_trials = limit;
        if (!running) {
          entry.study.state = StudyState::kRunning;
          entry.study.system_attrs.erase(kStopReasonAttr);
          entry.study.system_attrs[kResumedAttr] = now;
          entry.consecutive_failures = 0;
        }
        ++entry.revision;
        NASQ_RETURN_IF_ERROR(MaybeComplete(entry));  // max_trials lowered to the count
        return entry.Summary();
      });
  if (resumed.ok()) NotifyWork();
  return resumed;
}

absl::StatusOr<Trial> StudyManager::GetTrial(const std::string& study, int64_t number) {
  return InStudy(study, [&](Entry& entry) -> absl::StatusOr<Trial> {
    entry.mu.AssertHeld();
    NASQ_ASSIGN_OR_RETURN(Trial * trial, FindTrial(entry, number));
    return *trial;
  });
}

absl::StatusOr<std::vector<Trial>> StudyManager::ListTrials(const std::string& study,
                                                            const std::vector<TrialState>& states) {
  return InStudy(study, [&](Entry& entry) -> absl::StatusOr<std::vector<Trial>> {
    entry.mu.AssertHeld();
    if (states.empty()) return entry.trials;
    std::vector<Trial> out;
    for (const Trial& t : entry.trials) {
      if (std::find(states.begin(), states.end(), t.state) != states.end()) out.push_back(t);
    }
    return out;
  });
}

absl::Status StudyManager::ReadStudy(const std::string& study, const StudyReader& read) {
  return InStudy(study, [&](Entry& entry) -> absl::Status {
    entry.mu.AssertHeld();
    read(entry.Summary(), std::span<const Trial>(entry.trials));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Trial>> StudyManager::BestTrials(const std::string& study) {
  return InStudy(study, [](Entry& entry) -> absl::StatusOr<std::vector<Trial>> {
    entry.mu.AssertHeld();
    return SelectBestTrials(entry.spec(), entry.trials);
  });
}

absl::Status StudyManager::Update(Entry& entry, Trial& trial, const TrialUpdate& update) {
  CommitTicket ticket = 0;
  NASQ_RETURN_IF_ERROR(storage_->UpdateTrialDeferred(trial.id, update, &ticket));
  entry.last_write = std::max(entry.last_write, ticket);
  entry.Track(trial, -1);
  ApplyTrialUpdate(update, trial);
  entry.Track(trial, 1);
  ++entry.revision;
  return absl::OkStatus();
}

absl::StatusOr<Lease> StudyManager::NewLease(Entry& entry, const std::string& worker_id,
                                             LeaseKind kind,
                                             std::optional<int64_t> lease_duration_ms) {
  NASQ_ASSIGN_OR_RETURN(std::string token, NewLeaseToken());
  return Lease{worker_id, 1,
               DeadlineAfterMs(clock_->NowMicros(),
                               lease_duration_ms.value_or(entry.spec().lease_duration_ms)),
               std::move(token), kind};
}

absl::Status StudyManager::LeaseWaiting(Entry& entry, int64_t number, Lease lease,
                                        const std::string& worker_json) {
  Trial& trial = entry.trials[number];
  lease.epoch = trial.attempt;
  TrialUpdate update;
  update.expected_state = TrialState::kWaiting;
  update.state = TrialState::kRunning;
  update.lease = std::move(lease);
  update.datetime_start_us = clock_->NowMicros();
  update.system_attrs[kWorkerAttr] = worker_json;
  return Update(entry, trial, update);
}

absl::StatusOr<std::optional<InternalParams>> StudyManager::SampleNewParams(Entry& entry,
                                                                            absl::Status* no_work) {
  const StudySpec& spec = entry.spec();
  const int64_t planned = entry.count(TrialState::kComplete) + entry.count(TrialState::kPruned) +
                          entry.count(TrialState::kRunning) + entry.count(TrialState::kWaiting);
  if (spec.max_trials > 0 && planned >= spec.max_trials) {
    *no_work = absl::ResourceExhaustedError(
        absl::StrCat("study '", entry.name(), "': max_trials (", spec.max_trials,
                     ") reached by finished and running trials"));
    return std::nullopt;
  }
  SamplingContext ctx = entry.Context();
  absl::StatusOr<InternalParams> params =
      entry.sampler->IsExhausted(ctx) ? absl::ResourceExhaustedError("the sampler is exhausted")
                                      : SampleTrial(*entry.sampler, ctx);
  if (absl::IsResourceExhausted(params.status())) {
    *no_work = absl::ResourceExhaustedError(
        absl::StrCat("study '", entry.name(), "': every grid cell has been handed out (",
                     entry.count(TrialState::kRunning), " still running)"));
    return std::nullopt;
  }
  if (absl::IsFailedPrecondition(params.status())) {  // infeasible: report, dispatch nothing
    NASQ_RETURN_IF_ERROR(RecordSamplingError(entry, params.status()));
    *no_work = absl::FailedPreconditionError(
        absl::StrCat("study '", entry.name(), "': ", params.status().message()));
    return std::nullopt;
  }
  NASQ_RETURN_IF_ERROR(params.status());
  NASQ_RETURN_IF_ERROR(RecordSamplingError(entry, absl::OkStatus()));
  return *std::move(params);
}

absl::StatusOr<std::optional<LeasedTrial>> StudyManager::TryLease(
    Entry& entry, const std::string& worker_id, const WorkerLabels& labels, LeaseKind kind,
    std::optional<int64_t> lease_duration_ms, absl::Status* no_work) {
  if (entry.study.state != StudyState::kRunning) {
    *no_work = absl::FailedPreconditionError(absl::StrCat("study '", entry.name(), "' is ",
                                                          StudyStateName(entry.study.state),
                                                          "; it hands out no trials"));
    return std::nullopt;
  }
  const StudySpec& spec = entry.spec();
  NASQ_ASSIGN_OR_RETURN(Lease lease, NewLease(entry, worker_id, kind, lease_duration_ms));
  const std::string worker_json = WorkerJson(worker_id, labels);
  Trial* trial = nullptr;
  if (!entry.waiting.empty()) {
    const int64_t number = *entry.waiting.begin();
    NASQ_RETURN_IF_ERROR(LeaseWaiting(entry, number, std::move(lease), worker_json));
    trial = &entry.trials[number];
  } else {
    NASQ_ASSIGN_OR_RETURN(std::optional<InternalParams> params, SampleNewParams(entry, no_work));
    if (!params) return std::nullopt;
    Trial tmpl = NewTrial(spec, entry.distributions, TrialState::kRunning, *std::move(params));
    tmpl.system_attrs.merge(CostAttrs(entry.cost_model.get(), tmpl.params));
    tmpl.lease = std::move(lease);
    tmpl.system_attrs[kWorkerAttr] = worker_json;
    tmpl.datetime_start_us = clock_->NowMicros();
    NASQ_ASSIGN_OR_RETURN(trial, CreateTrial(entry, tmpl));
  }
  return LeasedTrial{entry.name(), *trial, spec.task_json, spec.heartbeat_interval_ms,
                     spec.metric_names};
}

absl::Status StudyManager::LeaseFusedTrials(Entry& entry, const std::string& worker_id,
                                            const WorkerLabels& labels, int max_trials,
                                            LeasedTrial& leased, bool* queued) {
  const std::string key = entry.fusion_keys.Of(leased.trial);
  if (key.empty()) return absl::OkStatus();
  const std::string worker_json = WorkerJson(worker_id, labels);
  std::vector<int64_t> group = {leased.trial.number};
  const auto join = [&](int64_t number) -> absl::Status {
    entry.mu.AssertHeld();  // the lambda runs under the caller's lock (thread-safety analysis)
    NASQ_ASSIGN_OR_RETURN(Lease lease,
                          NewLease(entry, worker_id, LeaseKind::kWorker, std::nullopt));
    NASQ_RETURN_IF_ERROR(LeaseWaiting(entry, number, std::move(lease), worker_json));
    group.push_back(number);
    return absl::OkStatus();
  };
  const auto full = [&] { return static_cast<int>(group.size()) >= max_trials; };
  for (auto it = entry.waiting.begin(); it != entry.waiting.end() && !full();) {
    const int64_t number = *it++;  // before join() erases it from `waiting`
    if (entry.fusion_keys.Of(entry.trials[number]) == key) NASQ_RETURN_IF_ERROR(join(number));
  }
  for (int sampled = 0; !full() && sampled < 2 * max_trials; ++sampled) {
    absl::Status no_work;
    NASQ_ASSIGN_OR_RETURN(std::optional<InternalParams> params, SampleNewParams(entry, &no_work));
    if (!params) break;
    Trial tmpl =
        NewTrial(entry.spec(), entry.distributions, TrialState::kWaiting, *std::move(params));
    tmpl.system_attrs = CostAttrs(entry.cost_model.get(), tmpl.params);
    NASQ_ASSIGN_OR_RETURN(Trial * created, CreateTrial(entry, tmpl));
    if (entry.fusion_keys.Of(*created) == key) {
      NASQ_RETURN_IF_ERROR(join(created->number));
    } else {
      *queued = true;
    }
  }
  if (group.size() == 1) return absl::OkStatus();
  TrialUpdate update;
  update.system_attrs[kFusedAttr] = nlohmann::json{{"group", group}, {"size", group.size()}}.dump();
  for (int64_t number : group) NASQ_RETURN_IF_ERROR(Update(entry, entry.trials[number], update));
  leased.trial = entry.trials[group.front()];
  for (size_t i = 1; i < group.size(); ++i) leased.fused.push_back(entry.trials[group[i]]);
  return absl::OkStatus();
}

absl::StatusOr<Trial*> StudyManager::CreateTrial(Entry& entry, const Trial& tmpl) {
  CommitTicket ticket = 0;
  NASQ_ASSIGN_OR_RETURN(Trial created,
                        storage_->CreateTrialDeferred(entry.study.id, tmpl, &ticket));
  entry.last_write = std::max(entry.last_write, ticket);
  if (created.number != static_cast<int64_t>(entry.trials.size())) {
    return absl::InternalError(absl::StrCat("study '", entry.name(), "': storage numbered trial ",
                                            created.number, ", expected ", entry.trials.size()));
  }
  entry.trials.push_back(std::move(created));
  Trial* trial = &entry.trials.back();
  entry.Track(*trial, 1);
  ++entry.revision;
  return trial;
}

absl::StatusOr<Trial> StudyManager::EnqueueTrial(const std::string& study,
                                                 const std::map<std::string, ParamValue>& params) {
  absl::StatusOr<Trial> enqueued = InStudy(study, [&](Entry& entry) -> absl::StatusOr<Trial> {
    entry.mu.AssertHeld();
    const StudySpec& spec = entry.spec();
    if (spec.sampler.kind == SamplerKind::kGrid) {
      // Trial n runs grid cell n (grid_sampler.h): an enqueued trial would take a cell's number.
      return absl::FailedPreconditionError(
          absl::StrCat("study '", study,
                       "' uses the grid sampler, which runs every cell itself; enqueue "
                       "trials in studies with another sampler"));
    }
    if (entry.study.state == StudyState::kCompleted) {
      return absl::FailedPreconditionError(absl::StrCat(
          "study '", study, "' is COMPLETED; raise its max_trials (ResumeStudy) to enqueue more"));
    }
    const int64_t planned = entry.count(TrialState::kComplete) + entry.count(TrialState::kPruned) +
                            entry.count(TrialState::kRunning) + entry.count(TrialState::kWaiting);
    if (spec.max_trials > 0 && planned >= spec.max_trials) {
      return absl::FailedPreconditionError(
          absl::StrCat("study '", study, "': max_trials (", spec.max_trials,
                       ") is taken by finished, running and waiting trials; raise it first"));
    }
    NASQ_ASSIGN_OR_RETURN(InternalParams internal, InternalParamsOf(spec.space, params));
    if (entry.admissible) {
      if (absl::Status refused = entry.admissible(internal); !refused.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(refused.message(), ": the enqueued params break a budget of study '",
                         study, "'; they would never be dispatched"));
      }
    }
    Trial tmpl = NewTrial(spec, entry.distributions, TrialState::kWaiting, std::move(internal));
    tmpl.system_attrs = CostAttrs(entry.cost_model.get(), tmpl.params);
    NASQ_ASSIGN_OR_RETURN(Trial * trial, CreateTrial(entry, tmpl));
    return *trial;
  });
  if (enqueued.ok()) NotifyWork();
  return enqueued;
}

absl::StatusOr<Trial> StudyManager::AddTrial(const std::string& study, AddedTrial added) {
  for (const auto& [step, value] : added.intermediate_values) {
    if (step < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("trial.intermediate_values: step ", step, " is negative"));
    }
  }
  if (added.datetime_start_us < 0 || added.datetime_complete_us < 0) {
    return absl::InvalidArgumentError("trial.start_time, trial.complete_time: before 1970");
  }
  for (const auto& [field, attrs] : {std::pair("trial.user_attrs", &added.user_attrs),
                                     std::pair("trial.system_attrs", &added.system_attrs)}) {
    for (const auto& [key, text] : *attrs) {
      if (!nlohmann::json::accept(text)) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".", key, ": not JSON text"));
      }
    }
  }
  return InStudy(study, [&](Entry& entry) -> absl::StatusOr<Trial> {
    entry.mu.AssertHeld();
    const StudySpec& spec = entry.spec();
    if (spec.sampler.kind == SamplerKind::kGrid) {
      return absl::FailedPreconditionError(
          absl::StrCat("study '", study,
                       "' uses the grid sampler, whose trial n runs cell n; add trials to "
                       "studies with another sampler"));
    }
    NASQ_ASSIGN_OR_RETURN(InternalParams internal,
                          AddedTrialParams(spec.space, added.state, added.params));
    Trial tmpl = NewTrial(spec, entry.distributions, added.state, std::move(internal));
    tmpl.intermediate_values = std::move(added.intermediate_values);
    NASQ_ASSIGN_OR_RETURN(tmpl.values,
                          AddedTrialValues(spec, tmpl, added.state, std::move(added.values)));
    tmpl.user_attrs = std::move(added.user_attrs);
    tmpl.system_attrs = std::move(added.system_attrs);
    tmpl.datetime_complete_us =
        added.datetime_complete_us != 0 ? added.datetime_complete_us : clock_->NowMicros();
    tmpl.datetime_start_us =
        added.datetime_start_us != 0 ? added.datetime_start_us : tmpl.datetime_complete_us;
    NASQ_ASSIGN_OR_RETURN(Trial * trial, CreateTrial(entry, tmpl));
    NASQ_RETURN_IF_ERROR(MaybeComplete(entry));
    return *trial;
  });
}

absl::StatusOr<LeasedTrial> StudyManager::Ask(const std::string& study,
                                              const std::string& worker_id,
                                              std::optional<int64_t> lease_duration_ms) {
  NASQ_RETURN_IF_ERROR(CheckAskedLease(lease_duration_ms));
  return InStudy(study, [&](Entry& entry) -> absl::StatusOr<LeasedTrial> {
    entry.mu.AssertHeld();
    absl::Status no_work;
    NASQ_ASSIGN_OR_RETURN(
        std::optional<LeasedTrial> leased,
        TryLease(entry, worker_id, {}, LeaseKind::kAsk, lease_duration_ms, &no_work));
    if (!leased) return no_work;
    return std::move(*leased);
  });
}

absl::StatusOr<std::optional<LeasedTrial>> StudyManager::LeaseTrial(
    const std::string& worker_id, const LeaseFilter& filter,
    std::chrono::steady_clock::time_point wait_until, const WorkerLabels& labels, int max_trials) {
  if (worker_id.empty()) return absl::InvalidArgumentError("worker_id: must not be empty");
  if (max_trials < 0 || max_trials > kMaxFusedTrials) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_trials: must be between 0 and ", kMaxFusedTrials, ", got ", max_trials));
  }
  const auto deadline =
      std::min(wait_until, std::chrono::steady_clock::now() +
                               std::chrono::milliseconds(options_.max_lease_wait_ms));
  for (;;) {
    uint64_t generation;
    {
      MutexLock lock(&work_mu_);
      if (shutdown_) return std::nullopt;
      generation = work_generation_;
    }
    std::vector<std::shared_ptr<Entry>> entries = Snapshot();
    const size_t start = lease_cursor_.fetch_add(1);
    for (size_t i = 0; i < entries.size(); ++i) {
      Entry& entry = *entries[(start + i) % entries.size()];
      if (!filter.studies.empty() && !Contains(filter.studies, entry.name())) continue;
      if (!filter.task_kinds.empty() && !Contains(filter.task_kinds, entry.task_kind)) continue;
      MutexLock lock(&entry.mu);
      if (entry.deleted) continue;
      absl::Status no_work;
      NASQ_ASSIGN_OR_RETURN(
          std::optional<LeasedTrial> leased,
          TryLease(entry, worker_id, labels, LeaseKind::kWorker, std::nullopt, &no_work));
      if (leased) {
        bool queued = false;
        if (max_trials > 1) {
          NASQ_RETURN_IF_ERROR(
              LeaseFusedTrials(entry, worker_id, labels, max_trials, *leased, &queued));
        }
        const CommitTicket seen = entry.last_write;
        lock.Unlock();
        if (queued) NotifyWork();
        NASQ_RETURN_IF_ERROR(WaitDurable(entry, seen));
        return leased;
      }
    }
    MutexLock lock(&work_mu_);
    if (!work_cv_.WaitUntil(&work_mu_, deadline, [&] {
          work_mu_.AssertHeld();
          return shutdown_ || work_generation_ != generation;
        })) {
      return std::nullopt;
    }
  }
}

absl::StatusOr<Trial*> StudyManager::FindTrial(Entry& entry, int64_t number) {
  if (number < 0 || number >= static_cast<int64_t>(entry.trials.size())) {
    return absl::NotFoundError(
        absl::StrCat("trial ", number, " of study '", entry.name(), "' not found"));
  }
  return &entry.trials[number];
}

absl::StatusOr<Trial*> StudyManager::FindLeased(Entry& entry, int64_t number, const LeaseKey& key) {
  NASQ_ASSIGN_OR_RETURN(Trial * found, FindTrial(entry, number));
  Trial& trial = *found;
  if (trial.state != TrialState::kRunning || !trial.lease || trial.lease->epoch != key.epoch) {
    return absl::FailedPreconditionError(
        absl::StrCat("stale lease: trial ", number, " of study '", entry.name(), "' is ",
                     TrialStateName(trial.state),
                     trial.lease ? absl::StrCat(" under lease epoch ", trial.lease->epoch) : "",
                     "; the request carries epoch ", key.epoch));
  }
  if (!LeaseTokenMatches(trial.lease->token, key.token)) {
    return absl::FailedPreconditionError(
        absl::StrCat("wrong lease token: the request for trial ", number, " of study '",
                     entry.name(), "' (epoch ", key.epoch, ") does not carry its lease's token"));
  }
  return &trial;
}

absl::StatusOr<Trial*> StudyManager::RenewLease(Entry& entry, int64_t number, const LeaseKey& key,
                                                std::optional<int64_t> lease_duration_ms,
                                                TrialUpdate update) {
  NASQ_ASSIGN_OR_RETURN(Trial * trial, FindLeased(entry, number, key));
  update.expected_epoch = key.epoch;
  update.lease = *trial->lease;
  const int64_t now = clock_->NowMicros();
  update.lease->deadline_us = lease_duration_ms
                                  ? DeadlineAfterMs(now, *lease_duration_ms)
                                  : std::max(trial->lease->deadline_us,
                                             DeadlineAfterMs(now, entry.spec().lease_duration_ms));
  NASQ_RETURN_IF_ERROR(Update(entry, *trial, update));
  return trial;
}

absl::StatusOr<HeartbeatResult> StudyManager::Heartbeat(const std::string& study, int64_t number,
                                                        const LeaseKey& lease,
                                                        std::optional<int64_t> lease_duration_ms) {
  NASQ_RETURN_IF_ERROR(CheckAskedLease(lease_duration_ms));
  return InStudy(study, [&](Entry& entry) -> absl::StatusOr<HeartbeatResult> {
    entry.mu.AssertHeld();
    NASQ_ASSIGN_OR_RETURN(Trial * trial, RenewLease(entry, number, lease, lease_duration_ms, {}));
    return HeartbeatResult{entry.study.state != StudyState::kRunning, *trial->lease};
  });
}

absl::StatusOr<IntermediateResult> StudyManager::ReportIntermediate(
    const std::string& study, int64_t number, const LeaseKey& lease, int64_t step, double value,
    const std::map<std::string, double>& metrics) {
  if (step < 0) return absl::InvalidArgumentError(absl::StrCat("step: must be >= 0, got ", step));
  return InStudy(study, [&](Entry& entry) -> absl::StatusOr<IntermediateResult> {
    entry.mu.AssertHeld();
    NASQ_ASSIGN_OR_RETURN(Trial * leased, FindLeased(entry, number, lease));
    TrialUpdate update;
    update.intermediate_values[step] = value;
    if (!metrics.empty()) {
      update.user_attrs[absl::StrCat("intermediate/", step)] = MetricsToJson(metrics);
    }
    IntermediateResult result{.stop = entry.study.state != StudyState::kRunning};
    if (!result.stop) {
      Trial judged = *leased;  // as it will be once the report is stored
      judged.intermediate_values[step] = value;
      PruneDecision decision =
          entry.pruner->ShouldPrune(MakePruningContext(entry.spec(), entry.trials, judged));
      result.prune = decision.prune;
      update.system_attrs = std::move(decision.system_attrs);
    }
    NASQ_ASSIGN_OR_RETURN(Trial * renewed,
                          RenewLease(entry, number, lease, std::nullopt, std::move(update)));
    result.lease = *renewed->lease;
    return result;
  });
}

absl::StatusOr<Trial> StudyManager::FinishTrial(const std::string& study, int64_t number,
                                                FinishRequest request) {
  return InStudy(study, [&](Entry& entry) {
    entry.mu.AssertHeld();
    return FinishLocked(entry, number, std::move(request));
  });
}

absl::StatusOr<Trial> StudyManager::FinishLocked(Entry& entry, int64_t number,
                                                 FinishRequest request) {
  NASQ_ASSIGN_OR_RETURN(Trial * found, FindTrial(entry, number));
  Trial& trial = *found;
  // A retried call returns the trial it finished; one on another lease (the lease expired and
  // the re-run finished the trial) is refused below, like any call on a stale lease.
  const bool finished_under_request_lease = !request.lease || request.lease->epoch == trial.attempt;
  if (IsFinished(trial.state) && request.skip_if_finished && finished_under_request_lease) {
    return trial;
  }
  if (trial.state != TrialState::kRunning) {
    if (request.lease && !IsFinished(trial.state)) {
      return FindLeased(entry, number, *request.lease).status();  // the stale-lease message
    }
    return absl::FailedPreconditionError(
        absl::StrCat("Cannot tell a ", TrialStateName(trial.state), " trial."));
  }
  if (request.lease) {
    NASQ_RETURN_IF_ERROR(FindLeased(entry, number, *request.lease).status());
  } else if (trial.lease && trial.lease->kind == LeaseKind::kWorker && !request.force) {
    return absl::FailedPreconditionError(absl::StrCat(
        "trial ", number, " of study '", entry.name(), "' is leased to worker '",
        trial.lease->worker_id, "' (epoch ", trial.lease->epoch,
        "); only the lease holder may finish it (with the lease's epoch and token), or an admin "
        "with force"));
  }
  const bool completing = !request.state || *request.state == TrialState::kComplete;
  if (completing && request.values.empty() && !request.metrics.empty()) {
    NASQ_ASSIGN_OR_RETURN(request.values, ValuesFromMetrics(entry.spec(), request.metrics));
  }
  NASQ_ASSIGN_OR_RETURN(TellOutcome outcome,
                        ResolveTell(entry.spec(), trial, request.state, std::move(request.values)));
  TrialUpdate update;
  NASQ_ASSIGN_OR_RETURN(update.system_attrs, ConstraintAttrs(request.constraints));
  if (trial.lease) update.expected_epoch = trial.lease->epoch;
  update.state = outcome.state;
  if (!outcome.values.empty()) update.values = std::move(outcome.values);
  update.clear_lease = true;
  update.datetime_complete_us = clock_->NowMicros();
  update.user_attrs = std::move(request.user_attrs);
  if (!request.metrics.empty()) update.user_attrs["metrics"] = MetricsToJson(request.metrics);
  const std::string& reason =
      outcome.fail_reason.empty() ? request.fail_reason : outcome.fail_reason;
  if (outcome.state == TrialState::kFail && !reason.empty()) {
    update.system_attrs["fail_reason"] = JsonString(reason);
  }
  if (request.told_by) {
    std::string teller = std::move(*request.told_by);
    if (teller.empty() && trial.lease) teller = trial.lease->worker_id;
    if (!teller.empty()) update.system_attrs[kToldByAttr] = JsonString(teller);
  }
  NASQ_RETURN_IF_ERROR(Update(entry, trial, update));
  NASQ_RETURN_IF_ERROR(CountFailures(entry, trial));
  NASQ_RETURN_IF_ERROR(MaybeComplete(entry));
  if (outcome.state == TrialState::kFail) NotifyWork();  // frees room under max_trials
  return trial;
}

absl::StatusOr<Trial> StudyManager::ReleaseTrial(const std::string& study, int64_t number,
                                                 const LeaseKey& lease, const std::string& reason) {
  absl::StatusOr<Trial> released = InStudy(study, [&](Entry& entry) -> absl::StatusOr<Trial> {
    entry.mu.AssertHeld();
    NASQ_ASSIGN_OR_RETURN(Trial * trial, FindLeased(entry, number, lease));
    const std::string holder = trial->lease->worker_id;
    NASQ_RETURN_IF_ERROR(EndLease(entry, *trial, kReleasedOutcome, reason));
    NASQ_RETURN_IF_ERROR(MaybeComplete(entry));
    spdlog::info("trial {} of study '{}' released by worker '{}' ({}): {}", number, study, holder,
                 reason.empty() ? "no reason given" : reason, TrialStateName(trial->state));
    return *trial;
  });
  if (released.ok()) NotifyWork();  // a re-queued trial (or a failed one's room) is work now
  return released;
}

absl::Status StudyManager::MaybeComplete(Entry& entry) {
  if (entry.study.state != StudyState::kRunning) return absl::OkStatus();
  const StudySpec& spec = entry.spec();
  const int64_t done = entry.count(TrialState::kComplete) + entry.count(TrialState::kPruned);
  const bool reached_max = spec.max_trials > 0 && done >= spec.max_trials;
  const bool exhausted =
      entry.running.empty() && entry.waiting.empty() && entry.sampler->IsExhausted(entry.Context());
  if (!reached_max && !exhausted) return absl::OkStatus();
  NASQ_RETURN_IF_ERROR(storage_->SetStudyState(entry.study.id, StudyState::kCompleted));
  entry.study.state = StudyState::kCompleted;
  ++entry.revision;
  return absl::OkStatus();
}

absl::Status StudyManager::CountFailures(Entry& entry, const Trial& trial) {
  if (trial.state != TrialState::kFail) {
    entry.consecutive_failures = 0;
    return absl::OkStatus();
  }
  ++entry.consecutive_failures;
  const int limit = entry.spec().max_consecutive_failures;
  if (limit == 0 || entry.consecutive_failures < limit ||
      entry.study.state != StudyState::kRunning) {
    return absl::OkStatus();
  }
  auto reason = trial.system_attrs.find("fail_reason");
  const std::string stop_reason = JsonString(absl::StrCat(
      "the last ", entry.consecutive_failures, " trials failed in a row (max_consecutive_failures ",
      limit, "); last reason: ",
      reason == trial.system_attrs.end() ? "none given" : JsonStringValue(reason->second)));
  NASQ_RETURN_IF_ERROR(storage_->SetStudySystemAttr(entry.study.id, kStopReasonAttr, stop_reason));
  entry.study.system_attrs[kStopReasonAttr] = stop_reason;
  NASQ_RETURN_IF_ERROR(storage_->SetStudyState(entry.study.id, StudyState::kStopped));
  entry.study.state = StudyState::kStopped;
  ++entry.revision;
  return absl::OkStatus();
}

absl::Status StudyManager::EndLease(Entry& entry, Trial& trial, const std::string& outcome,
                                    const std::string& reason) {
  const StudySpec& spec = entry.spec();
  const int64_t now = clock_->NowMicros();
  const bool released = outcome == kReleasedOutcome;
  TrialUpdate update;
  update.expected_epoch = trial.lease->epoch;
  update.clear_lease = true;
  update.system_attrs[kAttemptsAttr] = AttemptsAfterLeaseEnd(trial, now, outcome, reason);
  // A release is no failure: only expired leases count against max_retries.
  const bool retry = released || trial.attempt - ReleasedAttempts(trial) <= spec.max_retries;
  if (entry.study.state == StudyState::kRunning && retry) {
    update.state = TrialState::kWaiting;
    update.attempt = trial.attempt + 1;
  } else {
    update.state = TrialState::kFail;
    update.datetime_complete_us = now;
    const std::string lease = absl::StrCat("lease of worker '", trial.lease->worker_id, "' ",
                                           outcome, reason.empty() ? "" : " (" + reason + ")");
    update.system_attrs["fail_reason"] = JsonString(
        entry.study.state == StudyState::kRunning
            ? absl::StrCat(lease, " on attempt ", trial.attempt, "; max_retries (",
                           spec.max_retries, ") exhausted")
            : absl::StrCat(lease, " after the study became ", StudyStateName(entry.study.state)));
  }
  NASQ_RETURN_IF_ERROR(Update(entry, trial, update));
  return IsFinished(trial.state) ? CountFailures(entry, trial) : absl::OkStatus();
}

absl::Status StudyManager::RecordSamplingError(Entry& entry, const absl::Status& sampling) {
  std::map<std::string, std::string>& attrs = entry.study.system_attrs;
  const auto it = attrs.find(kSamplingErrorAttr);
  if (sampling.ok()) {
    if (it == attrs.end()) return absl::OkStatus();
    StudyUpdate update;
    update.erased_system_attrs = {kSamplingErrorAttr};
    NASQ_RETURN_IF_ERROR(storage_->UpdateStudy(entry.study.id, update));
    attrs.erase(kSamplingErrorAttr);
    ++entry.revision;
    return absl::OkStatus();
  }
  const std::string reason = JsonString(FitText(sampling.message(), limits::kMaxReasonBytes));
  if (it != attrs.end() && it->second == reason) return absl::OkStatus();
  NASQ_RETURN_IF_ERROR(storage_->SetStudySystemAttr(entry.study.id, kSamplingErrorAttr, reason));
  attrs[kSamplingErrorAttr] = reason;
  ++entry.revision;
  return absl::OkStatus();
}

absl::StatusOr<int> StudyManager::ReapExpiredLeases() {
  int expired = 0;
  CommitTicket seen = 0;
  for (const auto& entry : Snapshot()) {
    MutexLock lock(&entry->mu);
    if (entry->deleted) continue;
    seen = std::max(seen, entry->last_write);
    const int64_t now = clock_->NowMicros();
    std::vector<int64_t> due;
    for (int64_t number : entry->running) {
      const Trial& t = entry->trials[number];
      if (t.lease && t.lease->deadline_us <= now) due.push_back(number);
    }
    for (int64_t number : due) {
      NASQ_RETURN_IF_ERROR(EndLease(*entry, entry->trials[number], kExpiredOutcome));
      ++expired;
    }
    if (!due.empty()) NASQ_RETURN_IF_ERROR(MaybeComplete(*entry));
    seen = std::max(seen, entry->last_write);
  }
  NASQ_RETURN_IF_ERROR(storage_->WaitDurable(seen));
  if (expired > 0) NotifyWork();
  return expired;
}

void StudyManager::NotifyWork() {
  {
    MutexLock lock(&work_mu_);
    ++work_generation_;
  }
  work_cv_.SignalAll();
}

void StudyManager::Shutdown() {
  {
    MutexLock lock(&work_mu_);
    shutdown_ = true;
  }
  work_cv_.SignalAll();
}

}  // namespace nasq
