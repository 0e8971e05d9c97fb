// Integration test: nasq-server is SIGKILLed in the middle of a 200-trial ask/tell run with 8
// client threads and restarted on the same database; nothing acknowledged is lost. Leases
// are short (2 s) so that a trial orphaned by the kill is re-queued and the run can finish. On
// SQLite, and on PostgreSQL in the ctest entry that sets NASQ_TEST_DB=postgres.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/ask_tell_load.h"
#include "testing/postgres_server.h"
#include "testing/test_env.h"

namespace nasq {
namespace {

constexpr int kTrials = 200;
constexpr int kThreads = 8;

TEST(RestartIntegration, KillMidRunLosesNothingAndSigtermIsPrompt) {
  TempDir dir;
  std::string db;
  NASQ_ASSIGN_TEST_DATABASE_OR_SKIP(db, dir.path());
  // Default options: SIGTERM must end the server within 5 s even with idle connections open.
  auto started = ServerProcess::Start(kServerBin, db, FreeLoopbackPort());
  ASSERT_TRUE(started.ok()) << started.status();
  ServerProcess& server = **started;
  const CommandResult created =
      RunCli(server.address(), {"study", "create", dir.WriteFile("spec.yaml", R"(name: restart
space:
  params:
    x: {type: float, low: -5, high: 5}
    n: {type: int, low: 1, high: 8}
sampler: {type: random, seed: 1}
max_trials: 200
lease: {duration: 2s, heartbeat_interval: 500ms}
)")});
  ASSERT_EQ(created.exit_code, 0) << created.err;

  AskTellLoadOptions options;
  options.threads = kThreads;
  options.give_up = std::chrono::seconds(40);
  AskTellLoad load(
      server, "restart",
      [](const v1::Trial& trial) { return trial.params().at("x").double_value() * trial.number(); },
      options);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (load.told() < kTrials / 3 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  server.Kill();
  const int at_kill = load.told();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(server.Restart().ok());
  load.Join();
  EXPECT_THAT(load.errors(), ::testing::IsEmpty());
  EXPECT_LT(at_kill, kTrials);

  auto client = server.Client();
  auto trials = client->ListTrials("restart");
  ASSERT_TRUE(trials.ok()) << trials.status();
  std::set<int64_t> numbers;
  std::map<int64_t, double> stored;
  for (const v1::Trial& t : *trials) {
    EXPECT_TRUE(numbers.insert(t.number()).second) << "number used twice: " << t.number();
    if (t.state() == v1::TRIAL_STATE_COMPLETE) stored[t.number()] = t.values(0);
  }
  EXPECT_EQ(stored.size(), static_cast<size_t>(kTrials));
  for (const auto& [number, value] : load.acknowledged()) {
    ASSERT_TRUE(stored.contains(number)) << "acknowledged trial " << number << " lost";
    EXPECT_EQ(stored[number], value);
  }
  auto study = client->GetStudy("restart");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->state(), v1::STUDY_STATE_COMPLETED);

  std::chrono::milliseconds took{};
  EXPECT_EQ(server.Terminate(std::chrono::seconds(5), &took), 0) << server.Log();
  EXPECT_LT(took.count(), 5000);
}

}  // namespace
}  // namespace nasq
