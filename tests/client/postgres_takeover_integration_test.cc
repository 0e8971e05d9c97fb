// Integration test: two nasq-server processes on one PostgreSQL database, as a coordinator and
// its replacement on another host would be. While the first runs, the second is refused
// (naming the holder) and so is `nasq-server --check`; once the first is SIGKILLed, the second
// takes over with nothing lost: the studies, the completed trials and their values, and the
// running lease, whose worker's heartbeat and result the new server accepts. Also: a password
// in the URL never reaches the log. Against a real PostgreSQL 15 (testing/postgres_server.h).
#include <chrono>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/postgres_server.h"
#include "testing/test_env.h"

namespace nasq {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kCompleted = 5;

class PostgresTakeover : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PostgresServer::Installed()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
    absl::StatusOr<PostgresServer*> server = PostgresServer::Shared();
    ASSERT_TRUE(server.ok()) << server.status();
    postgres_ = *server;
  }

  PostgresServer* postgres_ = nullptr;
  TempDir dir_;
};

TEST_F(PostgresTakeover, ASecondServerTakesOverAfterTheFirstIsKilledWithNothingLost) {
  absl::StatusOr<std::string> url = postgres_->CreateDatabase("takeover");
  ASSERT_TRUE(url.ok()) << url.status();
  auto first = ServerProcess::Start(kServerBin, *url, FreeLoopbackPort());
  ASSERT_TRUE(first.ok()) << first.status();
  const CommandResult created =
      RunCli((*first)->address(), {"study", "create", dir_.WriteFile("spec.yaml", R"(name: moved
space:
  params:
    x: {type: float, low: -5, high: 5}
sampler: {type: random, seed: 3}
lease: {duration: 60s, heartbeat_interval: 1s}
)")});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto client = (*first)->Client();
  std::map<int64_t, double> told;
  for (int i = 0; i < kCompleted; ++i) {
    auto trial = client->Ask("moved");
    ASSERT_TRUE(trial.ok()) << trial.status();
    const double value = trial->params().at("x").double_value() * 2;
    ASSERT_TRUE(client->Tell("moved", trial->number(), v1::TRIAL_STATE_COMPLETE, {value}).ok());
    told[trial->number()] = value;
  }
  v1::LeaseTrialRequest lease_request;
  lease_request.set_worker_id("gpu-worker");
  lease_request.set_wait_ms(2000);
  auto leased = client->LeaseTrial(lease_request);
  ASSERT_TRUE(leased.ok() && leased->has_trial()) << leased.status();

  // The database is held: a second server and a check are refused, naming the holder.
  auto refused = ServerProcess::Start(kServerBin, *url, FreeLoopbackPort());
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              AllOf(HasSubstr(absl::StrCat("database ", *url, " is in use by another nasq-server")),
                    HasSubstr("nasq pid ")));
  const CommandResult check = RunCommand({kServerBin, "--check", "--db", *url});
  EXPECT_NE(check.exit_code, 0);
  EXPECT_THAT(check.err, HasSubstr("in use by another nasq-server"));

  (*first)->Kill();
  // As if on another host: a new process, a new port, only the database in common. PostgreSQL
  // ends the killed server's sessions (and so its lock) as soon as it sees their sockets close.
  absl::StatusOr<std::unique_ptr<ServerProcess>> second;
  for (int attempt = 0; attempt < 50; ++attempt) {
    second = ServerProcess::Start(kServerBin, *url, FreeLoopbackPort());
    if (second.ok() || !absl::StrContains(second.status().message(), "in use")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(second.ok()) << second.status();
  auto next = (*second)->Client();
  auto trials = next->ListTrials("moved");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), static_cast<size_t>(kCompleted + 1));
  for (const v1::Trial& trial : *trials) {
    if (trial.number() == leased->trial().number()) {
      EXPECT_EQ(trial.state(), v1::TRIAL_STATE_RUNNING);
      continue;
    }
    EXPECT_EQ(trial.state(), v1::TRIAL_STATE_COMPLETE) << trial.number();
    ASSERT_EQ(trial.values_size(), 1);
    EXPECT_EQ(trial.values(0), told.at(trial.number()));
  }
  // The running lease is honoured: its worker renews it and reports to the new server.
  v1::HeartbeatRequest heartbeat;
  heartbeat.set_name(leased->trial().name());
  heartbeat.set_epoch(leased->lease().epoch());
  heartbeat.set_lease_token(leased->lease().token());
  EXPECT_TRUE(next->Heartbeat(heartbeat).ok());
  v1::CompleteTrialRequest complete;
  complete.set_name(leased->trial().name());
  complete.set_epoch(leased->lease().epoch());
  complete.set_lease_token(leased->lease().token());
  complete.add_values(42.0);
  ASSERT_TRUE(next->CompleteTrial(complete).ok());
  auto stored = next->GetTrial("moved", leased->trial().number());
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->state(), v1::TRIAL_STATE_COMPLETE);
  EXPECT_EQ(stored->values(0), 42.0);

  EXPECT_EQ((*second)->Terminate(std::chrono::seconds(5)), 0) << (*second)->Log();
  const CommandResult sound = RunCommand({kServerBin, "--check", "--db", *url});
  EXPECT_EQ(sound.exit_code, 0) << sound.err;
  EXPECT_EQ(sound.out, absl::StrCat(*url, ": ok\n"));
}

TEST_F(PostgresTakeover, ThePasswordNeverReachesTheLog) {
  const std::string secret = "pw-that-must-not-leak";
  const std::string url =
      absl::StrCat("postgresql://nasq:", secret, "@127.0.0.1:", postgres_->port(), "/absent");
  const CommandResult refused = RunCommand(
      {kServerBin, "--db", url, "--listen", absl::StrCat("127.0.0.1:", FreeLoopbackPort())});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.out + refused.err,
              AllOf(HasSubstr("nasq:***@127.0.0.1"), HasSubstr("absent"), Not(HasSubstr(secret))));
  const CommandResult init = RunCommand({kServerBin, "--db", url, "--init"});
  EXPECT_NE(init.exit_code, 0);
  EXPECT_THAT(init.out + init.err,
              AllOf(HasSubstr("--init applies to SQLite"), Not(HasSubstr(secret))));
}

}  // namespace
}  // namespace nasq
