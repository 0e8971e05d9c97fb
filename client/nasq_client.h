// client/nasq_client.h: NasqClient, the C++ client of a nasq-server (StudyService and
// WorkerService of nasq.v1).
//
// Every call carries a deadline (ClientOptions::deadline). A call answered UNAVAILABLE (server
// down or restarting) is retried with exponential backoff and jitter up to
// ClientOptions::max_attempts; other errors are returned at once. A client built from an
// address opens a fresh channel before each retry, so it reconnects as soon as a restarted
// server listens (a gRPC channel that failed to connect may otherwise wait for its own
// reconnect backoff). Retried Tell calls set skip_if_finished, so a Tell whose first answer was
// lost (the server stored it, then the connection dropped) succeeds instead of reporting
// "Cannot tell a COMPLETE trial.". Ask is not idempotent: a retried Ask whose first answer was
// lost leaves that trial leased until its lease expires (it is then re-queued). List helpers
// iterate over every page. Errors come back as absl::Status with the gRPC code and the
// server's message.
//
// Thread-safety: a NasqClient may be shared by any number of threads (gRPC channels and stubs
// are thread-safe; the current connection is swapped under a mutex).
#ifndef NASQ_CLIENT_NASQ_CLIENT_H_
#define NASQ_CLIENT_NASQ_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/client_credentials.h"
#include "core/distribution.h"
#include "core/study.h"
#include "nasq/v1/study_service.grpc.pb.h"
#include "nasq/v1/worker_service.grpc.pb.h"

namespace nasq {

struct ClientOptions {
  // Deadline of one attempt of one call.
  std::chrono::milliseconds deadline{10'000};
  // Attempts per call when the server answers UNAVAILABLE (1 = no retry).
  int max_attempts = 8;
  // Backoff before the second attempt; multiplied by backoff_multiplier after each retry, capped
  // at max_backoff, with +-20% jitter.
  std::chrono::milliseconds initial_backoff{50};
  double backoff_multiplier = 2.0;
  std::chrono::milliseconds max_backoff{1'000};
  // Page size used by the List helpers (the server caps it at 1000).
  int page_size = 500;
  // Recorded as the lease holder of trials obtained with Ask and as the teller (system attr
  // "told_by") of every Tell.
  std::string client_id = "nasq-client";
  // TLS trust and client certificate (used by the address constructor) and the bearer token
  // sent with every call (both constructors). Default: plain text, no token.
  ClientCredentials credentials;
};

// Options of Tell.
struct TellOptions {
  // The lease the caller holds (Lease.epoch and Lease.token); needed to finish a trial that a
  // worker leased, unless `force`. Unset: tell by number (trials obtained with Ask).
  std::optional<int64_t> epoch;
  std::string lease_token;
  // Finish a worker's trial without its lease (an admin's decision; the worker's work is lost).
  bool force = false;
  // Return a finished trial unchanged instead of refusing.
  bool skip_if_finished = false;
  // Outcome constraints by name (TellRequest.constraints; feasible when every value is <= 0).
  std::map<std::string, double> constraints;
};

// Options of ListTrials.
struct TrialQuery {
  std::vector<v1::TrialState> states;  // empty = every state
  std::string order_by;                // "", "number", "number desc", "value", "value desc"
};

class NasqClient {
 public:
  // Opens a channel to `address` ("host:port") with message size limits suited to large
  // studies (64 MiB) and its own subchannel pool (not shared with other channels): over TLS
  // when credentials.tls_ca_pem is set (with the client certificate, if any), else plain text.
  // The token is not part of the channel; calls add it.
  static std::shared_ptr<grpc::Channel> Connect(const std::string& address,
                                                const ClientCredentials& credentials = {});

  // A client of the server at `address` that reconnects before each retry.
  explicit NasqClient(const std::string& address, ClientOptions options = {});
  // A client over the caller's channel; retries reuse it.
  explicit NasqClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options = {});
  ~NasqClient();

  // Studies. `study` is the study id (its spec name), not the resource name.
  absl::StatusOr<v1::Study> CreateStudy(const StudySpec& spec) const;
  absl::StatusOr<v1::Study> GetStudy(const std::string& study) const;
  // All studies, over every page.
  absl::StatusOr<std::vector<v1::Study>> ListStudies() const;
  absl::Status DeleteStudy(const std::string& study) const;
  absl::StatusOr<v1::Study> StopStudy(const std::string& study) const;
  // ResumeStudy: resumes a STOPPED or COMPLETED study; with `max_trials`, also replaces its
  // max_trials (which extends a RUNNING study too).
  absl::StatusOr<v1::Study> ResumeStudy(const std::string& study,
                                        std::optional<int64_t> max_trials) const;
  // EnqueueTrial: a WAITING trial with `params` (external values) that runs before sampled ones.
  absl::StatusOr<v1::Trial> EnqueueTrial(const std::string& study,
                                         const std::map<std::string, ParamValue>& params) const;

  // AddTrial: stores `trial` (finished: state, external params, values, intermediate values,
  // attrs, times) as the study's next trial, history for its sampler (Optuna's add_trial).
  absl::StatusOr<v1::Trial> AddTrial(const std::string& study, const v1::Trial& trial) const;

  // Trials.
  absl::StatusOr<v1::Trial> GetTrial(const std::string& study, int64_t number) const;
  // One page of trials; `page_token` empty for the first page.
  absl::StatusOr<v1::ListTrialsResponse> ListTrialsPage(const std::string& study,
                                                        const TrialQuery& query,
                                                        const std::string& page_token,
                                                        int page_size) const;
  // Every matching trial, over every page.
  absl::StatusOr<std::vector<v1::Trial>> ListTrials(const std::string& study,
                                                    const TrialQuery& query = {}) const;
  // The best trial (single objective) or the Pareto front; empty when nothing is COMPLETE.
  absl::StatusOr<std::vector<v1::Trial>> BestTrials(const std::string& study) const;

  // Ask/Tell (Optuna semantics). Ask leases a trial to options.client_id for
  // `lease_duration_ms` (nullopt: the study's lease_duration_ms); the answer carries the lease
  // (epoch and token), which Heartbeat renews.
  absl::StatusOr<v1::Trial> Ask(const std::string& study,
                                std::optional<int64_t> lease_duration_ms = std::nullopt) const;
  // Finishes trial `number`: COMPLETE with `values`, or PRUNED / FAIL with no values; see
  // TellOptions for the lease, force and skip_if_finished.
  absl::StatusOr<v1::Trial> Tell(const std::string& study, int64_t number, v1::TrialState state,
                                 const std::vector<double>& values,
                                 const TellOptions& options = {}) const;

  // WorkerService, for workers and tests.
  absl::StatusOr<v1::LeaseTrialResponse> LeaseTrial(const v1::LeaseTrialRequest& request) const;
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request) const;
  absl::StatusOr<v1::ReportIntermediateResponse> ReportIntermediate(
      const v1::ReportIntermediateRequest& request) const;
  absl::StatusOr<v1::Trial> CompleteTrial(const v1::CompleteTrialRequest& request) const;
  // The reason is sent through FitText (limits::kMaxReasonBytes), so that the server, which
  // refuses longer or malformed reasons, always records why the trial failed.
  absl::StatusOr<v1::Trial> FailTrial(const v1::FailTrialRequest& request) const;
  // Gives back a trial the worker will not finish (re-queued at once; see the RPC's contract in
  // worker_service.proto). The reason is sent through FitText (limits::kMaxValueBytes) as
  // FailTrial's. Returns the trial as stored (WAITING, or FAIL when the study no longer runs).
  absl::StatusOr<v1::Trial> ReleaseTrial(const v1::ReleaseTrialRequest& request) const;

  const ClientOptions& options() const { return options_; }

 private:
  struct Connection;  // a channel and its stubs

  // Runs `rpc(context, attempt, connection)` with a fresh ClientContext per attempt, retrying
  // UNAVAILABLE with backoff; `attempt` is 0-based so a call can adapt its retries.
  template <typename Rpc>
  absl::Status Call(const Rpc& rpc) const;

  template <typename Stub, typename Request, typename Response>
  using StubMethod = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

  // One unary call through Call, with deadline options.deadline + `extra`.
  template <typename Stub, typename Request, typename Response>
  absl::Status Unary(StubMethod<Stub, Request, Response> method, const Request& request,
                     Response& response,
                     std::chrono::milliseconds extra = std::chrono::milliseconds(0)) const;

  std::shared_ptr<const Connection> CurrentConnection() const;
  // Replaces `failed` with a fresh connection if it is still current and address_ is known.
  void Reconnect(const std::shared_ptr<const Connection>& failed) const;

  const std::string address_;  // empty for a client over a caller's channel
  const ClientOptions options_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const Connection> connection_;  // guarded by mu_
};

}  // namespace nasq

#endif  // NASQ_CLIENT_NASQ_CLIENT_H_
