// Tests of StudyManager's fail-stop path (server/study_manager.h, storage/storage.h): a write
// fails the way a failing disk fails it (tests/storage/fault_injecting_storage.h), at every
// point of a scripted run, over the in-memory and the SQLite storage. Afterwards nothing
// acknowledged is lost, the manager shows exactly what Storage holds (no half-written trial),
// a restarted manager agrees, and writes work again once the disk does.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/study_manager.h"
#include "storage/memory_storage.h"
#include "storage/sqlite_storage.h"
#include "tests/storage/fault_injecting_storage.h"
#include "tests/storage/storage_test_util.h"

namespace nasq {
namespace {

using ::nasq::testing::ExpectSameTrial;
using ::nasq::testing::FaultInjectingStorage;

StudySpec Spec() {
  StudySpec spec;
  spec.name = "s";
  spec.directions = {StudyDirection::kMinimize};
  spec.space = *SearchSpace::Create({{"x", FloatDistribution{-1.0, 1.0, false, std::nullopt}, {}}});
  spec.sampler.kind = SamplerKind::kRandom;
  spec.sampler.seed = 7;
  spec.lease_duration_ms = 1000;
  return spec;
}

LeaseKey KeyOf(const LeasedTrial& leased) {
  return LeaseKey{leased.trial.lease->epoch, leased.trial.lease->token};
}

// What the script's acknowledged calls promise about the stored study.
struct Acknowledged {
  std::vector<std::function<void(Storage&, int64_t study_id)>> checks;
};

// Runs a study through ask/tell, a worker's lease with reports, a failure and a stop; records
// a check for every call that answered OK. Calls after a failed one go on (they may fail too).
void RunScript(StudyManager& manager, Acknowledged& acked) {
  // The trial exists and, when `state` is set, is finished so (a leased trial may finish later).
  auto trial_is = [&](int64_t number, std::optional<TrialState> state, std::vector<double> values) {
    acked.checks.push_back([=](Storage& storage, int64_t study_id) {
      absl::StatusOr<Trial> t = storage.GetTrialByNumber(study_id, number);
      ASSERT_TRUE(t.ok()) << "acknowledged trial " << number << " is lost: " << t.status();
      if (!state) return;
      EXPECT_EQ(t->state, *state) << "trial " << number;
      EXPECT_EQ(t->values, values) << "trial " << number;
    });
  };
  absl::StatusOr<LeasedTrial> asked = manager.Ask("s", "client");
  if (asked.ok()) {
    trial_is(asked->trial.number, std::nullopt, {});
    FinishRequest tell;
    tell.values = {1.0};
    absl::StatusOr<Trial> told = manager.FinishTrial("s", asked->trial.number, tell);
    if (told.ok()) trial_is(told->number, TrialState::kComplete, {1.0});
  }
  absl::StatusOr<std::optional<LeasedTrial>> leased =
      manager.LeaseTrial("w", {}, std::chrono::steady_clock::now());
  if (leased.ok() && leased->has_value()) {
    const LeasedTrial& lt = **leased;
    trial_is(lt.trial.number, std::nullopt, {});
    if (manager.ReportIntermediate("s", lt.trial.number, KeyOf(lt), 0, 0.5, {}).ok()) {
      acked.checks.push_back([number = lt.trial.number](Storage& storage, int64_t study_id) {
        absl::StatusOr<Trial> t = storage.GetTrialByNumber(study_id, number);
        ASSERT_TRUE(t.ok()) << t.status();
        EXPECT_EQ(t->intermediate_values.count(0), 1u) << "acknowledged report lost";
      });
    }
    manager.Heartbeat("s", lt.trial.number, KeyOf(lt)).IgnoreError();
    FinishRequest done;
    done.values = {2.0};
    done.lease = KeyOf(lt);
    absl::StatusOr<Trial> finished = manager.FinishTrial("s", lt.trial.number, done);
    if (finished.ok()) trial_is(finished->number, TrialState::kComplete, {2.0});
  }
  absl::StatusOr<LeasedTrial> failing = manager.Ask("s", "client");
  if (failing.ok()) {
    FinishRequest fail;
    fail.state = TrialState::kFail;
    fail.fail_reason = "diverged";
    absl::StatusOr<Trial> failed = manager.FinishTrial("s", failing->trial.number, fail);
    if (failed.ok()) trial_is(failed->number, TrialState::kFail, {});
  }
  if (manager.StopStudy("s").ok()) {
    acked.checks.push_back([](Storage& storage, int64_t study_id) {
      absl::StatusOr<Study> study = storage.GetStudy(study_id);
      ASSERT_TRUE(study.ok()) << study.status();
      EXPECT_EQ(study->state, StudyState::kStopped) << "acknowledged stop lost";
    });
  }
}

// The manager's view of study "s" equals what `storage` holds.
void ExpectManagerShowsStorage(StudyManager& manager, Storage& storage, int64_t study_id) {
  absl::StatusOr<std::vector<Trial>> shown = manager.ListTrials("s");
  absl::StatusOr<std::vector<Trial>> stored = storage.GetAllTrials(study_id);
  ASSERT_TRUE(shown.ok()) << shown.status();
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(shown->size(), stored->size());
  for (size_t i = 0; i < shown->size(); ++i) ExpectSameTrial((*stored)[i], (*shown)[i]);
  absl::StatusOr<StudySummary> summary = manager.GetStudy("s");
  absl::StatusOr<Study> study = storage.GetStudy(study_id);
  ASSERT_TRUE(summary.ok()) << summary.status();
  ASSERT_TRUE(study.ok()) << study.status();
  EXPECT_EQ(summary->study.state, study->state);
  EXPECT_EQ(summary->study.system_attrs, study->system_attrs);
}

class StudyManagerFaultTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      path_ = ::nasq::testing::TempDbPath("manager_fault");
      base_ = *OpenSqliteStorage(path_);
    } else {
      base_ = NewMemoryStorage();
    }
    storage_ = std::make_unique<FaultInjectingStorage>(base_.get());
  }
  void TearDown() override {
    storage_.reset();
    base_.reset();
    if (!path_.empty()) ::nasq::testing::RemoveDbFiles(path_);
  }
  // A manager that re-reads Storage at the first call after a failure.
  std::unique_ptr<StudyManager> NewManager() {
    StudyManagerOptions options;
    options.commit_retry_ms = 0;
    absl::StatusOr<std::unique_ptr<StudyManager>> manager =
        StudyManager::Create(storage_.get(), &clock_, options);
    EXPECT_TRUE(manager.ok()) << manager.status();
    return manager.ok() ? *std::move(manager) : nullptr;
  }

  FakeClock clock_;
  std::string path_;
  std::unique_ptr<Storage> base_;
  std::unique_ptr<FaultInjectingStorage> storage_;
};

TEST_P(StudyManagerFaultTest, EveryFailedWriteKeepsTheAcknowledgedStateAndRecovers) {
  // The writes of a run without faults: the fault is then placed before each of them in turn.
  int64_t total = 0;
  {
    std::unique_ptr<StudyManager> manager = NewManager();
    ASSERT_TRUE(manager->CreateStudy(Spec()).ok());
    const int64_t before = storage_->writes();
    Acknowledged acked;
    RunScript(*manager, acked);
    total = storage_->writes() - before;
    ASSERT_GT(total, 5);
    ASSERT_TRUE(manager->DeleteStudy("s").ok());
  }
  for (int64_t k = 0; k < total; ++k) {
    SCOPED_TRACE(::testing::Message() << "write " << k << " of " << total << " fails");
    std::unique_ptr<StudyManager> manager = NewManager();
    absl::StatusOr<StudySummary> created = manager->CreateStudy(Spec());
    ASSERT_TRUE(created.ok()) << created.status();
    const int64_t study_id = created->study.id;
    const int64_t failures = storage_->CommitFailures();
    storage_->FailWrites(k, 1);
    Acknowledged acked;
    RunScript(*manager, acked);
    EXPECT_EQ(storage_->CommitFailures(), failures + 1);

    for (const auto& check : acked.checks) check(*storage_, study_id);
    ExpectManagerShowsStorage(*manager, *storage_, study_id);
    std::unique_ptr<StudyManager> restarted = NewManager();
    ExpectManagerShowsStorage(*restarted, *storage_, study_id);
    // Writes work again.
    EXPECT_TRUE(manager->DeleteStudy("s").ok());
    EXPECT_TRUE(manager->StorageHealth().ok()) << manager->StorageHealth();
  }
}

TEST_P(StudyManagerFaultTest, WhileTheDiskFailsWritesAreRefusedAndReadsShowTheDurableState) {
  std::unique_ptr<StudyManager> manager = NewManager();
  ASSERT_TRUE(manager->CreateStudy(Spec()).ok());
  absl::StatusOr<LeasedTrial> asked = manager->Ask("s", "client");
  ASSERT_TRUE(asked.ok()) << asked.status();

  storage_->FailWrites(0);  // the disk stays full
  FinishRequest tell;
  tell.values = {1.0};
  EXPECT_EQ(manager->FinishTrial("s", asked->trial.number, tell).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(manager->StorageHealth().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(manager->Ask("s", "client").status().code(), absl::StatusCode::kUnavailable);
  absl::StatusOr<Trial> trial = manager->GetTrial("s", asked->trial.number);
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_EQ(trial->state, TrialState::kRunning);  // the refused tell changed nothing
  absl::StatusOr<std::vector<Trial>> trials = manager->ListTrials("s");
  ASSERT_TRUE(trials.ok()) << trials.status();
  EXPECT_EQ(trials->size(), 1u);  // the refused ask created nothing

  storage_->Heal();
  absl::StatusOr<Trial> told = manager->FinishTrial("s", asked->trial.number, tell);
  ASSERT_TRUE(told.ok()) << told.status();
  EXPECT_EQ(told->state, TrialState::kComplete);
  EXPECT_TRUE(manager->StorageHealth().ok()) << manager->StorageHealth();
}

INSTANTIATE_TEST_SUITE_P(Storages, StudyManagerFaultTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sqlite" : "Memory"; });

}  // namespace
}  // namespace nasq
