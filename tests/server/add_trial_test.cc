// Tests of StudyManager::AddTrial (server/study_manager.h): finished trials made elsewhere,
// stored with their data, checked like EnqueueTrial (params) and Tell (values), and seen by the
// sampler as history.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/study_manager.h"
#include "storage/memory_storage.h"
#include "storage/sqlite_storage.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kStartUs = 1'600'000'000'000'000;

StudySpec MakeSpec(SamplerKind kind, int objectives = 1) {
  std::vector<ParamSpec> params;
  params.push_back({"x", FloatDistribution{-1.0, 1.0, false, std::nullopt}, {}});
  params.push_back(
      {"act", CategoricalDistribution{{std::string("relu"), std::string("gelu")}}, {}});
  StudySpec spec;
  spec.name = "s";
  spec.directions.assign(objectives, StudyDirection::kMinimize);
  spec.space = *SearchSpace::Create(std::move(params));
  spec.sampler.kind = kind;
  spec.sampler.seed = 3;
  spec.sampler.tpe.n_startup_trials = 5;
  return spec;
}

AddedTrial Complete(double x, double value) {
  AddedTrial added;
  added.params = {{"x", x}, {"act", std::string("gelu")}};
  added.values = {value};
  return added;
}

class AddTrialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    manager_ = *StudyManager::Create(storage_.get(), &clock_);
  }
  void Create(const StudySpec& spec) { ASSERT_TRUE(manager_->CreateStudy(spec).ok()); }
  absl::Status Refusal(AddedTrial added) { return manager_->AddTrial("s", added).status(); }

  FakeClock clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
};

TEST_F(AddTrialTest, StoresAFinishedTrialWithItsDataThatListTrialsReturns) {
  Create(MakeSpec(SamplerKind::kTpe));
  AddedTrial added = Complete(0.25, 1.5);
  added.intermediate_values = {{0, 3.0}, {4, std::numeric_limits<double>::quiet_NaN()}};
  added.user_attrs = {{"metrics", R"({"acc":0.9})"}};
  added.system_attrs = {{"worker", R"({"id":"w1"})"}};
  added.datetime_start_us = kStartUs;
  added.datetime_complete_us = kStartUs + 5'000'000;
  ASSERT_TRUE(manager_->AddTrial("s", added).ok());
  AddedTrial untimed = Complete(-0.5, 2.0);
  ASSERT_TRUE(manager_->AddTrial("s", untimed).ok());

  const std::vector<Trial> trials = *manager_->ListTrials("s");
  ASSERT_EQ(trials.size(), 2u);
  const Trial& t = trials[0];
  EXPECT_EQ(t.number, 0);
  EXPECT_EQ(t.state, TrialState::kComplete);
  EXPECT_EQ(t.params.at("x"), 0.25);
  EXPECT_EQ(t.params.at("act"), 1.0);  // internal: the index of "gelu"
  EXPECT_EQ(t.values, std::vector<double>{1.5});
  ASSERT_EQ(t.intermediate_values.size(), 2u);
  EXPECT_EQ(t.intermediate_values.at(0), 3.0);
  EXPECT_TRUE(std::isnan(t.intermediate_values.at(4)));
  EXPECT_EQ(t.user_attrs, added.user_attrs);
  EXPECT_EQ(t.system_attrs, added.system_attrs);
  EXPECT_EQ(t.datetime_start_us, kStartUs);
  EXPECT_EQ(t.datetime_complete_us, kStartUs + 5'000'000);
  EXPECT_FALSE(t.lease.has_value());
  // Times default to now (start = complete).
  EXPECT_EQ(trials[1].number, 1);
  EXPECT_EQ(trials[1].datetime_complete_us, clock_.NowMicros());
  EXPECT_EQ(trials[1].datetime_start_us, clock_.NowMicros());
  // The best trial is the added one, and the next asked trial is numbered after them.
  EXPECT_EQ(manager_->BestTrials("s")->at(0).number, 0);
  EXPECT_EQ(manager_->Ask("s", "client")->trial.number, 2);
}

TEST_F(AddTrialTest, RefusesParamsAndValuesNamingTheField) {
  Create(MakeSpec(SamplerKind::kRandom, /*objectives=*/2));
  AddedTrial good = Complete(0.5, 1.0);
  good.values = {1.0, 2.0};
  ASSERT_TRUE(manager_->AddTrial("s", good).ok());

  struct Case {
    const char* what;
    AddedTrial added;
    const char* message;
  };
  std::vector<Case> cases;
  auto with = [&](auto change) {
    AddedTrial t = good;
    change(t);
    return t;
  };
  cases.push_back({"unknown param", with([](AddedTrial& t) { t.params["w"] = 1.0; }),
                   "params.w: the study's search space has no such param"});
  cases.push_back({"outside", with([](AddedTrial& t) { t.params["x"] = 2.0; }), "params.x"});
  cases.push_back(
      {"choice", with([](AddedTrial& t) { t.params["act"] = std::string("tanh"); }), "params.act"});
  cases.push_back({"missing", with([](AddedTrial& t) { t.params.erase("act"); }), "params: "});
  cases.push_back(
      {"one value of two", with([](AddedTrial& t) { t.values = {1.0}; }), "trial.values"});
  cases.push_back({"NaN", with([](AddedTrial& t) {
                     t.values = {1.0, std::numeric_limits<double>::quiet_NaN()};
                   }),
                   "trial.values: NaN"});
  cases.push_back({"pruned with values in a two-objective study",
                   with([](AddedTrial& t) { t.state = TrialState::kPruned; }),
                   "trial.values: a PRUNED trial"});
  cases.push_back({"fail with values", with([](AddedTrial& t) { t.state = TrialState::kFail; }),
                   "trial.values: a FAIL trial holds no values"});
  cases.push_back(
      {"running", with([](AddedTrial& t) { t.state = TrialState::kRunning; }), "trial.state"});
  cases.push_back({"negative step", with([](AddedTrial& t) {
                     t.intermediate_values = {{-1, 0.5}};
                   }),
                   "trial.intermediate_values: step -1"});
  cases.push_back({"attr not JSON", with([](AddedTrial& t) {
                     t.user_attrs = {{"note", "plain text"}};
                   }),
                   "trial.user_attrs.note: not JSON text"});
  for (const Case& c : cases) {
    const absl::Status status = Refusal(c.added);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << c.what << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.what;
  }
  EXPECT_EQ(manager_->ListTrials("s")->size(), 1u) << "a refused trial is not stored";

  // A FAIL trial may hold a subset of the params (its objective failed before suggesting all).
  AddedTrial failed;
  failed.state = TrialState::kFail;
  failed.params = {{"x", 0.0}};
  ASSERT_TRUE(manager_->AddTrial("s", failed).ok());
  EXPECT_EQ(manager_->ListTrials("s")->back().params.size(), 1u);
}

TEST_F(AddTrialTest, PrunedTakesItsValueOrTheLastIntermediateOne) {
  Create(MakeSpec(SamplerKind::kTpe));
  AddedTrial pruned = Complete(0.1, 0.7);
  pruned.state = TrialState::kPruned;
  EXPECT_EQ(manager_->AddTrial("s", pruned)->values, std::vector<double>{0.7});
  pruned.values.clear();
  pruned.intermediate_values = {{1, 0.9}, {3, 0.4}};
  EXPECT_EQ(manager_->AddTrial("s", pruned)->values, std::vector<double>{0.4});
}

TEST_F(AddTrialTest, GridStudiesRefuseIt) {
  StudySpec spec = MakeSpec(SamplerKind::kGrid);
  spec.space = *SearchSpace::Create({{"a", IntDistribution{0, 3, false, 1}, {}}});
  Create(spec);
  AddedTrial added;
  added.params = {{"a", int64_t{1}}};
  added.values = {1.0};
  EXPECT_TRUE(absl::IsFailedPrecondition(Refusal(added))) << Refusal(added);
}

TEST_F(AddTrialTest, CompletesTheStudyAtMaxTrials) {
  StudySpec spec = MakeSpec(SamplerKind::kTpe);
  spec.max_trials = 2;
  Create(spec);
  ASSERT_TRUE(manager_->AddTrial("s", Complete(0.1, 1.0)).ok());
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kRunning);
  ASSERT_TRUE(manager_->AddTrial("s", Complete(0.2, 1.0)).ok());
  EXPECT_EQ(manager_->GetStudy("s")->study.state, StudyState::kCompleted);
}

// Warm start: with good added trials near x = -0.9 and bad ones spread over [0, 1], TPE (past its
// 5 startup trials only thanks to them) samples near -0.9; without them it would still sample
// uniformly, about a quarter below -0.5.
TEST_F(AddTrialTest, TpeLearnsFromAddedTrials) {
  Create(MakeSpec(SamplerKind::kTpe));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(manager_->AddTrial("s", Complete(-0.95 + 0.01 * i, 0.0)).ok());
    ASSERT_TRUE(manager_->AddTrial("s", Complete(0.1 * i, 1.0 + i)).ok());
  }
  int near = 0;
  constexpr int kAsks = 20;
  for (int i = 0; i < kAsks; ++i) {
    absl::StatusOr<LeasedTrial> asked = manager_->Ask("s", "client");
    ASSERT_TRUE(asked.ok()) << asked.status();
    if (asked->trial.params.at("x") < -0.5) ++near;
  }
  EXPECT_GE(near, 16) << near << " of " << kAsks << " asked trials near the good corner";
}

TEST(AddTrialRestart, AddedTrialsSurviveARestartOverSqlite) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("nasq_add_trial_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);
  FakeClock clock;
  {
    auto storage = *OpenSqliteStorage(path);
    auto manager = *StudyManager::Create(storage.get(), &clock);
    ASSERT_TRUE(manager->CreateStudy(MakeSpec(SamplerKind::kTpe)).ok());
    AddedTrial added = Complete(0.5, 2.5);
    added.intermediate_values = {{2, 1.0}};
    added.user_attrs = {{"note", R"("imported")"}};
    added.datetime_start_us = kStartUs;
    ASSERT_TRUE(manager->AddTrial("s", added).ok());
  }
  auto storage = *OpenSqliteStorage(path);
  auto manager = *StudyManager::Create(storage.get(), &clock);
  const std::vector<Trial> trials = *manager->ListTrials("s");
  ASSERT_EQ(trials.size(), 1u);
  EXPECT_EQ(trials[0].state, TrialState::kComplete);
  EXPECT_EQ(trials[0].params.at("x"), 0.5);
  EXPECT_EQ(trials[0].values, std::vector<double>{2.5});
  EXPECT_EQ(trials[0].intermediate_values.at(2), 1.0);
  EXPECT_EQ(trials[0].user_attrs.at("note"), R"("imported")");
  EXPECT_EQ(trials[0].datetime_start_us, kStartUs);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace nasq
