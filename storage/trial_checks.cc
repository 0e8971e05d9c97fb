// storage/trial_checks.cc: see trial_checks.h.
#include "storage/trial_checks.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "spec/spec_json.h"

namespace nasq {

absl::Status ValidateObjectiveValues(const std::vector<double>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("values[", i, "]: NaN is not a valid objective value"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateTrialTemplate(const Trial& tmpl) {
  for (const auto& [name, internal] : tmpl.params) {
    auto it = tmpl.distributions.find(name);
    if (it == tmpl.distributions.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("params[", name, "]: no distribution for this param"));
    }
    const std::string field = absl::StrCat("distributions[", name, "]");
    NASQ_RETURN_IF_ERROR(ValidateDistribution(it->second, field));
    NASQ_RETURN_IF_ERROR(DistributionToJson(it->second).status());  // must be storable
    if (!Contains(it->second, internal)) {
      return absl::InvalidArgumentError(
          absl::StrCat("params[", name, "]: internal value ", internal, " is outside its ",
                       DistributionKind(it->second), " distribution"));
    }
  }
  for (const auto& [name, distribution] : tmpl.distributions) {
    if (!tmpl.params.contains(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("distributions[", name, "]: no param value for this distribution"));
    }
  }
  return ValidateObjectiveValues(tmpl.values);
}

absl::Status ValidateTrialUpdate(const TrialUpdate& update) {
  if (update.values) return ValidateObjectiveValues(*update.values);
  return absl::OkStatus();
}

absl::Status CheckTrialUpdatePreconditions(int64_t trial_id, TrialState state,
                                           const std::optional<Lease>& lease,
                                           const TrialUpdate& update) {
  if (IsFinished(state)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "trial ", trial_id, " is ", TrialStateName(state), "; finished trials are frozen"));
  }
  if (state != update.expected_state) {
    return absl::FailedPreconditionError(absl::StrCat("trial ", trial_id, " is ",
                                                      TrialStateName(state), ", expected ",
                                                      TrialStateName(update.expected_state)));
  }
  if (update.expected_epoch && (!lease || lease->epoch != *update.expected_epoch)) {
    return absl::FailedPreconditionError(
        absl::StrCat("trial ", trial_id, " lease epoch is ",
                     lease ? absl::StrCat(lease->epoch) : std::string("none (no lease)"),
                     ", expected ", *update.expected_epoch));
  }
  return absl::OkStatus();
}

void ApplyTrialUpdate(const TrialUpdate& update, Trial& trial) {
  if (update.state) trial.state = *update.state;
  if (update.values) trial.values = *update.values;
  if (update.lease) {
    trial.lease = *update.lease;
  } else if (update.clear_lease) {
    trial.lease.reset();
  }
  if (update.attempt) trial.attempt = *update.attempt;
  if (update.datetime_start_us) trial.datetime_start_us = *update.datetime_start_us;
  if (update.datetime_complete_us) trial.datetime_complete_us = *update.datetime_complete_us;
  for (const auto& [step, value] : update.intermediate_values) {
    trial.intermediate_values[step] = value;
  }
  for (const auto& [key, value] : update.user_attrs) trial.user_attrs[key] = value;
  for (const auto& [key, value] : update.system_attrs) trial.system_attrs[key] = value;
}

absl::Status CheckStudyUpdate(const StudyUpdate& update) {
  if (update.max_trials && *update.max_trials < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_trials: must be >= 0 (0 = unlimited), got ", *update.max_trials));
  }
  return absl::OkStatus();
}

}  // namespace nasq
