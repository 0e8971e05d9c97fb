// Integration test: nasq-server is SIGKILLed in the middle of a 200-trial ask/tell run with 8
// client threads and restarted on the same SQLite file; nothing acknowledged is lost. Leases
// are short (2 s) so that a trial orphaned by the kill is re-queued and the run can finish.
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/clients/test_env.h"

namespace nasq {
namespace {

constexpr int kTrials = 200;
constexpr int kThreads = 8;

TEST(RestartIntegration, KillMidRunLosesNothingAndSigtermIsPrompt) {
  TempDir dir;
  // Default options: SIGTERM must end the server within 5 s even with idle connections open.
  auto started = ServerProcess::Start(kServerBin, dir.path() + "/nasq.db", FreeLoopbackPort());
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

  std::mutex mu;
  std::map<int64_t, double> acknowledged;  // number -> value the server confirmed
  std::vector<std::string> errors;
  std::atomic<int> completed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ClientOptions options;
      options.max_attempts = 40;  // rides out the restart (capped backoff: 1 s)
      options.deadline = std::chrono::seconds(5);
      options.client_id = "restart-" + std::to_string(t);
      auto client = server.Client(options);
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(40);
      while (std::chrono::steady_clock::now() < give_up) {
        auto trial = client->Ask("restart");
        // Every remaining trial is leased (one may be orphaned: its Ask was stored but the
        // answer was lost in the kill); its lease expires and it is asked again.
        if (trial.status().code() == absl::StatusCode::kResourceExhausted) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          continue;
        }
        if (!trial.ok()) {
          if (trial.status().code() != absl::StatusCode::kFailedPrecondition) {  // completed
            std::lock_guard lock(mu);
            errors.push_back("ask: " + trial.status().ToString());
          }
          return;
        }
        const double value = trial->params().at("x").double_value() * trial->number();
        auto told = client->Tell("restart", trial->number(), v1::TRIAL_STATE_COMPLETE, {value});
        std::lock_guard lock(mu);
        if (told.ok()) {
          acknowledged[trial->number()] = value;
          completed.fetch_add(1);
        } else if (told.status().code() != absl::StatusCode::kFailedPrecondition) {
          errors.push_back("tell: " + told.status().ToString());
        }
      }
    });
  }

  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (completed.load() < kTrials / 3 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  server.Kill();
  const int at_kill = completed.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(server.Restart().ok());
  for (auto& th : threads) th.join();
  EXPECT_THAT(errors, ::testing::IsEmpty());
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
  for (const auto& [number, value] : acknowledged) {
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
