#include "server/nasq_server.h"

#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "dashboard/dashboard_assets.h"
#include "server/dashboard_routes.h"
#include "server/http_router.h"
#include "storage/db_lock.h"
#include "storage/memory_storage.h"
#include "storage/postgres_db.h"
#include "storage/postgres_storage.h"
#include "storage/sqlite_storage.h"

namespace nasq {
namespace {

constexpr TrialState kAllStates[] = {TrialState::kWaiting, TrialState::kRunning,
                                     TrialState::kComplete, TrialState::kPruned, TrialState::kFail};

// Gives an accepted connection to gRPC, set up as gRPC's own listener would set it up: gRPC
// expects a non-blocking socket (it would block a handler thread in recvmsg otherwise), and
// without TCP_NODELAY small answers would wait for delayed ACKs.
void HandOver(boost::asio::ip::tcp::socket socket,
              grpc::experimental::ExternalConnectionAcceptor& acceptor) {
  boost::system::error_code error;
  socket.non_blocking(true, error);
  if (!error) socket.set_option(boost::asio::ip::tcp::no_delay(true), error);
  if (error) {
    spdlog::warn("dropping a gRPC connection: {}", error.message());
    return;  // closes it
  }
  grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters connection;
  connection.fd = socket.release();  // gRPC owns it from here
  acceptor.HandleNewConnection(&connection);
}

// The dashboard's files when the build has them (the nasq_dashboard_assets target), else none.
absl::Span<const DashboardAsset> BuiltDashboardAssets() {
#ifdef NASQ_WITH_DASHBOARD_ASSETS
  return DashboardAssets();
#else
  return {};
#endif
}

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
  if (IsPostgresUrl(options.db_path)) {
    if (options.init_db) {
      return absl::InvalidArgumentError(
          "--init applies to SQLite files only: a PostgreSQL database without tables is "
          "initialised at start (create the database itself with createdb)");
    }
    PostgresOptions postgres;
    postgres.create_if_missing = create_if_missing;
    return OpenPostgresStorage(options.db_path, postgres);  // takes the database's lock
  }
  SqliteOptions sqlite;
  sqlite.create_if_missing = create_if_missing;
  sqlite.initialize_empty_file = options.init_db;
  sqlite.integrity_check = options.full_db_check ? IntegrityCheck::kFull : IntegrityCheck::kQuick;
  return OpenSqliteStorage(options.db_path, sqlite);
}

std::string RenderMetrics(const std::vector<StudySummary>& studies, const RpcMetrics& rpc) {
  std::string out = "# HELP nasq_trials Trials by study and state.\n# TYPE nasq_trials gauge\n";
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
  NASQ_ASSIGN_OR_RETURN(
      ServerSecurity security,
      SetUpSecurity(options.security, options.listen_address, options.http_address, clock));
  std::unique_ptr<NasqServer> server(new NasqServer(options));
  server->auth_ = security.auth;
  if (!options.db_path.empty() && !IsPostgresUrl(options.db_path)) {
    // Before SQLite opens the file: a second server must not even migrate it.
    NASQ_ASSIGN_OR_RETURN(server->db_lock_, DbLock::Acquire(options.db_path));
  }
  NASQ_ASSIGN_OR_RETURN(server->storage_, OpenServerStorage(options));
  StudyManagerOptions manager_options;
  manager_options.max_lease_wait_ms = options.max_lease_wait_ms;
  NASQ_ASSIGN_OR_RETURN(server->manager_,
                        StudyManager::Create(server->storage_.get(), clock, manager_options));
  server->study_service_ = std::make_unique<StudyServiceImpl>(
      server->manager_.get(), &server->rpc_metrics_, &server->calls_, server->auth_.get());
  server->workers_ = std::make_unique<WorkerRegistry>(clock);
  server->worker_service_ = std::make_unique<WorkerServiceImpl>(
      server->manager_.get(), server->workers_.get(), &server->rpc_metrics_, &server->calls_);

  grpc::ServerBuilder builder;
  // gRPC gets its connections from our own listener: gRPC 1.51's listener stops accepting for
  // good after one failed accept (e.g. EMFILE while out of file descriptors), ours retries.
  std::shared_ptr<grpc::experimental::ExternalConnectionAcceptor> grpc_acceptor =
      builder.experimental().AddExternalConnectionAcceptor(
          grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD,
          security.grpc_credentials);
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
  if (server->grpc_server_ == nullptr) return absl::InternalError("cannot start the gRPC server");
  NASQ_ASSIGN_OR_RETURN(server->grpc_listener_,
                        TcpListener::Start(server->io_, options.listen_address, "gRPC",
                                           [grpc_acceptor](boost::asio::ip::tcp::socket socket) {
                                             HandOver(std::move(socket), *grpc_acceptor);
                                           }));
  server->grpc_port_ = server->grpc_listener_->port();

  server->reaper_ = std::make_unique<LeaseReaper>(
      server->io_, server->manager_.get(), std::chrono::milliseconds(options.reaper_tick_ms));
  server->reaper_->Start();
  if (!options.http_address.empty()) {
    NasqServer* self = server.get();
    auto router = std::make_shared<HttpRouter>();
    router->Add("GET", "/healthz", [self](const RouteRequest&) {
      absl::Status health = self->Health();
      if (health.ok()) return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
      return HttpResponse{503, "text/plain; charset=utf-8",
                          absl::StrCat("unhealthy: ", health.message(), "\n")};
    });
    router->Add("GET", "/metrics", [self](const RouteRequest&) {
      return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                          RenderMetrics(self->manager_->ListStudies(), self->rpc_metrics_)};
    });
    AddStudyRoutes(*router, server->manager_.get(), clock);
    AddWorkerRoutes(*router, server->workers_.get(), server->manager_.get(), clock);
    AddDashboardFiles(*router, BuiltDashboardAssets());
    NASQ_ASSIGN_OR_RETURN(
        server->http_, HttpServer::Start(
                           server->io_, options.http_address,
                           [router](const HttpRequest& request) { return router->Handle(request); },
                           HttpSecurity{security.http_tls, security.auth}));
  }
  if (options.watchdog) {
    NasqServer* self = server.get();
    server->watchdog_ = std::make_unique<SystemdWatchdog>(server->io_, *options.watchdog,
                                                          [self] { return self->Health(); });
    server->watchdog_->Start();
  }
  server->io_thread_ = std::thread([io = &server->io_] {
    auto guard = boost::asio::make_work_guard(*io);
    io->run();
  });
  spdlog::info("nasq-server listening on {} (gRPC port {}){}; storage: {}", options.listen_address,
               server->grpc_port_,
               server->http_ ? absl::StrCat(", HTTP port ", server->http_->port()) : "",
               options.db_path.empty() ? "in memory" : RedactPostgresUrl(options.db_path));
  if (server->http_ && !BuiltDashboardAssets().empty()) {
    const std::string& http = options.http_address;
    spdlog::info("dashboard: {}://{}:{}/", security.http_tls ? "https" : "http",
                 http.substr(0, http.rfind(':')), server->http_->port());
  }
  return server;
}

NasqServer::~NasqServer() { Shutdown(); }

absl::Status NasqServer::Health() {
  std::vector<std::string> problems;
  for (const absl::Status& status :
       {grpc_listener_->health(), http_ ? http_->health() : absl::OkStatus(),
        manager_->StorageHealth()}) {
    if (!status.ok()) problems.emplace_back(status.message());
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrJoin(problems, "; "));
}

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
  watchdog_.reset();
  http_.reset();
  grpc_listener_.reset();
  reaper_.reset();
  grpc_server_.reset();
  manager_.reset();
  storage_.reset();
  db_lock_.reset();  // only once SQLite has closed the file
  spdlog::info("nasq-server stopped");
}

}  // namespace nasq
