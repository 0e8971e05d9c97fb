// Fused groups (issue 17): StudyManager::LeaseTrial with max_trials > 1 leases trials whose
// fusion keys (task/fusion_key.h) equal the first's: WAITING trials first, lowest number first,
// then sampled ones; sampled trials of another shape stay WAITING and are leased later; the
// request's and the study's max_trials hold; and every member of a group keeps a lease of its
// own, renewed, finished and expired alone. The keys are recomputed here from the task
// (BindTrialParams, FusionKey), independently of server/fusion_keys.cc.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/study_manager.h"
#include "storage/memory_storage.h"
#include "task/fusion_key.h"
#include "task/param_binding.h"
#include "task/task_spec.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kLeaseMs = 1000;

// A one-layer model: quantised, then trained. Its hidden_size fixes its shape (part of the
// fusion key); quant.width does not (each member has its own quantisers).
constexpr char kTask[] = R"({"kind": "bert-classify",
  "model": {"num_layers": 1, "num_heads": 2, "intermediate_size": 32},
  "stages": [{"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4},
             {"stage": "train", "epochs": 1}]})";

// A study of kTask over quant.width and, when `nas`, hidden_size in {16, 32}.
StudySpec FusedSpec(const std::string& name, bool nas, int64_t max_trials = 0) {
  std::vector<ParamSpec> params;
  params.push_back(
      {"quant.width", CategoricalDistribution{{int64_t{4}, int64_t{6}, int64_t{8}}}, {}});
  if (nas) {
    params.push_back({"hidden_size", CategoricalDistribution{{int64_t{16}, int64_t{32}}}, {}});
  }
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMaximize};
  spec.space = *SearchSpace::Create(std::move(params));
  spec.sampler.kind = SamplerKind::kRandom;
  spec.sampler.seed = 5;
  spec.max_trials = max_trials;
  spec.max_retries = 1;
  spec.lease_duration_ms = kLeaseMs;
  spec.heartbeat_interval_ms = 100;
  spec.task_json = kTask;
  return spec;
}

// The fusion key of `trial`, recomputed from the task.
std::string KeyOf(const Trial& trial) {
  ExternalParams params;
  for (const auto& [name, value] : trial.params) params[name] = *trial.ExternalParam(name);
  absl::StatusOr<TaskSpec> bound = BindTrialParams(*ParseTaskSpec(kTask), params);
  EXPECT_TRUE(bound.ok()) << bound.status();
  return bound.ok() ? FusionKey(*bound) : "";
}

LeaseKey KeyOfLease(const Trial& trial) { return {trial.lease->epoch, trial.lease->token}; }

// The group's trials, the first first.
std::vector<Trial> Members(const LeasedTrial& leased) {
  std::vector<Trial> members = {leased.trial};
  members.insert(members.end(), leased.fused.begin(), leased.fused.end());
  return members;
}

std::vector<int64_t> Numbers(const std::vector<Trial>& trials) {
  std::vector<int64_t> numbers;
  for (const Trial& t : trials) numbers.push_back(t.number);
  return numbers;
}

class FusedLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    manager_ = *StudyManager::Create(storage_.get(), &clock_);
  }

  // LeaseTrial for up to `max_trials` without waiting; expects a trial.
  LeasedTrial Lease(int max_trials, const std::string& worker = "w") {
    absl::StatusOr<std::optional<LeasedTrial>> leased = manager_->LeaseTrial(
        worker, {}, std::chrono::steady_clock::now(), {{"device", "cpu"}}, max_trials);
    EXPECT_TRUE(leased.ok()) << leased.status();
    EXPECT_TRUE(leased.ok() && leased->has_value());
    return leased.ok() && leased->has_value() ? **leased : LeasedTrial{};
  }

  std::vector<Trial> Trials(const std::string& study, TrialState state) {
    return *manager_->ListTrials(study, {state});
  }

  void Enqueue(const std::string& study, int64_t hidden_size, int64_t width) {
    ASSERT_TRUE(
        manager_->EnqueueTrial(study, {{"hidden_size", hidden_size}, {"quant.width", width}}).ok());
  }

  FakeClock clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
};

TEST_F(FusedLeaseTest, PrecisionStudyLeasesAFullGroupEachWithItsOwnLease) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("mp", false)).ok());
  const LeasedTrial leased = Lease(4);
  const std::vector<Trial> members = Members(leased);
  ASSERT_EQ(members.size(), 4u);
  EXPECT_THAT(Numbers(members), ElementsAre(0, 1, 2, 3));
  std::set<std::string> tokens;
  for (const Trial& t : members) {
    EXPECT_EQ(t.state, TrialState::kRunning);
    ASSERT_TRUE(t.lease.has_value());
    EXPECT_EQ(t.lease->epoch, 1);
    EXPECT_EQ(t.lease->worker_id, "w");
    EXPECT_EQ(t.lease->deadline_us, clock_.NowMicros() + kLeaseMs * 1000);
    tokens.insert(t.lease->token);
    EXPECT_EQ(KeyOf(t), KeyOf(members.front()));
    EXPECT_EQ(nlohmann::json::parse(t.system_attrs.at(kFusedAttr)),
              nlohmann::json::parse(R"({"group": [0, 1, 2, 3], "size": 4})"));
    EXPECT_THAT(t.system_attrs.at("worker"), HasSubstr("\"device\":\"cpu\""));
    // Stored as handed out.
    EXPECT_EQ(manager_->GetTrial("mp", t.number)->system_attrs, t.system_attrs);
  }
  EXPECT_EQ(tokens.size(), 4u);
  EXPECT_TRUE(Trials("mp", TrialState::kWaiting).empty());
}

TEST_F(FusedLeaseTest, OneOrZeroLeasesOneTrialWithoutTheFusedAttr) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("mp", false)).ok());
  for (int max_trials : {0, 1}) {
    const LeasedTrial leased = Lease(max_trials);
    EXPECT_TRUE(leased.fused.empty());
    EXPECT_EQ(leased.trial.system_attrs.count(kFusedAttr), 0u);
  }
  EXPECT_EQ(manager_->ListTrials("mp", {})->size(), 2u);
}

TEST_F(FusedLeaseTest, MaxTrialsOutsideItsBoundsIsRefusedNamingTheField) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("mp", false)).ok());
  for (int max_trials : {-1, kMaxFusedTrials + 1}) {
    absl::StatusOr<std::optional<LeasedTrial>> leased =
        manager_->LeaseTrial("w", {}, std::chrono::steady_clock::now(), {}, max_trials);
    EXPECT_EQ(leased.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(leased.status().message(), HasSubstr("max_trials"));
  }
  EXPECT_TRUE(manager_->ListTrials("mp", {})->empty());
}

TEST_F(FusedLeaseTest, WaitingTrialsOfTheFirstsShapeComeFirstLowestNumberFirst) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("nas", true, 5)).ok());
  Enqueue("nas", 32, 4);  // 0
  Enqueue("nas", 16, 4);  // 1
  Enqueue("nas", 32, 6);  // 2
  Enqueue("nas", 16, 8);  // 3
  Enqueue("nas", 32, 8);  // 4
  const LeasedTrial wide = Lease(8);
  EXPECT_THAT(Numbers(Members(wide)), ElementsAre(0, 2, 4));
  const LeasedTrial narrow = Lease(8);
  EXPECT_THAT(Numbers(Members(narrow)), ElementsAre(1, 3));
  EXPECT_NE(KeyOf(wide.trial), KeyOf(narrow.trial));
  // The study's max_trials (5) is taken: nothing was sampled, nothing is left.
  EXPECT_EQ(manager_->ListTrials("nas", {})->size(), 5u);
  EXPECT_FALSE(manager_->LeaseTrial("w", {}, std::chrono::steady_clock::now(), {}, 8)->has_value());
}

TEST_F(FusedLeaseTest, ARestartedManagerGroupsTheStoredWaitingTrials) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("nas", true, 4)).ok());
  Enqueue("nas", 16, 4);
  Enqueue("nas", 32, 4);
  Enqueue("nas", 16, 8);
  Enqueue("nas", 32, 8);
  manager_.reset();
  manager_ = *StudyManager::Create(storage_.get(), &clock_);
  EXPECT_THAT(Numbers(Members(Lease(4))), ElementsAre(0, 2));
  EXPECT_THAT(Numbers(Members(Lease(4))), ElementsAre(1, 3));
}

TEST_F(FusedLeaseTest, SampledTrialsOfAnotherShapeStayWaitingAndAreLeasedLater) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("nas", true)).ok());
  const LeasedTrial first = Lease(4);
  const std::vector<Trial> group = Members(first);
  const std::string key = KeyOf(first.trial);
  for (const Trial& t : group) EXPECT_EQ(KeyOf(t), key);
  const std::vector<Trial> waiting = Trials("nas", TrialState::kWaiting);
  ASSERT_FALSE(waiting.empty()) << "seed 5 samples both shapes";
  for (const Trial& t : waiting) {
    EXPECT_NE(KeyOf(t), key);
    EXPECT_EQ(t.system_attrs.count(kFusedAttr), 0u);
  }
  // One trial leased, at most 2 * 4 sampled after it, every trial either in the group or WAITING.
  const size_t created = manager_->ListTrials("nas", {})->size();
  EXPECT_LE(created, 1u + 2 * 4);
  EXPECT_EQ(created, group.size() + waiting.size());

  // The next lease starts with the lowest WAITING trial and groups the other WAITING ones.
  const LeasedTrial second = Lease(static_cast<int>(waiting.size()));
  EXPECT_THAT(Numbers(Members(second)), ::testing::ElementsAreArray(Numbers(waiting)));
  EXPECT_TRUE(Trials("nas", TrialState::kWaiting).empty());
}

TEST_F(FusedLeaseTest, SamplingStopsAfterTwiceTheGroupSize) {
  // A space of many shapes: hidden_size 16..128 by 16 gives 8 shapes; groups of 2 sample at most
  // 4 trials after the first.
  StudySpec spec = FusedSpec("many", false);
  std::vector<ParamSpec> params = {{"hidden_size", IntDistribution{16, 128, false, 16}, {}}};
  spec.space = *SearchSpace::Create(std::move(params));
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  const LeasedTrial leased = Lease(2);
  EXPECT_LE(manager_->ListTrials("many", {})->size(), 1u + 2 * 2);
  EXPECT_LE(leased.fused.size(), 1u);
}

TEST_F(FusedLeaseTest, TheStudysMaxTrialsBoundsTheGroup) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("mp", false, 3)).ok());
  EXPECT_EQ(Members(Lease(8)).size(), 3u);
  EXPECT_EQ(manager_->ListTrials("mp", {})->size(), 3u);
  EXPECT_FALSE(manager_->LeaseTrial("w", {}, std::chrono::steady_clock::now(), {}, 8)->has_value());
}

TEST_F(FusedLeaseTest, TheRequestsMaxTrialsBoundsTheGroup) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("mp", false)).ok());
  EXPECT_THAT(Numbers(Members(Lease(2))), ElementsAre(0, 1));
  EXPECT_THAT(Numbers(Members(Lease(3))), ElementsAre(2, 3, 4));
}

TEST_F(FusedLeaseTest, ATaskWithoutAFusionKeyLeasesOneTrial) {
  StudySpec spec = FusedSpec("prune", false);
  spec.task_json = R"({"kind": "bert-classify",
    "model": {"num_layers": 1, "num_heads": 2, "intermediate_size": 32},
    "stages": [{"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4},
               {"stage": "prune", "sparsity": 0.5}, {"stage": "train", "epochs": 1}]})";
  ASSERT_TRUE(ParseTaskSpec(spec.task_json).ok());  // a valid task, only not fusable
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  EXPECT_TRUE(Lease(4).fused.empty());
  EXPECT_EQ(manager_->ListTrials("prune", {})->size(), 1u);
}

TEST_F(FusedLeaseTest, MembersAreRenewedFinishedAndExpiredAlone) {
  ASSERT_TRUE(manager_->CreateStudy(FusedSpec("mp", false)).ok());
  const std::vector<Trial> m = Members(Lease(4));
  ASSERT_EQ(m.size(), 4u);
  // Fencing: a member's lease does not open another member.
  absl::StatusOr<HeartbeatResult> crossed = manager_->Heartbeat("mp", 1, KeyOfLease(m[0]));
  EXPECT_EQ(crossed.status().code(), absl::StatusCode::kFailedPrecondition);

  FinishRequest complete;
  complete.values = {0.9};
  complete.lease = KeyOfLease(m[0]);
  EXPECT_EQ(manager_->FinishTrial("mp", 0, complete)->state, TrialState::kComplete);
  FinishRequest fail;
  fail.state = TrialState::kFail;
  fail.lease = KeyOfLease(m[1]);
  fail.fail_reason = "loss is NaN";
  EXPECT_EQ(manager_->FinishTrial("mp", 1, fail)->state, TrialState::kFail);
  // Halfway through the lease only member 2 reports; then every unrenewed lease expires.
  clock_.AdvanceMicros(kLeaseMs * 1000 / 2);
  ASSERT_TRUE(manager_->ReportIntermediate("mp", 2, KeyOfLease(m[2]), 0, 0.5, {}).ok());
  clock_.AdvanceMicros(kLeaseMs * 1000 / 2 + 1);
  EXPECT_EQ(*manager_->ReapExpiredLeases(), 1);
  EXPECT_EQ(manager_->GetTrial("mp", 2)->state, TrialState::kRunning);
  const Trial requeued = *manager_->GetTrial("mp", 3);
  EXPECT_EQ(requeued.state, TrialState::kWaiting);
  EXPECT_EQ(requeued.attempt, 2);
  EXPECT_EQ(requeued.params, m[3].params);
  EXPECT_EQ(manager_->GetTrial("mp", 0)->state, TrialState::kComplete);
  EXPECT_EQ(manager_->GetTrial("mp", 1)->state, TrialState::kFail);
  // Member 3's old lease is fenced off; member 2's still works.
  EXPECT_EQ(manager_->Heartbeat("mp", 3, KeyOfLease(m[3])).status().code(),
            absl::StatusCode::kFailedPrecondition);
  complete.lease = KeyOfLease(m[2]);
  EXPECT_EQ(manager_->FinishTrial("mp", 2, complete)->state, TrialState::kComplete);
  // The re-queued member is leased again, first, with epoch 2.
  const LeasedTrial again = Lease(2);
  EXPECT_EQ(again.trial.number, 3);
  EXPECT_EQ(again.trial.lease->epoch, 2);
}

}  // namespace
}  // namespace nasq
