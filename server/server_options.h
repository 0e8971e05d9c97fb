// server/server_options.h: ServerOptions, every knob of nasq-server with its default.
//
// Plain value type; no synchronisation.
#ifndef NASQ_SERVER_SERVER_OPTIONS_H_
#define NASQ_SERVER_SERVER_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "server/security_options.h"

namespace nasq {

// systemd's service watchdog, as systemd passes it in the environment (NOTIFY_SOCKET,
// WATCHDOG_USEC; see server/systemd_watchdog.h).
struct WatchdogSettings {
  std::string notify_socket;  // a path, or "@name" for an abstract socket
  int64_t timeout_us = 0;     // systemd's WatchdogSec
};

struct ServerOptions {
  // SQLite database file, created when the path does not exist, or a PostgreSQL URL
  // (postgresql://... or postgres://..., storage/postgres_storage.h). Empty: in-memory
  // storage, nothing persisted.
  std::string db_path;
  // Initialise an existing empty file at db_path (0 bytes, or SQLite without tables) as a new
  // database; otherwise such a file is refused. SQLite only. Default false.
  bool init_db = false;
  // Check db_path at open with SQLite's full integrity_check instead of quick_check (slower on
  // large files). Default false.
  bool full_db_check = false;
  // gRPC listen address, host:port; port 0 picks a free port. Default "127.0.0.1:50051".
  std::string listen_address = "127.0.0.1:50051";
  // HTTP address for /healthz and /metrics, host:port (port 0 picks one). Empty (default): off.
  std::string http_address;
  // spdlog level: trace, debug, info, warn, error, critical, off. Default "info".
  std::string log_level = "info";
  // How often expired leases are reaped. Default 1000 ms.
  int64_t reaper_tick_ms = 1000;
  // Longest a LeaseTrial call waits for work. Default 30000 ms.
  int64_t max_lease_wait_ms = 30'000;
  // Largest gRPC message accepted or sent; larger ones fail with RESOURCE_EXHAUSTED.
  // Default 16 MiB.
  int max_message_bytes = 16 * 1024 * 1024;
  // On shutdown, in-flight calls get this long to finish before they are cancelled; shutdown
  // does not wait for idle connections (LeaseTrial long polls answer at once). Default 2000 ms,
  // so that SIGTERM ends the process well within a 5 s budget.
  int64_t shutdown_grace_ms = 2000;
  // TLS, tokens and the loopback-only default (server/security_options.h).
  SecurityOptions security;
  // The systemd watchdog to notify while the server is healthy (nasq-server reads it from its
  // environment). Default: none.
  std::optional<WatchdogSettings> watchdog;
};

}  // namespace nasq

#endif  // NASQ_SERVER_SERVER_OPTIONS_H_
