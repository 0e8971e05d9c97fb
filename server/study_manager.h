// server/study_manager.h: the coordinator's core: studies, trials, leases, ask/tell.
//
// StudyManager owns one entry per study: a lock, an in-memory cache of the study and of all its
// trials (loaded from Storage at construction, written through on every change) and the
// study's sampler, which sees the cached trials (no history reload per call). Every change is
// first applied to Storage (compare-and-set on the trial's state and lease epoch) and then to the
// cache, under the study's lock.
//
// Durability with group commit: trial changes use Storage's deferred writes, so the study's lock
// is released before the change is durable and concurrent calls share one commit (one fsync).
// Before answering, every method waits, with no lock held, until every change its answer may
// reflect is durable (Storage::WaitDurable on the study's latest ticket; when further calls are
// queued on the study's lock, the last of them commits for all of them). So no answer (a leased
// trial number, an acknowledged result, a state read back) reveals a change that a crash could
// undo. After a crash Storage holds a prefix of the changes in the order they were made, so trial
// numbers stay dense and a number is reused only if the trial that took it was never durable and
// never handed out. ListStudies is the exception: its counts may include changes still being
// committed (a few milliseconds).
//
// Failed commits (disk full, I/O error): the calls whose changes were in the failed commit
// answer its error (no false acknowledgement), Storage drops those changes and refuses writes,
// and the next call re-reads every study from Storage (the durable state) and resumes writes
// (RecoverFromCommitFailures), so the studies work again as soon as commits succeed, without a
// restart. StorageHealth() reports the failure meanwhile.
//
// Leases: leasing a trial takes the lowest-numbered WAITING trial of the study, else samples new
// params (numbered densely) and creates the trial RUNNING; the lease of attempt k has epoch k,
// a fresh random token (server/lease_token.h), its kind (LeaseTrial: worker, Ask: ask) and lasts
// spec.lease_duration_ms from the clock's now, or what Ask was asked for (a client running a long
// objective). Heartbeat and ReportIntermediate renew it (Heartbeat for a given duration).
// ReapExpiredLeases() (called periodically by LeaseReaper) re-queues an expired trial WAITING with
// the same params and attempt+1 while its expired leases (attempts not released) are <=
// spec.max_retries, else FAILs it with system attr "fail_reason"; either way the expired lease is
// appended to the trial's system attr "attempts" (a JSON array of {attempt, worker_id, start_us,
// end_us, outcome: "expired"}, oldest first; ReleaseTrial re-queues at once the same way, with
// outcome "released", and does not count against max_retries;
// server/trial_attempts.h reads it, with the current lease, as the trial's history; a trial's
// datetime_start_us is its current lease's start). Any call naming a lease (LeaseKey) whose epoch
// is not the trial's current one, or whose token is not the lease's, is refused with
// FAILED_PRECONDITION and changes nothing.
// A worker's lease fences clients too: FinishTrial without its LeaseKey is refused unless forced.
// LeaseTrial with max_trials > 1 leases a fused group: several trials of one study with equal
// fusion keys, each under a lease of its own as above (see LeaseTrial).
//
// Budgets (server/trial_cost.h): a new trial is created with the cost its task's cost model
// estimates as system attrs "cost:<metric>", and sampled params always keep the study's budgets.
// When sampling fails (every redraw broke a budget or a constraint: FAILED_PRECONDITION from
// SampleTrial) nothing is dispatched, the reason is stored as study system attr "sampling_error"
// (erased at the next sampled trial) and Ask answers it.
//
// Study end: RUNNING -> COMPLETED once COMPLETE+PRUNED trials reach max_trials (> 0), or once the
// sampler is exhausted (grid) and no trial is RUNNING or WAITING. RUNNING -> STOPPED once
// spec.max_consecutive_failures (> 0) trials FAIL in a row (told, reported or their leases
// exhausted; a COMPLETE or PRUNED trial resets the count, which a restart recounts from the
// stored trials since the last ResumeStudy), with the reason in study system attr "stop_reason"
// (a JSON string); ResumeStudy makes a STOPPED or COMPLETED study RUNNING again. New trials
// are not created while COMPLETE+PRUNED+RUNNING+WAITING >= max_trials. StopStudy sets STOPPED: no
// trial is handed out, heartbeats answer stop=true, running trials may still report their results.
//
// Pruning: ReportIntermediate asks the study's pruner whether the reporting trial should stop;
// the worker then finishes it PRUNED (FinishTrial), which keeps its intermediate values.
//
// Thread-safety: all methods are thread-safe. Calls on different studies proceed in parallel
// (up to Storage's own serialisation); calls on one study are serialised by its lock, but not
// their waits for durability, which concurrent calls share.
#ifndef NASQ_SERVER_STUDY_MANAGER_H_
#define NASQ_SERVER_STUDY_MANAGER_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/distribution.h"
#include "core/mutex.h"
#include "core/study.h"
#include "core/trial.h"
#include "server/fusion_keys.h"
#include "server/trial_cost.h"
#include "storage/storage.h"

namespace nasq {

class Pruner;
class Sampler;
struct SamplingContext;

struct StudyManagerOptions {
  // Longest a LeaseTrial call waits for work, whatever the caller asks. Default 30 s.
  int64_t max_lease_wait_ms = 30'000;
  // After a failed commit (disk full, I/O error), the manager re-reads every study from Storage
  // and accepts writes again at the next call, but at most once per this period (a disk that
  // stays full costs one re-read per period, not one per call). Default 1000 ms.
  int64_t commit_retry_ms = 1000;
};

// A study with the number of its trials in each state (indexed by TrialState's value).
struct StudySummary {
  Study study;
  std::array<int64_t, 5> trials_by_state{};
  // Grows (by one or more) with every change of the study or of one of its trials in this
  // manager: a trial created, leased, renewed, reported or finished, the study stopped, resumed,
  // completed or its system attrs changed, and a re-read of the study after a failed commit. It
  // starts at 0 when the manager is created (it is not stored): compare revisions of one server
  // run only. Readers (the dashboard) re-read a study only when it moved.
  int64_t revision = 0;

  int64_t count(TrialState s) const { return trials_by_state[static_cast<int>(s)]; }
};

// What a worker needs to run a leased trial.
struct LeasedTrial {
  std::string study;      // the study's name
  Trial trial;            // RUNNING, with its lease
  std::string task_json;  // the study's task section
  int64_t heartbeat_interval_ms = 0;
  std::vector<std::string> metric_names;
  // The further trials of a fused group (LeaseTrial with max_trials > 1; empty otherwise), each
  // RUNNING with a lease of its own, of the same study and with `trial`'s fusion key.
  std::vector<Trial> fused;
};

// A finished trial made elsewhere, as AddTrial stores it.
struct AddedTrial {
  TrialState state = TrialState::kComplete;  // COMPLETE, PRUNED or FAIL
  std::map<std::string, ParamValue> params;  // external values
  std::vector<double> values;
  std::map<int64_t, double> intermediate_values;    // step (>= 0) -> value
  std::map<std::string, std::string> user_attrs;    // JSON text
  std::map<std::string, std::string> system_attrs;  // JSON text
  int64_t datetime_start_us = 0;                    // 0 = datetime_complete_us
  int64_t datetime_complete_us = 0;                 // 0 = the clock's now
};

// What a worker says about itself (LeaseTrial capabilities.labels: device, host, GPU, slots).
using WorkerLabels = std::map<std::string, std::string>;

// Which studies a worker may take trials from.
struct LeaseFilter {
  std::vector<std::string> task_kinds;  // the task section's "kind"; empty = any
  std::vector<std::string> studies;     // study names; empty = any
};

// Trial system attr of a fused group's trials: {"group": [numbers], "size": n} (JSON object).
inline constexpr char kFusedAttr[] = "fused";

// Shortest lease a client may ask for (Ask, Heartbeat with a duration); the longest is
// limits::kMaxLeaseDurationMs.
inline constexpr int64_t kMinAskedLeaseMs = 1000;

// A lease as its holder names it in a report: the epoch and the secret token.
struct LeaseKey {
  int64_t epoch = 0;
  std::string token;
};

// How to finish a RUNNING trial (Tell, CompleteTrial, FailTrial).
struct FinishRequest {
  // COMPLETE, PRUNED or FAIL; nullopt = COMPLETE when values (or metrics) are given.
  std::optional<TrialState> state;
  std::vector<double> values;  // COMPLETE only: one per objective
  // COMPLETE: when `values` is empty and the study names its metrics, values are taken from
  // here by name. Stored as user attr "metrics" (a JSON object) whenever non-empty.
  std::map<std::string, double> metrics;
  std::optional<LeaseKey> lease;  // must match the trial's lease when set
  // Return a finished trial unchanged instead of refusing (a retry of a call that may have been
  // applied); with `lease`, only when the trial was finished under that lease's epoch.
  bool skip_if_finished = false;
  std::map<std::string, std::string> user_attrs;  // JSON text, stored with the result
  std::string fail_reason;  // FAIL: stored as system attr "fail_reason" when non-empty
  // Finish a trial that a worker holds (LeaseTrial) without its LeaseKey; the worker's later
  // reports are then refused. Meant for admins. Without it such a trial needs `lease`.
  bool force = false;
  // Outcome constraints by name (feasible when every value is <= 0), stored as system attrs
  // "constraints:<name>" (ConstraintAttrs); NaN or infinite values are INVALID_ARGUMENT.
  std::map<std::string, double> constraints;
  // Tell only: who tells (a user, a notebook), stored as system attr "told_by" (a JSON string);
  // "" = the holder of the trial's lease (its worker_id). nullopt (workers' CompleteTrial and
  // FailTrial): not recorded.
  std::optional<std::string> told_by;
};

struct HeartbeatResult {
  bool stop = false;  // the study is no longer RUNNING
  Lease lease;        // the renewed lease
};

// What ReportIntermediate answers.
struct IntermediateResult {
  bool stop = false;  // the study is no longer RUNNING
  // The study's pruner judged the trial (only while the study is RUNNING): its worker should end
  // it PRUNED (FinishTrial with state PRUNED).
  bool prune = false;
  Lease lease;  // the renewed lease
};

class StudyManager {
 public:
  // Loads every study and trial from `storage` (neither may be null; both must outlive the
  // manager). Grace period after a restart: a loaded lease expires no earlier than one lease
  // duration (its study's lease_duration_ms) after this call, i.e. its deadline becomes
  // max(stored deadline, now + lease duration), so live workers that lost their heartbeats
  // during an outage get the time to reconnect before their trials are re-queued or FAILed.
  // Fails when Storage fails or a stored spec cannot be served by a sampler.
  static absl::StatusOr<std::unique_ptr<StudyManager>> Create(Storage* storage, Clock* clock,
                                                              StudyManagerOptions options = {});
  ~StudyManager();

  // Stores a new RUNNING study. `spec` must already be validated (StudySpecFromProto does it).
  // ALREADY_EXISTS when the name is taken; INVALID_ARGUMENT when no sampler can serve it, or its
  // budgets cannot be checked (CreateTrialCostModel) or leave no grid cell.
  absl::StatusOr<StudySummary> CreateStudy(const StudySpec& spec);
  // NOT_FOUND naming the study when it does not exist (same for every method below).
  absl::StatusOr<StudySummary> GetStudy(const std::string& study);
  // All studies, by id.
  std::vector<StudySummary> ListStudies();
  // Deletes the study and its trials; outstanding leases become invalid (NOT_FOUND).
  absl::Status DeleteStudy(const std::string& study);
  // RUNNING -> STOPPED. FAILED_PRECONDITION when the study is not RUNNING.
  absl::StatusOr<StudySummary> StopStudy(const std::string& study);

  // Resumes or extends a study. With `max_trials` (0 = unlimited) it replaces spec.max_trials,
  // of a study in any state; a COMPLETED or STOPPED study becomes RUNNING again, and a STOPPED
  // one loses system attr "stop_reason" and its count of consecutive failures (study system attr
  // "resumed_us", the clock's now, makes a restart count only failures after it). Refusals:
  // INVALID_ARGUMENT naming max_trials when it is negative or below the study's
  // COMPLETE+PRUNED+RUNNING+WAITING trials; FAILED_PRECONDITION when a RUNNING study is resumed
  // without max_trials, or when the study would end at once (its COMPLETE+PRUNED trials still
  // reach max_trials, or its grid is exhausted). Lowering max_trials of a RUNNING study to its
  // finished count completes it.
  absl::StatusOr<StudySummary> ResumeStudy(const std::string& study,
                                           std::optional<int64_t> max_trials);

  // NOT_FOUND when the trial does not exist.
  absl::StatusOr<Trial> GetTrial(const std::string& study, int64_t number);
  // The study's trials by number, only those in `states` when non-empty.
  absl::StatusOr<std::vector<Trial>> ListTrials(const std::string& study,
                                                const std::vector<TrialState>& states = {});
  // Runs `read(summary, trials)` once, under the study's lock, on the study and its cached
  // trials (by number, trials[i].number == i), then waits until the changes they showed are
  // durable (as every answer, see above): use what `read` built only when this returns OK. For
  // readers that need a few fields of many trials (the dashboard's
  // pages): nothing is copied. Contract for `read`: it must not keep references to `trials` past
  // its return, must not call this manager (the lock is not reentrant), and blocks every call on
  // the study while it runs, so it should do no I/O (sorting 10,000 pointers is fine).
  // NOT_FOUND when the study does not exist.
  using StudyReader = absl::FunctionRef<void(const StudySummary&, std::span<const Trial>)>;
  absl::Status ReadStudy(const std::string& study, const StudyReader& read);
  // The best COMPLETE trial (single objective; ties -> lowest number) or the Pareto front
  // (multi-objective, by number), among the feasible trials when the study has outcome
  // constraints (SelectBestTrials). Empty when nothing (feasible) is COMPLETE.
  absl::StatusOr<std::vector<Trial>> BestTrials(const std::string& study);

  // Optuna's enqueue_trial: stores a WAITING trial with `params` (external values by name; a
  // complete assignment of the space, see InternalParamsOf), which LeaseTrial and Ask hand out
  // before any sampled trial (WAITING trials go lowest number first, so in enqueue order) and
  // which counts as history once finished. INVALID_ARGUMENT naming the param for an unknown
  // param, a value outside its distribution, a missing or inactive param, a violated space
  // constraint or a broken budget ("budgets.avg_bitwidth: 8 > max 6: ..."); FAILED_PRECONDITION for
  // a grid study (trial n runs cell n, so an enqueued trial would take a cell's number), a
  // COMPLETED study, or when max_trials (> 0) is already taken by COMPLETE+PRUNED+RUNNING+WAITING
  // trials. A STOPPED study keeps the trial waiting until it is resumed.
  absl::StatusOr<Trial> EnqueueTrial(const std::string& study,
                                     const std::map<std::string, ParamValue>& params);

  // Optuna's add_trial: stores `added` as the study's next trial, finished, never leased; the
  // sampler sees it as history from the next sample on. Params are checked as EnqueueTrial checks
  // them (AddedTrialParams: a FAIL trial may hold a subset), values by AddedTrialValues; budgets
  // are not checked (the trial never runs). Allowed in any study state; the study completes when
  // COMPLETE+PRUNED trials reach max_trials (MaybeComplete), but added FAIL trials do not count
  // towards max_consecutive_failures (they are history, not failed runs). INVALID_ARGUMENT naming
  // the field (params.<name>, trial.values, trial.state, trial.intermediate_values,
  // trial.user_attrs.<key> for an attr that is not JSON text);
  // FAILED_PRECONDITION for a grid study.
  absl::StatusOr<Trial> AddTrial(const std::string& study, AddedTrial added);

  // Leases a trial of `study` to `worker_id` without waiting, for `lease_duration_ms` (nullopt:
  // spec.lease_duration_ms). INVALID_ARGUMENT naming lease_duration_ms when it is outside
  // [kMinAskedLeaseMs, limits::kMaxLeaseDurationMs]; FAILED_PRECONDITION when the study is not
  // RUNNING or when no params can be sampled (every redraw broke a budget or a constraint; also
  // stored as study system attr "sampling_error"); RESOURCE_EXHAUSTED when no trial can be handed
  // out now (grid cells or max_trials all taken by running/finished trials).
  absl::StatusOr<LeasedTrial> Ask(const std::string& study, const std::string& worker_id,
                                  std::optional<int64_t> lease_duration_ms = std::nullopt);
  // Leases a trial from any RUNNING study that `filter` admits (studies in turn, round robin),
  // waiting until work appears, `wait_until`, options.max_lease_wait_ms or Shutdown(),
  // whichever is first. nullopt when nothing became ready. INVALID_ARGUMENT for an empty
  // worker_id; errors from Storage or the sampler are returned. The leased trial records the
  // worker as system attr "worker": {"id": worker_id, <labels>} (also after Ask, without labels).
  //
  // Fused groups: with max_trials > 1 (at most kMaxFusedTrials; INVALID_ARGUMENT naming
  // max_trials otherwise) the first trial is leased as above, then up to max_trials - 1 further
  // trials of the same study whose fusion key (server/fusion_keys.h) equals the first's, which
  // must not be empty, go into LeasedTrial::fused: WAITING trials first (lowest number first),
  // then newly sampled ones while the study may create trials (max_trials, the sampler). A
  // sampled trial whose key differs stays WAITING for later leases; at most 2 * max_trials are
  // sampled per call, so a search over many shapes does not flood the queue. Every trial of the
  // group gets a lease of its own (epoch, token, deadline, attempts) as a single lease and is
  // renewed, finished and expired alone; each records system attr "fused": {"group": [numbers
  // of the group, the first first], "size": n} when the group has more than one trial.
  absl::StatusOr<std::optional<LeasedTrial>> LeaseTrial(
      const std::string& worker_id, const LeaseFilter& filter,
      std::chrono::steady_clock::time_point wait_until, const WorkerLabels& labels = {},
      int max_trials = 1);

  // Renews the lease of a RUNNING trial (an asked one or a worker's): with `lease_duration_ms`
  // it lasts that long from now (bounds as Ask's, INVALID_ARGUMENT naming lease_duration_ms);
  // without, spec.lease_duration_ms from now but never less than it already had, so a long
  // asked lease is not cut short (ReportIntermediate renews the same way). FAILED_PRECONDITION
  // when `lease` does not match its lease (epoch and token) or the trial is not RUNNING.
  absl::StatusOr<HeartbeatResult> Heartbeat(
      const std::string& study, int64_t number, const LeaseKey& lease,
      std::optional<int64_t> lease_duration_ms = std::nullopt);
  // Records intermediate value `value` at `step` (>= 0; a repeated step overwrites) and renews
  // the lease; `metrics` non-empty are stored as user attr "intermediate/<step>". While the
  // study is RUNNING, its pruner (spec.pruner, pruner/pruner.h) then judges the trial from the
  // cached history; the system attrs of its decision are stored with the report. Returns
  // whether the worker should stop (study no longer running) or prune the trial. Same epoch
  // rules as Heartbeat.
  absl::StatusOr<IntermediateResult> ReportIntermediate(
      const std::string& study, int64_t number, const LeaseKey& lease, int64_t step, double value,
      const std::map<std::string, double>& metrics);
  // Finishes a RUNNING trial with Optuna's tell semantics (docs/tpe.md 5.2):
  //  * a finished trial: FAILED_PRECONDITION "Cannot tell a COMPLETE trial." (or returned
  //    unchanged with skip_if_finished, when `lease` is unset or its epoch is the trial's
  //    attempt: the teller's own earlier call finished it); a WAITING trial likewise;
  //  * a stale `lease` (epoch or token): FAILED_PRECONDITION;
  //  * a trial leased to a worker (LeaseTrial), told without `lease` and without `force`:
  //    FAILED_PRECONDITION naming the worker (an asked trial may be told by number);
  //  * COMPLETE needs values, PRUNED and FAIL forbid them: INVALID_ARGUMENT;
  //  * values that are NaN or not one per objective store the trial as FAIL with the reason in
  //    system attr "fail_reason";
  //  * PRUNED takes the last finite intermediate value as its value (single objective);
  //  * constraints that are NaN, infinite or unnamed: INVALID_ARGUMENT naming the constraint;
  //  * request.told_by set: system attr "told_by" names the teller (see FinishRequest).
  // Returns the stored trial.
  absl::StatusOr<Trial> FinishTrial(const std::string& study, int64_t number,
                                    FinishRequest request);

  // Gives back the RUNNING trial `number` that its holder will not finish (a worker stopping
  // cleanly): at once, as if its lease had expired now (WAITING with the same params and
  // attempt+1, or FAIL when the study is no longer RUNNING), except that a release never counts
  // against spec.max_retries. The lease is recorded in system attr "attempts" with outcome
  // "released" and `reason` (when non-empty), and logged. Returns the stored trial.
  // FAILED_PRECONDITION when `lease` does not match the trial's lease (epoch and token) or the
  // trial is not RUNNING; nothing changes then.
  absl::StatusOr<Trial> ReleaseTrial(const std::string& study, int64_t number,
                                     const LeaseKey& lease, const std::string& reason);

  // Re-queues or fails every RUNNING trial whose lease deadline is <= the clock's now.
  // Returns how many leases expired.
  absl::StatusOr<int> ReapExpiredLeases();

  // Wakes every waiting LeaseTrial (they return nullopt) and makes later ones return at once.
  void Shutdown();

  // OK while Storage persists changes; else the error of its latest failed commit (until a
  // commit succeeds again). For health checks.
  absl::Status StorageHealth();

 private:
  // One study: its lock, the cached study and trials, its sampler. id, study_name and
  // task_kind never change and may be read without the lock.
  struct Entry {
    // Out of line, where Sampler is complete.
    Entry(int64_t id, std::string study_name, std::string task_kind);
    ~Entry();

    const int64_t id;
    const std::string study_name;
    const std::string task_kind;  // the task section's "kind"
    Mutex mu;
    Study study ABSL_GUARDED_BY(mu);
    std::vector<Trial> trials ABSL_GUARDED_BY(mu);        // by number
    std::set<int64_t> waiting ABSL_GUARDED_BY(mu);        // numbers of WAITING trials
    std::set<int64_t> running ABSL_GUARDED_BY(mu);        // numbers of RUNNING trials
    std::array<int64_t, 5> counts ABSL_GUARDED_BY(mu){};  // trials by state
    int64_t revision ABSL_GUARDED_BY(mu) = 0;             // StudySummary::revision
    std::unique_ptr<Sampler> sampler ABSL_GUARDED_BY(mu);
    std::unique_ptr<Pruner> pruner ABSL_GUARDED_BY(mu);  // spec.pruner's
    // The task's cost model (null when it has none) and the check of spec.budgets on it, which
    // Context() hands to SampleTrial (server/trial_cost.h).
    std::shared_ptr<const TrialCostModel> cost_model ABSL_GUARDED_BY(mu);
    AdmissibilityCheck admissible ABSL_GUARDED_BY(mu);
    // The trials' fusion keys, for fused groups (LeaseTrial with max_trials > 1).
    FusionKeys fusion_keys ABSL_GUARDED_BY(mu);
    // Makes the cached trials (and the ones Storage keeps) share their distribution maps.
    DistributionsInterner distributions ABSL_GUARDED_BY(mu);
    // Trials FAILED in a row, in the order they finished.
    int consecutive_failures ABSL_GUARDED_BY(mu) = 0;
    bool deleted ABSL_GUARDED_BY(mu) = false;
    // Storage's ticket for the latest change to this study.
    CommitTicket last_write ABSL_GUARDED_BY(mu) = 0;
    // Calls of InStudy waiting for `mu`; each will wait for durability once it has run.
    std::atomic<int> queued_calls{0};

    const std::string& name() const { return study_name; }
    const StudySpec& spec() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return study.spec; }
    int64_t count(TrialState s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return counts[static_cast<int>(s)];
    }
    // Adds (delta 1) or removes (delta -1) `trial` from the per-state bookkeeping.
    void Track(const Trial& trial, int delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
    SamplingContext Context() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
    StudySummary Summary() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return StudySummary{study, counts, revision};
    }
  };

  StudyManager(Storage* storage, Clock* clock, StudyManagerOptions options);
  absl::Status Load();
  // Fills `entry` from `study` and its stored trials, with a fresh sampler; `entry` is unchanged
  // on error.
  absl::Status LoadEntry(Study study, Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // When a commit failed since the last re-read (Storage::CommitFailures grew) and
  // options_.commit_retry_ms have passed since it, re-reads every study from Storage, dropping
  // the lost changes from the cache, and resumes Storage's writes. Otherwise, or when the
  // re-read fails (logged), Storage keeps refusing writes: calls answer with its error, and
  // reads stay correct because InStudy waits for the study's latest ticket, which fails when
  // that change was lost. Takes registry_mu_ and every study's lock: call with no lock held.
  void RecoverFromCommitFailures() ABSL_LOCKS_EXCLUDED(registry_mu_);
  // The study's entry (not locked); NOT_FOUND when it does not exist.
  absl::StatusOr<std::shared_ptr<Entry>> Find(const std::string& study);
  // Every study's entry, by id.
  std::vector<std::shared_ptr<Entry>> Snapshot();
  // Leases a WAITING or new trial of the locked `entry`; nullopt with the reason in `no_work`
  // when none can be handed out now. The lease lasts `lease_duration_ms` (nullopt: the spec's).
  absl::StatusOr<std::optional<LeasedTrial>> TryLease(Entry& entry, const std::string& worker_id,
                                                      const WorkerLabels& labels, LeaseKind kind,
                                                      std::optional<int64_t> lease_duration_ms,
                                                      absl::Status* no_work)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // A new lease of `kind` for `worker_id` (epoch 1: the caller sets the trial's attempt) from
  // now for `lease_duration_ms` (nullopt: the spec's), with a fresh token.
  absl::StatusOr<Lease> NewLease(Entry& entry, const std::string& worker_id, LeaseKind kind,
                                 std::optional<int64_t> lease_duration_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Leases the WAITING trial `number` under `lease` (its epoch set to the trial's attempt),
  // recording `worker_json` as system attr kWorkerAttr.
  absl::Status LeaseWaiting(Entry& entry, int64_t number, Lease lease,
                            const std::string& worker_json) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Params for a new trial of the locked `entry`; nullopt with the reason in `no_work` when the
  // study may not create one now (max_trials taken by finished, running and waiting trials, the
  // sampler exhausted, or no admissible params: then stored as kSamplingErrorAttr).
  absl::StatusOr<std::optional<InternalParams>> SampleNewParams(Entry& entry, absl::Status* no_work)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Adds to `leased`, the group's first trial, up to max_trials - 1 further trials with its
  // fusion key (see LeaseTrial). Sets `*queued` when sampled trials were left WAITING.
  absl::Status LeaseFusedTrials(Entry& entry, const std::string& worker_id,
                                const WorkerLabels& labels, int max_trials, LeasedTrial& leased,
                                bool* queued) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // The RUNNING trial `number` whose lease matches `key`; FAILED_PRECONDITION otherwise.
  absl::StatusOr<Trial*> FindLeased(Entry& entry, int64_t number, const LeaseKey& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Renews the lease of the locked trial `number` named by `key` and applies `update` with it:
  // for `lease_duration_ms` from now, or (nullopt) for the spec's but not below its deadline.
  absl::StatusOr<Trial*> RenewLease(Entry& entry, int64_t number, const LeaseKey& key,
                                    std::optional<int64_t> lease_duration_ms, TrialUpdate update)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Stores `tmpl` as the next trial of the locked `entry` (deferred durability) and caches it.
  absl::StatusOr<Trial*> CreateTrial(Entry& entry, const Trial& tmpl)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  absl::StatusOr<Trial*> FindTrial(Entry& entry, int64_t number)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Waits (no lock held) until `seen`, a ticket of `entry`'s changes, is durable.
  absl::Status WaitDurable(const Entry& entry, CommitTicket seen);
  // Runs `body(entry)` with the study's entry locked (body starts with entry.mu.AssertHeld()),
  // then, with the lock released, waits until every change of the study so far is durable and
  // returns body's result (or the durability error). NOT_FOUND when the study does not exist
  // (or was deleted meanwhile).
  template <class Body>
  std::invoke_result_t<Body, Entry&> InStudy(const std::string& study, Body&& body);
  // FinishTrial on the locked `entry`.
  absl::StatusOr<Trial> FinishLocked(Entry& entry, int64_t number, FinishRequest request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Applies `update` to Storage (deferred durability, the entry's latest ticket), then to the
  // cached `trial`.
  absl::Status Update(Entry& entry, Trial& trial, const TrialUpdate& update)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  absl::Status MaybeComplete(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Counts `trial`, just finished, towards spec.max_consecutive_failures and stops the study
  // when they are reached.
  absl::Status CountFailures(Entry& entry, const Trial& trial)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Ends the lease of the RUNNING `trial` with `outcome` (kExpiredOutcome: reaped,
  // kReleasedOutcome: given back, with `reason`): re-queues it or FAILs it (see ReapExpiredLeases
  // and ReleaseTrial) and records the lease in its kAttemptsAttr.
  absl::Status EndLease(Entry& entry, Trial& trial, const std::string& outcome,
                        const std::string& reason = "") ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  // Stores why sampling failed as study system attr kSamplingErrorAttr, or erases it when
  // `sampling` is OK; writes only when the attr changes.
  absl::Status RecordSamplingError(Entry& entry, const absl::Status& sampling)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(entry.mu);
  void NotifyWork();

  Storage* const storage_;
  Clock* const clock_;
  const StudyManagerOptions options_;

  SharedMutex registry_mu_;  // taken before any study's lock, never after
  std::map<std::string, std::shared_ptr<Entry>> studies_ ABSL_GUARDED_BY(registry_mu_);

  Mutex work_mu_;
  CondVar work_cv_;
  uint64_t work_generation_ ABSL_GUARDED_BY(work_mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(work_mu_) = false;
  std::atomic<uint64_t> lease_cursor_{0};       // round robin over studies
  std::atomic<int64_t> recovered_failures_{0};  // Storage::CommitFailures() at the last re-read
  std::chrono::steady_clock::time_point next_recovery_ ABSL_GUARDED_BY(registry_mu_);
};

}  // namespace nasq

#endif  // NASQ_SERVER_STUDY_MANAGER_H_
