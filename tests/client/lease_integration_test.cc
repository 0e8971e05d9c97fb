// Integration tests of leases against a real nasq-server through NasqClient: expiry and retry,
// fencing of stale workers, and concurrent leasing from a grid study. On SQLite, and on
// PostgreSQL in the ctest entry that sets NASQ_TEST_DB=postgres (testing/postgres_server.h).
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/postgres_server.h"
#include "testing/test_env.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kLeaseMs = 800;
constexpr int64_t kReaperTickMs = 100;

// A random study whose leases last kLeaseMs and fail after one expired retry.
constexpr char kShortLeaseSpec[] = R"(name: short
space:
  params:
    x: {type: float, low: 0, high: 1}
    k: [p, q, r]
sampler: {type: random, seed: 11}
max_retries: 1
lease: {duration: 800ms, heartbeat_interval: 200ms}
)";

class LeaseIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string db;
    NASQ_ASSIGN_TEST_DATABASE_OR_SKIP(db, dir_.path());
    auto server = ServerProcess::Start(kServerBin, db, FreeLoopbackPort(),
                                       {"--reaper-tick-ms", std::to_string(kReaperTickMs)});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = server_->Client();
  }

  void CreateStudy(const std::string& yaml) {
    const CommandResult r =
        RunCli(server_->address(), {"study", "create", dir_.WriteFile("spec.yaml", yaml)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  v1::LeaseTrialResponse Lease(const std::string& worker) {
    v1::LeaseTrialRequest request;
    request.set_worker_id(worker);
    request.set_wait_ms(2000);
    auto response = client_->LeaseTrial(request);
    EXPECT_TRUE(response.ok()) << response.status();
    EXPECT_TRUE(response->has_trial());
    return *response;
  }

  // Polls trial `number` until its state is `state`; returns the time that took.
  std::chrono::milliseconds WaitForState(int64_t number, v1::TrialState state) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
      auto trial = client_->GetTrial("short", number);
      if (trial.ok() && trial->state() == state) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<NasqClient> client_;
};

TEST_F(LeaseIntegration, ExpiredLeaseIsRetriedWithSameParamsThenFails) {
  CreateStudy(kShortLeaseSpec);
  const v1::LeaseTrialResponse first = Lease("worker-a");
  const int64_t number = first.trial().number();
  EXPECT_EQ(first.trial().attempt(), 1);

  // No heartbeat: within lease + one reaper tick (+ polling slack) it is WAITING again.
  const auto requeued = WaitForState(number, v1::TRIAL_STATE_WAITING);
  EXPECT_LE(requeued.count(), kLeaseMs + kReaperTickMs + 400);
  EXPECT_GE(requeued.count(), kLeaseMs - 100);

  const v1::LeaseTrialResponse second = Lease("worker-b");
  EXPECT_EQ(second.trial().number(), number);
  EXPECT_EQ(second.trial().attempt(), 2);
  EXPECT_GT(second.lease().epoch(), first.lease().epoch());
  ASSERT_EQ(second.trial().params().size(), first.trial().params().size());
  for (const auto& [name, value] : first.trial().params()) {
    EXPECT_EQ(second.trial().params().at(name).SerializeAsString(), value.SerializeAsString())
        << name;
  }

  // max_retries = 1: the second expiry fails the trial, saying why.
  const auto failed = WaitForState(number, v1::TRIAL_STATE_FAIL);
  EXPECT_LE(failed.count(), kLeaseMs + kReaperTickMs + 400);
  auto trial = client_->GetTrial("short", number);
  ASSERT_TRUE(trial.ok());
  EXPECT_EQ(trial->state(), v1::TRIAL_STATE_FAIL);
  ASSERT_TRUE(trial->system_attrs().contains("fail_reason"));
  EXPECT_THAT(trial->system_attrs().at("fail_reason"), HasSubstr("lease"));
}

TEST_F(LeaseIntegration, StaleWorkerCannotOverwriteTheReRun) {
  CreateStudy(kShortLeaseSpec);
  const v1::LeaseTrialResponse first = Lease("worker-a");
  const int64_t number = first.trial().number();
  WaitForState(number, v1::TRIAL_STATE_WAITING);
  const v1::LeaseTrialResponse second = Lease("worker-b");
  ASSERT_EQ(second.trial().number(), number);

  v1::CompleteTrialRequest late;
  late.set_name(first.trial().name());
  late.set_epoch(first.lease().epoch());
  late.set_lease_token(first.lease().token());
  late.add_values(111.0);
  auto refused = client_->CompleteTrial(late);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition) << refused.status();
  v1::HeartbeatRequest heartbeat;
  heartbeat.set_name(first.trial().name());
  heartbeat.set_epoch(first.lease().epoch());
  heartbeat.set_lease_token(first.lease().token());
  EXPECT_EQ(client_->Heartbeat(heartbeat).status().code(), absl::StatusCode::kFailedPrecondition);

  v1::CompleteTrialRequest current = late;
  current.set_epoch(second.lease().epoch());
  current.set_lease_token(second.lease().token());
  current.set_values(0, 222.0);
  ASSERT_TRUE(client_->CompleteTrial(current).ok());
  // Even after the re-run finished, the stale report stays refused.
  EXPECT_FALSE(client_->CompleteTrial(late).ok());

  auto stored = client_->GetTrial("short", number);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state(), v1::TRIAL_STATE_COMPLETE);
  ASSERT_EQ(stored->values_size(), 1);
  EXPECT_EQ(stored->values(0), 222.0);
}

TEST_F(LeaseIntegration, SixteenThreadsNeverShareAGridCell) {
  CreateStudy(R"(name: grid
space:
  params:
    a: [1, 2, 3, 4]
    b: {type: int, low: 0, high: 3}
    c: [x, y, z, w]
sampler: {type: grid, seed: 5}
)");
  std::mutex mu;
  std::multiset<std::string> cells;
  std::set<int64_t> numbers;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      ClientOptions options;
      options.client_id = "thread-" + std::to_string(t);
      auto client = server_->Client(options);
      while (true) {
        auto trial = client->Ask("grid");
        if (!trial.ok()) {
          if (trial.status().code() != absl::StatusCode::kResourceExhausted &&
              trial.status().code() != absl::StatusCode::kFailedPrecondition) {
            std::lock_guard lock(mu);
            errors.push_back(trial.status().ToString());
          }
          return;
        }
        std::string cell;
        for (const char* p : {"a", "b", "c"})
          cell += trial->params().at(p).SerializeAsString() + "|";
        {
          std::lock_guard lock(mu);
          cells.insert(cell);
          numbers.insert(trial->number());
        }
        auto told = client->Tell("grid", trial->number(), v1::TRIAL_STATE_COMPLETE, {1.0 * t});
        if (!told.ok()) {
          std::lock_guard lock(mu);
          errors.push_back(told.status().ToString());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(errors, ::testing::IsEmpty());
  EXPECT_EQ(cells.size(), 64u);
  EXPECT_EQ(std::set<std::string>(cells.begin(), cells.end()).size(), 64u);
  EXPECT_EQ(numbers.size(), 64u);
  auto study = client_->GetStudy("grid");
  ASSERT_TRUE(study.ok());
  EXPECT_EQ(study->trial_counts().complete(), 64);
}

}  // namespace
}  // namespace nasq
