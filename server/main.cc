// nasq-server: the nasq coordinator. See server/server_options.h for every option's default.
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>

#include "server/nasq_server.h"
#include "server/security_flags.h"
#include "server/systemd_watchdog.h"
#include "storage/db_lock.h"
#include "storage/postgres_db.h"

int main(int argc, char** argv) {
  nasq::ServerOptions options;
  CLI::App app{"nasq-server: the nasq coordinator (studies, samplers, trial leases over gRPC)"};
  auto* db = app.add_option(
      "--db", options.db_path,
      "SQLite database file, created when the path does not exist, or a PostgreSQL URL "
      "postgresql://[user[:password]@]host[:port]/dbname[?...] (libpq's URL; PG* variables and "
      "~/.pgpass apply; an empty database gets nasq's schema) (default: in memory, nothing "
      "persisted)");
  auto* init = app.add_flag("--init", options.init_db,
                            "initialise an existing empty file at --db as a new database "
                            "(SQLite only)")
                   ->needs(db);
  bool check_only = false;
  app.add_flag("--check", check_only,
               "check --db (SQLite: integrity_check; both: nasq's row invariants and the "
               "schema version), print the result and exit: 0 when sound; refused while a "
               "server holds the database")
      ->needs(db)
      ->excludes(init);
  app.add_option("--listen", options.listen_address, "gRPC listen address host:port")
      ->capture_default_str();
  app.add_option("--http", options.http_address,
                 "HTTP address host:port for /healthz and /metrics (default: off)");
  app.add_option("--log-level", options.log_level, "trace|debug|info|warn|error|critical|off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--reaper-tick-ms", options.reaper_tick_ms, "how often expired leases are reaped")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-lease-wait-ms", options.max_lease_wait_ms,
                 "longest a LeaseTrial call waits for work")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--max-message-bytes", options.max_message_bytes,
                 "largest gRPC message accepted or sent")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--shutdown-grace-ms", options.shutdown_grace_ms,
                 "on SIGTERM/SIGINT, how long in-flight calls may take to finish")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  nasq::AddSecurityFlags(app, options.security);
  CLI11_PARSE(app, argc, argv);
  options.watchdog = nasq::WatchdogSettingsFromEnvironment(std::getenv, getpid());

  spdlog::set_level(spdlog::level::from_str(options.log_level));

  if (check_only) {
    options.full_db_check = true;
    // A check is not a second server, but it must not read a database that one is changing
    // (a PostgreSQL storage takes the database's advisory lock itself).
    const bool postgres = nasq::IsPostgresUrl(options.db_path);
    auto lock = postgres ? absl::StatusOr<std::unique_ptr<nasq::DbLock>>(nullptr)
                         : nasq::DbLock::Acquire(options.db_path);
    auto storage = lock.ok() ? nasq::OpenServerStorage(options, /*create_if_missing=*/false)
                             : absl::StatusOr<std::unique_ptr<nasq::Storage>>(lock.status());
    if (!storage.ok()) {
      std::cerr << "nasq-server --check: " << storage.status() << std::endl;
      return EXIT_FAILURE;
    }
    std::cout << nasq::RedactPostgresUrl(options.db_path) << ": ok" << std::endl;
    return EXIT_SUCCESS;
  }

  // Every connection costs a file descriptor: allow as many as the hard limit does (the soft
  // limit is often 1024). Listeners survive running out anyway (server/tcp_listener.h).
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // Past a file size limit (RLIMIT_FSIZE) a write fails with EFBIG instead of killing the
  // process: SQLite reports it like a full disk, which the server survives.
  std::signal(SIGXFSZ, SIG_IGN);

  // Block the stop signals in every thread (threads inherit the mask), then wait for them here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto server = nasq::NasqServer::Start(options);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().ToString());
    return EXIT_FAILURE;
  }
  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Shutdown();
  return EXIT_SUCCESS;
}
