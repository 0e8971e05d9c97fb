// server/systemd_watchdog.h: feeds systemd's service watchdog ("WATCHDOG=1" on the notify
// socket) only while the server is healthy, so that systemd restarts a server whose listeners
// or storage keep failing (WatchdogSec= in the unit; see deploy/README.md).
//
// systemd enables it by setting WATCHDOG_USEC (and WATCHDOG_PID, this process) and
// NOTIFY_SOCKET in the environment; without them there is nothing to feed. The watchdog pings
// every third of the timeout, on the given io_context's thread, whenever `health` returns OK,
// and logs why it skips a ping otherwise.
//
// Thread-safety: Start/Stop from the owning thread; pings run on the io_context's thread.
#ifndef NASQ_SERVER_SYSTEMD_WATCHDOG_H_
#define NASQ_SERVER_SYSTEMD_WATCHDOG_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "server/server_options.h"

namespace nasq {

// The settings systemd passed to this process (`pid`), or nullopt when the watchdog is off:
// WATCHDOG_USEC missing or not a positive number, NOTIFY_SOCKET missing, or WATCHDOG_PID set to
// another process. `getenv` reads a variable (nullptr when unset).
std::optional<WatchdogSettings> WatchdogSettingsFromEnvironment(
    const std::function<const char*(const char*)>& getenv, int pid);

class SystemdWatchdog {
 public:
  SystemdWatchdog(boost::asio::io_context& io, WatchdogSettings settings,
                  std::function<absl::Status()> health);

  // Pings now (when healthy) and then every timeout/3.
  void Start();
  // Cancels the timer.
  void Stop();

 private:
  void Tick();
  // Sends `message` to the notify socket; logs when it cannot.
  void Notify(const std::string& message);

  const WatchdogSettings settings_;
  const std::function<absl::Status()> health_;
  boost::asio::steady_timer timer_;
};

}  // namespace nasq

#endif  // NASQ_SERVER_SYSTEMD_WATCHDOG_H_
