// tests/storage/fault_injecting_storage.cc: see fault_injecting_storage.h.
#include "tests/storage/fault_injecting_storage.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace nasq::testing {

void FaultInjectingStorage::FailWrites(int64_t after, int64_t count, absl::Status error) {
  MutexLock lock(&mu_);
  succeed_before_failing_ = after;
  failing_left_ = count;
  error_ = std::move(error);
}

void FaultInjectingStorage::Heal() {
  MutexLock lock(&mu_);
  succeed_before_failing_ = kForever;
  failing_left_ = 0;
}

int64_t FaultInjectingStorage::writes() const {
  MutexLock lock(&mu_);
  return writes_;
}

absl::Status FaultInjectingStorage::BeginWrite() {
  MutexLock lock(&mu_);
  ++writes_;
  if (!refusing_.ok()) {
    return absl::Status(refusing_.code(), absl::StrCat("writes refused since a commit failed: ",
                                                       refusing_.message()));
  }
  if (succeed_before_failing_ > 0) {
    if (succeed_before_failing_ != kForever) --succeed_before_failing_;
    return absl::OkStatus();
  }
  if (failing_left_ == 0) return absl::OkStatus();
  if (failing_left_ != kForever) --failing_left_;
  ++failures_;
  refusing_ = error_;
  health_ = error_;
  return error_;
}

void FaultInjectingStorage::EndWrite(const absl::Status& status) {
  MutexLock lock(&mu_);
  if (status.ok()) health_ = absl::OkStatus();
}

absl::StatusOr<int64_t> FaultInjectingStorage::CreateStudy(const StudySpec& spec,
                                                           int64_t created_us) {
  NASQ_RETURN_IF_ERROR(BeginWrite());
  absl::StatusOr<int64_t> id = base_->CreateStudy(spec, created_us);
  EndWrite(id.status());
  return id;
}

absl::Status FaultInjectingStorage::SetStudyState(int64_t study_id, StudyState state) {
  NASQ_RETURN_IF_ERROR(BeginWrite());
  absl::Status status = base_->SetStudyState(study_id, state);
  EndWrite(status);
  return status;
}

absl::Status FaultInjectingStorage::SetStudySystemAttr(int64_t study_id, const std::string& key,
                                                       const std::string& value_json) {
  NASQ_RETURN_IF_ERROR(BeginWrite());
  absl::Status status = base_->SetStudySystemAttr(study_id, key, value_json);
  EndWrite(status);
  return status;
}

absl::Status FaultInjectingStorage::UpdateStudy(int64_t study_id, const StudyUpdate& update) {
  NASQ_RETURN_IF_ERROR(BeginWrite());
  absl::Status status = base_->UpdateStudy(study_id, update);
  EndWrite(status);
  return status;
}

absl::Status FaultInjectingStorage::DeleteStudy(int64_t study_id) {
  NASQ_RETURN_IF_ERROR(BeginWrite());
  absl::Status status = base_->DeleteStudy(study_id);
  EndWrite(status);
  return status;
}

absl::StatusOr<Trial> FaultInjectingStorage::CreateTrialDeferred(int64_t study_id,
                                                                 const Trial& tmpl,
                                                                 CommitTicket* ticket) {
  NASQ_RETURN_IF_ERROR(BeginWrite());
  absl::StatusOr<Trial> trial = base_->CreateTrialDeferred(study_id, tmpl, ticket);
  EndWrite(trial.status());
  return trial;
}

absl::Status FaultInjectingStorage::UpdateTrialDeferred(int64_t trial_id, const TrialUpdate& update,
                                                        CommitTicket* ticket) {
  NASQ_RETURN_IF_ERROR(BeginWrite());
  absl::Status status = base_->UpdateTrialDeferred(trial_id, update, ticket);
  EndWrite(status);
  return status;
}

int64_t FaultInjectingStorage::CommitFailures() {
  const int64_t base_failures = base_->CommitFailures();
  MutexLock lock(&mu_);
  return failures_ + base_failures;
}

void FaultInjectingStorage::ResumeWrites() {
  {
    MutexLock lock(&mu_);
    refusing_ = absl::OkStatus();
  }
  base_->ResumeWrites();
}

absl::Status FaultInjectingStorage::CommitHealth() {
  {
    MutexLock lock(&mu_);
    if (!health_.ok()) return health_;
  }
  return base_->CommitHealth();
}

}  // namespace nasq::testing
