// Tests of the systemd watchdog: when it is on, and that it pings only while healthy.
#include "server/systemd_watchdog.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

std::function<const char*(const char*)> Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(SystemdWatchdog, SettingsComeFromSystemdsEnvironment) {
  auto on = WatchdogSettingsFromEnvironment(
      Env({{"WATCHDOG_USEC", "60000000"}, {"NOTIFY_SOCKET", "/run/x"}, {"WATCHDOG_PID", "42"}}),
      42);
  ASSERT_TRUE(on.has_value());
  EXPECT_EQ(on->notify_socket, "/run/x");
  EXPECT_EQ(on->timeout_us, 60'000'000);
  EXPECT_TRUE(
      WatchdogSettingsFromEnvironment(Env({{"WATCHDOG_USEC", "5"}, {"NOTIFY_SOCKET", "@a"}}), 1));

  const std::map<std::string, std::string> off[] = {
      {},
      {{"NOTIFY_SOCKET", "/run/x"}},
      {{"WATCHDOG_USEC", "60000000"}},
      {{"WATCHDOG_USEC", "0"}, {"NOTIFY_SOCKET", "/run/x"}},
      {{"WATCHDOG_USEC", "soon"}, {"NOTIFY_SOCKET", "/run/x"}},
      {{"WATCHDOG_USEC", "60000000"}, {"NOTIFY_SOCKET", "/run/x"}, {"WATCHDOG_PID", "43"}},
  };
  for (const auto& vars : off) EXPECT_FALSE(WatchdogSettingsFromEnvironment(Env(vars), 42));
}

// Receives one datagram within `timeout_ms`; "" when none came.
std::string Receive(int fd, int timeout_ms) {
  timeval tv{};
  tv.tv_usec = timeout_ms * 1000;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buffer[64];
  const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
  return n > 0 ? std::string(buffer, n) : "";
}

TEST(SystemdWatchdog, PingsOnlyWhileHealthy) {
  const std::string path = (testing_scratch::ScratchDir("watchdog") / "notify").string();
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);

  std::atomic<bool> healthy{true};
  boost::asio::io_context io;
  SystemdWatchdog watchdog(io, WatchdogSettings{path, 30'000}, [&] {
    return healthy ? absl::OkStatus() : absl::UnavailableError("listener down");
  });
  watchdog.Start();  // pings every 10 ms
  std::thread runner([&] {
    auto guard = boost::asio::make_work_guard(io);
    io.run();
  });

  EXPECT_EQ(Receive(fd, 1000), "WATCHDOG=1");
  healthy = false;
  while (!Receive(fd, 50).empty()) {
  }                                 // pings sent before the change
  EXPECT_EQ(Receive(fd, 100), "");  // ten intervals without a ping
  healthy = true;
  EXPECT_EQ(Receive(fd, 1000), "WATCHDOG=1");

  io.stop();
  runner.join();
  close(fd);
}

}  // namespace
}  // namespace nasq
