// server/nasq_server.h: the assembled coordinator: storage, StudyManager, gRPC services,
// lease reaper and the optional HTTP endpoint, started and stopped as one.
//
// Shutdown order: LeaseTrial long-polls are woken (they answer with no trial), later calls are
// refused (UNAVAILABLE), in-flight calls get up to options.shutdown_grace_ms to answer, then
// the gRPC server gets 250 ms to send the answers and closes every connection (idle ones too,
// which gRPC alone would wait for until the end of the grace period), the reaper and HTTP
// endpoint stop, the manager and the storage (closing SQLite cleanly) are destroyed, and the
// database lock is released.
// Thread-safety: Start/Shutdown/destructor from one owning thread; ports are immutable.
#ifndef NASQ_SERVER_NASQ_SERVER_H_
#define NASQ_SERVER_NASQ_SERVER_H_

#include <grpcpp/server.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "server/http_server.h"
#include "server/in_flight_calls.h"
#include "server/lease_reaper.h"
#include "server/rpc_metrics.h"
#include "server/server_options.h"
#include "server/server_security.h"
#include "server/study_manager.h"
#include "server/study_service.h"
#include "server/systemd_watchdog.h"
#include "server/tcp_listener.h"
#include "server/worker_registry.h"
#include "server/worker_service.h"
#include "storage/db_lock.h"
#include "storage/storage.h"

namespace nasq {

// Prometheus text for /metrics: trials by state per study, active leases per study, study
// state, then the RPC metrics.
std::string RenderMetrics(const std::vector<StudySummary>& studies, const RpcMetrics& rpc);

// The storage the server runs on: PostgreSQL when options.db_path is a postgresql:// or
// postgres:// URL (an empty database gets nasq's schema when `create_if_missing`, else
// NOT_FOUND; INVALID_ARGUMENT with options.init_db; errors as OpenPostgresStorage, which takes
// the database's advisory lock); SQLite at options.db_path otherwise (opened with
// options.init_db and options.full_db_check; a missing file is created when
// `create_if_missing`, else NOT_FOUND; errors as OpenSqliteStorage); in memory when db_path is
// empty.
absl::StatusOr<std::unique_ptr<Storage>> OpenServerStorage(const ServerOptions& options,
                                                           bool create_if_missing = true);

class NasqServer {
 public:
  // Locks the database (storage/db_lock.h for SQLite; PostgreSQL's advisory lock, taken by the
  // storage), opens the storage (OpenServerStorage), loads every study and starts serving. Errors:
  // FAILED_PRECONDITION naming the database when another server holds it; the storage's (e.g.
  // FAILED_PRECONDITION for a non-nasq file); UNAVAILABLE when an address cannot be bound (also
  // when another socket listens on it); INVALID_ARGUMENT for bad options; those of SetUpSecurity
  // (server_security.h) for TLS and token files.
  // `clock` (default: the real clock) must outlive the server.
  static absl::StatusOr<std::unique_ptr<NasqServer>> Start(const ServerOptions& options,
                                                           Clock* clock = RealClock::Default());
  ~NasqServer();

  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_ ? http_->port() : 0; }  // 0 when HTTP is off
  StudyManager& manager() { return *manager_; }
  // The workers heard from since the server started (GET /api/v1/workers: WorkersJson).
  WorkerRegistry& workers() { return *workers_; }
  // The token check; null without --auth-tokens. Service code asks CallerHasRole(auth(), ...).
  Authorizer* auth() const { return auth_.get(); }
  // gRPC calls being handled now.
  int64_t calls_in_flight() const { return calls_.running(); }
  // OK, or UNAVAILABLE listing what fails now: a listener that cannot accept connections (e.g.
  // out of file descriptors), the storage's latest commit (e.g. disk full). /healthz answers
  // 503 with this message then. Thread-safe.
  absl::Status Health();

  // Stops everything (see the header comment). Idempotent.
  void Shutdown();

 private:
  explicit NasqServer(const ServerOptions& options) : options_(options) {}

  const ServerOptions options_;
  std::shared_ptr<Authorizer> auth_;
  std::unique_ptr<DbLock> db_lock_;  // held while storage_ is open
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
  std::unique_ptr<WorkerRegistry> workers_;
  RpcMetrics rpc_metrics_;
  InFlightCalls calls_;
  std::unique_ptr<StudyServiceImpl> study_service_;
  std::unique_ptr<WorkerServiceImpl> worker_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int grpc_port_ = 0;
  boost::asio::io_context io_;
  std::unique_ptr<TcpListener> grpc_listener_;  // accepts gRPC's connections
  std::unique_ptr<LeaseReaper> reaper_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<SystemdWatchdog> watchdog_;  // when options.watchdog is set
  std::thread io_thread_;
  bool stopped_ = false;
};

}  // namespace nasq

#endif  // NASQ_SERVER_NASQ_SERVER_H_
