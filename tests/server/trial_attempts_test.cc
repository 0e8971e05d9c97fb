// Tests of server/trial_attempts.h: the attempts history StudyManager stores for expired leases
// (FakeClock, in-memory storage) and TrialAttempts' reading of it with the current lease.
#include "server/trial_attempts.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/study_manager.h"
#include "storage/memory_storage.h"
#include "tests/server/no_wait.h"

namespace nasq {
namespace {

constexpr int64_t kLeaseMs = 1000;

StudySpec RetryingSpec(int max_retries) {
  StudySpec spec;
  spec.name = "s";
  spec.directions = {StudyDirection::kMinimize};
  spec.space = *SearchSpace::Create({{"x", FloatDistribution{-1.0, 1.0, false, std::nullopt}, {}}});
  spec.sampler.kind = SamplerKind::kRandom;
  spec.max_retries = max_retries;
  spec.lease_duration_ms = kLeaseMs;
  spec.heartbeat_interval_ms = 100;
  return spec;
}

class TrialAttemptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    manager_ = *StudyManager::Create(storage_.get(), &clock_);
  }

  // Leases trial 0 (the only one) to `worker` and returns when that was.
  int64_t LeaseTo(const std::string& worker) {
    auto leased = manager_->LeaseTrial(worker, {}, NoWait());
    EXPECT_TRUE(leased.ok() && leased->has_value()) << leased.status();
    EXPECT_EQ((*leased)->trial.number, 0);
    lease_ = (*leased)->trial.lease;
    return clock_.NowMicros();
  }
  // Lets the current lease expire and reaps it; returns when it was reaped.
  int64_t Expire() {
    clock_.AdvanceMicros(kLeaseMs * 1000 + 1);
    EXPECT_EQ(*manager_->ReapExpiredLeases(), 1);
    return clock_.NowMicros();
  }
  Trial Stored() { return *manager_->GetTrial("s", 0); }

  FakeClock clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
  std::optional<Lease> lease_;
};

TEST_F(TrialAttemptsTest, TwoExpiredLeasesThenACompletionAreThreeAttempts) {
  ASSERT_TRUE(manager_->CreateStudy(RetryingSpec(2)).ok());
  const int64_t start1 = LeaseTo("w1");
  const int64_t end1 = Expire();
  clock_.AdvanceMicros(500);
  const int64_t start2 = LeaseTo("w2");
  const int64_t end2 = Expire();
  clock_.AdvanceMicros(500);
  const int64_t start3 = LeaseTo("w3");

  // Running: the two expired leases and the current one.
  std::vector<TrialAttempt> running = TrialAttempts(Stored());
  ASSERT_EQ(running.size(), 3u);
  EXPECT_EQ(running[2].outcome, "running");
  EXPECT_EQ(running[2].worker_id, "w3");
  EXPECT_EQ(running[2].end_us, std::nullopt);

  clock_.AdvanceMicros(700);
  FinishRequest finish;
  finish.values = {0.5};
  finish.lease = LeaseKey{lease_->epoch, lease_->token};
  ASSERT_TRUE(manager_->FinishTrial("s", 0, finish).ok());
  const int64_t end3 = clock_.NowMicros();

  const Trial trial = Stored();
  EXPECT_EQ(trial.attempt, 3);
  const nlohmann::json got = AttemptsToJson(TrialAttempts(trial));
  const nlohmann::json want = nlohmann::json::parse(R"([
      {"attempt": 1, "worker_id": "w1", "outcome": "expired"},
      {"attempt": 2, "worker_id": "w2", "outcome": "expired"},
      {"attempt": 3, "worker_id": "w3", "outcome": "COMPLETE"}])");
  ASSERT_EQ(got.size(), 3u) << got.dump();
  const int64_t starts[] = {start1, start2, start3};
  const int64_t ends[] = {end1, end2, end3};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    for (const char* key : {"attempt", "worker_id", "outcome"}) {
      EXPECT_EQ(got[i][key], want[i][key]) << key;
    }
    EXPECT_EQ(got[i]["start_us"], starts[i]);
    EXPECT_EQ(got[i]["end_us"], ends[i]);
  }
  // Only the expired leases are stored; the completed one is derived.
  EXPECT_EQ(nlohmann::json::parse(trial.system_attrs.at(kAttemptsAttr)).size(), 2u);
}

TEST_F(TrialAttemptsTest, ALeaseThatExhaustsTheRetriesIsItsLastAttemptOnce) {
  ASSERT_TRUE(manager_->CreateStudy(RetryingSpec(1)).ok());
  LeaseTo("w1");
  Expire();
  LeaseTo("w2");
  const int64_t reaped = Expire();  // attempt 2 > max_retries 1: FAIL

  const Trial trial = Stored();
  ASSERT_EQ(trial.state, TrialState::kFail);
  std::vector<TrialAttempt> attempts = TrialAttempts(trial);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[1].attempt, 2);
  EXPECT_EQ(attempts[1].worker_id, "w2");
  EXPECT_EQ(attempts[1].outcome, "expired");
  EXPECT_EQ(attempts[1].end_us, reaped);
}

TEST_F(TrialAttemptsTest, AWaitingTrialHasOnlyItsExpiredLeasesAndANeverLeasedOneNone) {
  ASSERT_TRUE(manager_->CreateStudy(RetryingSpec(3)).ok());
  LeaseTo("w1");
  Expire();
  std::vector<TrialAttempt> waiting = TrialAttempts(Stored());
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].outcome, "expired");

  auto enqueued = manager_->EnqueueTrial("s", {{"x", 0.25}});
  ASSERT_TRUE(enqueued.ok()) << enqueued.status();
  EXPECT_TRUE(TrialAttempts(*enqueued).empty());

  AddedTrial added;
  added.params = {{"x", 0.5}};
  added.values = {1.0};
  auto imported = manager_->AddTrial("s", added);
  ASSERT_TRUE(imported.ok()) << imported.status();
  EXPECT_TRUE(TrialAttempts(*imported).empty()) << "never leased: no attempt to show";
}

TEST(TrialAttempts, AnAskedTrialToldByItsClientIsOneAttemptOfTheClient) {
  FakeClock clock;
  std::unique_ptr<Storage> storage = NewMemoryStorage();
  std::unique_ptr<StudyManager> manager = *StudyManager::Create(storage.get(), &clock);
  ASSERT_TRUE(manager->CreateStudy(RetryingSpec(0)).ok());
  LeasedTrial asked = *manager->Ask("s", "notebook");
  FinishRequest tell;
  tell.state = TrialState::kFail;
  ASSERT_TRUE(manager->FinishTrial("s", asked.trial.number, tell).ok());
  std::vector<TrialAttempt> attempts = TrialAttempts(*manager->GetTrial("s", 0));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].worker_id, "notebook");
  EXPECT_EQ(attempts[0].outcome, "FAIL");
}

TEST(TrialAttempts, MalformedStoredEntriesAreSkippedAndOthersKept) {
  Trial trial;
  trial.state = TrialState::kWaiting;
  trial.attempt = 3;
  trial.system_attrs[kAttemptsAttr] = R"([
      {"attempt": 1, "worker_id": "a", "start_us": 10, "end_us": 20, "outcome": "expired"},
      {"attempt": "2", "worker_id": "b", "start_us": 30, "end_us": 40, "outcome": "expired"},
      7,
      {"attempt": 2, "worker_id": "c", "start_us": 50, "end_us": null, "outcome": "expired"}])";
  std::vector<TrialAttempt> attempts = TrialAttempts(trial);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].worker_id, "a");
  EXPECT_EQ(attempts[0].end_us, 20);
  EXPECT_EQ(attempts[1].worker_id, "c");
  EXPECT_EQ(attempts[1].end_us, std::nullopt);

  for (const char* unreadable : {"{\"attempt\": 1}", "not json", "\"text\""}) {
    trial.system_attrs[kAttemptsAttr] = unreadable;
    EXPECT_TRUE(TrialAttempts(trial).empty()) << unreadable;
  }
}

TEST(TrialAttempts, AttemptsAfterLeaseEndAppendsToWhatIsStored) {
  Trial trial;
  trial.state = TrialState::kRunning;
  trial.attempt = 2;
  trial.datetime_start_us = 100;
  trial.lease = Lease{"w2", 2, 200, std::string(32, '0'), LeaseKind::kWorker};
  trial.system_attrs[kAttemptsAttr] =
      R"([{"attempt": 1, "worker_id": "w1", "start_us": 10, "end_us": 90, "outcome": "expired"}])";
  EXPECT_EQ(nlohmann::json::parse(AttemptsAfterLeaseEnd(trial, 250, kExpiredOutcome)),
            nlohmann::json::parse(R"([
      {"attempt": 1, "worker_id": "w1", "start_us": 10, "end_us": 90, "outcome": "expired"},
      {"attempt": 2, "worker_id": "w2", "start_us": 100, "end_us": 250, "outcome": "expired"}])"));
  EXPECT_EQ(ReleasedAttempts(trial), 0);

  // A released lease keeps its reason, which TrialAttempts reads back, and counts as released.
  trial.system_attrs[kAttemptsAttr] =
      AttemptsAfterLeaseEnd(trial, 250, kReleasedOutcome, "SIGTERM before the time limit");
  EXPECT_EQ(nlohmann::json::parse(trial.system_attrs[kAttemptsAttr]).back(),
            nlohmann::json::parse(R"({"attempt": 2, "worker_id": "w2", "start_us": 100,
      "end_us": 250, "outcome": "released", "reason": "SIGTERM before the time limit"})"));
  EXPECT_EQ(ReleasedAttempts(trial), 1);
  trial.attempt = 3;
  const std::vector<TrialAttempt> attempts = TrialAttempts(trial);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_EQ(attempts[1].outcome, "released");
  EXPECT_EQ(attempts[1].reason, "SIGTERM before the time limit");
  EXPECT_EQ(attempts[0].reason, "");
  EXPECT_EQ(attempts[2].outcome, "running");
}

}  // namespace
}  // namespace nasq
