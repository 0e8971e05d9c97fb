// storage/storage.cc: the waiting write methods of storage/storage.h, built on their deferred
// forms so that every implementation has one write path.
#include "storage/storage.h"

#include "core/status_macros.h"

namespace nasq {

absl::StatusOr<Trial> Storage::CreateTrial(int64_t study_id, const Trial& tmpl) {
  CommitTicket ticket = 0;
  NASQ_ASSIGN_OR_RETURN(Trial trial, CreateTrialDeferred(study_id, tmpl, &ticket));
  NASQ_RETURN_IF_ERROR(WaitDurable(ticket));
  return trial;
}

absl::Status Storage::UpdateTrial(int64_t trial_id, const TrialUpdate& update) {
  CommitTicket ticket = 0;
  NASQ_RETURN_IF_ERROR(UpdateTrialDeferred(trial_id, update, &ticket));
  return WaitDurable(ticket);
}

}  // namespace nasq
