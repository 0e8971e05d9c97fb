// Tests of server/study_manager.h over in-memory and SQLite storage with a FakeClock.
#include "server/study_manager.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/pareto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "storage/memory_storage.h"
#include "storage/sqlite_storage.h"
#include "tests/server/no_wait.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kLeaseMs = 1000;

StudySpec MakeSpec(const std::string& name, SamplerKind kind, int64_t max_trials = 0) {
  std::vector<ParamSpec> params;
  if (kind == SamplerKind::kGrid) {
    params.push_back({"a", IntDistribution{0, 3, false, 1}, {}});
    params.push_back(
        {"b", CategoricalDistribution{{std::string("x"), std::string("y"), std::string("z")}}, {}});
    params.push_back({"c", FloatDistribution{0.0, 1.0, false, 0.25}, {}});
  } else {
    params.push_back({"x", FloatDistribution{-1.0, 1.0, false, std::nullopt}, {}});
  }
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMinimize};
  spec.space = *SearchSpace::Create(std::move(params));
  spec.sampler.kind = kind;
  spec.sampler.seed = 7;
  spec.max_trials = max_trials;
  spec.max_retries = 1;
  spec.lease_duration_ms = kLeaseMs;
  spec.heartbeat_interval_ms = 100;
  return spec;
}

// The key its holder presents for `leased`'s lease.
LeaseKey KeyOf(const LeasedTrial& leased) {
  return LeaseKey{leased.trial.lease->epoch, leased.trial.lease->token};
}

class StudyManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    manager_ = *StudyManager::Create(storage_.get(), &clock_);
  }
  void ExpireLeases(int want) {
    clock_.AdvanceMicros(kLeaseMs * 1000 + 1);
    absl::StatusOr<int> expired = manager_->ReapExpiredLeases();
    ASSERT_TRUE(expired.ok()) << expired.status();
    EXPECT_EQ(*expired, want);
  }

  FakeClock clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
};

TEST_F(StudyManagerTest, ExpiredLeaseRequeuesSameParamsThenFailsAfterMaxRetries) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  LeasedTrial first = *manager_->Ask("s", "w1");
  EXPECT_EQ(first.trial.lease->epoch, 1);
  EXPECT_EQ(first.trial.lease->deadline_us, clock_.NowMicros() + kLeaseMs * 1000);

  ExpireLeases(1);
  Trial requeued = *manager_->GetTrial("s", 0);
  EXPECT_EQ(requeued.state, TrialState::kWaiting);
  EXPECT_EQ(requeued.attempt, 2);
  EXPECT_FALSE(requeued.lease.has_value());

  std::optional<LeasedTrial> second = *manager_->LeaseTrial("w2", {}, NoWait());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->trial.number, 0);
  EXPECT_EQ(second->trial.params, first.trial.params);
  EXPECT_EQ(second->trial.attempt, 2);
  EXPECT_EQ(second->trial.lease->epoch, 2);
  EXPECT_EQ(second->trial.lease->worker_id, "w2");

  ExpireLeases(1);  // attempt 2 > max_retries 1
  Trial failed = *manager_->GetTrial("s", 0);
  EXPECT_EQ(failed.state, TrialState::kFail);
  EXPECT_THAT(failed.system_attrs["fail_reason"], HasSubstr("max_retries"));
  EXPECT_THAT(failed.system_attrs["fail_reason"], HasSubstr("w2"));
}

// A retried tell (skip_if_finished) on an expired lease must not read as success: the re-run
// finished the trial under the next lease, not the teller's.
TEST_F(StudyManagerTest, RetriedTellOnAnExpiredLeaseIsRefusedOnceTheRerunFinished) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  const LeaseKey stale = KeyOf(*manager_->Ask("s", "cut-off"));
  ExpireLeases(1);
  const LeaseKey rerun = KeyOf(**manager_->LeaseTrial("w2", {}, NoWait()));
  FinishRequest finish{std::nullopt, {2.5}, {}, rerun, false, {}, ""};
  ASSERT_TRUE(manager_->FinishTrial("s", 0, finish).ok());

  FinishRequest late{std::nullopt, {-7.5}, {}, stale, true, {}, ""};
  absl::Status refused = manager_->FinishTrial("s", 0, late).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("Cannot tell a COMPLETE trial."));
  // The re-run's own retry still gets its trial back.
  finish.skip_if_finished = true;
  absl::StatusOr<Trial> again = manager_->FinishTrial("s", 0, finish);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->values, std::vector<double>{2.5});
}

TEST_F(StudyManagerTest, HeartbeatRenewsLeaseSoItDoesNotExpire) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  LeasedTrial leased = *manager_->Ask("s", "w1");
  clock_.AdvanceMicros(kLeaseMs * 800);
  HeartbeatResult beat = *manager_->Heartbeat("s", 0, KeyOf(leased));
  EXPECT_FALSE(beat.stop);
  EXPECT_EQ(beat.lease.deadline_us, clock_.NowMicros() + kLeaseMs * 1000);
  clock_.AdvanceMicros(kLeaseMs * 800);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 0);
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kRunning);
}

TEST_F(StudyManagerTest, RestartGivesLoadedLeasesOneLeaseDurationOfGrace) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  const LeaseKey lease = KeyOf(*manager_->Ask("s", "w1"));
  // The server is down for five lease durations, then a new manager loads the same storage.
  clock_.AdvanceMicros(5 * kLeaseMs * 1000);
  manager_.reset();
  manager_ = *StudyManager::Create(storage_.get(), &clock_);
  EXPECT_EQ(manager_->GetTrial("s", 0)->lease->deadline_us, clock_.NowMicros() + kLeaseMs * 1000);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 0) << "expired while nobody could renew it";
  // The worker reconnects within the grace period and its heartbeats keep the trial.
  clock_.AdvanceMicros(kLeaseMs * 1000 - 1);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 0);
  ASSERT_TRUE(manager_->Heartbeat("s", 0, lease).ok());
  clock_.AdvanceMicros(kLeaseMs * 1000 - 1);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 0);
  EXPECT_TRUE(manager_->FinishTrial("s", 0, {std::nullopt, {0.5}, {}, lease}).ok());
  // A worker that never comes back loses its trial one lease duration after the restart.
  const Lease orphan = *manager_->Ask("s", "w2")->trial.lease;
  clock_.AdvanceMicros(5 * kLeaseMs * 1000);
  manager_.reset();
  manager_ = *StudyManager::Create(storage_.get(), &clock_);
  clock_.AdvanceMicros(kLeaseMs * 1000);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 1);
  EXPECT_EQ(manager_->GetTrial("s", 1)->state, TrialState::kWaiting);
  EXPECT_EQ(manager_->GetTrial("s", 1)->attempt, orphan.epoch + 1);
}

TEST_F(StudyManagerTest, StaleEpochIsRefusedAndChangesNothing) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  const LeaseKey old_lease = KeyOf(*manager_->Ask("s", "w1"));
  ExpireLeases(1);
  // While WAITING the old worker's report is stale.
  FinishRequest late{TrialState::kComplete, {0.5}, {}, old_lease, false, {}, ""};
  EXPECT_EQ(manager_->FinishTrial("s", 0, late).status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::optional<LeasedTrial> second = *manager_->LeaseTrial("w2", {}, NoWait());
  ASSERT_TRUE(second.has_value());

  EXPECT_EQ(manager_->FinishTrial("s", 0, late).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(manager_->Heartbeat("s", 0, old_lease).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(manager_->ReportIntermediate("s", 0, old_lease, 0, 0.1, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Trial unchanged = *manager_->GetTrial("s", 0);
  EXPECT_EQ(unchanged.state, TrialState::kRunning);
  EXPECT_TRUE(unchanged.values.empty());
  EXPECT_TRUE(unchanged.intermediate_values.empty());

  FinishRequest fresh{TrialState::kComplete, {0.25}, {{"acc", 0.9}}, KeyOf(*second)};
  Trial done = *manager_->FinishTrial("s", 0, fresh);
  EXPECT_EQ(done.state, TrialState::kComplete);
  EXPECT_EQ(done.values, std::vector<double>{0.25});
  EXPECT_EQ(done.user_attrs["metrics"], R"({"acc":0.9})");
  EXPECT_EQ(storage_->GetTrialByNumber(done.study_id, 0)->values, std::vector<double>{0.25});
}

// WorkerService.ReleaseTrial: a worker that stops cleanly gives its trial back. It is re-queued
// at once (no clock advance) with the same params and a new epoch, fenced like a stale lease,
// recorded as a "released" attempt with the reason, and never counts against max_retries (1
// here), while expiries still do.
TEST_F(StudyManagerTest, ReleasedTrialIsRequeuedAtOnceAndNeverCountsAgainstMaxRetries) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  const LeasedTrial first = **manager_->LeaseTrial("w1", {}, NoWait());
  const LeaseKey key = KeyOf(first);
  for (const LeaseKey& wrong : {LeaseKey{key.epoch + 1, key.token}, LeaseKey{key.epoch, ""}}) {
    EXPECT_EQ(manager_->ReleaseTrial("s", 0, wrong, "x").status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kRunning);
  EXPECT_EQ(manager_->ReleaseTrial("s", 1, key, "x").status().code(), absl::StatusCode::kNotFound);

  const Trial released = *manager_->ReleaseTrial("s", 0, key, "SIGTERM: job cancelled");
  EXPECT_EQ(released.state, TrialState::kWaiting);
  EXPECT_EQ(released.attempt, 2);
  EXPECT_FALSE(released.lease.has_value());
  const nlohmann::json attempts = nlohmann::json::parse(released.system_attrs.at("attempts"));
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0]["attempt"], 1);
  EXPECT_EQ(attempts[0]["worker_id"], "w1");
  EXPECT_EQ(attempts[0]["outcome"], "released");
  EXPECT_EQ(attempts[0]["reason"], "SIGTERM: job cancelled");
  // The released lease is fenced like an expired one.
  EXPECT_EQ(manager_->Heartbeat("s", 0, key).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(manager_->ReleaseTrial("s", 0, key, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  FinishRequest late{TrialState::kComplete, {0.5}, {}, key};
  EXPECT_EQ(manager_->FinishTrial("s", 0, late).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Released three more times: far beyond max_retries, and still re-queued.
  for (int attempt = 2; attempt <= 4; ++attempt) {
    const LeasedTrial again = **manager_->LeaseTrial("w2", {}, NoWait());
    EXPECT_EQ(again.trial.number, 0);
    EXPECT_EQ(again.trial.params, first.trial.params);
    EXPECT_EQ(again.trial.lease->epoch, attempt);
    EXPECT_EQ(manager_->ReleaseTrial("s", 0, KeyOf(again), "")->state, TrialState::kWaiting);
  }
  // Expiries count alone: the first is retried (1 <= max_retries), the second fails the trial.
  ASSERT_TRUE(manager_->LeaseTrial("w3", {}, NoWait())->has_value());
  ExpireLeases(1);
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kWaiting);
  ASSERT_TRUE(manager_->LeaseTrial("w3", {}, NoWait())->has_value());
  ExpireLeases(1);
  const Trial failed = *manager_->GetTrial("s", 0);
  EXPECT_EQ(failed.state, TrialState::kFail);
  EXPECT_THAT(failed.system_attrs.at("fail_reason"), HasSubstr("max_retries (1) exhausted"));
  std::vector<std::string> outcomes;
  for (const auto& attempt : nlohmann::json::parse(failed.system_attrs.at("attempts"))) {
    outcomes.push_back(attempt["outcome"]);
  }
  EXPECT_EQ(outcomes, (std::vector<std::string>{"released", "released", "released", "released",
                                                "expired", "expired"}));
}

// A release wakes a worker long-polling for work at once (the study's only trial slot was
// taken), and releasing in a study that no longer runs FAILs the trial with the reason, as an
// expired lease would.
TEST_F(StudyManagerTest, ReleaseWakesLongPollsAndFailsTrialsOfStoppedStudies) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("one", SamplerKind::kRandom, 1)).ok());
  const LeaseKey key = KeyOf(**manager_->LeaseTrial("w1", {}, NoWait()));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(manager_->ReleaseTrial("one", 0, key, "stopping").ok());
  });
  const auto start = std::chrono::steady_clock::now();
  auto leased =
      manager_->LeaseTrial("w2", {}, std::chrono::steady_clock::now() + std::chrono::seconds(20));
  releaser.join();
  ASSERT_TRUE(leased.ok()) << leased.status();
  ASSERT_TRUE(leased->has_value());
  EXPECT_EQ((*leased)->trial.number, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));

  ASSERT_TRUE(manager_->StopStudy("one").ok());
  const Trial failed = *manager_->ReleaseTrial("one", 0, KeyOf(**leased), "job cancelled");
  EXPECT_EQ(failed.state, TrialState::kFail);
  EXPECT_THAT(failed.system_attrs.at("fail_reason"),
              HasSubstr("lease of worker 'w2' released (job cancelled) after the study became "
                        "STOPPED"));
}

TEST_F(StudyManagerTest, LeasesCarryDistinctRandomTokens) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  std::set<std::string> tokens;
  for (int i = 0; i < 3; ++i) {
    std::optional<LeasedTrial> leased = *manager_->LeaseTrial("w", {}, NoWait());
    ASSERT_TRUE(leased.has_value());
    const Lease& lease = *leased->trial.lease;
    EXPECT_EQ(lease.kind, LeaseKind::kWorker);
    EXPECT_EQ(lease.token.size(), 32u);
    EXPECT_EQ(lease.token.find_first_not_of("0123456789abcdef"), std::string::npos);
    tokens.insert(lease.token);
  }
  EXPECT_EQ(manager_->Ask("s", "client")->trial.lease->kind, LeaseKind::kAsk);
  EXPECT_EQ(tokens.size(), 3u);
}

// The epoch is guessable (the attempt number); without the token a report changes nothing.
TEST_F(StudyManagerTest, RightEpochWithWrongTokenIsRefusedAndChangesNothing) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  std::optional<LeasedTrial> leased = *manager_->LeaseTrial("w", {}, NoWait());
  ASSERT_TRUE(leased.has_value());
  const Lease before = *leased->trial.lease;
  for (const std::string& token : {std::string(), std::string(32, '0'), before.token + "0"}) {
    SCOPED_TRACE(token);
    const LeaseKey guess{before.epoch, token};
    clock_.AdvanceMicros(1000);
    EXPECT_EQ(manager_->Heartbeat("s", 0, guess).status().code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(manager_->ReportIntermediate("s", 0, guess, 0, 0.1, {}).status().code(),
              absl::StatusCode::kFailedPrecondition);
    for (TrialState state : {TrialState::kComplete, TrialState::kFail}) {
      FinishRequest finish{state, {}, {}, guess};
      if (state == TrialState::kComplete) finish.values = {0.5};
      absl::Status told = manager_->FinishTrial("s", 0, finish).status();
      EXPECT_EQ(told.code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_THAT(std::string(told.message()), HasSubstr("token"));
    }
  }
  const Trial unchanged = *manager_->GetTrial("s", 0);
  EXPECT_EQ(unchanged.state, TrialState::kRunning);
  EXPECT_EQ(unchanged.lease, before);  // not renewed either
  EXPECT_TRUE(unchanged.intermediate_values.empty());
  // The holder's key still works.
  EXPECT_TRUE(manager_->Heartbeat("s", 0, KeyOf(*leased)).ok());
}

// A client's tell must not drop a worker's training: a worker's lease is needed, or force.
TEST_F(StudyManagerTest, TellOnAWorkersTrialNeedsItsLeaseOrForce) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  std::optional<LeasedTrial> leased = *manager_->LeaseTrial("gpu-7", {}, NoWait());
  ASSERT_TRUE(leased.has_value());
  for (TrialState state : {TrialState::kComplete, TrialState::kPruned, TrialState::kFail}) {
    FinishRequest tell{state};
    if (state == TrialState::kComplete) tell.values = {3.0};
    absl::Status refused = manager_->FinishTrial("s", 0, tell).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
    EXPECT_THAT(std::string(refused.message()), HasSubstr("leased to worker 'gpu-7'"));
    EXPECT_THAT(std::string(refused.message()), HasSubstr("force"));
  }
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kRunning);

  FinishRequest forced{TrialState::kFail};
  forced.force = true;
  EXPECT_EQ(manager_->FinishTrial("s", 0, forced)->state, TrialState::kFail);
  // The worker's late result is fenced off.
  FinishRequest late{TrialState::kComplete, {0.9}, {}, KeyOf(*leased)};
  EXPECT_EQ(manager_->FinishTrial("s", 0, late).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kFail);

  // An asked trial is told by number, as in Optuna.
  const int64_t asked = manager_->Ask("s", "notebook")->trial.number;
  EXPECT_EQ(manager_->FinishTrial("s", asked, {std::nullopt, {1.0}})->state, TrialState::kComplete);
}

// `threads` workers lease trials of `study` with LeaseTrial and finish each with the value
// objective(params) until nothing is handed out; returns the params of every leased trial.
std::vector<InternalParams> LeaseAndFinishInParallel(
    StudyManager& manager, const std::string& study, int threads,
    const std::function<double(const InternalParams&)>& objective) {
  std::mutex mu;
  std::vector<InternalParams> seen;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (;;) {
        auto leased = manager.LeaseTrial("w" + std::to_string(t), {}, NoWait());
        ASSERT_TRUE(leased.ok()) << leased.status();
        if (!leased->has_value()) return;
        const Trial& trial = (*leased)->trial;
        {
          std::lock_guard lock(mu);
          seen.push_back(trial.params);
        }
        FinishRequest finish;
        finish.values = {objective(trial.params)};
        finish.lease = KeyOf(**leased);
        ASSERT_TRUE(manager.FinishTrial(study, trial.number, finish).ok());
      }
    });
  }
  for (auto& worker : workers) worker.join();
  return seen;
}

TEST_F(StudyManagerTest, ParallelGridLeasesNeverShareACellAndCompleteTheStudy) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("grid", SamplerKind::kGrid)).ok());
  constexpr int kCells = 4 * 3 * 5;
  const std::vector<InternalParams> seen =
      LeaseAndFinishInParallel(*manager_, "grid", 16, [](const InternalParams&) { return 1.0; });
  ASSERT_EQ(seen.size(), kCells);
  EXPECT_EQ(std::set<InternalParams>(seen.begin(), seen.end()).size(), kCells);
  StudySummary summary = *manager_->GetStudy("grid");
  EXPECT_EQ(summary.study.state, StudyState::kCompleted);
  EXPECT_EQ(summary.count(TrialState::kComplete), kCells);
  EXPECT_EQ(manager_->Ask("grid", "late").status().code(), absl::StatusCode::kFailedPrecondition);
}

// TPE with skip_duplicates over the same 60 discrete cells: concurrent workers never get a
// configuration that another trial has, running or finished, down to the last free cell.
TEST_F(StudyManagerTest, SkipDuplicatesGivesConcurrentTpeWorkersDistinctConfigurations) {
  StudySpec spec = MakeSpec("tpe", SamplerKind::kGrid, /*max_trials=*/60);
  spec.sampler.kind = SamplerKind::kTpe;
  spec.sampler.skip_duplicates = true;
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  const std::vector<InternalParams> seen = LeaseAndFinishInParallel(
      *manager_, "tpe", 8, [](const InternalParams& p) { return p.at("a") + p.at("c"); });
  ASSERT_EQ(seen.size(), 60u);
  EXPECT_EQ(std::set<InternalParams>(seen.begin(), seen.end()).size(), 60u);
  EXPECT_EQ(manager_->GetStudy("tpe")->study.state, StudyState::kCompleted);
}

TEST_F(StudyManagerTest, StoppedStudyHandsOutNothingAndAsksWorkersToStop) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  const LeaseKey lease = KeyOf(*manager_->Ask("s", "w1"));
  EXPECT_EQ(manager_->StopStudy("s")->study.state, StudyState::kStopped);

  EXPECT_TRUE(manager_->Heartbeat("s", 0, lease)->stop);
  EXPECT_TRUE(manager_->ReportIntermediate("s", 0, lease, 3, 0.5, {})->stop);
  absl::Status asked = manager_->Ask("s", "w2").status();
  EXPECT_EQ(asked.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(asked.message()), HasSubstr("STOPPED"));
  EXPECT_FALSE(manager_->LeaseTrial("w2", {}, NoWait())->has_value());
  EXPECT_EQ(manager_->StopStudy("s").status().code(), absl::StatusCode::kFailedPrecondition);
  // The running trial may still report its result.
  FinishRequest finish{TrialState::kComplete, {1.0}, {}, lease, false, {}, ""};
  EXPECT_EQ(manager_->FinishTrial("s", 0, finish)->state, TrialState::kComplete);
}

// Issue 14 (pruners): the median pruner, from the stored history, answers prune to a trial worse
// than the completed ones; finished PRUNED it keeps its intermediate values and metrics, takes its
// last value, and counts as finished for the study. A restarted manager decides the same.
TEST_F(StudyManagerTest, MedianPrunerPrunesAWorseTrialAgainstCompletedHistory) {
  StudySpec spec = MakeSpec("s", SamplerKind::kRandom);
  spec.pruner = {.kind = PrunerKind::kMedian, .percentile = {.n_startup_trials = 2}};
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  for (int64_t n : {0, 1}) {  // two COMPLETE trials at 0.2 and 0.4 after step 0 (median 0.3)
    const LeaseKey lease = KeyOf(*manager_->Ask("s", "w"));
    IntermediateResult early = *manager_->ReportIntermediate("s", n, lease, 0, 0.2 * (n + 1), {});
    EXPECT_FALSE(early.prune) << "fewer than n_startup_trials COMPLETE trials";
    FinishRequest done{TrialState::kComplete, {0.1}, {}, lease, false, {}, ""};
    ASSERT_TRUE(manager_->FinishTrial("s", n, done).ok());
  }
  const LeaseKey good = KeyOf(*manager_->Ask("s", "w"));
  IntermediateResult kept = *manager_->ReportIntermediate("s", 2, good, 0, 0.25, {});
  EXPECT_FALSE(kept.prune) << "0.25 beats the median 0.3 (minimise)";
  EXPECT_FALSE(kept.stop);

  const LeaseKey bad = KeyOf(*manager_->Ask("s", "w"));
  IntermediateResult judged =
      *manager_->ReportIntermediate("s", 3, bad, 0, 0.9, {{"accuracy", 0.1}});
  EXPECT_TRUE(judged.prune);
  EXPECT_FALSE(judged.stop) << "prune is told apart from a stopped study";

  // A restarted manager (same storage) reaches the same decision from the stored history.
  std::unique_ptr<StudyManager> restarted = *StudyManager::Create(storage_.get(), &clock_);
  EXPECT_TRUE(restarted->ReportIntermediate("s", 3, bad, 0, 0.9, {})->prune);
  EXPECT_FALSE(restarted->ReportIntermediate("s", 2, good, 0, 0.25, {})->prune);

  FinishRequest pruned{TrialState::kPruned, {}, {{"model_size_bytes", 1234}}, bad, false, {}, ""};
  absl::StatusOr<Trial> trial = restarted->FinishTrial("s", 3, pruned);
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_EQ(trial->state, TrialState::kPruned);
  EXPECT_EQ(trial->values, std::vector<double>{0.9});
  EXPECT_EQ(trial->intermediate_values, (std::map<int64_t, double>{{0, 0.9}}));
  EXPECT_THAT(trial->user_attrs["metrics"], HasSubstr("model_size_bytes"));
  EXPECT_THAT(trial->user_attrs["intermediate/0"], HasSubstr("accuracy"));
  EXPECT_EQ(restarted->GetStudy("s")->count(TrialState::kPruned), 1);
}

// Successive halving stores its rung values (system attrs completed_rung_<k>) with the report,
// as Optuna does, so that later trials compete against them.
TEST_F(StudyManagerTest, SuccessiveHalvingStoresRungValuesWithTheReport) {
  StudySpec spec = MakeSpec("s", SamplerKind::kRandom);
  spec.pruner = {.kind = PrunerKind::kSuccessiveHalving,
                 .successive_halving = {.min_resource = 1, .reduction_factor = 2}};
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  const LeaseKey first = KeyOf(*manager_->Ask("s", "w"));
  EXPECT_FALSE(manager_->ReportIntermediate("s", 0, first, 1, 0.5, {})->prune);
  EXPECT_EQ(manager_->GetTrial("s", 0)->system_attrs["completed_rung_0"], "0.5");
  const LeaseKey second = KeyOf(*manager_->Ask("s", "w"));
  EXPECT_TRUE(manager_->ReportIntermediate("s", 1, second, 1, 0.75, {})->prune);
}

TEST_F(StudyManagerTest, MaxTrialsCompletesTheStudy) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom, 2)).ok());
  ASSERT_TRUE(manager_->Ask("s", "a").ok());
  ASSERT_TRUE(manager_->Ask("s", "b").ok());
  EXPECT_EQ(manager_->Ask("s", "c").status().code(), absl::StatusCode::kResourceExhausted);
  FinishRequest fail{TrialState::kFail, {}, {}, std::nullopt, false, {}, "oom"};
  EXPECT_EQ(manager_->FinishTrial("s", 0, fail)->system_attrs["fail_reason"], "\"oom\"");
  ASSERT_TRUE(manager_->Ask("s", "c").ok());  // the failure freed a slot
  for (int64_t n : {1, 2}) {
    FinishRequest done{std::nullopt, {0.0}, {}, std::nullopt, false, {}, ""};
    ASSERT_TRUE(manager_->FinishTrial("s", n, done).ok());
  }
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kCompleted);
}

// Asks a trial of study "s" and tells it FAIL with `reason`, or COMPLETE when `reason` is empty.
void AskAndFinish(StudyManager& manager, FakeClock& clock, const std::string& reason) {
  absl::StatusOr<LeasedTrial> asked = manager.Ask("s", "client");
  ASSERT_TRUE(asked.ok()) << asked.status();
  clock.AdvanceMicros(1000);
  FinishRequest tell{TrialState::kComplete, {1.0}};
  if (!reason.empty()) tell = FinishRequest{TrialState::kFail, {}, {}, {}, false, {}, reason};
  ASSERT_TRUE(manager.FinishTrial("s", asked->trial.number, tell).ok());
}

TEST_F(StudyManagerTest, ConsecutiveFailuresStopTheStudyWithTheReason) {
  StudySpec spec = MakeSpec("s", SamplerKind::kRandom);
  spec.max_consecutive_failures = 3;
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  for (const char* reason : {"oom", "oom", "", "nan loss", "nan loss"}) {
    AskAndFinish(*manager_, clock_, reason);
  }
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kRunning);  // the success reset

  // A restart recounts the failures in a row from the stored trials.
  manager_ = *StudyManager::Create(storage_.get(), &clock_);
  AskAndFinish(*manager_, clock_, "CUDA error: device-side assert");
  const Study stopped = manager_->GetStudy("s")->study;
  EXPECT_EQ(stopped.state, StudyState::kStopped);
  EXPECT_EQ(stopped.system_attrs.at("stop_reason"),
            R"("the last 3 trials failed in a row (max_consecutive_failures 3); last reason: )"
            R"(CUDA error: device-side assert")");
  EXPECT_EQ(storage_->GetStudy(stopped.id)->system_attrs, stopped.system_attrs);
  EXPECT_EQ(storage_->GetStudy(stopped.id)->state, StudyState::kStopped);
  EXPECT_EQ(manager_->Ask("s", "client").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StudyManagerTest, ResumeClearsTheStopReasonAndTheFailureCountAcrossARestart) {
  StudySpec spec = MakeSpec("s", SamplerKind::kRandom);
  spec.max_consecutive_failures = 3;
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  absl::Status running = manager_->ResumeStudy("s", std::nullopt).status();
  EXPECT_EQ(running.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(running.message()), HasSubstr("RUNNING; nothing to resume"));
  for (int i = 0; i < 3; ++i) AskAndFinish(*manager_, clock_, "oom");
  ASSERT_EQ(manager_->GetStudy("s")->study.state, StudyState::kStopped);

  clock_.AdvanceMicros(1000);
  const StudySummary resumed = *manager_->ResumeStudy("s", std::nullopt);
  EXPECT_EQ(resumed.study.state, StudyState::kRunning);
  EXPECT_FALSE(resumed.study.system_attrs.contains("stop_reason"));
  const Study stored = *storage_->GetStudy(resumed.study.id);
  EXPECT_EQ(stored.state, StudyState::kRunning);
  EXPECT_EQ(stored.system_attrs, resumed.study.system_attrs);
  AskAndFinish(*manager_, clock_, "oom");  // 1 failure since the resume
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kRunning);

  // A restart counts only the failures after the resume: 1, so two more stop the study.
  manager_ = *StudyManager::Create(storage_.get(), &clock_);
  AskAndFinish(*manager_, clock_, "oom");
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kRunning);
  AskAndFinish(*manager_, clock_, "oom");
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kStopped);
}

TEST_F(StudyManagerTest, ExtendRaisesMaxTrialsOfACompletedStudyAndRefusesLowerOnes) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom, 2)).ok());
  for (int i = 0; i < 2; ++i) AskAndFinish(*manager_, clock_, "");
  ASSERT_EQ(manager_->GetStudy("s")->study.state, StudyState::kCompleted);
  const std::vector<std::pair<std::optional<int64_t>, std::string>> refusals = {
      {std::nullopt, "max_trials: study 's' has finished 2 trials"},
      {2, "max_trials: study 's' has finished 2 trials"},
      {1, "max_trials: 1 is below the 2 trials"},
      {-1, "max_trials: must be >= 0"},
  };
  for (const auto& [max_trials, message] : refusals) {
    const absl::Status status = manager_->ResumeStudy("s", max_trials).status();
    EXPECT_THAT(std::string(status.message()), HasSubstr(message));
    EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kCompleted);
  }

  const StudySummary extended = *manager_->ResumeStudy("s", 3);
  EXPECT_EQ(extended.study.state, StudyState::kRunning);
  EXPECT_EQ(extended.study.spec.max_trials, 3);
  EXPECT_EQ(storage_->GetStudy(extended.study.id)->spec.max_trials, 3);
  AskAndFinish(*manager_, clock_, "");
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kCompleted);  // at 3 now

  // A RUNNING study: unlimited, then lowered to its count, which completes it.
  ASSERT_TRUE(manager_->ResumeStudy("s", 0).ok());
  AskAndFinish(*manager_, clock_, "");
  EXPECT_EQ(manager_->ResumeStudy("s", 4)->study.state, StudyState::kCompleted);
}

TEST_F(StudyManagerTest, AnExhaustedGridStudyCannotBeResumed) {
  StudySpec spec = MakeSpec("s", SamplerKind::kGrid);
  spec.space = *SearchSpace::Create({{"a", IntDistribution{0, 1, false, 1}, {}}});
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  for (int i = 0; i < 2; ++i) AskAndFinish(*manager_, clock_, "");
  ASSERT_EQ(manager_->GetStudy("s")->study.state, StudyState::kCompleted);
  for (std::optional<int64_t> max_trials : {std::optional<int64_t>(), std::optional<int64_t>(10)}) {
    const absl::Status status = manager_->ResumeStudy("s", max_trials).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(status.message()), HasSubstr("every grid cell has been tried"));
  }
}

TEST_F(StudyManagerTest, ExhaustedLeasesCountAsFailuresAndZeroNeverStops) {
  StudySpec spec = MakeSpec("s", SamplerKind::kRandom);
  spec.max_retries = 0;
  spec.max_consecutive_failures = 2;
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  ASSERT_TRUE(manager_->Ask("s", "w1").ok());
  ASSERT_TRUE(manager_->Ask("s", "w2").ok());
  ExpireLeases(2);
  const Study stopped = manager_->GetStudy("s")->study;
  EXPECT_EQ(stopped.state, StudyState::kStopped);
  EXPECT_THAT(stopped.system_attrs.at("stop_reason"), HasSubstr("expired"));

  spec.name = "never";
  spec.max_consecutive_failures = 0;
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(manager_->Ask("never", "w").ok());
    FinishRequest fail{TrialState::kFail};
    ASSERT_TRUE(manager_->FinishTrial("never", i, fail).ok());
  }
  EXPECT_EQ(manager_->GetStudy("never")->study.state, StudyState::kRunning);
}

struct TellCase {
  std::string name;
  std::optional<TrialState> state;
  std::vector<double> values;
  absl::StatusCode code;
  TrialState stored;  // when OK
};

class TellTest : public StudyManagerTest, public ::testing::WithParamInterface<TellCase> {};

TEST_P(TellTest, FollowsOptunaRules) {
  const TellCase& c = GetParam();
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  const LeaseKey lease = KeyOf(*manager_->Ask("s", "w"));
  ASSERT_TRUE(manager_->ReportIntermediate("s", 0, lease, 4, 0.75, {}).ok());
  FinishRequest request{c.state, c.values, {}, std::nullopt, false, {}, ""};
  absl::StatusOr<Trial> told = manager_->FinishTrial("s", 0, request);
  ASSERT_EQ(told.status().code(), c.code) << told.status();
  if (!told.ok()) {
    EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kRunning);
    return;
  }
  EXPECT_EQ(told->state, c.stored);
  if (c.stored == TrialState::kPruned) {
    EXPECT_EQ(told->values, std::vector<double>{0.75});
  }
  if (c.stored == TrialState::kFail && !c.values.empty()) {
    EXPECT_FALSE(told->system_attrs["fail_reason"].empty());
  }
  // A finished trial cannot be told again, unless skip_if_finished.
  absl::Status again = manager_->FinishTrial("s", 0, request).status();
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.message()),
              HasSubstr(absl::StrCat("Cannot tell a ", TrialStateName(c.stored), " trial.")));
  request.skip_if_finished = true;
  EXPECT_EQ(manager_->FinishTrial("s", 0, request)->state, c.stored);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TellTest,
    ::testing::Values(TellCase{"ValuesImplyComplete",
                               std::nullopt,
                               {0.5},
                               absl::StatusCode::kOk,
                               TrialState::kComplete},
                      TellCase{"NoValuesNoState",
                               std::nullopt,
                               {},
                               absl::StatusCode::kInvalidArgument,
                               TrialState::kRunning},
                      TellCase{"CompleteWithoutValues",
                               TrialState::kComplete,
                               {},
                               absl::StatusCode::kInvalidArgument,
                               TrialState::kRunning},
                      TellCase{"PrunedWithValues",
                               TrialState::kPruned,
                               {1.0},
                               absl::StatusCode::kInvalidArgument,
                               TrialState::kRunning},
                      TellCase{"FailWithValues",
                               TrialState::kFail,
                               {1.0},
                               absl::StatusCode::kInvalidArgument,
                               TrialState::kRunning},
                      TellCase{"TellWaiting",
                               TrialState::kWaiting,
                               {},
                               absl::StatusCode::kInvalidArgument,
                               TrialState::kRunning},
                      TellCase{"PrunedTakesLastIntermediate",
                               TrialState::kPruned,
                               {},
                               absl::StatusCode::kOk,
                               TrialState::kPruned},
                      TellCase{"NanBecomesFail",
                               TrialState::kComplete,
                               {std::nan("")},
                               absl::StatusCode::kOk,
                               TrialState::kFail},
                      TellCase{"WrongCountBecomesFail",
                               TrialState::kComplete,
                               {1.0, 2.0},
                               absl::StatusCode::kOk,
                               TrialState::kFail},
                      TellCase{
                          "Fail", TrialState::kFail, {}, absl::StatusCode::kOk, TrialState::kFail}),
    [](const auto& info) { return info.param.name; });

TEST_F(StudyManagerTest, LeaseTrialLongPollWakesWhenAStudyAppears) {
  std::thread creator([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(manager_->CreateStudy(MakeSpec("late", SamplerKind::kRandom)).ok());
  });
  auto leased =
      manager_->LeaseTrial("w", {}, std::chrono::steady_clock::now() + std::chrono::seconds(20));
  creator.join();
  ASSERT_TRUE(leased.ok()) << leased.status();
  ASSERT_TRUE(leased->has_value());
  EXPECT_EQ((*leased)->study, "late");
}

TEST_F(StudyManagerTest, LeaseFilterSelectsStudiesByNameAndTaskKind) {
  StudySpec bert = MakeSpec("bert", SamplerKind::kRandom);
  bert.task_json = R"({"kind": "bert-classify"})";
  ASSERT_TRUE(manager_->CreateStudy(bert).ok());
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("plain", SamplerKind::kRandom)).ok());
  for (int i = 0; i < 3; ++i) {
    auto by_kind = *manager_->LeaseTrial("w", {{"bert-classify"}, {}}, NoWait());
    ASSERT_TRUE(by_kind.has_value());
    EXPECT_EQ(by_kind->study, "bert");
    EXPECT_EQ(by_kind->task_json, bert.task_json);
    auto by_name = *manager_->LeaseTrial("w", {{}, {"plain"}}, NoWait());
    ASSERT_TRUE(by_name.has_value());
    EXPECT_EQ(by_name->study, "plain");
  }
  EXPECT_FALSE(manager_->LeaseTrial("w", {{"other"}, {}}, NoWait())->has_value());
}

TEST_F(StudyManagerTest, LeasedTrialsRecordTheWorkerAndItsLabels) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("labelled", SamplerKind::kRandom)).ok());
  auto leased = manager_->LeaseTrial("gpu-box-7", {}, NoWait(),
                                     {{"device", "cuda:1"}, {"gpu_name", "NVIDIA H100"}});
  ASSERT_TRUE(leased.ok() && leased->has_value()) << leased.status();
  auto stored = manager_->GetTrial("labelled", (*leased)->trial.number);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(
      nlohmann::json::parse(stored->system_attrs.at("worker")),
      nlohmann::json({{"id", "gpu-box-7"}, {"device", "cuda:1"}, {"gpu_name", "NVIDIA H100"}}));

  auto asked = manager_->Ask("labelled", "notebook");
  ASSERT_TRUE(asked.ok()) << asked.status();
  EXPECT_EQ(nlohmann::json::parse(asked->trial.system_attrs.at("worker")),
            nlohmann::json({{"id", "notebook"}}));
}

TEST_F(StudyManagerTest, BestTrialsIsTheBestOrTheParetoFront) {
  StudySpec multi = MakeSpec("multi", SamplerKind::kRandom);
  multi.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize};
  ASSERT_TRUE(manager_->CreateStudy(multi).ok());
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("single", SamplerKind::kRandom)).ok());
  const std::vector<std::vector<double>> results = {{1, 1}, {2, 3}, {3, 2}, {0, 0}};
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(manager_->Ask("multi", "w").ok());
    ASSERT_TRUE(manager_->FinishTrial("multi", i, {std::nullopt, results[i]}).ok());
    ASSERT_TRUE(manager_->Ask("single", "w").ok());
    ASSERT_TRUE(manager_->FinishTrial("single", i, {std::nullopt, {results[i][1]}}).ok());
  }
  std::vector<int64_t> front;
  std::vector<Trial> pareto = *manager_->BestTrials("multi");
  for (const Trial& t : pareto) front.push_back(t.number);
  EXPECT_EQ(front, (std::vector<int64_t>{0, 1, 3}));
  std::vector<Trial> best = *manager_->BestTrials("single");
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].number, 3);
}

// ZDT1 with 6 variables (both objectives minimised; the Pareto front is f2 = 1 - sqrt(f1) at
// x2..x6 = 0), run through Ask and FinishTrial.
double RunZdt1(StudyManager& manager, SamplerKind kind, int trials) {
  std::vector<ParamSpec> params;
  for (int i = 0; i < 6; ++i) {
    params.push_back({absl::StrCat("x", i), FloatDistribution{0.0, 1.0, false, std::nullopt}, {}});
  }
  StudySpec spec = MakeSpec(absl::StrCat("zdt1-", SamplerKindName(kind)), kind);
  spec.directions = {StudyDirection::kMinimize, StudyDirection::kMinimize};
  spec.space = *SearchSpace::Create(std::move(params));
  spec.sampler.nsga2.population_size = 20;
  EXPECT_TRUE(manager.CreateStudy(spec).ok());
  for (int n = 0; n < trials; ++n) {
    absl::StatusOr<LeasedTrial> asked = manager.Ask(spec.name, "w");
    EXPECT_TRUE(asked.ok()) << asked.status();
    const InternalParams& x = asked->trial.params;
    double sum = 0.0;
    for (int i = 1; i < 6; ++i) sum += x.at(absl::StrCat("x", i));
    const double f1 = x.at("x0"), g = 1.0 + 9.0 * sum / 5.0;
    EXPECT_TRUE(
        manager.FinishTrial(spec.name, n, {std::nullopt, {f1, g * (1.0 - std::sqrt(f1 / g))}})
            .ok());
  }
  const absl::StatusOr<std::vector<Trial>> best = manager.BestTrials(spec.name);
  EXPECT_TRUE(best.ok()) << best.status();
  std::vector<std::vector<double>> front;
  for (const Trial& t : *best) front.push_back(t.values);
  const std::vector<double> reference = {1.1, 10.0};
  return *Hypervolume(front, reference);
}

TEST_F(StudyManagerTest, Nsga2ReachesAHigherHypervolumeThanRandomOnZdt1) {
  const double nsga2 = RunZdt1(*manager_, SamplerKind::kNsga2, 300);
  const double random = RunZdt1(*manager_, SamplerKind::kRandom, 300);
  // The best possible is about 10.67 (reference (1.1, 10)).
  RecordProperty("nsga2_hypervolume", absl::StrCat(nsga2));
  RecordProperty("random_hypervolume", absl::StrCat(random));
  EXPECT_GT(nsga2, random) << "nsga2 " << nsga2 << ", random " << random;
}

TEST_F(StudyManagerTest, UnknownStudiesAndTrialsAreNotFound) {
  EXPECT_EQ(manager_->GetStudy("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Ask("nope", "w").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  EXPECT_EQ(manager_->GetTrial("s", 5).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(manager_->DeleteStudy("s").ok());
  EXPECT_EQ(manager_->GetStudy("s").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(manager_->ListStudies().empty());
}

// Outcome constraints are stored as the system attrs core/pareto.h reads; bad ones are refused
// naming the constraint and change nothing.
TEST_F(StudyManagerTest, FinishTrialStoresOutcomeConstraints) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kTpe)).ok());
  ASSERT_TRUE(manager_->Ask("s", "w").ok());
  FinishRequest tell{std::nullopt, {0.5}};
  tell.constraints = {{"memory", std::nan("")}};
  absl::Status refused = manager_->FinishTrial("s", 0, tell).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("constraints.memory"));
  tell.constraints = {{"", 1.0}};
  EXPECT_THAT(std::string(manager_->FinishTrial("s", 0, tell).status().message()),
              HasSubstr("constraints.: empty name"));
  EXPECT_EQ(manager_->GetTrial("s", 0)->state, TrialState::kRunning);
  tell.constraints = {{"memory", 2.5}, {"latency", -1.0}};
  const Trial told = *manager_->FinishTrial("s", 0, tell);
  EXPECT_EQ(told.system_attrs.at("constraints:memory"), "2.5");
  EXPECT_THAT(*TrialConstraints(*manager_->GetTrial("s", 0)), ::testing::ElementsAre(-1.0, 2.5));
}

// The values of param "x" of `trial`.
double XOf(const Trial& trial) { return trial.params.at("x"); }

TEST_F(StudyManagerTest, EnqueuedTrialsRunBeforeSampledOnesInOrder) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kTpe, 4)).ok());
  ASSERT_TRUE(manager_->Ask("s", "w").ok());  // trial 0, sampled
  const Trial first = *manager_->EnqueueTrial("s", {{"x", 0.25}});
  EXPECT_EQ(first.number, 1);
  EXPECT_EQ(first.state, TrialState::kWaiting);
  EXPECT_EQ(manager_->EnqueueTrial("s", {{"x", int64_t{-1}}})->number, 2);  // an int is a number
  EXPECT_EQ(manager_->GetStudy("s")->count(TrialState::kWaiting), 2);
  const LeasedTrial a = *manager_->Ask("s", "w");
  const LeasedTrial b = *manager_->Ask("s", "w");
  EXPECT_EQ(a.trial.number, 1);
  EXPECT_EQ(XOf(a.trial), 0.25);
  EXPECT_EQ(a.trial.lease->epoch, 1);
  EXPECT_EQ(b.trial.number, 2);
  EXPECT_EQ(XOf(b.trial), -1.0);
  // max_trials 4 is now taken by three RUNNING trials and one more enqueued.
  ASSERT_TRUE(manager_->EnqueueTrial("s", {{"x", 0.5}}).ok());
  absl::Status full = manager_->EnqueueTrial("s", {{"x", 0.5}}).status();
  EXPECT_EQ(full.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(full.message()), HasSubstr("max_trials (4)"));
  for (int64_t n : {0, 1, 2})
    ASSERT_TRUE(manager_->FinishTrial("s", n, {std::nullopt, {1.0}}).ok());
  EXPECT_EQ(XOf(manager_->Ask("s", "w")->trial), 0.5);
  ASSERT_TRUE(manager_->FinishTrial("s", 3, {std::nullopt, {1.0}}).ok());
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kCompleted);  // counted
  EXPECT_THAT(std::string(manager_->EnqueueTrial("s", {{"x", 0.5}}).status().message()),
              HasSubstr("COMPLETED"));
}

TEST_F(StudyManagerTest, EnqueueRefusesParamsTheSpaceDoesNotAdmitNamingThem) {
  StudySpec spec = MakeSpec("g", SamplerKind::kGrid);  // the grid spec's space: a, b, c
  spec.sampler.kind = SamplerKind::kRandom;
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  const std::vector<std::pair<std::map<std::string, ParamValue>, std::string>> cases = {
      {{{"a", int64_t{1}}, {"b", std::string("x")}, {"c", 0.25}, {"z", 1.0}},
       "params.z: the study's search space has no such param"},
      {{{"a", int64_t{7}}, {"b", std::string("x")}, {"c", 0.25}}, "params.a: value 7"},
      {{{"a", int64_t{1}}, {"b", std::string("w")}, {"c", 0.25}}, "params.b: value 'w'"},
      {{{"a", int64_t{1}}, {"b", std::string("x")}, {"c", 0.3}}, "params.c: value 0.3"},
      {{{"a", int64_t{1}}, {"b", 2.0}, {"c", 0.25}}, "params.b"},
      {{{"a", int64_t{1}}, {"c", 0.25}}, "params: param 'b': active but missing"},
  };
  for (const auto& [params, message] : cases) {
    const absl::Status status = manager_->EnqueueTrial("g", params).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(std::string(status.message()), HasSubstr(message));
  }
  EXPECT_TRUE(manager_->ListTrials("g")->empty());
  EXPECT_EQ(manager_->EnqueueTrial("nope", {}).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("grid", SamplerKind::kGrid)).ok());
  const absl::Status grid =
      manager_->EnqueueTrial("grid", {{"a", int64_t{1}}, {"b", std::string("x")}, {"c", 0.25}})
          .status();
  EXPECT_EQ(grid.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(grid.message()), HasSubstr("grid sampler"));
}

TEST_F(StudyManagerTest, TrialsShareOneDistributionsMapAcrossARestart) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", SamplerKind::kTpe)).ok());
  ASSERT_TRUE(manager_->Ask("s", "w").ok());
  ASSERT_TRUE(manager_->EnqueueTrial("s", {{"x", 0.25}}).ok());
  ASSERT_TRUE(manager_->Ask("s", "w").ok());  // the enqueued trial
  ASSERT_TRUE(manager_->Ask("s", "w").ok());  // a sampled one
  const std::vector<Trial> cached = *manager_->ListTrials("s");
  ASSERT_EQ(cached.size(), 3u);
  const Trial& first = cached[0];
  EXPECT_EQ(first.distributions,
            TrialDistributions({{"x", FloatDistribution{-1.0, 1.0, false, std::nullopt}}}));
  for (const Trial& t : cached) EXPECT_TRUE(t.distributions.SharesMapWith(first.distributions));
  // The storage holds the same map, not a copy.
  const std::vector<Trial> stored = *storage_->GetAllTrials(manager_->GetStudy("s")->study.id);
  EXPECT_TRUE(stored[2].distributions.SharesMapWith(first.distributions));

  manager_ = *StudyManager::Create(storage_.get(), &clock_);
  const Trial asked = manager_->Ask("s", "w")->trial;
  EXPECT_EQ(asked.number, 3);
  const std::vector<Trial> loaded = *manager_->ListTrials("s");
  ASSERT_EQ(loaded.size(), 4u);
  for (const Trial& t : loaded) {
    EXPECT_TRUE(t.distributions.SharesMapWith(asked.distributions)) << t.number;
  }
}

TEST(StudyManagerRestart, NewManagerOverSameSqliteFileResumes) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("nasq_restart_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);
  FakeClock clock;
  Lease running_lease;
  {
    auto storage = *OpenSqliteStorage(path);
    auto manager = *StudyManager::Create(storage.get(), &clock);
    ASSERT_TRUE(manager->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
    ASSERT_TRUE(manager->Ask("s", "w").ok());
    running_lease = *manager->Ask("s", "w")->trial.lease;
    ASSERT_TRUE(manager->FinishTrial("s", 0, {std::nullopt, {0.5}}).ok());
  }
  auto storage = *OpenSqliteStorage(path);
  auto manager = *StudyManager::Create(storage.get(), &clock);
  Trial running = *manager->GetTrial("s", 1);
  EXPECT_EQ(running.state, TrialState::kRunning);
  EXPECT_EQ(running.lease, running_lease);  // token and kind included
  EXPECT_EQ(running_lease.token.size(), 32u);
  EXPECT_EQ(manager->Heartbeat("s", 1, {running_lease.epoch, std::string(32, 'f')}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(manager->GetTrial("s", 0)->values, std::vector<double>{0.5});
  EXPECT_EQ(manager->Ask("s", "w2")->trial.number, 2);
  EXPECT_TRUE(manager->Heartbeat("s", 1, {running_lease.epoch, running_lease.token}).ok());
  clock.AdvanceMicros(kLeaseMs * 1000 + 1);
  EXPECT_EQ(*manager->ReapExpiredLeases(), 2);
  EXPECT_EQ(manager->GetTrial("s", 1)->state, TrialState::kWaiting);
  manager.reset();
  storage.reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(StudyManagerRestart, EnqueuedTrialsSurviveARestartInOrder) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("nasq_enqueue_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);
  FakeClock clock;
  {
    auto storage = *OpenSqliteStorage(path);
    auto manager = *StudyManager::Create(storage.get(), &clock);
    ASSERT_TRUE(manager->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
    for (double x : {0.75, -0.25}) ASSERT_TRUE(manager->EnqueueTrial("s", {{"x", x}}).ok());
  }
  {
    auto storage = *OpenSqliteStorage(path);
    auto manager = *StudyManager::Create(storage.get(), &clock);
    EXPECT_EQ(manager->GetStudy("s")->count(TrialState::kWaiting), 2);
    EXPECT_EQ(XOf(manager->Ask("s", "w")->trial), 0.75);
    EXPECT_EQ(XOf(manager->Ask("s", "w")->trial), -0.25);
    EXPECT_EQ(manager->Ask("s", "w")->trial.number, 2);  // then sampled trials
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// A fresh SQLite path for this test and process, without leftovers.
std::string FreshDbPath(const std::string& stem) {
  const std::string path =
      (std::filesystem::temp_directory_path() / absl::StrCat("nasq_", stem, "_", ::getpid(), ".db"))
          .string();
  RemoveDb(path);
  return path;
}

// Asks and tells `per_thread` trials of study "s" from each of `threads` threads; calls
// `acknowledged(number)` after each successful tell, whose value is number * 0.5.
void AskTellLoop(StudyManager& manager, int threads, int per_thread,
                 const std::function<void(int64_t)>& acknowledged) {
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        absl::StatusOr<LeasedTrial> leased = manager.Ask("s", absl::StrCat("w", t));
        ASSERT_TRUE(leased.ok()) << leased.status();
        FinishRequest tell;
        tell.values = {static_cast<double>(leased->trial.number) * 0.5};
        tell.lease = KeyOf(*leased);
        absl::StatusOr<Trial> told = manager.FinishTrial("s", leased->trial.number, tell);
        ASSERT_TRUE(told.ok()) << told.status();
        acknowledged(leased->trial.number);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
}

// Every acknowledged trial is stored COMPLETE with its value; numbers are dense; at most
// `unacknowledged_max` trials exist beyond the acknowledged ones.
void ExpectDurable(const std::string& path, const std::set<int64_t>& acknowledged,
                   size_t unacknowledged_max) {
  auto storage = *OpenSqliteStorage(path);
  FakeClock clock;
  auto manager = *StudyManager::Create(storage.get(), &clock);
  absl::StatusOr<std::vector<Trial>> trials = manager->ListTrials("s");
  ASSERT_TRUE(trials.ok()) << trials.status();
  EXPECT_GE(trials->size(), acknowledged.size());
  EXPECT_LE(trials->size(), acknowledged.size() + unacknowledged_max);
  for (size_t n = 0; n < trials->size(); ++n)
    EXPECT_EQ((*trials)[n].number, static_cast<int64_t>(n));
  for (int64_t number : acknowledged) {
    ASSERT_LT(number, static_cast<int64_t>(trials->size()));
    const Trial& trial = (*trials)[number];
    EXPECT_EQ(trial.state, TrialState::kComplete) << "trial " << number;
    EXPECT_EQ(trial.values, std::vector<double>{static_cast<double>(number) * 0.5});
  }
}

TEST(StudyManagerDurability, ConcurrentCompletionsAreAllStoredAfterReopen) {
  const std::string path = FreshDbPath("concurrent");
  std::set<int64_t> acknowledged;
  {
    auto storage = *OpenSqliteStorage(path);
    auto manager = *StudyManager::Create(storage.get(), RealClock::Default());
    ASSERT_TRUE(manager->CreateStudy(MakeSpec("s", SamplerKind::kTpe)).ok());
    std::mutex mu;
    AskTellLoop(*manager, /*threads=*/8, /*per_thread=*/15, [&](int64_t number) {
      std::lock_guard lock(mu);
      EXPECT_TRUE(acknowledged.insert(number).second) << "number handed out twice: " << number;
    });
  }
  ASSERT_EQ(acknowledged.size(), 8u * 15u);
  ExpectDurable(path, acknowledged, 0);
  RemoveDb(path);
}

TEST(StudyManagerDurability, SigkillLosesNoAcknowledgedResult) {
  const std::string path = FreshDbPath("sigkill");
  constexpr int kThreads = 8;
  {
    auto storage = *OpenSqliteStorage(path);
    auto manager = *StudyManager::Create(storage.get(), RealClock::Default());
    ASSERT_TRUE(manager->CreateStudy(MakeSpec("s", SamplerKind::kRandom)).ok());
  }  // no connection is open across fork()
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the child acknowledges results through the pipe until it is killed
    close(fds[0]);
    auto storage = *OpenSqliteStorage(path);
    auto manager = *StudyManager::Create(storage.get(), RealClock::Default());
    AskTellLoop(*manager, kThreads, 1 << 30, [&](int64_t number) {
      if (write(fds[1], &number, sizeof(number)) != sizeof(number)) _exit(3);
    });
    _exit(2);
  }
  close(fds[1]);
  std::set<int64_t> acknowledged;
  int64_t number = 0;
  while (acknowledged.size() < 200 &&
         read(fds[0], &number, sizeof(number)) == static_cast<ssize_t>(sizeof(number))) {
    acknowledged.insert(number);
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited early with " << WEXITSTATUS(wstatus);
  while (read(fds[0], &number, sizeof(number)) == static_cast<ssize_t>(sizeof(number))) {
    acknowledged.insert(number);
  }
  close(fds[0]);
  // Each thread may have one trial in flight (asked but not told, or told but not reported).
  ExpectDurable(path, acknowledged, kThreads);
  RemoveDb(path);
}

}  // namespace
}  // namespace nasq
