// The worker's lease loop against a real nasq-server on loopback: trials are leased, run on a
// tiny model over a few hundred embedded SpamAssassin e-mails, reported stage by stage and
// completed, or pruned by the study's pruner (keeping their cost metrics); a trial the task
// cannot run (a task stored before CreateStudy checked tasks, a model over the worker's size
// limit) is failed with the real reason and the worker lives on. With fuse = K (issue 17) the
// worker trains groups of same-shaped trials as one fused model, each member on its own lease,
// and a releasing stop (issue 18) gives every member back.
#include "worker/app/lease_loop.h"

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spec/spec_yaml.h"
#include "storage/sqlite_storage.h"
#include "testing/local_server.h"
#include "worker/pipeline/data_preparation.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr char kStages[] = R"(
    - {stage: train, batch_size: 32}
    - {stage: quantise, type: integer, width: 8, frac_width: 4}
)";

// A grid study of two trials over `params` (YAML lines under `space.params`) whose task runs
// `stages` (YAML list items).
std::string StudyYaml(const std::string& name, const std::string& params,
                      const std::string& stages = kStages) {
  return "name: " + name + R"(
direction: maximize
metric: accuracy
space:
  params:
)" + params +
         R"(
sampler: {type: grid, seed: 0}
max_trials: 2
lease: {duration: 30s, heartbeat_interval: 200ms}
task:
  kind: bert-classify
  dataset: {max_examples: 200, max_length: 32}
  tokenizer: {vocab_size: 500}
  model: {num_layers: 1, num_heads: 2, intermediate_size: 32}
  stages:)" +
         stages;
}

class LeaseLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ResolveInputPath("third_party/spam-assassin/data", "data", {}).ok()) {
      GTEST_SKIP() << "SpamAssassin data not found";
    }
    auto server =
        ServerProcess::Start(NASQ_SERVER_BIN, dir_.path() + "/nasq.db", FreeLoopbackPort());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = server_->Client();
    options_.lease_wait = std::chrono::milliseconds(300);
    options_.num_threads = 2;
    options_.paths.cache_dir = dir_.path() + "/cache";
  }

  void CreateStudy(const std::string& yaml) {
    auto spec = ParseStudySpecYaml(yaml, "study.yaml");
    ASSERT_TRUE(spec.ok()) << spec.status();
    ASSERT_TRUE(client_->CreateStudy(*spec).ok());
  }

  // Stores `studies` straight into the database while the server is down, as a server from
  // before CreateStudy checked tasks did, then restarts the server.
  void StoreUncheckedStudies(const std::vector<StudySpec>& studies) {
    server_->Kill();
    {
      auto storage = OpenSqliteStorage(dir_.path() + "/nasq.db");
      ASSERT_TRUE(storage.ok()) << storage.status();
      for (const StudySpec& spec : studies) ASSERT_TRUE((*storage)->CreateStudy(spec, 0).ok());
    }
    ASSERT_TRUE(server_->Restart().ok());
    client_ = server_->Client();
  }

  // Runs `loop` until every study in `reasons` has a FAILED trial; expects all their trials
  // FAILED with a reason containing the study's entry, and none completed.
  void ExpectTrialsFail(LeaseLoop& loop, const std::map<std::string, std::string>& reasons) {
    const auto each_failed = [&] {
      for (const auto& [study, reason] : reasons) {
        auto trials = client_->ListTrials(study);
        if (!trials.ok() || trials->empty() || trials->front().state() != v1::TRIAL_STATE_FAIL) {
          return false;
        }
      }
      return true;
    };
    RunUntil(loop, each_failed);
    EXPECT_EQ(loop.trials_completed(), 0);
    for (const auto& [study, reason] : reasons) {
      auto trials = client_->ListTrials(study);
      ASSERT_TRUE(trials.ok()) << trials.status();
      ASSERT_GE(trials->size(), 1u) << study;
      for (const v1::Trial& trial : *trials) {
        if (trial.state() == v1::TRIAL_STATE_RUNNING) continue;  // leased when the loop stopped
        EXPECT_EQ(trial.state(), v1::TRIAL_STATE_FAIL) << study;
        EXPECT_THAT(trial.system_attrs().at("fail_reason"), HasSubstr(reason)) << study;
      }
    }
  }

  // Runs the loop until `done()` holds (or 120 s pass), then stops it.
  template <typename Done>
  void RunUntil(LeaseLoop& loop, Done done) {
    std::thread worker([&] { EXPECT_TRUE(loop.Run().ok()); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    loop.RequestStop();
    worker.join();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<NasqClient> client_;
  WorkerOptions options_;
};

TEST_F(LeaseLoopTest, CompletesTrialsWithMetricsAndStageReports) {
  CreateStudy(StudyYaml("loop", "    hidden_size: [16, 32]"));
  LeaseLoop loop(*client_, options_);
  RunUntil(loop, [&] { return loop.trials_completed() + loop.trials_failed() >= 2; });
  EXPECT_EQ(loop.trials_completed(), 2);

  auto trials = client_->ListTrials("loop");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 2u);
  for (const v1::Trial& trial : *trials) {
    EXPECT_EQ(trial.state(), v1::TRIAL_STATE_COMPLETE) << trial.system_attrs().at("fail_reason");
    ASSERT_EQ(trial.values_size(), 1);
    EXPECT_GE(trial.values(0), 0.0);
    EXPECT_LE(trial.values(0), 1.0);
    // One intermediate value per stage: the accuracy after it.
    EXPECT_EQ(trial.intermediate_values_size(), 2);
    EXPECT_EQ(trial.intermediate_values().at(1), trial.values(0));
    const auto metrics = nlohmann::json::parse(trial.user_attrs().at("metrics"));
    EXPECT_EQ(metrics.at("accuracy").get<double>(), trial.values(0));
    EXPECT_EQ(metrics.at("avg_bitwidth").get<double>(), 8.0);
  }
}

TEST_F(LeaseLoopTest, PrunedTrialsKeepIntermediateValuesAndCostMetrics) {
  // Accuracy is always below 2: the threshold pruner stops each trial at its first report,
  // the evaluation after optimizer step 2, before the quantise stage has run.
  std::string yaml = StudyYaml(
      "pruned", "    hidden_size: [16, 32]",
      std::string(kStages) + "  evaluate_every_steps: 2\n  intermediate_eval_examples: 20\n");
  yaml.replace(yaml.find("max_trials:"), 0, "pruner: {type: threshold, lower: 2.0}\n");
  CreateStudy(yaml);
  LeaseLoop loop(*client_, options_);
  RunUntil(loop, [&] { return loop.trials_completed() + loop.trials_failed() >= 2; });
  EXPECT_EQ(loop.trials_completed(), 2);

  auto trials = client_->ListTrials("pruned");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 2u);
  for (const v1::Trial& trial : *trials) {
    EXPECT_EQ(trial.state(), v1::TRIAL_STATE_PRUNED);
    ASSERT_EQ(trial.intermediate_values_size(), 1);
    ASSERT_TRUE(trial.intermediate_values().contains(2));
    EXPECT_EQ(trial.values(0), trial.intermediate_values().at(2));
    const auto report = nlohmann::json::parse(trial.user_attrs().at("intermediate/2"));
    EXPECT_GT(report.at("intermediate_eval_seconds").get<double>(), 0.0);
    const auto metrics = nlohmann::json::parse(trial.user_attrs().at("metrics"));
    EXPECT_FALSE(metrics.contains("accuracy"));
    EXPECT_EQ(metrics.at("avg_bitwidth").get<double>(), 8.0);  // the quantise stage's plan
    EXPECT_GT(metrics.at("bitops").get<double>(), 0.0);
    EXPECT_GT(metrics.at("intermediate_eval_seconds").get<double>(), 0.0);
  }
}

// Tasks CreateStudy refuses today may still be stored by an older server. Two of them used to
// crash every worker that leased the trial (std::regex recursion), so the trial FAILed much
// later with "lease expired"; now each trial fails at once with the real reason.
TEST_F(LeaseLoopTest, FailsStoredTasksItCannotRunWithTheRealReasonAndLivesOn) {
  // The study YAML `yaml` with `stage` (JSON) appended to its task's stages.
  const auto with_stage = [](const std::string& yaml, const nlohmann::ordered_json& stage) {
    auto spec = ParseStudySpecYaml(yaml, "study.yaml");
    EXPECT_TRUE(spec.ok()) << spec.status();
    auto task = nlohmann::ordered_json::parse(spec->task_json);
    task["stages"].push_back(stage);
    spec->task_json = task.dump();
    return *spec;
  };
  const std::string two_trials = "    hidden_size: [16, 32]";
  StoreUncheckedStudies({
      with_stage(StudyYaml("unbound", two_trials + "\n    dropout_rate: [0.1]"),
                 {{"stage", "evaluate"}}),
      with_stage(StudyYaml("label", two_trials),
                 {{"stage", "evaluate"}, {"label", std::string(100'000, 'a')}}),
      with_stage(
          StudyYaml("layer", two_trials),
          {{"stage", "quantise"},
           {"layers", {{"layer" + std::string(100'000, '1') + ".output.dense", {{"width", 4}}}}}}),
  });
  LeaseLoop loop(*client_, options_);
  ExpectTrialsFail(loop, {{"unbound", "params.dropout_rate: binds to no task field"},
                          {"label", "task.stages[2].label: expected 1 to 64 lower-case letters"},
                          {"layer", "is not a Linear layer name"}});
}

// A model over the worker's --max-model-params fails its trial with the count and the limit,
// before it is allocated.
TEST_F(LeaseLoopTest, FailsTrialsOverTheModelSizeLimit) {
  CreateStudy(StudyYaml("big", "    hidden_size: [16, 32]"));
  options_.max_model_params = 1000;
  LeaseLoop loop(*client_, options_);
  ExpectTrialsFail(loop, {{"big", "more than this worker's limit of 1000 (--max-model-params)"}});
}

// Fused groups (issue 17): a worker with fuse = K leases up to K same-shaped trials at once and
// trains them as one fused model, each reporting and ending on its own.

// StudyYaml with `max_trials` grid trials over `params`.
std::string FusedStudyYaml(const std::string& name, const std::string& params, int max_trials) {
  std::string yaml = StudyYaml(name, params);
  const size_t at = yaml.find("max_trials: 2");
  yaml.replace(at, std::string("max_trials: 2").size(),
               "max_trials: " + std::to_string(max_trials));
  return yaml;
}

// The "fused" system attr of `trial`: its group's trial numbers (empty when it ran alone).
std::vector<int64_t> FusedGroup(const v1::Trial& trial) {
  auto it = trial.system_attrs().find("fused");
  if (it == trial.system_attrs().end()) return {};
  const auto fused = nlohmann::json::parse(it->second);
  EXPECT_EQ(fused.at("size").get<size_t>(), fused.at("group").size());
  return fused.at("group").get<std::vector<int64_t>>();
}

TEST_F(LeaseLoopTest, FuseFourCompletesAMixedPrecisionStudyAsOneGroup) {
  CreateStudy(FusedStudyYaml("fused", "    quant.width: [6, 8, 10, 12]", 4));
  options_.fuse = 4;
  LeaseLoop loop(*client_, options_);
  RunUntil(loop, [&] { return loop.trials_completed() + loop.trials_failed() >= 4; });
  EXPECT_EQ(loop.trials_completed(), 4);

  auto trials = client_->ListTrials("fused");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 4u);
  std::set<double> bitwidths;
  for (const v1::Trial& trial : *trials) {
    EXPECT_EQ(trial.state(), v1::TRIAL_STATE_COMPLETE) << trial.system_attrs().at("fail_reason");
    EXPECT_THAT(FusedGroup(trial), ::testing::ElementsAre(0, 1, 2, 3));
    ASSERT_EQ(trial.values_size(), 1);
    EXPECT_EQ(trial.intermediate_values_size(), 2);  // one report per stage, under its own lease
    EXPECT_EQ(trial.intermediate_values().at(1), trial.values(0));
    const auto metrics = nlohmann::json::parse(trial.user_attrs().at("metrics"));
    EXPECT_EQ(metrics.at("accuracy").get<double>(), trial.values(0));
    bitwidths.insert(metrics.at("avg_bitwidth").get<double>());
    EXPECT_EQ(nlohmann::json::parse(trial.system_attrs().at("worker")).at("fuse"), "4");
  }
  EXPECT_EQ(bitwidths, (std::set<double>{6, 8, 10, 12}));  // each member its own precision
}

TEST_F(LeaseLoopTest, AFusedMemberWhoseLeaseIsTakenIsCancelledAloneAndTheOthersComplete) {
  CreateStudy(FusedStudyYaml("steal", "    quant.width: [6, 8, 10]", 3));
  options_.fuse = 3;
  LeaseLoop loop(*client_, options_);
  std::thread worker([&] { EXPECT_TRUE(loop.Run().ok()); });
  // As soon as the group is leased, an admin fails member 1 (its lease is gone): the worker's
  // next heartbeat or report for it is refused, which cancels that member only.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool taken = false;
  while (!taken && std::chrono::steady_clock::now() < deadline) {
    auto trial = client_->GetTrial("steal", 1);
    if (trial.ok() && trial->state() == v1::TRIAL_STATE_RUNNING) {
      ASSERT_TRUE(client_->Tell("steal", 1, v1::TRIAL_STATE_FAIL, {}, {.force = true}).ok());
      taken = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(taken);
  while (loop.trials_completed() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  loop.RequestStop();
  worker.join();
  EXPECT_EQ(loop.trials_completed(), 2);
  EXPECT_EQ(loop.trials_failed(), 0);  // the taken member is dropped, not reported

  auto trials = client_->ListTrials("steal");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 3u);
  EXPECT_EQ((*trials)[0].state(), v1::TRIAL_STATE_COMPLETE);
  EXPECT_EQ((*trials)[1].state(), v1::TRIAL_STATE_FAIL);
  EXPECT_FALSE((*trials)[1].user_attrs().contains("metrics"));
  EXPECT_EQ((*trials)[2].state(), v1::TRIAL_STATE_COMPLETE);
  for (const v1::Trial& trial : *trials) {
    EXPECT_THAT(FusedGroup(trial), ::testing::ElementsAre(0, 1, 2));
  }
}

// A releasing stop (nasq-worker --on-sigterm release) while a fused group trains: every member
// is cancelled and given back under its own lease, WAITING again at once with its attempt
// recorded as released; nothing is completed, failed or left to expire.
TEST_F(LeaseLoopTest, RequestReleaseGivesBackEveryFusedMember) {
  CreateStudy(FusedStudyYaml("release", "    quant.width: [6, 8]", 2));
  options_.fuse = 2;
  LeaseLoop loop(*client_, options_);
  std::thread worker([&] { EXPECT_TRUE(loop.Run().ok()); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto both_running = [&] {
    auto trials = client_->ListTrials("release");
    return trials.ok() && trials->size() == 2 && (*trials)[0].state() == v1::TRIAL_STATE_RUNNING &&
           (*trials)[1].state() == v1::TRIAL_STATE_RUNNING;
  };
  while (!both_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  loop.RequestRelease();
  worker.join();
  EXPECT_EQ(loop.trials_released(), 2);
  EXPECT_EQ(loop.trials_completed(), 0);
  EXPECT_EQ(loop.trials_failed(), 0);

  auto trials = client_->ListTrials("release");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 2u);
  for (const v1::Trial& trial : *trials) {
    SCOPED_TRACE("trial " + std::to_string(trial.number()));
    EXPECT_EQ(trial.state(), v1::TRIAL_STATE_WAITING);
    EXPECT_EQ(trial.attempt(), 2);
    const auto attempts = nlohmann::json::parse(trial.system_attrs().at("attempts"));
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_EQ(attempts[0].at("outcome"), "released");
    EXPECT_EQ(attempts[0].at("reason"), kShutdownReleaseReason);
  }
}

TEST_F(LeaseLoopTest, FuseOverANasSpaceGroupsOnlyTrialsOfOneShape) {
  CreateStudy(FusedStudyYaml("nas", "    hidden_size: [16, 32]\n    quant.width: [6, 8]", 4));
  options_.fuse = 4;
  LeaseLoop loop(*client_, options_);
  RunUntil(loop, [&] { return loop.trials_completed() + loop.trials_failed() >= 4; });
  EXPECT_EQ(loop.trials_completed(), 4);

  auto trials = client_->ListTrials("nas");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_EQ(trials->size(), 4u);
  std::map<int64_t, int64_t> hidden_size;  // by trial number
  for (const v1::Trial& trial : *trials) {
    EXPECT_EQ(trial.state(), v1::TRIAL_STATE_COMPLETE) << trial.system_attrs().at("fail_reason");
    hidden_size[trial.number()] = trial.params().at("hidden_size").int_value();
  }
  std::set<std::vector<int64_t>> groups;
  for (const v1::Trial& trial : *trials) {
    const std::vector<int64_t> group = FusedGroup(trial);
    ASSERT_EQ(group.size(), 2u) << "two shapes, two trials each";
    for (int64_t number : group) EXPECT_EQ(hidden_size[number], hidden_size[trial.number()]);
    groups.insert(group);
  }
  EXPECT_EQ(groups.size(), 2u);
}

}  // namespace
}  // namespace nasq
