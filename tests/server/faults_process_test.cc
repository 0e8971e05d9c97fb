// Operational faults on a real nasq-server process over loopback: a second server on the same
// database, the file-descriptor limit exhausted by idle connections, and writes failing like on
// a full disk (a file size limit of 0). The server must refuse clearly or keep serving, and
// /healthz must say 503 while something fails.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/study.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/local_server.h"

namespace nasq {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kServerBin[] = NASQ_SERVER_BIN;

// A blocking loopback TCP connection; closed on destruction.
class Connection {
 public:
  explicit Connection(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return connected_; }

  // Sends GET `target` and returns the response (status line first), or "" when none came
  // within `timeout`.
  std::string Get(const std::string& target, std::chrono::milliseconds timeout) {
    const std::string request = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
    if (send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      return "";
    }
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    std::string response;
    char buffer[4096];
    for (ssize_t n; (n = recv(fd_, buffer, sizeof(buffer), 0)) > 0;) response.append(buffer, n);
    return response;
  }

 private:
  const int fd_;
  bool connected_ = false;
};

std::string Healthz(int http_port) {
  return Connection(http_port).Get("/healthz", std::chrono::seconds(2));
}

// The pid that the server holding `db` recorded in its lock file.
pid_t LockHolder(const std::string& db) {
  std::ifstream in(db + ".lock");
  pid_t pid = -1;
  in >> pid;
  return pid;
}

// Polls `done` every 20 ms until it returns true or `limit` passes; returns how long it took,
// or nullopt on timeout.
std::optional<std::chrono::milliseconds> WaitFor(const std::function<bool()>& done,
                                                 std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (done()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

// A client that tries each call once, so a failure is seen as it is.
ClientOptions OneAttempt(std::chrono::milliseconds deadline) {
  ClientOptions options;
  options.max_attempts = 1;
  options.deadline = deadline;
  return options;
}

StudySpec ToySpec(const std::string& name) {
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMinimize};
  spec.space = *SearchSpace::Create({{"x", FloatDistribution{-1.0, 1.0, false, std::nullopt}, {}}});
  spec.sampler.kind = SamplerKind::kRandom;
  spec.task_json = R"({"kind":"toy"})";
  return spec;
}

TEST(FaultsProcess, SecondServerOnOneDatabaseExitsNamingTheDatabaseAndHolder) {
  TempDir dir;
  const std::string db = dir.path() + "/nasq.db";
  auto first = ServerProcess::Start(kServerBin, db, FreeLoopbackPort());
  ASSERT_TRUE(first.ok()) << first.status();

  const CommandResult second = RunCommand(
      {kServerBin, "--db", db, "--listen", "127.0.0.1:" + std::to_string(FreeLoopbackPort())},
      std::chrono::seconds(10));
  EXPECT_NE(second.exit_code, 0);
  EXPECT_THAT(second.out + second.err,
              AllOf(HasSubstr(db), HasSubstr("pid " + std::to_string(LockHolder(db)))));
  EXPECT_TRUE((*first)->Client()->ListStudies().ok());
}

// Idle connections beyond the fd limit make accept fail on both ports; once they close, both
// listeners accept again (gRPC 1.51's own listener would stay dead for good).
TEST(FaultsProcess, ListenersRecoverFromFileDescriptorExhaustion) {
  constexpr rlim_t kFdLimit = 128;
  TempDir dir;
  const std::string db = dir.path() + "/nasq.db";
  const int http_port = FreeLoopbackPort();
  auto started = ServerProcess::Start(kServerBin, db, FreeLoopbackPort(),
                                      {"--http", "127.0.0.1:" + std::to_string(http_port)});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  const rlimit low{kFdLimit, kFdLimit};  // both: the server raises a soft limit at start
  ASSERT_EQ(prlimit(LockHolder(db), RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);
  const int grpc_port = std::stoi(server.address().substr(server.address().rfind(':') + 1));

  // An HTTP connection that the server accepts now (a later request on the same listener is
  // answered only after it), to ask /healthz while no new connection can be accepted.
  Connection early(http_port);
  ASSERT_THAT(Healthz(http_port), StartsWith("HTTP/1.1 200"));

  std::vector<std::unique_ptr<Connection>> idle;
  for (rlim_t i = 0; i < kFdLimit + 32; ++i) {
    idle.push_back(std::make_unique<Connection>(grpc_port));
    ASSERT_TRUE(idle.back()->connected());
  }
  auto new_call_works = [&] {
    return server.Client(OneAttempt(std::chrono::milliseconds(500)))->ListStudies().ok();
  };
  ASSERT_TRUE(WaitFor([&] { return !new_call_works(); }, std::chrono::seconds(10)))
      << "the fd limit was never reached";
  // Waits in the HTTP backlog: its accept fails too (before `early` is answered and closed,
  // which frees a descriptor: its request arrives after this connection).
  Connection during(http_port);
  ASSERT_TRUE(during.connected());
  EXPECT_THAT(early.Get("/healthz", std::chrono::seconds(5)),
              AllOf(StartsWith("HTTP/1.1 503"), HasSubstr("gRPC listener cannot accept"),
                    HasSubstr("HTTP listener cannot accept")));

  idle.clear();
  const auto grpc_back = WaitFor(new_call_works, std::chrono::seconds(10));
  ASSERT_TRUE(grpc_back.has_value()) << "gRPC never accepted again: " << server.Log();
  EXPECT_THAT(during.Get("/healthz", std::chrono::seconds(10)), StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(Healthz(http_port), StartsWith("HTTP/1.1 200"));
  std::cout << "gRPC accepted again " << grpc_back->count() << " ms after the idle connections "
            << "closed\n";
}

// Writes fail as on a full disk (RLIMIT_FSIZE 0: every write(2) to a file fails with EFBIG):
// nothing is acknowledged falsely, /healthz says 503, and once writes work again the same study
// takes asks and tells without a restart, with everything acknowledged before still there.
TEST(FaultsProcess, StudyRecoversWhenWritesWorkAgain) {
  TempDir dir;
  const std::string db = dir.path() + "/nasq.db";
  const int http_port = FreeLoopbackPort();
  auto started = ServerProcess::Start(kServerBin, db, FreeLoopbackPort(),
                                      {"--http", "127.0.0.1:" + std::to_string(http_port)});
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  auto client = server.Client(OneAttempt(std::chrono::seconds(5)));
  ASSERT_TRUE(client->CreateStudy(ToySpec("disk")).ok());

  std::map<int64_t, double> told;  // acknowledged results
  for (int i = 0; i < 3; ++i) {
    auto trial = client->Ask("disk");
    ASSERT_TRUE(trial.ok()) << trial.status();
    ASSERT_TRUE(client->Tell("disk", trial->number(), v1::TRIAL_STATE_COMPLETE, {i + 0.5}).ok());
    told[trial->number()] = i + 0.5;
  }
  auto running = client->Ask("disk");  // acknowledged lease, told after the fault
  ASSERT_TRUE(running.ok()) << running.status();

  const pid_t pid = LockHolder(db);
  ASSERT_GT(pid, 0);
  rlimit original{};
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, nullptr, &original), 0);
  rlimit no_writes = original;
  no_writes.rlim_cur = 0;
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, &no_writes, nullptr), 0);

  auto refused_ask = client->Ask("disk");
  EXPECT_EQ(refused_ask.status().code(), absl::StatusCode::kUnavailable) << refused_ask.status();
  auto refused_tell = client->Tell("disk", running->number(), v1::TRIAL_STATE_COMPLETE, {9.0});
  EXPECT_FALSE(refused_tell.ok());
  EXPECT_THAT(Healthz(http_port), AllOf(StartsWith("HTTP/1.1 503"), HasSubstr("unhealthy")));

  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, &original, nullptr), 0);
  absl::StatusOr<v1::Trial> asked;
  ASSERT_TRUE(WaitFor([&] { return (asked = client->Ask("disk")).ok(); }, std::chrono::seconds(10)))
      << asked.status();
  EXPECT_EQ(asked->number(), running->number() + 1);  // the refused ask's trial is gone
  ASSERT_TRUE(client->Tell("disk", running->number(), v1::TRIAL_STATE_COMPLETE, {9.0}).ok());
  ASSERT_TRUE(client->Tell("disk", asked->number(), v1::TRIAL_STATE_COMPLETE, {10.0}).ok());
  told[running->number()] = 9.0;
  told[asked->number()] = 10.0;
  EXPECT_THAT(Healthz(http_port), StartsWith("HTTP/1.1 200"));

  // All there, served now and after a restart (durable).
  for (int round = 0; round < 2; ++round) {
    auto trials = client->ListTrials("disk");
    ASSERT_TRUE(trials.ok()) << trials.status();
    ASSERT_EQ(trials->size(), told.size());
    for (const v1::Trial& t : *trials) {
      EXPECT_EQ(t.state(), v1::TRIAL_STATE_COMPLETE) << t.number();
      ASSERT_EQ(t.values_size(), 1);
      EXPECT_EQ(t.values(0), told.at(t.number()));
    }
    if (round == 0) {
      ASSERT_EQ(server.Terminate(std::chrono::seconds(5)), 0);
      ASSERT_TRUE(server.Restart().ok());
    }
  }
}

}  // namespace
}  // namespace nasq
