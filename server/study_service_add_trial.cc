// server/study_service_add_trial.cc: StudyService.AddTrial, the RPC edge of
// StudyManager::AddTrial (imports of finished trials, Optuna's add_trial).
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/limits.h"
#include "core/status_macros.h"
#include "proto/convert.h"
#include "proto/resource_names.h"
#include "server/rpc_util.h"
#include "server/study_service.h"

namespace nasq {
namespace {

// The finished trial of an AddTrialRequest; INVALID_ARGUMENT naming the field that is malformed
// or too large. What fits the study's space and directions is the manager's to check.
absl::StatusOr<AddedTrial> AddedTrialFromProto(const v1::Trial& trial) {
  AddedTrial added;
  NASQ_ASSIGN_OR_RETURN(added.state, TrialStateFromProto(trial.state(), "trial.state"));
  NASQ_RETURN_IF_ERROR(
      ValidateCount(trial.params_size(), limits::kMaxParams, "trial.params", "params"));
  for (const auto& [name, value] : trial.params()) {
    NASQ_ASSIGN_OR_RETURN(added.params[name],
                          ParamValueFromProto(value, absl::StrCat("params.", name)));
  }
  NASQ_RETURN_IF_ERROR(
      ValidateCount(trial.values_size(), limits::kMaxObjectives, "trial.values", "values"));
  added.values.assign(trial.values().begin(), trial.values().end());
  NASQ_RETURN_IF_ERROR(ValidateCount(trial.intermediate_values_size(), limits::kMaxPrunerSteps,
                                     "trial.intermediate_values", "steps"));
  added.intermediate_values.insert(trial.intermediate_values().begin(),
                                   trial.intermediate_values().end());
  NASQ_RETURN_IF_ERROR(
      ValidateTextMap(trial.user_attrs(), "trial.user_attrs", limits::kMaxAttrValueBytes));
  NASQ_RETURN_IF_ERROR(
      ValidateTextMap(trial.system_attrs(), "trial.system_attrs", limits::kMaxAttrValueBytes));
  added.user_attrs.insert(trial.user_attrs().begin(), trial.user_attrs().end());
  added.system_attrs.insert(trial.system_attrs().begin(), trial.system_attrs().end());
  if (trial.has_start_time()) added.datetime_start_us = TimestampToMicros(trial.start_time());
  if (trial.has_complete_time()) {
    added.datetime_complete_us = TimestampToMicros(trial.complete_time());
  }
  return added;
}

}  // namespace

grpc::Status StudyServiceImpl::AddTrial(grpc::ServerContext*, const v1::AddTrialRequest* request,
                                        v1::Trial* response) {
  return RunRpc(metrics_, calls_, "AddTrial", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->parent(), "parent"));
    NASQ_ASSIGN_OR_RETURN(AddedTrial added, AddedTrialFromProto(request->trial()));
    NASQ_ASSIGN_OR_RETURN(Trial trial, manager_.AddTrial(study, std::move(added)));
    *response = TrialToProto(trial, study);
    return absl::OkStatus();
  });
}

}  // namespace nasq
