// nasq-server: the nasq coordinator. See server/server_options.h for every option's default.
#include <csignal>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include "server/nasq_server.h"
#include "server/systemd_watchdog.h"

int main(int argc, char** argv) {
  nasq::ServerOptions options;
  CLI::App app{"nasq-server: the nasq coordinator (studies, samplers, trial leases over gRPC)"};
  app.add_option("--db", options.db_path,
                 "SQLite database file, created when missing (default: in memory, nothing "
                 "persisted)");
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
  CLI11_PARSE(app, argc, argv);
  options.watchdog = nasq::WatchdogSettingsFromEnvironment(std::getenv, getpid());

  spdlog::set_level(spdlog::level::from_str(options.log_level));

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
