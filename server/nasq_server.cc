#include "server/nasq_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/memory_storage.h"
#include "storage/sqlite_storage.h"

namespace nasq {
namespace {

constexpr TrialState kAllStates[] = {TrialState::kWaiting, TrialState::kRunning,
                                     TrialState::kComplete, TrialState::kPruned,
                                     TrialState::kFail};

absl::Status CheckOptions(const ServerOptions& o) {
  if (o.reaper_tick_ms <= 0) return absl::InvalidArgumentError("reaper_tick_ms: must be > 0");
  if (o.max_lease_wait_ms < 0) return absl::InvalidArgumentError("max_lease_wait_ms: must be >= 0");
  if (o.max_message_bytes <= 0) return absl::InvalidArgumentError("max_message_bytes: must be > 0");
  if (o.shutdown_grace_ms < 0) return absl::InvalidArgumentError("shutdown_grace_ms: must be >= 0");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenServerStorage(const ServerOptions& options,
                                                           bool create_if_missing) {
  if (options.db_path.empty()) return NewMemoryStorage();
  SqliteOptions sqlite;
  sqlite.create_if_missing = create_if_missing;
  sqlite.initialize_empty_file = options.init_db;
  sqlite.integrity_check = options.full_db_check ? IntegrityCheck::kFull : IntegrityCheck::kQuick;
  return OpenSqliteStorage(options.db_path, sqlite);
}

std::string RenderMetrics(const std::vector<StudySummary>& studies, const RpcMetrics& rpc) {
  std::string out =
      "# HELP nasq_trials Trials by study and state.\n# TYPE nasq_trials gauge\n";
  for (const StudySummary& s : studies) {
    for (TrialState state : kAllStates) {
      absl::StrAppend(&out, "nasq_trials{study=\"", s.study.spec.name, "\",state=\"",
                      TrialStateName(state), "\"} ", s.count(state), "\n");
    }
  }
  absl::StrAppend(&out,
                  "# HELP nasq_active_leases Running trials under a lease, by study.\n"
                  "# TYPE nasq_active_leases gauge\n");
  for (const StudySummary& s : studies) {
    absl::StrAppend(&out, "nasq_active_leases{study=\"", s.study.spec.name, "\"} ",
                    s.count(TrialState::kRunning), "\n");
  }
  absl::StrAppend(&out,
                  "# HELP nasq_study_running 1 while the study is RUNNING.\n"
                  "# TYPE nasq_study_running gauge\n");
  for (const StudySummary& s : studies) {
    absl::StrAppend(&out, "nasq_study_running{study=\"", s.study.spec.name, "\"} ",
                    s.study.state == StudyState::kRunning ? 1 : 0, "\n");
  }
  absl::StrAppend(&out, rpc.RenderPrometheus());
  return out;
}

absl::StatusOr<std::unique_ptr<NasqServer>> NasqServer::Start(const ServerOptions& options,
                                                              Clock* clock) {
  NASQ_RETURN_IF_ERROR(CheckOptions(options));
  NASQ_ASSIGN_OR_RETURN(ServerSecurity security,
                        SetUpSecurity(options.security, options.listen_address,
                                      options.http_address, clock));
  std::unique_ptr<NasqServer> server(new NasqServer(options));
  server->auth_ = security.auth;
  NASQ_ASSIGN_OR_RETURN(server->storage_, OpenServerStorage(options));
  StudyManagerOptions manager_options;
  manager_options.max_lease_wait_ms = options.max_lease_wait_ms;
  NASQ_ASSIGN_OR_RETURN(server->manager_,
                        StudyManager::Create(server->storage_.get(), clock, manager_options));
  server->study_service_ = std::make_unique<StudyServiceImpl>(
      server->manager_.get(), &server->rpc_metrics_, &server->calls_);
  server->worker_service_ = std::make_unique<WorkerServiceImpl>(
      server->manager_.get(), &server->rpc_metrics_, &server->calls_);

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen_address, security.grpc_credentials,
                           &server->grpc_port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(server->study_service_.get());
  builder.RegisterService(server->worker_service_.get());
  // Handlers block while their change is committed (fsync), so under load many run at once.
  // gRPC's default keeps at most 2 idle handler threads and starts a new thread for nearly
  // every call beyond them; keeping up to kMaxIdleHandlerThreads avoids that churn (idle ones
  // above the minimum still exit after 10 s without work).
  constexpr int kMaxIdleHandlerThreads = 64;
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              kMaxIdleHandlerThreads);
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->grpc_port_ == 0) {
    server->grpc_server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on gRPC address '", options.listen_address, "'"));
  }

  server->reaper_ = std::make_unique<LeaseReaper>(
      server->io_, server->manager_.get(), std::chrono::milliseconds(options.reaper_tick_ms));
  server->reaper_->Start();
  if (!options.http_address.empty()) {
    NasqServer* self = server.get();
    NASQ_ASSIGN_OR_RETURN(
        server->http_,
        HttpServer::Start(server->io_, options.http_address, [self](const std::string& target) {
          if (target == "/healthz") return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
          if (target == "/metrics") {
            return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                                RenderMetrics(self->manager_->ListStudies(), self->rpc_metrics_)};
          }
          return HttpResponse{404, "text/plain; charset=utf-8", "not found\n"};
        }, HttpSecurity{security.http_tls, security.auth}));
  }
  server->io_thread_ = std::thread([io = &server->io_] {
    auto guard = boost::asio::make_work_guard(*io);
    io->run();
  });
  spdlog::info("nasq-server listening on {} (gRPC port {}){}; storage: {}",
               options.listen_address, server->grpc_port_,
               server->http_ ? absl::StrCat(", HTTP port ", server->http_->port()) : "",
               options.db_path.empty() ? "in memory" : options.db_path);
  return server;
}

NasqServer::~NasqServer() { Shutdown(); }

void NasqServer::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (manager_) manager_->Shutdown();
  if (grpc_server_) {
    // gRPC's own grace period also waits for idle client connections to close, so the grace
    // is spent here on the handlers actually running; gRPC then only gets the time to send
    // their answers before every connection is closed.
    constexpr auto kSendAnswersMargin = std::chrono::milliseconds(250);
    if (!calls_.Drain(std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(options_.shutdown_grace_ms))) {
      spdlog::warn("shutdown: calls still running after {} ms are cancelled",
                   options_.shutdown_grace_ms);
    }
    grpc_server_->Shutdown(std::chrono::system_clock::now() + kSendAnswersMargin);
    grpc_server_->Wait();
  }
  io_.stop();  // pending timer and accept handlers are dropped with the io_context
  if (io_thread_.joinable()) io_thread_.join();
  http_.reset();
  reaper_.reset();
  grpc_server_.reset();
  manager_.reset();
  storage_.reset();
  spdlog::info("nasq-server stopped");
}

}  // namespace nasq
