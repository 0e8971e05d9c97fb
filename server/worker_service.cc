#include "server/worker_service.h"

#include <chrono>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/limits.h"
#include "core/status_macros.h"
#include "proto/convert.h"
#include "proto/resource_names.h"
#include "server/rpc_util.h"
#include "server/trial_attempts.h"

namespace nasq {
namespace {

// The latest instant LeaseTrial may wait until: the call deadline (less a margin to answer in
// time) and the request's wait_ms, whichever is first.
std::chrono::steady_clock::time_point WaitUntil(const grpc::ServerContext& context,
                                                int64_t wait_ms) {
  using std::chrono::steady_clock;
  constexpr auto kAnswerMargin = std::chrono::milliseconds(50);
  const auto now_system = std::chrono::system_clock::now();
  const auto now = steady_clock::now();
  auto until = steady_clock::time_point::max();
  if (context.deadline() < std::chrono::system_clock::time_point::max()) {
    until = now + std::chrono::duration_cast<steady_clock::duration>(context.deadline() -
                                                                     now_system - kAnswerMargin);
  }
  // The manager caps the wait far below a day; capping here first keeps the sum from overflowing.
  constexpr int64_t kMaxWaitMs = 24 * 3600 * 1000;
  if (wait_ms > 0) {
    until = std::min(until, now + std::chrono::milliseconds(std::min(wait_ms, kMaxWaitMs)));
  }
  return until;
}

// Each string of `list` checked with ValidateText (limits::kMaxValueBytes), as "<field>[i]".
absl::Status ValidateTextList(const google::protobuf::RepeatedPtrField<std::string>& list,
                              absl::string_view field) {
  NASQ_RETURN_IF_ERROR(ValidateCount(list.size(), limits::kMaxAttrs, field, "entries"));
  for (int i = 0; i < list.size(); ++i) {
    NASQ_RETURN_IF_ERROR(
        ValidateText(list[i], absl::StrCat(field, "[", i, "]"), limits::kMaxValueBytes));
  }
  return absl::OkStatus();
}

}  // namespace

void WorkerServiceImpl::RecordFinisher(const Trial& trial) {
  if (std::optional<std::string> holder = LatestLeaseHolder(trial)) workers_.RecordCall(*holder);
}

grpc::Status WorkerServiceImpl::LeaseTrial(grpc::ServerContext* context,
                                           const v1::LeaseTrialRequest* request,
                                           v1::LeaseTrialResponse* response) {
  return RunRpc(metrics_, calls_, "LeaseTrial", [&]() -> absl::Status {
    if (request->wait_ms() < 0) return absl::InvalidArgumentError("wait_ms: must be >= 0");
    NASQ_RETURN_IF_ERROR(ValidateText(request->worker_id(), "worker_id", limits::kMaxIdBytes));
    const v1::WorkerCapabilities& capabilities = request->capabilities();
    NASQ_RETURN_IF_ERROR(ValidateTextList(capabilities.task_kinds(), "capabilities.task_kinds"));
    NASQ_RETURN_IF_ERROR(ValidateTextList(capabilities.studies(), "capabilities.studies"));
    NASQ_RETURN_IF_ERROR(
        ValidateTextMap(capabilities.labels(), "capabilities.labels", limits::kMaxValueBytes));
    LeaseFilter filter;
    filter.task_kinds.assign(request->capabilities().task_kinds().begin(),
                             request->capabilities().task_kinds().end());
    filter.studies.assign(request->capabilities().studies().begin(),
                          request->capabilities().studies().end());
    const WorkerLabels labels(request->capabilities().labels().begin(),
                              request->capabilities().labels().end());
    NASQ_ASSIGN_OR_RETURN(
        std::optional<LeasedTrial> leased,
        manager_.LeaseTrial(request->worker_id(), filter, WaitUntil(*context, request->wait_ms()),
                            labels, request->max_trials()));
    workers_.RecordLease(request->worker_id(), labels);
    if (!leased) return absl::OkStatus();
    *response->mutable_trial() = TrialToProto(leased->trial, leased->study);
    response->set_study(StudyResourceName(leased->study));
    NASQ_ASSIGN_OR_RETURN(*response->mutable_task(), JsonToStruct(leased->task_json, "task"));
    response->set_task_json(leased->task_json);
    *response->mutable_lease() = LeaseToProto(*leased->trial.lease);
    response->set_heartbeat_interval_ms(leased->heartbeat_interval_ms);
    for (const std::string& m : leased->metric_names) response->add_metric_names(m);
    for (const Trial& trial : leased->fused) {
      v1::FusedTrial& fused = *response->add_fused();
      *fused.mutable_trial() = TrialToProto(trial, leased->study);
      *fused.mutable_lease() = LeaseToProto(*trial.lease);
    }
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* request,
                                          v1::HeartbeatResponse* response) {
  return RunRpc(metrics_, calls_, "Heartbeat", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(TrialName name, ParseTrialName(request->name(), "name"));
    std::optional<int64_t> lease_duration_ms;
    if (request->has_lease_duration_ms()) lease_duration_ms = request->lease_duration_ms();
    NASQ_ASSIGN_OR_RETURN(
        HeartbeatResult result,
        manager_.Heartbeat(name.study, name.number,
                           LeaseKey{request->epoch(), request->lease_token()}, lease_duration_ms));
    if (result.lease.kind == LeaseKind::kWorker) workers_.RecordCall(result.lease.worker_id);
    response->set_stop(result.stop);
    *response->mutable_lease() = LeaseToProto(result.lease);
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::ReportIntermediate(grpc::ServerContext*,
                                                   const v1::ReportIntermediateRequest* request,
                                                   v1::ReportIntermediateResponse* response) {
  return RunRpc(metrics_, calls_, "ReportIntermediate", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(TrialName name, ParseTrialName(request->name(), "name"));
    NASQ_RETURN_IF_ERROR(ValidateTextMap(request->metrics(), "metrics", 0));
    std::map<std::string, double> metrics(request->metrics().begin(), request->metrics().end());
    NASQ_ASSIGN_OR_RETURN(
        IntermediateResult result,
        manager_.ReportIntermediate(name.study, name.number,
                                    LeaseKey{request->epoch(), request->lease_token()},
                                    request->step(), request->value(), metrics));
    if (result.lease.kind == LeaseKind::kWorker) workers_.RecordCall(result.lease.worker_id);
    response->set_stop(result.stop);
    response->set_prune(result.prune);
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::CompleteTrial(grpc::ServerContext*,
                                              const v1::CompleteTrialRequest* request,
                                              v1::Trial* response) {
  return RunRpc(metrics_, calls_, "CompleteTrial", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(TrialName name, ParseTrialName(request->name(), "name"));
    NASQ_RETURN_IF_ERROR(ValidateTextMap(request->metrics(), "metrics", 0));
    NASQ_RETURN_IF_ERROR(ValidateTextMap(request->attrs(), "attrs", limits::kMaxAttrValueBytes));
    NASQ_RETURN_IF_ERROR(ValidateTextMap(request->constraints(), "constraints", 0));
    FinishRequest finish;
    finish.state = TrialState::kComplete;
    if (request->state() != v1::TRIAL_STATE_UNSPECIFIED) {
      NASQ_ASSIGN_OR_RETURN(finish.state, TrialStateFromProto(request->state(), "state"));
      if (finish.state != TrialState::kComplete && finish.state != TrialState::kPruned) {
        return absl::InvalidArgumentError(
            absl::StrCat("state: must be COMPLETE or PRUNED (FailTrial fails a trial), got ",
                         TrialStateName(*finish.state)));
      }
    }
    finish.values.assign(request->values().begin(), request->values().end());
    finish.metrics.insert(request->metrics().begin(), request->metrics().end());
    finish.lease = LeaseKey{request->epoch(), request->lease_token()};
    finish.user_attrs.insert(request->attrs().begin(), request->attrs().end());
    finish.constraints.insert(request->constraints().begin(), request->constraints().end());
    NASQ_ASSIGN_OR_RETURN(Trial trial,
                          manager_.FinishTrial(name.study, name.number, std::move(finish)));
    RecordFinisher(trial);
    *response = TrialToProto(trial, name.study);
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::FailTrial(grpc::ServerContext*, const v1::FailTrialRequest* request,
                                          v1::Trial* response) {
  return RunRpc(metrics_, calls_, "FailTrial", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(TrialName name, ParseTrialName(request->name(), "name"));
    NASQ_RETURN_IF_ERROR(ValidateText(request->reason(), "reason", limits::kMaxReasonBytes));
    FinishRequest finish;
    finish.state = TrialState::kFail;
    finish.lease = LeaseKey{request->epoch(), request->lease_token()};
    finish.fail_reason = request->reason();
    NASQ_ASSIGN_OR_RETURN(Trial trial,
                          manager_.FinishTrial(name.study, name.number, std::move(finish)));
    RecordFinisher(trial);
    *response = TrialToProto(trial, name.study);
    return absl::OkStatus();
  });
}

grpc::Status WorkerServiceImpl::ReleaseTrial(grpc::ServerContext*,
                                             const v1::ReleaseTrialRequest* request,
                                             v1::Trial* response) {
  return RunRpc(metrics_, calls_, "ReleaseTrial", [&]() -> absl::Status {
    NASQ_ASSIGN_OR_RETURN(TrialName name, ParseTrialName(request->name(), "name"));
    NASQ_RETURN_IF_ERROR(ValidateText(request->reason(), "reason", limits::kMaxValueBytes));
    NASQ_ASSIGN_OR_RETURN(Trial trial,
                          manager_.ReleaseTrial(name.study, name.number,
                                                LeaseKey{request->epoch(), request->lease_token()},
                                                request->reason()));
    RecordFinisher(trial);
    *response = TrialToProto(trial, name.study);
    return absl::OkStatus();
  });
}

}  // namespace nasq
