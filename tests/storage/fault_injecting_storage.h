// tests/storage/fault_injecting_storage.h: a Storage that forwards to another one and fails
// chosen writes the way a failing disk does, for tests of the fail-stop path that
// storage/storage.h promises (see WaitDurable, CommitFailures, ResumeWrites, CommitHealth).
//
// While the disk "fails" (FailWrites), a write reaches the wrapped storage no more: it returns
// the injected error and changes nothing. The first such failure makes the wrapper fail-stop,
// as storage.h requires after a failed commit: CommitFailures() grows, CommitHealth() returns
// the error, and every later write is refused with it until ResumeWrites(), even once the disk
// works again (Heal). Reads always reach the wrapped storage (its durable state). Writes are
// CreateStudy, SetStudyState, SetStudySystemAttr, UpdateStudy, DeleteStudy, CreateTrialDeferred
// and UpdateTrialDeferred (so also CreateTrial and UpdateTrial).
//
// Thread-safety: thread-safe when the wrapped storage is.
#ifndef NASQ_TESTS_STORAGE_FAULT_INJECTING_STORAGE_H_
#define NASQ_TESTS_STORAGE_FAULT_INJECTING_STORAGE_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "storage/storage.h"

namespace nasq::testing {

class FaultInjectingStorage final : public Storage {
 public:
  static constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

  // `base` must outlive the wrapper.
  explicit FaultInjectingStorage(Storage* base) : base_(base) {}

  // After `after` more writes succeed, the next `count` writes fail with `error` (a disk that
  // fills up: UNAVAILABLE by default). Replaces an earlier plan.
  void FailWrites(int64_t after, int64_t count = kForever,
                  absl::Status error = absl::UnavailableError("injected fault: disk full"));
  // The disk works again: no planned failure is left (writes stay refused until ResumeWrites
  // when one has failed).
  void Heal();
  // Writes attempted so far, whether they succeeded, failed or were refused.
  int64_t writes() const;

  absl::StatusOr<int64_t> CreateStudy(const StudySpec& spec, int64_t created_us) override;
  absl::StatusOr<Study> GetStudy(int64_t study_id) override { return base_->GetStudy(study_id); }
  absl::StatusOr<Study> GetStudyByName(const std::string& name) override {
    return base_->GetStudyByName(name);
  }
  absl::StatusOr<std::vector<Study>> ListStudies() override { return base_->ListStudies(); }
  absl::Status SetStudyState(int64_t study_id, StudyState state) override;
  absl::Status SetStudySystemAttr(int64_t study_id, const std::string& key,
                                  const std::string& value_json) override;
  absl::Status UpdateStudy(int64_t study_id, const StudyUpdate& update) override;
  absl::Status DeleteStudy(int64_t study_id) override;
  absl::StatusOr<Trial> CreateTrialDeferred(int64_t study_id, const Trial& tmpl,
                                            CommitTicket* ticket) override;
  absl::StatusOr<Trial> GetTrial(int64_t trial_id) override { return base_->GetTrial(trial_id); }
  absl::StatusOr<Trial> GetTrialByNumber(int64_t study_id, int64_t number) override {
    return base_->GetTrialByNumber(study_id, number);
  }
  absl::StatusOr<std::vector<Trial>> GetAllTrials(
      int64_t study_id, const std::vector<TrialState>& states = {}) override {
    return base_->GetAllTrials(study_id, states);
  }
  absl::Status UpdateTrialDeferred(int64_t trial_id, const TrialUpdate& update,
                                   CommitTicket* ticket) override;
  absl::Status WaitDurable(CommitTicket ticket) override { return base_->WaitDurable(ticket); }
  absl::Status WaitDurableBeforeFollowers(CommitTicket ticket) override {
    return base_->WaitDurableBeforeFollowers(ticket);
  }
  int64_t CommitFailures() override;
  void ResumeWrites() override;
  absl::Status CommitHealth() override;

 private:
  // OK when the next write may reach the wrapped storage; else its error (injected or refused),
  // recording an injected failure.
  absl::Status BeginWrite();
  // Records the outcome of a write that reached the wrapped storage.
  void EndWrite(const absl::Status& status);

  Storage* const base_;
  mutable Mutex mu_;
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t succeed_before_failing_ ABSL_GUARDED_BY(mu_) = kForever;  // writes until the fault
  int64_t failing_left_ ABSL_GUARDED_BY(mu_) = 0;  // injected failures still to come
  absl::Status error_ ABSL_GUARDED_BY(mu_);        // the injected error
  int64_t failures_ ABSL_GUARDED_BY(mu_) = 0;      // injected failures so far
  absl::Status refusing_ ABSL_GUARDED_BY(mu_);     // the failure refusing writes, until Resume
  absl::Status health_ ABSL_GUARDED_BY(mu_);       // the latest failure, until a write succeeds
};

}  // namespace nasq::testing

#endif  // NASQ_TESTS_STORAGE_FAULT_INJECTING_STORAGE_H_
