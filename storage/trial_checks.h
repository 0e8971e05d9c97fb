// storage/trial_checks.h: the input checks and CAS rules of storage/storage.h, shared by every
// Storage implementation so that they accept and refuse exactly the same things.
//
// Pure functions; thread-safe.
#ifndef NASQ_STORAGE_TRIAL_CHECKS_H_
#define NASQ_STORAGE_TRIAL_CHECKS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "core/trial.h"
#include "storage/storage.h"

namespace nasq {

// INVALID_ARGUMENT unless every objective value is a number or +-inf (NaN is refused).
absl::Status ValidateObjectiveValues(const std::vector<double>& values);

// INVALID_ARGUMENT for a CreateTrial template whose params and distributions differ in keys,
// whose distributions are invalid (or have no JSON form, see spec_json.h), whose param values lie
// outside their distribution, or whose values contain NaN.
absl::Status ValidateTrialTemplate(const Trial& tmpl);

// INVALID_ARGUMENT when `update` itself is malformed (NaN objective values).
absl::Status ValidateTrialUpdate(const TrialUpdate& update);

// INVALID_ARGUMENT when `update` sets a negative max_trials.
absl::Status CheckStudyUpdate(const StudyUpdate& update);

// FAILED_PRECONDITION when the trial (`trial_id`, currently in `state` holding `lease`) is
// finished (frozen), is not in `update.expected_state`, or does not hold a lease with
// `update.expected_epoch`. The message names the expected and the actual state/epoch.
absl::Status CheckTrialUpdatePreconditions(int64_t trial_id, TrialState state,
                                           const std::optional<Lease>& lease,
                                           const TrialUpdate& update);

// Writes every field set in `update` into `trial` (preconditions must have been checked).
void ApplyTrialUpdate(const TrialUpdate& update, Trial& trial);

}  // namespace nasq

#endif  // NASQ_STORAGE_TRIAL_CHECKS_H_
