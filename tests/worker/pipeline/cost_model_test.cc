// The analytic cost model (task/cost_model.h) against the worker's measured cost metrics: for
// every examples/*.yaml study and a few seeded random draws from its search space, the task is
// run by the real pipeline and EstimateCost must predict what it reports.
//
// So that it runs in seconds without the SpamAssassin corpus or a trained baseline, each task is
// changed in what cost does not depend on: the dataset is a 20-line CSV (2 labels) with a fixed
// vocab.txt, a checkpoint becomes a random initialisation of the same architecture (bert-tiny's,
// as the examples' baseline) and train/finetune stages are dropped (training moves weight values
// only, never shapes, formats or pruning masks), as is the evaluation after every stage.
// dataset.max_length, the model fields, every quantise and prune stage and the bound params are
// kept.
#include "task/cost_model.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sampler/random_sampler.h"
#include "spec/spec_yaml.h"
#include "task/param_binding.h"
#include "testing/scratch_dir.h"
#include "worker/model/bert_model.h"
#include "worker/pipeline/task_pipeline.h"

namespace nasq {
namespace {

constexpr int kDrawsPerStudy = 2;

std::vector<std::filesystem::path> ExampleFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(NASQ_EXAMPLES_DIR)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// One seeded draw of every active param of `space` that satisfies its constraints.
ExternalParams Draw(const SearchSpace& space, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    InternalParams internal;
    for (const ParamSpec& param : space.params()) {
      if (space.IsActive(param, internal)) {
        internal[param.name] = SampleUniformInternal(param.distribution, rng);
      }
    }
    if (!space.SatisfiesConstraints(internal)) continue;
    ExternalParams external;
    for (const auto& [name, value] : internal) {
      external[name] = ToExternal(space.Find(name)->distribution, value);
    }
    return external;
  }
  ADD_FAILURE() << "no draw satisfies the constraints";
  return {};
}

// The parameters of the model the trial builds: every weight and bias.
int64_t BuiltParameterCount(const BertArchitecture& architecture, const TaskSpec& spec) {
  BertConfig config;
  config.SetDimensions(architecture.dimensions);
  config.identity_layers = architecture.identity_layers;
  config.num_attention_heads = spec.model.num_heads.value_or(config.num_attention_heads);
  auto model = BertForSequenceClassification::Create(config, 0);
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return -1;
  int64_t count = 0;
  for (const auto& parameter : (*model)->parameters()) count += parameter.numel();
  return count;
}

class CostModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cache_ = new PipelineCache();
    const std::filesystem::path dir = testing_scratch::ScratchDir("cost-model");
    csv_ = dir / "tiny.csv";
    vocab_ = dir / "vocab.txt";
    std::ofstream csv(csv_);
    csv << "text,label\n";
    for (int i = 0; i < 20; ++i) {
      csv << (i % 2 ? "cheap pills offer now" : "meeting notes for monday") << " " << i << ","
          << i % 2 << "\n";
    }
    std::ofstream vocab(vocab_);
    for (const char* token : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cheap", "pills",
                              "offer", "now", "meeting", "notes", "for", "monday"}) {
      vocab << token << "\n";
      ++vocab_size_;
    }
  }
  static void TearDownTestSuite() {
    delete cache_;
    cache_ = nullptr;
  }

  // The example's task, changed as the file comment says.
  static TaskSpec TestTask(const std::string& task_json) {
    nlohmann::json task = nlohmann::json::parse(task_json);
    const int max_length = task["dataset"].value("max_length", 128);
    task["dataset"] = {{"name", "csv"}, {"path", csv_.string()}, {"max_length", max_length}};
    task["tokenizer"] = {{"vocab", vocab_.string()}};
    if (task.contains("model")) task["model"].erase("checkpoint");
    task.erase("save_path");
    task["evaluate_each_stage"] = false;
    absl::StatusOr<TaskSpec> spec = ParseTaskSpec(task.dump());
    EXPECT_TRUE(spec.ok()) << spec.status();
    return spec.ok() ? *spec : TaskSpec{};
  }

  // `spec` without its train and finetune stages (dropped after binding, which may set them).
  static TaskSpec WithoutTraining(TaskSpec spec) {
    std::erase_if(spec.stages, [](const StageSpec& stage) {
      return stage.kind == StageKind::kTrain || stage.kind == StageKind::kFinetune;
    });
    return spec;
  }

  static PipelineCache* cache_;
  static std::filesystem::path csv_;
  static std::filesystem::path vocab_;
  static int64_t vocab_size_;
};

PipelineCache* CostModelTest::cache_ = nullptr;
std::filesystem::path CostModelTest::csv_;
std::filesystem::path CostModelTest::vocab_;
int64_t CostModelTest::vocab_size_ = 0;

// True when some prune stage of `spec` prunes weights at random.
bool PrunesWeightsAtRandom(const TaskSpec& spec) {
  for (const StageSpec& stage : spec.stages) {
    if (stage.kind == StageKind::kPrune && stage.prune.prune_weights &&
        stage.prune.weight.method == PruneMethod::kRandom && stage.prune.weight.sparsity > 0) {
      return true;
    }
  }
  return false;
}

TEST_F(CostModelTest, EqualsTheWorkersMeasuredCostOnEveryExample) {
  const auto files = ExampleFiles();
  ASSERT_GE(files.size(), 12u);
  PipelineOptions options;
  options.num_threads = 2;
  options.paths.cache_dir = testing_scratch::ScratchDir("cost-model-cache");
  int compared = 0;
  int random_pruned = 0;  // draws that took each branch below: both must be exercised
  int exact = 0;
  for (const auto& file : files) {
    absl::StatusOr<StudySpec> study = LoadStudySpecFile(file.string());
    ASSERT_TRUE(study.ok()) << study.status();
    const TaskSpec task = TestTask(study->task_json);
    for (uint64_t seed = 0; seed < kDrawsPerStudy; ++seed) {
      const ExternalParams params = Draw(study->space, seed);
      SCOPED_TRACE(absl::StrCat(file.filename().string(), " draw ", seed));
      absl::StatusOr<TaskSpec> bound = BindTrialParams(task, params);
      ASSERT_TRUE(bound.ok()) << bound.status();
      *bound = WithoutTraining(*std::move(bound));
      BertArchitecture base;
      base.dimensions.vocab_size = vocab_size_;
      absl::StatusOr<CostEstimate> estimate = EstimateCost(*bound, base);
      ASSERT_TRUE(estimate.ok()) << estimate.status();
      absl::StatusOr<PipelineMetrics> measured = RunTaskPipeline(*bound, options, *cache_);
      ASSERT_TRUE(measured.ok()) << measured.status();

      EXPECT_EQ(estimate->parameter_count, BuiltParameterCount(estimate->architecture, *bound));
      for (const char* name : {"macs", "bitops", "weight_bits", "avg_bitwidth"}) {
        EXPECT_NEAR(estimate->metrics.at(name), measured->at(name),
                    1e-12 * std::abs(measured->at(name)))
            << name;
      }
      if (PrunesWeightsAtRandom(*bound)) {
        // Each weight is kept with probability 1 - s: the estimate is the expectation, and the
        // measured sparsity lies within 6 standard deviations of it.
        const double s = estimate->metrics.at("sparsity");
        double weights = 0;
        for (const LinearCostInput& layer : estimate->layers) {
          weights += static_cast<double>(layer.in_features * layer.out_features);
        }
        EXPECT_NEAR(measured->at("sparsity"), s, 6 * std::sqrt(s * (1 - s) / weights));
        ++random_pruned;
      } else {
        // No pruning, or l1-norm local: exact while no two weights tie at a layer's threshold
        // (task/cost_model.h), which holds for these seeded draws.
        for (const char* name : {"sparsity", "effective_size_bits"}) {
          EXPECT_NEAR(estimate->metrics.at(name), measured->at(name),
                      1e-12 * std::abs(measured->at(name)))
              << name;
        }
        ++exact;
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, static_cast<int>(files.size()) * kDrawsPerStudy);
  EXPECT_GT(random_pruned, 0);
  EXPECT_GT(exact, 0);
}

}  // namespace
}  // namespace nasq
