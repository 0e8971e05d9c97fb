#include "server/study_service.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/limits.h"
#include "core/status_macros.h"
#include "proto/convert.h"
#include "proto/resource_names.h"
#include "server/rpc_util.h"
#include "server/server_security.h"
#include "server/task_validation.h"

namespace nasq {
namespace {

// Sorts `trials` by "number" / "value", optionally " desc"; trials without values sort last
// for value orders. INVALID_ARGUMENT for any other order.
absl::Status OrderTrials(const std::string& order_by, std::vector<Trial>& trials) {
  const bool desc = absl::EndsWith(order_by, " desc");
  const std::string key = desc ? order_by.substr(0, order_by.size() - 5) : order_by;
  if (key.empty() || key == "number") {
    if (desc) std::reverse(trials.begin(), trials.end());
    return absl::OkStatus();
  }
  if (key != "value") {
    return absl::InvalidArgumentError(absl::StrCat(
        "order_by: '", order_by, "' is not one of number, number desc, value, value desc"));
  }
  std::stable_sort(trials.begin(), trials.end(), [desc](const Trial& a, const Trial& b) {
    const bool has_a = !a.values.empty() && !std::isnan(a.values[0]);
    const bool has_b = !b.values.empty() && !std::isnan(b.values[0]);
    if (has_a != has_b) return has_a;
    if (!has_a) return false;
    return desc ? a.values[0] > b.values[0] : a.values[0] < b.values[0];
  });
  return absl::OkStatus();
}

}  // namespace

v1::Study StudySummaryToProto(const StudySummary& summary) {
  v1::Study out = StudyToProto(summary.study);
  v1::TrialCounts* counts = out.mutable_trial_counts();
  counts->set_waiting(summary.count(TrialState::kWaiting));
  counts->set_running(summary.count(TrialState::kRunning));
  counts->set_complete(summary.count(TrialState::kComplete));
  counts->set_pruned(summary.count(TrialState::kPruned));
  counts->set_fail(summary.count(TrialState::kFail));
  return out;
}

grpc::Status StudyServiceImpl::CreateStudy(grpc::ServerContext*,
                                           const v1::CreateStudyRequest* request,
                                           v1::Study* response) {
  return RunRpc(metrics_, calls_, "CreateStudy", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(StudySpec spec, StudySpecFromProto(request->spec()));
    NASQ_RETURN_IF_ERROR(ValidateStudyTask(spec));
    NASQ_ASSIGN_OR_RETURN(StudySummary summary, manager_.CreateStudy(spec));
    *response = StudySummaryToProto(summary);
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::GetStudy(grpc::ServerContext*, const v1::GetStudyRequest* request,
                                        v1::Study* response) {
  return RunRpc(metrics_, calls_, "GetStudy", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->name(), "name"));
    NASQ_ASSIGN_OR_RETURN(StudySummary summary, manager_.GetStudy(study));
    *response = StudySummaryToProto(summary);
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::ListStudies(grpc::ServerContext*,
                                           const v1::ListStudiesRequest* request,
                                           v1::ListStudiesResponse* response) {
  return RunRpc(metrics_, calls_, "ListStudies", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(PageRequest page, ParsePage(request->page_size(), request->page_token()));
    NASQ_RETURN_IF_ERROR(
        ValidateText(request->name_contains(), "name_contains", limits::kMaxTokenBytes));
    std::optional<StudyState> state;
    if (request->state() != v1::STUDY_STATE_UNSPECIFIED) {
      NASQ_ASSIGN_OR_RETURN(state, StudyStateFromProto(request->state(), "state"));
    }
    std::vector<StudySummary> matching;
    for (StudySummary& s : manager_.ListStudies()) {
      if (state && s.study.state != *state) continue;
      if (!absl::StrContains(s.study.spec.name, request->name_contains())) continue;
      matching.push_back(std::move(s));
    }
    response->set_next_page_token(
        FillPage(page, matching, response->mutable_studies(), StudySummaryToProto));
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::DeleteStudy(grpc::ServerContext*,
                                           const v1::DeleteStudyRequest* request,
                                           google::protobuf::Empty*) {
  return RunRpc(metrics_, calls_, "DeleteStudy", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->name(), "name"));
    return manager_.DeleteStudy(study);
  });
}

grpc::Status StudyServiceImpl::StopStudy(grpc::ServerContext*, const v1::StopStudyRequest* request,
                                         v1::Study* response) {
  return RunRpc(metrics_, calls_, "StopStudy", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->name(), "name"));
    NASQ_ASSIGN_OR_RETURN(StudySummary summary, manager_.StopStudy(study));
    *response = StudySummaryToProto(summary);
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::ResumeStudy(grpc::ServerContext*,
                                           const v1::ResumeStudyRequest* request,
                                           v1::Study* response) {
  return RunRpc(metrics_, calls_, "ResumeStudy", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->name(), "name"));
    std::optional<int64_t> max_trials;
    if (request->has_max_trials()) max_trials = request->max_trials();
    NASQ_ASSIGN_OR_RETURN(StudySummary summary, manager_.ResumeStudy(study, max_trials));
    *response = StudySummaryToProto(summary);
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::EnqueueTrial(grpc::ServerContext*,
                                            const v1::EnqueueTrialRequest* request,
                                            v1::Trial* response) {
  return RunRpc(metrics_, calls_, "EnqueueTrial", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->parent(), "parent"));
    NASQ_RETURN_IF_ERROR(
        ValidateCount(request->params_size(), limits::kMaxParams, "params", "params"));
    std::map<std::string, ParamValue> params;
    for (const auto& [name, value] : request->params()) {
      NASQ_ASSIGN_OR_RETURN(params[name],
                            ParamValueFromProto(value, absl::StrCat("params.", name)));
    }
    NASQ_ASSIGN_OR_RETURN(Trial trial, manager_.EnqueueTrial(study, params));
    *response = TrialToProto(trial, study);
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::GetTrial(grpc::ServerContext*, const v1::GetTrialRequest* request,
                                        v1::Trial* response) {
  return RunRpc(metrics_, calls_, "GetTrial", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(TrialName name, ParseTrialName(request->name(), "name"));
    NASQ_ASSIGN_OR_RETURN(Trial trial, manager_.GetTrial(name.study, name.number));
    *response = TrialToProto(trial, name.study);
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::ListTrials(grpc::ServerContext*,
                                          const v1::ListTrialsRequest* request,
                                          v1::ListTrialsResponse* response) {
  return RunRpc(metrics_, calls_, "ListTrials", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->parent(), "parent"));
    NASQ_ASSIGN_OR_RETURN(PageRequest page, ParsePage(request->page_size(), request->page_token()));
    NASQ_RETURN_IF_ERROR(ValidateText(request->order_by(), "order_by", limits::kMaxTokenBytes));
    std::vector<TrialState> states;
    for (int i = 0; i < request->states_size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(
          TrialState s, TrialStateFromProto(request->states(i), absl::StrCat("states[", i, "]")));
      states.push_back(s);
    }
    NASQ_ASSIGN_OR_RETURN(std::vector<Trial> trials, manager_.ListTrials(study, states));
    NASQ_RETURN_IF_ERROR(OrderTrials(request->order_by(), trials));
    response->set_next_page_token(FillPage(page, trials, response->mutable_trials(),
                                           [&](const Trial& t) { return TrialToProto(t, study); }));
    response->set_total_size(static_cast<int64_t>(trials.size()));
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::BestTrials(grpc::ServerContext*,
                                          const v1::BestTrialsRequest* request,
                                          v1::BestTrialsResponse* response) {
  return RunRpc(metrics_, calls_, "BestTrials", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->parent(), "parent"));
    NASQ_ASSIGN_OR_RETURN(std::vector<Trial> best, manager_.BestTrials(study));
    for (const Trial& t : best) *response->add_trials() = TrialToProto(t, study);
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::Ask(grpc::ServerContext*, const v1::AskRequest* request,
                                   v1::Trial* response) {
  return RunRpc(metrics_, calls_, "Ask", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(std::string study, ParseStudyName(request->parent(), "parent"));
    NASQ_RETURN_IF_ERROR(ValidateText(request->client_id(), "client_id", limits::kMaxIdBytes));
    const std::string client = request->client_id().empty() ? "ask" : request->client_id();
    std::optional<int64_t> lease_duration_ms;
    if (request->has_lease_duration_ms()) lease_duration_ms = request->lease_duration_ms();
    NASQ_ASSIGN_OR_RETURN(LeasedTrial leased, manager_.Ask(study, client, lease_duration_ms));
    *response = TrialToProto(leased.trial, study);
    *response->mutable_lease() = LeaseToProto(*leased.trial.lease);  // the asker holds it
    return absl::OkStatus();
  });
}

grpc::Status StudyServiceImpl::Tell(grpc::ServerContext* context, const v1::TellRequest* request,
                                    v1::Trial* response) {
  return RunRpc(metrics_, calls_, "Tell", [&]() -> absl::Status {
    if (request->force() && !CallerHasRole(auth_, *context, Role::kAdmin)) {
      return absl::PermissionDeniedError("force: needs the admin role");
    }
    NASQ_ASSIGN_OR_RETURN(TrialName name, ParseTrialName(request->name(), "name"));
    NASQ_RETURN_IF_ERROR(
        ValidateTextMap(request->user_attrs(), "user_attrs", limits::kMaxAttrValueBytes));
    NASQ_RETURN_IF_ERROR(ValidateTextMap(request->constraints(), "constraints", 0));
    NASQ_RETURN_IF_ERROR(ValidateText(request->client_id(), "client_id", limits::kMaxIdBytes));
    NASQ_RETURN_IF_ERROR(
        ValidateText(request->fail_reason(), "fail_reason", limits::kMaxReasonBytes));
    FinishRequest finish;
    finish.told_by = request->client_id();  // "" = the lease holder
    if (request->state() != v1::TRIAL_STATE_UNSPECIFIED) {
      NASQ_ASSIGN_OR_RETURN(finish.state, TrialStateFromProto(request->state(), "state"));
    }
    if (!request->fail_reason().empty() && request->state() != v1::TRIAL_STATE_FAIL) {
      return absl::InvalidArgumentError("fail_reason: only with state FAIL");
    }
    finish.fail_reason = request->fail_reason();
    finish.values.assign(request->values().begin(), request->values().end());
    if (request->has_epoch()) {
      finish.lease = LeaseKey{request->epoch(), request->lease_token()};
    } else if (!request->lease_token().empty()) {
      return absl::InvalidArgumentError("lease_token: given without epoch");
    }
    finish.force = request->force();
    finish.skip_if_finished = request->skip_if_finished();
    finish.user_attrs.insert(request->user_attrs().begin(), request->user_attrs().end());
    finish.constraints.insert(request->constraints().begin(), request->constraints().end());
    NASQ_ASSIGN_OR_RETURN(Trial trial,
                          manager_.FinishTrial(name.study, name.number, std::move(finish)));
    *response = TrialToProto(trial, name.study);
    return absl::OkStatus();
  });
}

}  // namespace nasq
