// End-to-end runs of the bert-classify pipeline on a few hundred embedded SpamAssassin e-mails
// with a 1-layer, hidden-32 model (seconds on a CPU). Skipped when the data is absent.
#include "worker/pipeline/task_pipeline.h"

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "task/param_binding.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

class TaskPipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cache_ = new PipelineCache(); }
  static void TearDownTestSuite() {
    delete cache_;
    cache_ = nullptr;
  }

  void SetUp() override {
    if (!ResolveInputPath("third_party/spam-assassin/data", "data", {}).ok()) {
      GTEST_SKIP() << "SpamAssassin data not found";
    }
    options_.num_threads = 2;
    options_.paths.cache_dir = Scratch() / "cache";
  }

  // This process's folder for caches and saved models, removed when the test program exits.
  static const std::filesystem::path& Scratch() {
    static const std::filesystem::path dir = testing_scratch::ScratchDir("pipeline");
    return dir;
  }

  // A tiny task whose stages are `stages` (JSON list text); `model` is the model object.
  static TaskSpec Task(const std::string& stages,
                       const std::string& model = R"({"num_layers": 1, "num_heads": 2,
                           "hidden_size": 32, "intermediate_size": 64, "dropout": 0.0})",
                       const std::string& extra = "") {
    const std::string json = R"({"kind": "bert-classify",
        "dataset": {"max_examples": 300, "max_length": 64},
        "tokenizer": {"vocab_size": 1000},
        "model": )" + model + R"(, "stages": )" +
                             stages + extra + "}";
    auto spec = ParseTaskSpec(json);
    EXPECT_TRUE(spec.ok()) << spec.status();
    return *spec;
  }

  static PipelineCache* cache_;
  PipelineOptions options_;
};

PipelineCache* TaskPipelineTest::cache_ = nullptr;

TEST_F(TaskPipelineTest, RunsEveryStageAndReportsAllMetrics) {
  const std::string save = (Scratch() / "model-{trial}").string();
  TaskSpec spec = Task(R"([
      {"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4},
      {"stage": "train", "batch_size": 16, "progress_every_steps": 5},
      {"stage": "prune", "sparsity": 0.5, "method": "l1"},
      {"stage": "finetune", "batch_size": 16},
      {"stage": "evaluate", "label": "end"}])",
                       R"({"num_layers": 1, "num_heads": 2, "hidden_size": 32,
                           "intermediate_size": 64, "dropout": 0.0})",
                       R"(, "save_path": ")" + save + "\"");
  options_.trial_number = 7;
  std::vector<PipelineProgress> done;
  int train_reports = 0;
  auto metrics = RunTaskPipeline(spec, options_, *cache_, [&](const PipelineProgress& p) {
    if (p.stage_done) done.push_back(p);
    if (!p.stage_done && p.stage == "train") ++train_reports;
    return true;
  });
  ASSERT_TRUE(metrics.ok()) << metrics.status();

  for (const std::string& name : ProducedMetricNames(spec)) {
    ASSERT_TRUE(metrics->count(name)) << "missing metric " << name;
    EXPECT_TRUE(std::isfinite(metrics->at(name))) << name;
  }
  EXPECT_EQ(metrics->size(), ProducedMetricNames(spec).size());
  for (const char* name : {"accuracy", "accuracy_before_compression", "accuracy_after_compression",
                           "accuracy_end", "f1"}) {
    EXPECT_GE(metrics->at(name), 0.0) << name;
    EXPECT_LE(metrics->at(name), 1.0) << name;
  }
  EXPECT_EQ(metrics->at("accuracy"), metrics->at("accuracy_end"));
  EXPECT_EQ(metrics->at("avg_bitwidth"), 8.0);  // every Linear is integer 8
  EXPECT_NEAR(metrics->at("sparsity"), 0.5, 0.02);
  EXPECT_GT(metrics->at("activation_sparsity"), 0.4);
  EXPECT_LT(metrics->at("effective_size_bits"), metrics->at("weight_bits"));
  EXPECT_EQ(metrics->at("bitops"), metrics->at("macs") * 8 * 8);
  EXPECT_GT(metrics->at("train_seconds"), 0.0);
  EXPECT_GT(metrics->at("samples_per_second"), 0.0);

  // One report per stage, its step the stage index and its value the accuracy after it.
  ASSERT_EQ(done.size(), spec.stages.size());
  for (size_t i = 0; i < done.size(); ++i) {
    EXPECT_EQ(done[i].step, static_cast<int64_t>(i));
    EXPECT_GE(done[i].value, 0.0);
  }
  EXPECT_EQ(done[2].value, metrics->at("accuracy_after_compression"));
  EXPECT_GT(train_reports, 0);
  EXPECT_TRUE(std::filesystem::exists(Scratch() / "model-7" / "config.json"));

  // The saved folder is a base checkpoint: PTQ of it reports the checkpoint's accuracy as
  // before-compression, and a second run reuses the cached data and checkpoint.
  const std::string base = (Scratch() / "model-7").string();
  TaskSpec ptq = Task(R"([{"stage": "quantise", "type": "integer", "width": 16,
                           "frac_width": 8}])",
                      R"({"checkpoint": ")" + base + "\"}");
  auto first = RunTaskPipeline(ptq, options_, *cache_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->at("avg_bitwidth"), 16.0);
  EXPECT_NEAR(first->at("sparsity"), 0.5, 0.02);  // the saved weights keep their zeros
  const int builds = cache_->builds();
  auto second = RunTaskPipeline(ptq, options_, *cache_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(cache_->builds(), builds);
  EXPECT_EQ(second->at("accuracy_before_compression"), first->at("accuracy_before_compression"));
}

TEST_F(TaskPipelineTest, TrialParamsShapeTheModel) {
  auto bound = BindTrialParams(Task(R"([{"stage": "train", "batch_size": 32}])"),
                               {{"hidden_size", int64_t{16}},
                                {"layer0.attention.self.query.type", std::string("identity")},
                                {"train.epochs", int64_t{1}}});
  ASSERT_TRUE(bound.ok()) << bound.status();
  auto metrics = RunTaskPipeline(*bound, options_, *cache_);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  // fp32 everywhere; the Identity query layer has no cost, so MACs drop by 16*16 per token.
  EXPECT_EQ(metrics->at("avg_bitwidth"), 32.0);
  EXPECT_EQ(metrics->at("sparsity"), 0.0);
  // 64 tokens through key, value, attention output and the FFN; the pooler and classifier see
  // the [CLS] token only.
  EXPECT_EQ(metrics->at("macs"), 64.0 * (3 * 16 * 16 + 2 * 16 * 64) + 16 * 16 + 16 * 2);
  EXPECT_FALSE(metrics->count("accuracy_before_compression"));
}

// A worker process runs its trials with one PipelineCache: trials of one task with different
// params tokenise the data once and lay each split out on the device once (three builds), and
// every trial gets the same shared objects.
TEST_F(TaskPipelineTest, TrialsShareOneTokenisationAndDeviceLayout) {
  PipelineCache cache;
  const TaskSpec task = Task(R"([{"stage": "train", "batch_size": 32}])", R"({"num_heads": 2,
      "intermediate_size": 64, "dropout": 0.0})",
                             R"(, "evaluate_every_steps": 4,
      "intermediate_eval_examples": 20)");
  const std::vector<ExternalParams> trials = {
      {{"hidden_size", int64_t{16}}, {"num_layers", int64_t{1}}},
      {{"hidden_size", int64_t{32}}, {"num_layers", int64_t{1}}, {"train.learning_rate", 3e-3}},
      {{"hidden_size", int64_t{16}}, {"num_layers", int64_t{2}}, {"train.seed", int64_t{7}}}};
  for (size_t i = 0; i < trials.size(); ++i) {
    auto bound = BindTrialParams(task, trials[i]);
    ASSERT_TRUE(bound.ok()) << bound.status();
    auto metrics = RunTaskPipeline(*bound, options_, cache);
    ASSERT_TRUE(metrics.ok()) << "trial " << i << ": " << metrics.status();
    EXPECT_EQ(cache.builds(), 3) << "trial " << i;
  }
  auto data = cache.GetData(task, "", options_.paths);
  ASSERT_TRUE(data.ok());
  auto again = cache.GetData(task, "", options_.paths);
  auto train = cache.GetDeviceData(*data, DataSplit::kTrain, "cpu");
  auto train_again = cache.GetDeviceData(*again, DataSplit::kTrain, "cpu");
  ASSERT_TRUE(again.ok() && train.ok() && train_again.ok());
  EXPECT_EQ(data->get(), again->get());
  EXPECT_EQ(train->get(), train_again->get());
  EXPECT_EQ(cache.builds(), 3);
  EXPECT_EQ(cache.GetDeviceData(*data, DataSplit::kTest, "gpu").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(TaskPipelineTest, CancelsWhenProgressSaysStop) {
  TaskSpec spec = Task(R"([{"stage": "train", "progress_every_steps": 1}])");
  auto metrics = RunTaskPipeline(spec, options_, *cache_, [](const PipelineProgress& p) {
    return p.stage != "train" || p.stage_done;
  });
  ASSERT_FALSE(metrics.ok());
  EXPECT_EQ(metrics.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string(metrics.status().message()), HasSubstr("train"));
}

TEST_F(TaskPipelineTest, CancelRequestStopsTrainingWithinAStep) {
  // One progress report per 1000 steps: only the per-step poll can stop this run early.
  TaskSpec spec = Task(R"([{"stage": "train", "progress_every_steps": 1000}])");
  int polls = 0;
  options_.cancel_requested = [&] { return ++polls == 3; };
  std::vector<int64_t> reported_steps;
  auto metrics = RunTaskPipeline(spec, options_, *cache_, [&](const PipelineProgress& p) {
    if (p.stage == "train" && p.step > 0) reported_steps.push_back(p.step);
    return true;
  });
  ASSERT_FALSE(metrics.ok());
  EXPECT_EQ(metrics.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(std::string(metrics.status().message()), HasSubstr("train"));
  EXPECT_EQ(polls, 3);
  EXPECT_TRUE(reported_steps.empty()) << "stopped before the first progress period";
}

TEST_F(TaskPipelineTest, EvaluatesEveryNStepsOnTheTestSlice) {
  // 300 examples, batch 16: a few dozen optimizer steps per stage; two stages share the count.
  TaskSpec spec = Task(R"([{"stage": "train", "batch_size": 16},
                           {"stage": "finetune", "batch_size": 16}])",
                       R"({"num_layers": 1, "num_heads": 2, "hidden_size": 32,
                           "intermediate_size": 64, "dropout": 0.0})",
                       R"(, "evaluate_every_steps": 7, "intermediate_eval_examples": 20)");
  std::vector<PipelineProgress> evaluations;
  std::vector<PipelineProgress> stages_done;
  auto metrics = RunTaskPipeline(spec, options_, *cache_, [&](const PipelineProgress& p) {
    if (p.intermediate) evaluations.push_back(p);
    if (p.stage_done) stages_done.push_back(p);
    return true;
  });
  ASSERT_TRUE(metrics.ok()) << metrics.status();

  ASSERT_GE(evaluations.size(), 4u);
  double eval_seconds = 0;
  for (size_t i = 0; i < evaluations.size(); ++i) {
    const PipelineProgress& e = evaluations[i];
    EXPECT_FALSE(e.stage_done);
    EXPECT_EQ(e.step, 7 * static_cast<int64_t>(i + 1)) << "global optimizer steps";
    // Accuracy over 20 examples is a multiple of 1/20.
    EXPECT_NEAR(e.value * 20, std::round(e.value * 20), 1e-9) << e.value;
    EXPECT_GT(e.eval_seconds, 0.0);
    eval_seconds += e.eval_seconds;
  }
  EXPECT_EQ(evaluations.front().stage, "train");
  EXPECT_EQ(evaluations.back().stage, "finetune");
  // Stage evaluations are no longer intermediate values.
  ASSERT_EQ(stages_done.size(), 2u);
  for (const PipelineProgress& done : stages_done) EXPECT_FALSE(done.intermediate);

  EXPECT_EQ(metrics->size(), ProducedMetricNames(spec).size());
  ASSERT_TRUE(metrics->count("intermediate_eval_seconds"));
  EXPECT_NEAR(metrics->at("intermediate_eval_seconds"), eval_seconds, 1e-9);
}

TEST_F(TaskPipelineTest, StageEvaluationsAreTheIntermediateValuesByDefault) {
  TaskSpec spec = Task(R"([{"stage": "train", "batch_size": 16, "progress_every_steps": 1}])");
  std::vector<PipelineProgress> intermediate;
  auto metrics = RunTaskPipeline(spec, options_, *cache_, [&](const PipelineProgress& p) {
    if (p.intermediate) intermediate.push_back(p);
    return true;
  });
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_EQ(intermediate.size(), 1u);
  EXPECT_TRUE(intermediate[0].stage_done);
  EXPECT_EQ(intermediate[0].step, 0);
  EXPECT_FALSE(metrics->count("intermediate_eval_seconds"));
}

TEST_F(TaskPipelineTest, PrunedTrialKeepsItsCostMetrics) {
  // Pruned at the first intermediate evaluation, before the quantise and prune stages ran: they
  // are applied without training, so the cost metrics are those of the planned model.
  TaskSpec spec = Task(R"([{"stage": "train", "batch_size": 16},
                           {"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4},
                           {"stage": "prune", "sparsity": 0.5, "method": "l1"},
                           {"stage": "finetune", "batch_size": 16}])",
                       R"({"num_layers": 1, "num_heads": 2, "hidden_size": 32,
                           "intermediate_size": 64, "dropout": 0.0})",
                       R"(, "evaluate_every_steps": 3, "intermediate_eval_examples": 10)");
  bool pruned = false;
  options_.pruned = [&] { return pruned; };
  std::vector<std::string> stages_run;
  auto metrics = RunTaskPipeline(spec, options_, *cache_, [&](const PipelineProgress& p) {
    if (p.stage_done) stages_run.push_back(p.stage);
    if (p.intermediate) pruned = true;
    return !pruned;
  });
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE(stages_run.empty()) << "pruned during the first stage";
  EXPECT_FALSE(metrics->count("accuracy"));
  EXPECT_EQ(metrics->at("avg_bitwidth"), 8.0);
  EXPECT_NEAR(metrics->at("sparsity"), 0.5, 0.02);
  EXPECT_EQ(metrics->at("bitops"), metrics->at("macs") * 8 * 8);
  EXPECT_LT(metrics->at("effective_size_bits"), metrics->at("weight_bits"));
  EXPECT_GT(metrics->at("train_seconds"), 0.0);
  EXPECT_GT(metrics->at("intermediate_eval_seconds"), 0.0);

  // Without the pruned hook a cancel stays CANCELLED.
  options_.pruned = nullptr;
  pruned = false;
  auto cancelled = RunTaskPipeline(spec, options_, *cache_, [&](const PipelineProgress& p) {
    if (p.intermediate) pruned = true;
    return !pruned;
  });
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(TaskPipelineTest, BadStagesFailBeforeTrainingNamingTheField) {
  struct Case {
    std::string stages;
    std::string message;
  };
  const std::vector<Case> cases = {
      {R"([{"stage": "train"}, {"stage": "quantise",
           "layers": {"layer3.output.dense": {"type": "integer"}}}])",
       "task.stages[1].layers.bert.encoder.layer.3.output.dense: the model has no such Linear "
       "layer"},
      {R"([{"stage": "train"}, {"stage": "quantise", "type": "integer", "width": 40}])",
       "task.stages[1]: layer bert.encoder.layer.0.attention.self.query: data_in"},
  };
  for (const Case& c : cases) {
    bool trained = false;
    auto metrics =
        RunTaskPipeline(Task(c.stages), options_, *cache_, [&](const PipelineProgress& p) {
          trained |= p.stage == "train";
          return true;
        });
    ASSERT_FALSE(metrics.ok()) << c.message;
    EXPECT_EQ(metrics.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(metrics.status().message()), HasSubstr(c.message));
    EXPECT_FALSE(trained);
  }
  auto missing =
      RunTaskPipeline(Task("[]", R"({"checkpoint": "/nonexistent/model"})"), options_, *cache_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("task.model.checkpoint"));
}

}  // namespace
}  // namespace nasq
