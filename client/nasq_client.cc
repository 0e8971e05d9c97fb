#include "client/nasq_client.h"

#include <algorithm>
#include <random>
#include <thread>

#include "core/limits.h"
#include "core/status_macros.h"
#include "proto/convert.h"
#include "proto/grpc_status.h"
#include "proto/resource_names.h"

namespace nasq {
namespace {

constexpr int kMaxMessageBytes = 64 << 20;

// Collects every page: `fetch(token)` returns a response with `next_page_token`; `take(resp)`
// moves its items out.
template <typename Response, typename Fetch, typename Take>
absl::Status ForEachPage(const Fetch& fetch, const Take& take) {
  std::string token;
  do {
    NASQ_ASSIGN_OR_RETURN(Response page, fetch(token));
    take(page);
    token = page.next_page_token();
  } while (!token.empty());
  return absl::OkStatus();
}

}  // namespace

std::shared_ptr<grpc::Channel> NasqClient::Connect(const std::string& address,
                                                   const ClientCredentials& credentials) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Reconnect quickly after a server restart instead of gRPC's default backoff of up to 2 min.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // A private subchannel pool, so Reconnect's fresh channel really opens a new connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (credentials.tls_ca_pem.empty()) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = credentials.tls_ca_pem;
  tls.pem_cert_chain = credentials.tls_cert_pem;
  tls.pem_private_key = credentials.tls_key_pem;
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(tls), args);
}

struct NasqClient::Connection {
  explicit Connection(std::shared_ptr<grpc::Channel> c)
      : channel(std::move(c)),
        studies(v1::StudyService::NewStub(channel)),
        workers(v1::WorkerService::NewStub(channel)) {}

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::StudyService::Stub> studies;
  std::unique_ptr<v1::WorkerService::Stub> workers;
};

NasqClient::NasqClient(const std::string& address, ClientOptions options)
    : address_(address),
      options_(std::move(options)),
      connection_(std::make_shared<Connection>(Connect(address, options_.credentials))) {}

NasqClient::NasqClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : options_(std::move(options)), connection_(std::make_shared<Connection>(std::move(channel))) {}

NasqClient::~NasqClient() = default;

std::shared_ptr<const NasqClient::Connection> NasqClient::CurrentConnection() const {
  std::lock_guard lock(mu_);
  return connection_;
}

void NasqClient::Reconnect(const std::shared_ptr<const Connection>& failed) const {
  if (address_.empty()) return;
  std::lock_guard lock(mu_);
  if (connection_ == failed) {
    connection_ = std::make_shared<Connection>(Connect(address_, options_.credentials));
  }
}

template <typename Rpc>
absl::Status NasqClient::Call(const Rpc& rpc) const {
  thread_local std::mt19937 jitter_rng{std::random_device{}()};
  std::chrono::duration<double, std::milli> backoff = options_.initial_backoff;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    if (!options_.credentials.token.empty()) {
      context.AddMetadata("authorization", "Bearer " + options_.credentials.token);
    }
    const std::shared_ptr<const Connection> connection = CurrentConnection();
    grpc::Status status = rpc(context, attempt, *connection);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        attempt + 1 >= options_.max_attempts) {
      return FromGrpcStatus(status);
    }
    Reconnect(connection);
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    std::this_thread::sleep_for(backoff * jitter(jitter_rng));
    backoff = std::min<std::chrono::duration<double, std::milli>>(
        backoff * options_.backoff_multiplier, options_.max_backoff);
  }
}

template <typename Stub, typename Request, typename Response>
absl::Status NasqClient::Unary(StubMethod<Stub, Request, Response> method, const Request& request,
                               Response& response, std::chrono::milliseconds extra) const {
  return Call([&](grpc::ClientContext& context, int attempt, const Connection& connection) {
    context.set_deadline(std::chrono::system_clock::now() + options_.deadline + extra);
    Stub* stub;
    if constexpr (std::is_same_v<Stub, v1::StudyService::Stub>) {
      stub = connection.studies.get();
    } else {
      stub = connection.workers.get();
    }
    return (stub->*method)(&context, request, &response);
  });
}

absl::StatusOr<v1::Study> NasqClient::CreateStudy(const StudySpec& spec) const {
  v1::CreateStudyRequest request;
  *request.mutable_spec() = StudySpecToProto(spec);
  v1::Study response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::CreateStudy, request, response));
  return response;
}

absl::StatusOr<v1::Study> NasqClient::GetStudy(const std::string& study) const {
  v1::GetStudyRequest request;
  request.set_name(StudyResourceName(study));
  v1::Study response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::GetStudy, request, response));
  return response;
}

absl::StatusOr<std::vector<v1::Study>> NasqClient::ListStudies() const {
  std::vector<v1::Study> studies;
  NASQ_RETURN_IF_ERROR(ForEachPage<v1::ListStudiesResponse>(
      [&](const std::string& token) -> absl::StatusOr<v1::ListStudiesResponse> {
        v1::ListStudiesRequest request;
        request.set_page_size(options_.page_size);
        request.set_page_token(token);
        v1::ListStudiesResponse response;
        NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::ListStudies, request, response));
        return response;
      },
      [&](v1::ListStudiesResponse& page) {
        for (auto& s : *page.mutable_studies()) studies.push_back(std::move(s));
      }));
  return studies;
}

absl::Status NasqClient::DeleteStudy(const std::string& study) const {
  v1::DeleteStudyRequest request;
  request.set_name(StudyResourceName(study));
  google::protobuf::Empty response;
  return Unary(&v1::StudyService::Stub::DeleteStudy, request, response);
}

absl::StatusOr<v1::Study> NasqClient::StopStudy(const std::string& study) const {
  v1::StopStudyRequest request;
  request.set_name(StudyResourceName(study));
  v1::Study response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::StopStudy, request, response));
  return response;
}

absl::StatusOr<v1::Study> NasqClient::ResumeStudy(const std::string& study,
                                                  std::optional<int64_t> max_trials) const {
  v1::ResumeStudyRequest request;
  request.set_name(StudyResourceName(study));
  if (max_trials) request.set_max_trials(*max_trials);
  v1::Study response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::ResumeStudy, request, response));
  return response;
}

absl::StatusOr<v1::Trial> NasqClient::EnqueueTrial(
    const std::string& study, const std::map<std::string, ParamValue>& params) const {
  v1::EnqueueTrialRequest request;
  request.set_parent(StudyResourceName(study));
  for (const auto& [name, value] : params)
    (*request.mutable_params())[name] = ParamValueToProto(value);
  v1::Trial response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::EnqueueTrial, request, response));
  return response;
}

absl::StatusOr<v1::Trial> NasqClient::AddTrial(const std::string& study,
                                               const v1::Trial& trial) const {
  v1::AddTrialRequest request;
  request.set_parent(StudyResourceName(study));
  *request.mutable_trial() = trial;
  v1::Trial response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::AddTrial, request, response));
  return response;
}

absl::StatusOr<v1::Trial> NasqClient::GetTrial(const std::string& study, int64_t number) const {
  v1::GetTrialRequest request;
  request.set_name(TrialResourceName(study, number));
  v1::Trial response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::GetTrial, request, response));
  return response;
}

absl::StatusOr<v1::ListTrialsResponse> NasqClient::ListTrialsPage(const std::string& study,
                                                                  const TrialQuery& query,
                                                                  const std::string& page_token,
                                                                  int page_size) const {
  v1::ListTrialsRequest request;
  request.set_parent(StudyResourceName(study));
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  for (v1::TrialState s : query.states) request.add_states(s);
  request.set_order_by(query.order_by);
  v1::ListTrialsResponse response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::ListTrials, request, response));
  return response;
}

absl::StatusOr<std::vector<v1::Trial>> NasqClient::ListTrials(const std::string& study,
                                                              const TrialQuery& query) const {
  std::vector<v1::Trial> trials;
  NASQ_RETURN_IF_ERROR(ForEachPage<v1::ListTrialsResponse>(
      [&](const std::string& token) {
        return ListTrialsPage(study, query, token, options_.page_size);
      },
      [&](v1::ListTrialsResponse& page) {
        for (auto& t : *page.mutable_trials()) trials.push_back(std::move(t));
      }));
  return trials;
}

absl::StatusOr<std::vector<v1::Trial>> NasqClient::BestTrials(const std::string& study) const {
  v1::BestTrialsRequest request;
  request.set_parent(StudyResourceName(study));
  v1::BestTrialsResponse response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::BestTrials, request, response));
  return std::vector<v1::Trial>(response.trials().begin(), response.trials().end());
}

absl::StatusOr<v1::Trial> NasqClient::Ask(const std::string& study,
                                          std::optional<int64_t> lease_duration_ms) const {
  v1::AskRequest request;
  request.set_parent(StudyResourceName(study));
  request.set_client_id(options_.client_id);
  if (lease_duration_ms) request.set_lease_duration_ms(*lease_duration_ms);
  v1::Trial response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::StudyService::Stub::Ask, request, response));
  return response;
}

absl::StatusOr<v1::Trial> NasqClient::Tell(const std::string& study, int64_t number,
                                           v1::TrialState state, const std::vector<double>& values,
                                           const TellOptions& options) const {
  v1::TellRequest request;
  request.set_name(TrialResourceName(study, number));
  request.set_state(state);
  for (double v : values) request.add_values(v);
  if (options.epoch) request.set_epoch(*options.epoch);
  request.set_lease_token(options.lease_token);
  request.set_force(options.force);
  request.set_client_id(options_.client_id);
  request.mutable_constraints()->insert(options.constraints.begin(), options.constraints.end());
  v1::Trial response;
  NASQ_RETURN_IF_ERROR(
      Call([&](grpc::ClientContext& context, int attempt, const Connection& connection) {
        context.set_deadline(std::chrono::system_clock::now() + options_.deadline);
        // A retry may follow a Tell the server stored before the connection dropped.
        request.set_skip_if_finished(options.skip_if_finished || attempt > 0);
        return connection.studies->Tell(&context, request, &response);
      }));
  return response;
}

absl::StatusOr<v1::LeaseTrialResponse> NasqClient::LeaseTrial(
    const v1::LeaseTrialRequest& request) const {
  v1::LeaseTrialResponse response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::WorkerService::Stub::LeaseTrial, request, response,
                             std::chrono::milliseconds(request.wait_ms())));
  return response;
}

absl::StatusOr<v1::HeartbeatResponse> NasqClient::Heartbeat(
    const v1::HeartbeatRequest& request) const {
  v1::HeartbeatResponse response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::WorkerService::Stub::Heartbeat, request, response));
  return response;
}

absl::StatusOr<v1::ReportIntermediateResponse> NasqClient::ReportIntermediate(
    const v1::ReportIntermediateRequest& request) const {
  v1::ReportIntermediateResponse response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::WorkerService::Stub::ReportIntermediate, request, response));
  return response;
}

absl::StatusOr<v1::Trial> NasqClient::CompleteTrial(const v1::CompleteTrialRequest& request) const {
  v1::Trial response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::WorkerService::Stub::CompleteTrial, request, response));
  return response;
}

absl::StatusOr<v1::Trial> NasqClient::FailTrial(const v1::FailTrialRequest& request) const {
  v1::FailTrialRequest fitted = request;
  fitted.set_reason(FitText(request.reason(), limits::kMaxReasonBytes));
  v1::Trial response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::WorkerService::Stub::FailTrial, fitted, response));
  return response;
}

absl::StatusOr<v1::Trial> NasqClient::ReleaseTrial(const v1::ReleaseTrialRequest& request) const {
  v1::ReleaseTrialRequest fitted = request;
  fitted.set_reason(FitText(request.reason(), limits::kMaxValueBytes));
  v1::Trial response;
  NASQ_RETURN_IF_ERROR(Unary(&v1::WorkerService::Stub::ReleaseTrial, fitted, response));
  return response;
}

}  // namespace nasq
