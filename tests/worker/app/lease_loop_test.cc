// The worker's lease loop against a real nasq-server on loopback: trials are leased, run on a
// tiny model over a few hundred embedded SpamAssassin e-mails, reported stage by stage and
// completed; a trial the task cannot run is failed with the reason and the worker lives on.
#include "worker/app/lease_loop.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "clients/local_server.h"
#include "clients/spec_yaml.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "worker/pipeline/data_preparation.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

std::string StudyYaml(const std::string& name, const std::string& params) {
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
  stages:
    - {stage: train, batch_size: 32}
    - {stage: quantise, type: integer, width: 8, frac_width: 4}
)";
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

TEST_F(LeaseLoopTest, FailsTrialsItCannotRunAndLivesOn) {
  CreateStudy(StudyYaml("bad", "    hidden_size: [16, 32]\n    dropout_rate: [0.1]"));
  LeaseLoop loop(*client_, options_);
  RunUntil(loop, [&] { return loop.trials_failed() >= 2; });
  EXPECT_GE(loop.trials_failed(), 2);
  EXPECT_EQ(loop.trials_completed(), 0);

  auto trials = client_->ListTrials("bad");
  ASSERT_TRUE(trials.ok()) << trials.status();
  ASSERT_GE(trials->size(), 2u);
  for (const v1::Trial& trial : *trials) {
    EXPECT_EQ(trial.state(), v1::TRIAL_STATE_FAIL);
    EXPECT_THAT(trial.system_attrs().at("fail_reason"),
                HasSubstr("params.dropout_rate: not a task parameter"));
  }
}

}  // namespace
}  // namespace nasq
