// server/systemd_watchdog.cc: see systemd_watchdog.h.
#include "server/systemd_watchdog.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>

#include "absl/strings/numbers.h"

namespace nasq {

std::optional<WatchdogSettings> WatchdogSettingsFromEnvironment(
    const std::function<const char*(const char*)>& getenv, int pid) {
  const char* usec = getenv("WATCHDOG_USEC");
  const char* socket = getenv("NOTIFY_SOCKET");
  const char* watchdog_pid = getenv("WATCHDOG_PID");
  int64_t timeout = 0;
  if (usec == nullptr || !absl::SimpleAtoi(usec, &timeout) || timeout <= 0) return std::nullopt;
  if (socket == nullptr || socket[0] == '\0') return std::nullopt;
  int64_t for_pid = 0;
  if (watchdog_pid != nullptr && (!absl::SimpleAtoi(watchdog_pid, &for_pid) || for_pid != pid)) {
    return std::nullopt;
  }
  return WatchdogSettings{socket, timeout};
}

SystemdWatchdog::SystemdWatchdog(boost::asio::io_context& io, WatchdogSettings settings,
                                 std::function<absl::Status()> health)
    : settings_(std::move(settings)), health_(std::move(health)), timer_(io) {}

void SystemdWatchdog::Start() { Tick(); }

void SystemdWatchdog::Stop() { timer_.cancel(); }

void SystemdWatchdog::Tick() {
  const absl::Status health = health_();
  if (health.ok()) {
    Notify("WATCHDOG=1");
  } else {
    spdlog::warn("systemd watchdog not fed: {}", std::string(health.message()));
  }
  timer_.expires_after(std::chrono::microseconds(settings_.timeout_us / 3));
  timer_.async_wait([this](boost::system::error_code error) {
    if (!error) Tick();
  });
}

void SystemdWatchdog::Notify(const std::string& message) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string& path = settings_.notify_socket;
  if (path.size() >= sizeof(address.sun_path)) {
    spdlog::error("systemd watchdog: NOTIFY_SOCKET is too long");
    return;
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  if (path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  const socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const bool sent = fd >= 0 && ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                                        reinterpret_cast<const sockaddr*>(&address),
                                        length) == static_cast<ssize_t>(message.size());
  if (!sent) spdlog::warn("systemd watchdog: cannot notify {}: {}", path, std::strerror(errno));
  if (fd >= 0) ::close(fd);
}

}  // namespace nasq
