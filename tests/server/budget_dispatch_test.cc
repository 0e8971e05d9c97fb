// Budgets checked before dispatch (issue 14, acceptance 2): a StudyManager with a real
// bert-classify task and an avg_bitwidth budget never dispatches a trial that breaks it, for the
// TPE, random and grid samplers; the grid completes after exactly its feasible cells; an
// all-infeasible budget is reported without dispatching anything. Every dispatched trial is
// checked against the cost model recomputed here (task/cost_model.h), independently of
// server/trial_cost.cc.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/study_manager.h"
#include "server/task_validation.h"
#include "storage/memory_storage.h"
#include "storage/sqlite_storage.h"
#include "task/cost_model.h"
#include "task/param_binding.h"
#include "task/task_spec.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

// A randomly initialised bert-tiny on the spam-assassin data (2 labels): every Linear layer is
// integer with the searched width, except the four big feed-forward layers, each fp32 or
// integer. The all-integer model averages `width` bits and each fp32 feed-forward layer adds
// about 4, so avg_bitwidth <= 12 keeps at most one of them fp32: 10 of the 32 cells.
constexpr char kTask[] = R"({"kind": "bert-classify",
  "stages": [{"stage": "quantise", "type": "integer", "width": 8, "frac_width": 2},
             {"stage": "train", "epochs": 1}]})";
const std::vector<std::string> kLayerParams = {
    "layer0.intermediate.dense.type", "layer0.output.dense.type", "layer1.intermediate.dense.type",
    "layer1.output.dense.type"};
constexpr double kMaxAvgBitwidth = 12;
constexpr int kCells = 32;

StudySpec BudgetSpec(const std::string& name, SamplerKind kind, double max_avg_bitwidth) {
  std::vector<ParamSpec> params;
  for (const std::string& layer : kLayerParams) {
    params.push_back(
        {layer, CategoricalDistribution{{std::string("linear"), std::string("integer")}}, {}});
  }
  params.push_back({"quant.width", CategoricalDistribution{{int64_t{6}, int64_t{8}}}, {}});
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMaximize};
  spec.metric_names = {"accuracy"};
  spec.space = *SearchSpace::Create(std::move(params));
  spec.sampler.kind = kind;
  spec.sampler.seed = 3;
  spec.sampler.tpe.n_startup_trials = 5;
  spec.task_json = kTask;
  spec.budgets["avg_bitwidth"] = Budget{.max = max_avg_bitwidth};
  return spec;
}

// The cost metrics of `params` (internal values of spec's space), computed from the task
// directly: bert-tiny with the default built vocabulary (8000) and spam-assassin's 2 labels.
std::map<std::string, double> ModelCost(const StudySpec& spec, const InternalParams& params) {
  ExternalParams external;
  for (const auto& [name, value] : params) {
    external[name] = ToExternal(spec.space.Find(name)->distribution, value);
  }
  absl::StatusOr<TaskSpec> bound = BindTrialParams(*ParseTaskSpec(spec.task_json), external);
  EXPECT_TRUE(bound.ok()) << bound.status();
  BertArchitecture base;
  base.dimensions.vocab_size = 8000;
  base.dimensions.num_labels = 2;
  absl::StatusOr<CostEstimate> estimate = EstimateCost(*bound, base);
  EXPECT_TRUE(estimate.ok()) << estimate.status();
  return estimate.ok() ? estimate->metrics : std::map<std::string, double>{};
}

// Every cell of the space, by enumeration.
std::vector<InternalParams> AllCells(const StudySpec& spec) {
  std::vector<InternalParams> cells(1);
  for (const ParamSpec& param : spec.space.params()) {
    std::vector<InternalParams> next;
    for (const InternalParams& cell : cells) {
      for (double index : {0.0, 1.0}) {
        InternalParams extended = cell;
        extended[param.name] = index;
        next.push_back(extended);
      }
    }
    cells = std::move(next);
  }
  return cells;
}

class BudgetDispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    manager_ = *StudyManager::Create(storage_.get(), &clock_);
  }

  // Asks a trial, checks it against the budget with the model and its cost attrs, completes it.
  // Returns its params, or nullopt when Ask refused (the status in *refused).
  std::optional<InternalParams> DispatchOne(const StudySpec& spec, absl::Status* refused) {
    absl::StatusOr<LeasedTrial> leased = manager_->Ask(spec.name, "w");
    if (!leased.ok()) {
      *refused = leased.status();
      return std::nullopt;
    }
    const Trial& trial = leased->trial;
    const std::map<std::string, double> cost = ModelCost(spec, trial.params);
    if (cost.at("avg_bitwidth") > spec.budgets.at("avg_bitwidth").max.value()) ++violations_;
    for (const auto& [metric, value] : cost) {
      auto attr = trial.system_attrs.find("cost:" + metric);
      if (attr == trial.system_attrs.end()) {
        ADD_FAILURE() << "trial " << trial.number << " lacks cost:" << metric;
        continue;
      }
      EXPECT_DOUBLE_EQ(nlohmann::json::parse(attr->second).get<double>(), value) << metric;
    }
    FinishRequest finish;
    finish.values = {-cost.at("avg_bitwidth")};  // draws the model towards the budget's edge
    EXPECT_TRUE(manager_->FinishTrial(spec.name, trial.number, finish).ok());
    return trial.params;
  }

  FakeClock clock_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
  int violations_ = 0;
};

TEST_F(BudgetDispatchTest, TheCellsOfTheTestSpaceMixFeasibleAndInfeasible) {
  const StudySpec spec = BudgetSpec("s", SamplerKind::kGrid, kMaxAvgBitwidth);
  int feasible = 0;
  for (const InternalParams& cell : AllCells(spec)) {
    feasible += ModelCost(spec, cell).at("avg_bitwidth") <= kMaxAvgBitwidth ? 1 : 0;
  }
  EXPECT_EQ(AllCells(spec).size(), static_cast<size_t>(kCells));
  EXPECT_EQ(feasible, 10);
}

TEST_F(BudgetDispatchTest, TpeAndRandomNeverDispatchAnInfeasibleTrial) {
  for (SamplerKind kind : {SamplerKind::kTpe, SamplerKind::kRandom}) {
    const StudySpec spec = BudgetSpec(SamplerKindName(kind), kind, kMaxAvgBitwidth);
    ASSERT_TRUE(manager_->CreateStudy(spec).ok());
    for (int i = 0; i < 30; ++i) {
      absl::Status refused;
      ASSERT_TRUE(DispatchOne(spec, &refused)) << refused;
    }
    EXPECT_EQ(violations_, 0) << SamplerKindName(kind);
    EXPECT_EQ(manager_->ListTrials(spec.name)->size(), 30u);
  }
}

TEST_F(BudgetDispatchTest, GridRunsExactlyTheFeasibleCellsThenCompletes) {
  const StudySpec spec = BudgetSpec("grid", SamplerKind::kGrid, kMaxAvgBitwidth);
  std::set<InternalParams> feasible;
  for (const InternalParams& cell : AllCells(spec)) {
    if (ModelCost(spec, cell).at("avg_bitwidth") <= kMaxAvgBitwidth) feasible.insert(cell);
  }
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  std::set<InternalParams> dispatched;
  absl::Status refused;
  while (std::optional<InternalParams> params = DispatchOne(spec, &refused)) {
    dispatched.insert(*params);
    ASSERT_LE(dispatched.size(), static_cast<size_t>(kCells));
  }
  EXPECT_EQ(violations_, 0);
  EXPECT_EQ(dispatched, feasible);
  EXPECT_EQ(manager_->ListTrials(spec.name)->size(), feasible.size());
  EXPECT_EQ(manager_->GetStudy(spec.name)->study.state, StudyState::kCompleted);
}

TEST_F(BudgetDispatchTest, AnEmptyFeasibleRegionIsReportedWithoutDispatching) {
  // avg_bitwidth is at least 6 (every layer integer at width 6).
  StudySpec spec = BudgetSpec("empty", SamplerKind::kTpe, 2);
  spec.sampler.max_constraint_retries = 20;
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  absl::StatusOr<LeasedTrial> leased = manager_->Ask("empty", "w");
  EXPECT_EQ(leased.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(leased.status().message()), HasSubstr("budgets.avg_bitwidth: "));
  EXPECT_THAT(std::string(leased.status().message()), HasSubstr("feasible region looks empty"));
  const Study study = manager_->GetStudy("empty")->study;
  ASSERT_TRUE(study.system_attrs.contains(kSamplingErrorAttr));
  EXPECT_THAT(study.system_attrs.at(kSamplingErrorAttr), HasSubstr("budgets.avg_bitwidth"));
  // A worker's lease skips the study (no error, no trial) and nothing was dispatched.
  absl::StatusOr<std::optional<LeasedTrial>> lease =
      manager_->LeaseTrial("w", {}, std::chrono::steady_clock::now());
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_FALSE(lease->has_value());
  EXPECT_TRUE(manager_->ListTrials("empty")->empty());

  const absl::Status grid = manager_->CreateStudy(BudgetSpec("g", SamplerKind::kGrid, 2)).status();
  EXPECT_EQ(grid.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(grid.message()), HasSubstr("budgets.avg_bitwidth: "));
  EXPECT_THAT(std::string(grid.message()), HasSubstr("feasible region is empty"));
}

// sampling_error says why the *latest* sampling failed: the next trial that is sampled erases
// it, in the manager and in storage. Random search with 2 draws per trial fails on about half
// the trials here (10 of 32 cells feasible); enqueued feasible trials move the trial number on
// until a sampled trial succeeds.
TEST_F(BudgetDispatchTest, ASampledTrialErasesTheSamplingError) {
  StudySpec spec = BudgetSpec("flaky", SamplerKind::kRandom, kMaxAvgBitwidth);
  spec.sampler.max_constraint_retries = 1;
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  std::map<std::string, ParamValue> feasible = {{"quant.width", int64_t{6}}};
  for (const std::string& layer : kLayerParams) feasible[layer] = std::string("integer");
  bool failed = false;
  for (int attempt = 0; attempt < 40; ++attempt) {
    absl::StatusOr<LeasedTrial> leased = manager_->Ask("flaky", "w");
    const Study study = manager_->GetStudy("flaky")->study;
    if (leased.ok()) {
      if (!failed) {  // no failure yet: finish it and try the next trial number
        ASSERT_TRUE(
            manager_->FinishTrial("flaky", leased->trial.number, FinishRequest{.values = {1}})
                .ok());
        continue;
      }
      EXPECT_FALSE(study.system_attrs.contains(kSamplingErrorAttr));
      absl::StatusOr<Study> stored = storage_->GetStudy(study.id);
      ASSERT_TRUE(stored.ok()) << stored.status();
      EXPECT_FALSE(stored->system_attrs.contains(kSamplingErrorAttr));
      return;
    }
    ASSERT_EQ(leased.status().code(), absl::StatusCode::kFailedPrecondition) << leased.status();
    ASSERT_TRUE(study.system_attrs.contains(kSamplingErrorAttr));
    failed = true;
    ASSERT_TRUE(manager_->EnqueueTrial("flaky", feasible).ok());
    absl::StatusOr<LeasedTrial> enqueued = manager_->Ask("flaky", "w");
    ASSERT_TRUE(enqueued.ok()) << enqueued.status();
    ASSERT_TRUE(
        manager_->FinishTrial("flaky", enqueued->trial.number, FinishRequest{.values = {1}}).ok());
  }
  FAIL() << "no sampling failure followed by a sampled trial in 40 attempts (failed: " << failed
         << ")";
}

TEST_F(BudgetDispatchTest, CreateStudyRefusesBudgetsItCannotCheck) {
  StudySpec unknown = BudgetSpec("unknown", SamplerKind::kRandom, kMaxAvgBitwidth);
  unknown.budgets["accuracy"] = Budget{.min = 0.5};
  EXPECT_THAT(std::string(manager_->CreateStudy(unknown).status().message()),
              HasSubstr("budgets.accuracy: not a cost metric the task's model estimates"));

  StudySpec no_model = BudgetSpec("no_model", SamplerKind::kRandom, kMaxAvgBitwidth);
  no_model.task_json = R"({"kind": "custom"})";
  EXPECT_EQ(manager_->CreateStudy(no_model).status().message(),
            "budgets: task kind 'custom' has no cost model");

  StudySpec checkpoint = BudgetSpec("checkpoint", SamplerKind::kRandom, kMaxAvgBitwidth);
  checkpoint.task_json = R"({"kind": "bert-classify", "model": {"checkpoint": "baseline"},
    "stages": [{"stage": "quantise", "type": "integer", "width": 8, "frac_width": 2}]})";
  EXPECT_THAT(std::string(manager_->CreateStudy(checkpoint).status().message()),
              HasSubstr("budgets: task.model.checkpoint: "));
  EXPECT_TRUE(manager_->ListStudies().empty());
}

TEST_F(BudgetDispatchTest, EnqueuedParamsThatBreakABudgetAreRefused) {
  const StudySpec spec = BudgetSpec("enqueue", SamplerKind::kTpe, kMaxAvgBitwidth);
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  std::map<std::string, ParamValue> params = {{"quant.width", int64_t{8}}};
  for (const std::string& layer : kLayerParams) params[layer] = std::string("linear");
  const absl::Status refused = manager_->EnqueueTrial("enqueue", params).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("budgets.avg_bitwidth: "));
  params[kLayerParams[0]] = std::string("integer");
  params[kLayerParams[1]] = std::string("integer");
  params[kLayerParams[2]] = std::string("integer");
  absl::StatusOr<Trial> enqueued = manager_->EnqueueTrial("enqueue", params);
  ASSERT_TRUE(enqueued.ok()) << enqueued.status();
  EXPECT_TRUE(enqueued->system_attrs.contains("cost:avg_bitwidth"));
  EXPECT_EQ(manager_->ListTrials("enqueue")->size(), 1u);
}

// A cost metric as an objective: the task check accepts it, and the worker's metrics give the
// trial's values by name.
TEST_F(BudgetDispatchTest, CostMetricsMayBeObjectives) {
  StudySpec spec = BudgetSpec("pareto", SamplerKind::kTpe, kMaxAvgBitwidth);
  spec.directions = {StudyDirection::kMaximize, StudyDirection::kMinimize};
  spec.metric_names = {"accuracy", "avg_bitwidth"};
  ASSERT_TRUE(ValidateStudyTask(spec).ok()) << ValidateStudyTask(spec);
  ASSERT_TRUE(manager_->CreateStudy(spec).ok());
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<LeasedTrial> leased = manager_->Ask("pareto", "w");
    ASSERT_TRUE(leased.ok()) << leased.status();
    FinishRequest finish;
    finish.metrics = ModelCost(spec, leased->trial.params);  // what the worker measures
    finish.metrics["accuracy"] = 0.5 + 0.01 * i;
    absl::StatusOr<Trial> done = manager_->FinishTrial("pareto", leased->trial.number, finish);
    ASSERT_TRUE(done.ok()) << done.status();
    ASSERT_EQ(done->state, TrialState::kComplete);
    EXPECT_EQ(done->values,
              (std::vector<double>{finish.metrics["accuracy"], finish.metrics["avg_bitwidth"]}));
    EXPECT_LE(done->values[1], kMaxAvgBitwidth);
  }
  EXPECT_FALSE(manager_->BestTrials("pareto")->empty());
}

TEST(BudgetRestart, BudgetsSurviveARestartOverSqlite) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("nasq_budgets_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);
  FakeClock clock;
  const StudySpec spec = BudgetSpec("s", SamplerKind::kRandom, kMaxAvgBitwidth);
  {
    auto storage = *OpenSqliteStorage(path);
    auto manager = *StudyManager::Create(storage.get(), &clock);
    ASSERT_TRUE(manager->CreateStudy(spec).ok());
  }
  auto storage = *OpenSqliteStorage(path);
  auto manager = *StudyManager::Create(storage.get(), &clock);
  EXPECT_EQ(manager->GetStudy("s")->study.spec.budgets, spec.budgets);
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<LeasedTrial> leased = manager->Ask("s", "w");
    ASSERT_TRUE(leased.ok()) << leased.status();
    EXPECT_LE(ModelCost(spec, leased->trial.params).at("avg_bitwidth"), kMaxAvgBitwidth);
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace nasq
