// storage/storage.h: the Storage interface: durable studies and trials.
//
// Implementations: storage/memory_storage.h (the reference) and storage/sqlite_storage.h.
// Contract shared by every implementation (checked by tests/storage/storage_conformance_test.cc):
//  * Thread-safe: every method may be called from any thread concurrently.
//  * Reads return immutable snapshots (copies); later writes never change a returned value.
//  * Every method either applies all of its change or none of it (one transaction).
//  * Trial state changes are compare-and-set (UpdateTrial): a stale expectation changes nothing
//    and returns FAILED_PRECONDITION. Finished trials (COMPLETE, PRUNED, FAIL) are frozen.
//  * Trial numbers are dense and unique per study: CreateTrial assigns 0, 1, 2, ... Study and
//    trial ids are positive and never reused, not even after DeleteStudy.
//  * Objective values may be +-inf but never NaN; intermediate values may be NaN or +-inf.
//  * Group commit: CreateTrialDeferred / UpdateTrialDeferred apply a change at once (every later
//    call sees it) and make it durable later, together with the changes of concurrent callers;
//    WaitDurable(ticket) waits for that. The durable state is always a prefix of the write order,
//    so a crash may lose only the newest changes that nobody has waited for. Every other write
//    method returns only once its change is durable.
//  * Errors: NOT_FOUND (unknown study/trial), ALREADY_EXISTS (duplicate study name),
//    FAILED_PRECONDITION (CAS mismatch, frozen trial), INVALID_ARGUMENT (bad input),
//    INTERNAL / UNAVAILABLE (the backend failed; nothing was changed), DATA_LOSS (a stored row
//    cannot be decoded). When several apply, NOT_FOUND wins over INVALID_ARGUMENT, which wins
//    over FAILED_PRECONDITION.
#ifndef NASQ_STORAGE_STORAGE_H_
#define NASQ_STORAGE_STORAGE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/study.h"
#include "core/trial.h"

namespace nasq {

// A position in a storage's write order: a change is durable once WaitDurable(its ticket) has
// returned OK. Tickets only grow; 0 precedes every change.
using CommitTicket = uint64_t;

// A compare-and-set change to one trial. Preconditions: the trial's state must equal
// `expected_state` and, when `expected_epoch` is set, its lease must exist with that epoch.
// Then every set field is written, all in one transaction.
struct TrialUpdate {
  TrialState expected_state = TrialState::kRunning;
  std::optional<int64_t> expected_epoch;

  std::optional<TrialState> state;
  std::optional<std::vector<double>> values;
  std::optional<Lease> lease;  // replaces the lease
  bool clear_lease = false;    // removes the lease (ignored when `lease` is set)
  std::optional<int> attempt;
  std::optional<int64_t> datetime_start_us;
  std::optional<int64_t> datetime_complete_us;
  std::map<int64_t, double> intermediate_values;    // upserted by step
  std::map<std::string, std::string> user_attrs;    // upserted (JSON text)
  std::map<std::string, std::string> system_attrs;  // upserted (JSON text)
};

// A change to a study, written in one transaction by Storage::UpdateStudy.
struct StudyUpdate {
  std::optional<StudyState> state;
  std::optional<int64_t> max_trials;                // replaces spec.max_trials (>= 0)
  std::map<std::string, std::string> system_attrs;  // upserted (JSON text)
  std::vector<std::string> erased_system_attrs;     // removed; absent keys are ignored
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Stores a new study (state RUNNING). Returns its id. ALREADY_EXISTS if the name is taken;
  // INVALID_ARGUMENT if the spec has no JSON form (spec/spec_json.h: a non-finite
  // categorical choice).
  virtual absl::StatusOr<int64_t> CreateStudy(const StudySpec& spec, int64_t created_us) = 0;
  virtual absl::StatusOr<Study> GetStudy(int64_t study_id) = 0;
  virtual absl::StatusOr<Study> GetStudyByName(const std::string& name) = 0;
  // All studies, by id.
  virtual absl::StatusOr<std::vector<Study>> ListStudies() = 0;
  virtual absl::Status SetStudyState(int64_t study_id, StudyState state) = 0;
  virtual absl::Status SetStudySystemAttr(int64_t study_id, const std::string& key,
                                          const std::string& value_json) = 0;
  // Applies every set field of `update` to the study at once (erasures after upserts).
  // NOT_FOUND when the study does not exist; INVALID_ARGUMENT for a negative max_trials.
  virtual absl::Status UpdateStudy(int64_t study_id, const StudyUpdate& update) = 0;
  // Deletes the study and all its trials.
  virtual absl::Status DeleteStudy(int64_t study_id) = 0;

  // Stores `tmpl` as a new trial of the study: id and number are assigned (number = count of
  // the study's trials), everything else (state, params, distributions, values, attrs, lease,
  // attempt, timestamps, intermediate values) is taken from `tmpl`. Returns the stored trial once
  // it is durable. INVALID_ARGUMENT when params and distributions do not have the same keys, a
  // distribution is invalid, a param's internal value lies outside its distribution, or a value
  // is NaN.
  absl::StatusOr<Trial> CreateTrial(int64_t study_id, const Trial& tmpl);
  // CreateTrial without waiting for durability: returns once the trial is stored and visible to
  // every later call, with its position in `*ticket` (untouched on error); it is durable once
  // WaitDurable(*ticket) has returned OK.
  virtual absl::StatusOr<Trial> CreateTrialDeferred(int64_t study_id, const Trial& tmpl,
                                                    CommitTicket* ticket) = 0;
  virtual absl::StatusOr<Trial> GetTrial(int64_t trial_id) = 0;
  virtual absl::StatusOr<Trial> GetTrialByNumber(int64_t study_id, int64_t number) = 0;
  // The study's trials by number; only those in `states` when it is non-empty. Trials with
  // equal distributions share one map (TrialDistributions::SharesMapWith), so that a loaded
  // history holds one map per distinct set of distributions, not one per trial.
  virtual absl::StatusOr<std::vector<Trial>> GetAllTrials(
      int64_t study_id, const std::vector<TrialState>& states = {}) = 0;

  // Applies `update` to the trial if its preconditions hold (see TrialUpdate) and returns once
  // the change is durable; otherwise FAILED_PRECONDITION with the actual state/epoch in the
  // message, and nothing changes. Finished trials refuse every update, whatever
  // `expected_state` says. INVALID_ARGUMENT when `update.values` contains NaN.
  absl::Status UpdateTrial(int64_t trial_id, const TrialUpdate& update);
  // UpdateTrial without waiting for durability, like CreateTrialDeferred.
  virtual absl::Status UpdateTrialDeferred(int64_t trial_id, const TrialUpdate& update,
                                           CommitTicket* ticket) = 0;

  // Returns once every change whose ticket is <= `ticket` is durable; the storage commits the
  // pending changes of all callers together. When the commit fails (disk full, I/O error),
  // returns its error (UNAVAILABLE / INTERNAL), now and for every later wait on that ticket:
  // the pending changes are lost, the storage is back at its durable state, and it refuses
  // every write with that error until ResumeWrites() (callers may have seen the lost changes,
  // so they re-read what they cached first).
  virtual absl::Status WaitDurable(CommitTicket ticket) = 0;
  // WaitDurable for a caller that knows another caller will call WaitDurable with a ticket >=
  // `ticket` very soon (e.g. it is queued on the same lock, about to write): waits preferably
  // for that caller's commit, so that both changes share one commit, and commits itself when
  // nobody has within a few milliseconds. Same results as WaitDurable (the default).
  virtual absl::Status WaitDurableBeforeFollowers(CommitTicket ticket) {
    return WaitDurable(ticket);
  }

  // How many commits have failed (losing their changes) so far; 0 for storages whose commits
  // cannot fail (the default).
  virtual int64_t CommitFailures() { return 0; }
  // After failed commits (see WaitDurable), accepts writes again. The caller must have dropped
  // whatever it derived from the lost changes (e.g. re-read its cache). No effect otherwise.
  virtual void ResumeWrites() {}
  // OK, or the error of the latest failed commit until a later commit succeeds (for health
  // checks: the storage cannot persist changes now).
  virtual absl::Status CommitHealth() { return absl::OkStatus(); }
};

}  // namespace nasq

#endif  // NASQ_STORAGE_STORAGE_H_
