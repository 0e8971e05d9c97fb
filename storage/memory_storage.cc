// storage/memory_storage.cc: see memory_storage.h.
#include "storage/memory_storage.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/mutex.h"
#include "core/status_macros.h"
#include "spec/spec_json.h"
#include "storage/trial_checks.h"

namespace nasq {
namespace {

class MemoryStorage final : public Storage {
 public:
  absl::StatusOr<int64_t> CreateStudy(const StudySpec& spec, int64_t created_us) override {
    // Same acceptance as the durable storages, which store the spec as JSON.
    NASQ_RETURN_IF_ERROR(StudySpecToJson(spec).status());
    MutexLock lock(&mu_);
    for (const auto& [id, study] : studies_) {
      if (study.study.spec.name == spec.name) {
        return absl::AlreadyExistsError(
            absl::StrCat("study \"", spec.name, "\" already exists (id ", id, ")"));
      }
    }
    const int64_t id = next_study_id_++;
    StudyEntry& entry = studies_[id];
    entry.study.id = id;
    entry.study.spec = spec;
    entry.study.created_us = created_us;
    return id;
  }

  absl::StatusOr<Study> GetStudy(int64_t study_id) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(StudyEntry * entry, FindStudy(study_id));
    return entry->study;
  }

  absl::StatusOr<Study> GetStudyByName(const std::string& name) override {
    MutexLock lock(&mu_);
    for (const auto& [id, entry] : studies_) {
      if (entry.study.spec.name == name) return entry.study;
    }
    return absl::NotFoundError(absl::StrCat("study \"", name, "\" not found"));
  }

  absl::StatusOr<std::vector<Study>> ListStudies() override {
    MutexLock lock(&mu_);
    std::vector<Study> out;
    for (const auto& [id, entry] : studies_) out.push_back(entry.study);
    return out;
  }

  absl::Status SetStudyState(int64_t study_id, StudyState state) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(StudyEntry * entry, FindStudy(study_id));
    entry->study.state = state;
    return absl::OkStatus();
  }

  absl::Status SetStudySystemAttr(int64_t study_id, const std::string& key,
                                  const std::string& value_json) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(StudyEntry * entry, FindStudy(study_id));
    entry->study.system_attrs[key] = value_json;
    return absl::OkStatus();
  }

  absl::Status UpdateStudy(int64_t study_id, const StudyUpdate& update) override {
    NASQ_RETURN_IF_ERROR(CheckStudyUpdate(update));
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(StudyEntry * entry, FindStudy(study_id));
    Study& study = entry->study;
    if (update.state) study.state = *update.state;
    if (update.max_trials) study.spec.max_trials = *update.max_trials;
    for (const auto& [key, value] : update.system_attrs) study.system_attrs[key] = value;
    for (const std::string& key : update.erased_system_attrs) study.system_attrs.erase(key);
    return absl::OkStatus();
  }

  absl::Status DeleteStudy(int64_t study_id) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(StudyEntry * entry, FindStudy(study_id));
    for (int64_t trial_id : entry->trial_ids) trials_.erase(trial_id);
    studies_.erase(study_id);
    return absl::OkStatus();
  }

  // Every change is "durable" at once: tickets are all 0 and WaitDurable never waits.
  absl::StatusOr<Trial> CreateTrialDeferred(int64_t study_id, const Trial& tmpl,
                                            CommitTicket* ticket) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(StudyEntry * entry, FindStudy(study_id));
    NASQ_RETURN_IF_ERROR(ValidateTrialTemplate(tmpl));
    Trial trial = tmpl;
    entry->distributions.Intern(trial.distributions);
    trial.id = next_trial_id_++;
    trial.study_id = study_id;
    trial.number = static_cast<int64_t>(entry->trial_ids.size());
    entry->trial_ids.push_back(trial.id);
    trials_[trial.id] = trial;
    *ticket = 0;
    return trial;
  }

  absl::StatusOr<Trial> GetTrial(int64_t trial_id) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(Trial * trial, FindTrial(trial_id));
    return *trial;
  }

  absl::StatusOr<Trial> GetTrialByNumber(int64_t study_id, int64_t number) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(StudyEntry * entry, FindStudy(study_id));
    if (number < 0 || number >= static_cast<int64_t>(entry->trial_ids.size())) {
      return absl::NotFoundError(absl::StrCat("study ", study_id, " has no trial number ", number));
    }
    return trials_.at(entry->trial_ids[number]);
  }

  absl::StatusOr<std::vector<Trial>> GetAllTrials(int64_t study_id,
                                                  const std::vector<TrialState>& states) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(StudyEntry * entry, FindStudy(study_id));
    std::vector<Trial> out;
    for (int64_t trial_id : entry->trial_ids) {
      const Trial& trial = trials_.at(trial_id);
      if (states.empty() || std::find(states.begin(), states.end(), trial.state) != states.end()) {
        out.push_back(trial);
      }
    }
    return out;
  }

  absl::Status UpdateTrialDeferred(int64_t trial_id, const TrialUpdate& update,
                                   CommitTicket* ticket) override {
    MutexLock lock(&mu_);
    NASQ_ASSIGN_OR_RETURN(Trial * trial, FindTrial(trial_id));
    NASQ_RETURN_IF_ERROR(ValidateTrialUpdate(update));
    NASQ_RETURN_IF_ERROR(
        CheckTrialUpdatePreconditions(trial_id, trial->state, trial->lease, update));
    ApplyTrialUpdate(update, *trial);
    *ticket = 0;
    return absl::OkStatus();
  }

  absl::Status WaitDurable(CommitTicket /*ticket*/) override { return absl::OkStatus(); }

 private:
  struct StudyEntry {
    Study study;
    std::vector<int64_t> trial_ids;       // index = trial number
    DistributionsInterner distributions;  // the study's trials share their distribution maps
  };

  absl::StatusOr<StudyEntry*> FindStudy(int64_t study_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = studies_.find(study_id);
    if (it == studies_.end()) {
      return absl::NotFoundError(absl::StrCat("study ", study_id, " not found"));
    }
    return &it->second;
  }

  absl::StatusOr<Trial*> FindTrial(int64_t trial_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = trials_.find(trial_id);
    if (it == trials_.end()) {
      return absl::NotFoundError(absl::StrCat("trial ", trial_id, " not found"));
    }
    return &it->second;
  }

  Mutex mu_;
  std::map<int64_t, StudyEntry> studies_ ABSL_GUARDED_BY(mu_);  // by id
  std::map<int64_t, Trial> trials_ ABSL_GUARDED_BY(mu_);        // by id
  int64_t next_study_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t next_trial_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace

std::unique_ptr<Storage> NewMemoryStorage() { return std::make_unique<MemoryStorage>(); }

}  // namespace nasq
