#include "worker/train/trainer.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tests/worker/model/model_test_util.h"
#include "worker/text/batch_plan.h"
#include "worker/text/batching.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

// [CLS]=2, a key token (3 -> label 0, 4 -> label 1), random filler from 5..19, [SEP]=1;
// lengths 3 to 12, so batches need padding.
TokenizedDataset KeyTokenDataset(int size, uint32_t seed) {
  std::mt19937 rng(seed);
  TokenizedDataset dataset;
  dataset.label_names = {"three", "four"};
  dataset.max_length = 12;
  for (int i = 0; i < size; ++i) {
    TokenizedExample example;
    example.label = static_cast<int>(rng() % 2);
    example.input_ids = {2, example.label == 0 ? 3 : 4};
    const int filler = static_cast<int>(rng() % 10);
    for (int j = 0; j < filler; ++j) example.input_ids.push_back(5 + static_cast<int>(rng() % 15));
    example.input_ids.push_back(1);
    dataset.examples.push_back(std::move(example));
  }
  return dataset;
}

BertConfig TinyTaskConfig() {
  BertConfig config = testing::SmallConfig();
  config.vocab_size = 20;
  config.num_hidden_layers = 1;
  return config;
}

TrainOptions FastOptions() {
  TrainOptions options;
  options.learning_rate = 3e-3;
  options.epochs = 3;
  options.compute.num_threads = 2;
  return options;
}

TEST(Trainer, LearnsAnEasyTaskAndReportsMetrics) {
  auto model = BertForSequenceClassification::Create(TinyTaskConfig());
  ASSERT_TRUE(model.ok());
  const TokenizedDataset train = KeyTokenDataset(240, 1);
  const TokenizedDataset test = KeyTokenDataset(100, 2);
  EvalOptions eval;
  eval.compute.num_threads = 2;
  auto before = Evaluate(**model, test, eval);
  ASSERT_TRUE(before.ok()) << before.status();
  auto result = Train(**model, train, FastOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 3 * 30);
  EXPECT_FALSE(result->stopped_early);
  EXPECT_TRUE((*model)->is_training());
  auto after = Evaluate(**model, test, eval);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->examples, 100);
  EXPECT_GE(after->accuracy, 0.95);
  EXPECT_GE(after->f1, 0.95);
  EXPECT_LT(after->loss, before->loss);
  EXPECT_TRUE((*model)->is_training());  // Evaluate restores the mode
}

TEST(Trainer, SameSeedGivesSameWeights) {
  const TokenizedDataset train = KeyTokenDataset(64, 3);
  std::vector<torch::Tensor> weights;
  for (int run = 0; run < 2; ++run) {
    auto model = BertForSequenceClassification::Create(TinyTaskConfig());
    ASSERT_TRUE(model.ok());
    TrainOptions options = FastOptions();
    options.epochs = 1;
    ASSERT_TRUE(Train(**model, train, options).ok());
    weights.push_back((*model)->named_parameters()["classifier.weight"].detach().clone());
  }
  EXPECT_TRUE(torch::equal(weights[0], weights[1]));
}

// The trainer gathers its batches from a DeviceDataset; its loss at every step (dropout on,
// length-grouped shuffled batches, clipping, linear decay) equals a plain loop that builds each
// batch on the host with MakeBatch and copies it to the device, as the trainer did before.
TEST(Trainer, LossesEqualAHostBatchedLoop) {
  const TokenizedDataset train = KeyTokenDataset(70, 9);
  TrainOptions options = FastOptions();
  options.epochs = 2;
  options.group_by_length = true;
  options.seed = 5;
  options.progress_every_steps = 1;
  auto model = BertForSequenceClassification::Create(TinyTaskConfig(), /*init_seed=*/3);
  ASSERT_TRUE(model.ok());
  std::vector<double> losses;
  ASSERT_TRUE(Train(**model, train, options, [&](const TrainProgress& p) {
                losses.push_back(p.loss);
                return true;
              }).ok());

  auto reference = BertForSequenceClassification::Create(TinyTaskConfig(), /*init_seed=*/3);
  ASSERT_TRUE(reference.ok());
  torch::manual_seed(options.seed);
  (*reference)->train();
  const double peak = *options.learning_rate;
  torch::optim::AdamW optimizer((*reference)->parameters(),
                                torch::optim::AdamWOptions(peak).weight_decay(0.0));
  const int64_t total = 2 * 9;  // 70 examples in batches of 8, two epochs
  std::vector<double> expected;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    auto plan = PlanBatches(train, {.batch_size = 8, .seed = 5, .bucket_by_length = true}, epoch);
    ASSERT_TRUE(plan.ok());
    for (const std::vector<size_t>& indices : *plan) {
      auto batch = MakeBatch(train, indices);
      ASSERT_TRUE(batch.ok());
      const auto step = static_cast<int64_t>(expected.size());
      static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options())
          .lr(peak * static_cast<double>(total - step) / static_cast<double>(total));
      const torch::Tensor logits =
          (*reference)
              ->forward(batch->input_ids.to(torch::kCPU), batch->attention_mask.to(torch::kCPU));
      const torch::Tensor loss = torch::cross_entropy_loss(logits, batch->labels.to(torch::kCPU));
      expected.push_back(loss.item<double>());
      optimizer.zero_grad();
      loss.backward();
      torch::nn::utils::clip_grad_norm_((*reference)->parameters(), options.max_grad_norm);
      optimizer.step();
    }
  }
  ASSERT_EQ(expected.size(), static_cast<size_t>(total));
  EXPECT_EQ(losses, expected);
}

TEST(Trainer, ProgressReportsLinearDecayAndCanStop) {
  auto model = BertForSequenceClassification::Create(TinyTaskConfig());
  ASSERT_TRUE(model.ok());
  TrainOptions options = FastOptions();
  options.epochs = 2;
  options.warmup_steps = 2;
  options.progress_every_steps = 1;
  options.group_by_length = true;
  std::vector<TrainProgress> reports;
  auto result = Train(**model, KeyTokenDataset(80, 4), options, [&](const TrainProgress& p) {
    reports.push_back(p);
    return p.step < 5;
  });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->stopped_early);
  EXPECT_EQ(result->steps, 5);
  ASSERT_EQ(reports.size(), 5u);
  // HF linear schedule with 2 warm-up steps over 20 steps: 0, lr/2, then lr * (20 - s) / 18.
  const double lr = *options.learning_rate;
  const double expected[] = {0.0, lr / 2, lr, lr * 17 / 18, lr * 16 / 18};
  for (size_t i = 0; i < reports.size(); ++i) {
    EXPECT_EQ(reports[i].step, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(reports[i].total_steps, 20);
    EXPECT_NEAR(reports[i].learning_rate, expected[i], 1e-12) << i;
    EXPECT_GT(reports[i].loss, 0.0);
  }
}

TEST(Trainer, ShouldStopEndsTrainingAfterTheCurrentStep) {
  auto model = BertForSequenceClassification::Create(TinyTaskConfig());
  ASSERT_TRUE(model.ok());
  TrainOptions options = FastOptions();
  options.progress_every_steps = 1000;
  int polls = 0;
  options.should_stop = [&] { return ++polls == 4; };
  int reports = 0;
  auto result = Train(**model, KeyTokenDataset(80, 4), options, [&](const TrainProgress&) {
    ++reports;
    return true;
  });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->stopped_early);
  EXPECT_EQ(result->steps, 4);
  EXPECT_EQ(reports, 0);
}

TEST(Trainer, RefusesBadOptionsAndData) {
  auto model = BertForSequenceClassification::Create(TinyTaskConfig());
  ASSERT_TRUE(model.ok());
  const TokenizedDataset good = KeyTokenDataset(8, 5);
  struct Case {
    std::string label;
    std::function<void(TrainOptions&, TokenizedDataset&)> mutate;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"batch 0", [](TrainOptions& o, TokenizedDataset&) { o.batch_size = 0; }, "batch_size"},
      {"epochs 0", [](TrainOptions& o, TokenizedDataset&) { o.epochs = 0; }, "epochs"},
      {"lr 0", [](TrainOptions& o, TokenizedDataset&) { o.learning_rate = 0; }, "learning_rate"},
      {"beta 1", [](TrainOptions& o, TokenizedDataset&) { o.adam_beta2 = 1.0; }, "betas"},
      {"bf16 on cpu", [](TrainOptions& o, TokenizedDataset&) { o.compute.bf16 = true; },
       "only supported on CUDA"},
      {"empty", [](TrainOptions&, TokenizedDataset& d) { d.examples.clear(); }, "empty"},
      {"label", [](TrainOptions&, TokenizedDataset& d) { d.examples[3].label = 2; },
       "example 3 has label 2"},
      {"too long",
       [](TrainOptions&, TokenizedDataset& d) { d.examples[1].input_ids.assign(25, 5); },
       "example 1 has 25 tokens"},
      {"token id", [](TrainOptions&, TokenizedDataset& d) { d.examples[2].input_ids[1] = 20; },
       "token id 20"},
  };
  for (const Case& test : cases) {
    TrainOptions options = FastOptions();
    TokenizedDataset dataset = good;
    test.mutate(options, dataset);
    auto result = Train(**model, dataset, options);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << test.label;
    EXPECT_THAT(result.status().message(), HasSubstr(test.message)) << test.label;
  }
}

TEST(Trainer, LibTorchOwnsTheThreadsAndOpenBlasRunsInTheCaller) {
  using GetThreads = int (*)();
  auto openblas_threads =
      reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (openblas_threads == nullptr) GTEST_SKIP() << "the BLAS in this process is not OpenBLAS";
  auto model = BertForSequenceClassification::Create(TinyTaskConfig());
  ASSERT_TRUE(model.ok());
  EvalOptions options;
  options.compute.num_threads = 2;
  ASSERT_TRUE(Evaluate(**model, KeyTokenDataset(8, 3), options).ok());
  EXPECT_EQ(torch::get_num_threads(), 2);
  EXPECT_EQ(openblas_threads(), 1);
}

TEST(Trainer, TrainsWithBf16Autocast_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto model = BertForSequenceClassification::Create(TinyTaskConfig());
  ASSERT_TRUE(model.ok());
  TrainOptions options = FastOptions();
  options.compute.device = torch::Device(torch::kCUDA, 0);
  options.compute.bf16 = true;
  ASSERT_TRUE(Train(**model, KeyTokenDataset(240, 1), options).ok());
  EvalOptions eval;
  eval.compute = options.compute;
  auto metrics = Evaluate(**model, KeyTokenDataset(100, 2), eval);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_GE(metrics->accuracy, 0.9);
}

}  // namespace
}  // namespace nasq
