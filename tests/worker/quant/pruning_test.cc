// Tests for worker/quant/pruning.h: exact l1-norm semantics (section 4), fixed weight masks
// through training, dynamic activation masks and sparsity reports.
#include "worker/quant/pruning.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/functional/linear.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>

#include <string>
#include <vector>

#include "tests/worker/quant/tensor_matchers.h"
#include "tests/worker/quant/toy_model.h"
#include "worker/quant/quant_linear.h"

namespace nasq {
namespace {

PruningConfig WeightOnly(double sparsity, PruneScope scope = PruneScope::kLocal) {
  PruningConfig config;
  config.weight = {sparsity, PruneMethod::kL1Norm, scope};
  return config;  // activation: sparsity 0, random -> keeps everything
}

// A single layer whose weight holds `values` (out = 2).
QuantLinear LayerWith(const std::vector<float>& values) {
  QuantLinear layer(static_cast<int64_t>(values.size()) / 2, 2);
  at::NoGradGuard no_grad;
  layer->weight.copy_(Floats(values).reshape({2, -1}));
  return layer;
}

std::vector<float> Ramp(int n, float sign_flip_every = 3) {
  std::vector<float> values;
  for (int i = 1; i <= n; ++i) values.push_back(i % static_cast<int>(sign_flip_every) ? i : -i);
  return values;
}

struct CountCase {
  double sparsity;
  int64_t kept;
};

class L1LocalCounts : public ::testing::TestWithParam<CountCase> {};

// |W| = 1..20: t = quantile at rank s*19 with interpolation, keep |W| > t. s=0.25 -> t=5.75
// (15 kept); 0.5 -> 10.5 (10); 0.9 -> 18.1 (2); 0 -> 1 (19: the minimum goes); 1 -> 20 (0).
TEST_P(L1LocalCounts, KeepExactlyAboveQuantile) {
  QuantLinear layer = LayerWith(Ramp(20));
  ASSERT_TRUE(ApplyPruning(*layer, WeightOnly(GetParam().sparsity)).ok());
  EXPECT_EQ(layer->weight_mask().sum().item<int64_t>(), GetParam().kept);
  EXPECT_EQ(layer->weight.count_nonzero().item<int64_t>(), GetParam().kept);
}

INSTANTIATE_TEST_SUITE_P(Sparsities, L1LocalCounts,
                         ::testing::Values(CountCase{0.0, 19}, CountCase{0.25, 15},
                                           CountCase{0.5, 10}, CountCase{0.9, 2},
                                           CountCase{1.0, 0}));

// Section 4 VERIFIED example: s = 0 prunes the exact zero; s = 0.5 gives threshold 0.25.
TEST(L1Pruning, DocumentExample) {
  const std::vector<float> w = {0.1f, -0.5f, 0.3f, 0.05f, -0.2f, 0.9f, 0, 0.4f};
  QuantLinear zero = LayerWith(w);
  ASSERT_TRUE(ApplyPruning(*zero, WeightOnly(0.0)).ok());
  ExpectValues(zero->weight_mask(), {1, 1, 1, 1, 1, 1, 0, 1});
  QuantLinear half = LayerWith(w);
  ASSERT_TRUE(ApplyPruning(*half, WeightOnly(0.5)).ok());
  ExpectValues(half->weight_mask(), {0, 1, 1, 0, 0, 1, 0, 1});
  EXPECT_FLOAT_EQ(FlatQuantile(Floats(w).abs(), 0.5).item<float>(), 0.25f);
}

// Ties at the threshold are pruned together: |W| = [1 x4, 2 x4]. s=0.5 -> t=1.5 keeps 4; s=0.25
// -> t=1 also keeps only the 4 twos (50% pruned for a 25% target).
TEST(L1Pruning, TiesAtThresholdArePrunedTogether) {
  for (const double sparsity : {0.25, 0.5}) {
    QuantLinear layer = LayerWith({1, -1, 1, -1, 2, 2, -2, 2});
    ASSERT_TRUE(ApplyPruning(*layer, WeightOnly(sparsity)).ok());
    ExpectValues(layer->weight_mask(), {0, 0, 0, 0, 1, 1, 1, 1});
  }
}

struct TwoLayers : torch::nn::Module {
  TwoLayers() {
    small = register_module("small", LayerWith({1, 2, 3, 4, 5, 6, 7, 8}));
    large = register_module("large", LayerWith({-9, 10, 11, 12, 13, 14, 15, 16}));
  }
  QuantLinear small{nullptr};
  QuantLinear large{nullptr};
};

// Global: one threshold over both layers (rank 0.5*15 -> t = 8.5); local: 4 kept in each.
TEST(L1Pruning, GlobalScopeSharesOneThreshold) {
  TwoLayers global;
  ASSERT_TRUE(ApplyPruning(global, WeightOnly(0.5, PruneScope::kGlobal)).ok());
  EXPECT_EQ(global.small->weight_mask().sum().item<int64_t>(), 0);
  EXPECT_EQ(global.large->weight_mask().sum().item<int64_t>(), 8);
  TwoLayers local;
  ASSERT_TRUE(ApplyPruning(local, WeightOnly(0.5)).ok());
  EXPECT_EQ(local.small->weight_mask().sum().item<int64_t>(), 4);
  EXPECT_EQ(local.large->weight_mask().sum().item<int64_t>(), 4);
}

// Ranking uses the current effective weights (9.5): pruning again at the same sparsity keeps
// the already-pruned zeros pruned and removes the next smallest.
TEST(L1Pruning, RanksCurrentEffectiveWeights) {
  QuantLinear layer = LayerWith(Ramp(20));
  ASSERT_TRUE(ApplyPruning(*layer, WeightOnly(0.5)).ok());
  ASSERT_TRUE(ApplyPruning(*layer, WeightOnly(0.75)).ok());
  // 10 zeros + 11..20: rank 14.25 -> t = 15.25 -> 16..20 kept.
  EXPECT_EQ(layer->weight_mask().sum().item<int64_t>(), 5);
}

TEST(RandomPruning, PrunesWithProbabilitySparsity) {
  at::manual_seed(3);
  QuantLinear layer(100, 100);
  PruningConfig config;
  config.weight = {0.3, PruneMethod::kRandom, PruneScope::kLocal};
  ASSERT_TRUE(ApplyPruning(*layer, config).ok());
  const double kept_share = layer->weight_mask().mean().item<double>();
  EXPECT_NEAR(kept_share, 0.7, 0.02);
}

// Masks stay fixed through training: pruned weights get zero gradient; with optimizer state
// from before pruning (Adam momentum) the stored weight can move, the forward still masks it
// and ReapplyWeightMasks zeroes it again.
TEST(WeightMask, SurvivesOptimizerSteps) {
  at::manual_seed(4);
  ToyModel model;
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(0.1));
  const at::Tensor x = at::randn({4, 8});
  const auto step = [&] {
    optimizer.zero_grad();
    model.forward(x).pow(2).sum().backward();
    optimizer.step();
  };
  step();  // builds momentum for every weight
  ASSERT_TRUE(ApplyPruning(model, WeightOnly(0.5)).ok());
  const at::Tensor mask = model.query(0)->weight_mask().clone();
  const at::Tensor kept_before = model.query(0)->weight.clone();
  step();
  EXPECT_TRUE(at::equal(model.query(0)->weight_mask(), mask));
  EXPECT_TRUE(at::equal(model.query(0)->EffectiveWeight() * (1 - mask), at::zeros({8, 8})));
  EXPECT_FALSE(at::equal(model.query(0)->weight * mask, kept_before * mask));  // kept ones train
  ReapplyWeightMasks(model);
  EXPECT_TRUE(at::equal(model.query(0)->weight * (1 - mask), at::zeros({8, 8})));
  // With fresh optimizer state the pruned weights do not move at all.
  torch::optim::Adam fresh(model.parameters(), torch::optim::AdamOptions(0.1));
  fresh.zero_grad();
  model.forward(x).pow(2).sum().backward();
  fresh.step();
  EXPECT_TRUE(at::equal(model.query(0)->weight * (1 - mask), at::zeros({8, 8})));
}

TEST(ActivationPruning, LocalMaskIsRecomputedPerInput) {
  at::manual_seed(5);
  QuantLinear layer(8, 3);
  PruningConfig config;
  config.activation = {0.5, PruneMethod::kL1Norm, PruneScope::kLocal};
  ASSERT_TRUE(ApplyPruning(*layer, config).ok());
  const at::Tensor first = at::randn({2, 8});
  const at::Tensor y = layer(first);
  const at::Tensor first_mask = layer->last_activation_mask().clone();
  // 16 distinct |x|: rank 7.5 of the whole batch -> 8 kept, the largest ones.
  EXPECT_EQ(first_mask.sum().item<int64_t>(), 8);
  EXPECT_TRUE(at::equal(first_mask, L1KeepMask(first, FlatQuantile(first.abs(), 0.5))));
  EXPECT_TRUE(at::allclose(
      y, torch::nn::functional::linear(first * first_mask, layer->weight, layer->bias)));
  layer(at::randn({2, 8}));
  EXPECT_FALSE(at::equal(layer->last_activation_mask(), first_mask));
  // The pruned input elements get no gradient.
  const at::Tensor x = at::randn({2, 8}).requires_grad_(true);
  layer(x).sum().backward();
  EXPECT_TRUE(at::equal(x.grad() * (1 - layer->last_activation_mask()), at::zeros({2, 8})));
}

TEST(ActivationPruning, RandomMaskIsRedrawnEveryForward) {
  at::manual_seed(6);
  QuantLinear layer(64, 2);
  PruningConfig config;
  config.activation = {0.5, PruneMethod::kRandom, PruneScope::kLocal};
  ASSERT_TRUE(ApplyPruning(*layer, config).ok());
  const at::Tensor x = at::randn({4, 64});
  layer(x);
  const at::Tensor first = layer->last_activation_mask().clone();
  layer(x);
  EXPECT_FALSE(at::equal(first, layer->last_activation_mask()));
}

// Global: the threshold is calibrated once and then fixed, so a 100x larger input keeps
// (almost) everything where a local threshold would keep half.
TEST(ActivationPruning, GlobalThresholdIsCalibratedOnce) {
  at::manual_seed(7);
  ToyModel model;
  PruningConfig config;
  config.activation = {0.5, PruneMethod::kL1Norm, PruneScope::kGlobal};
  EXPECT_EQ(ApplyPruning(model, config).code(), absl::StatusCode::kInvalidArgument);
  const at::Tensor calibration = at::randn({4, 8});
  ASSERT_TRUE(ApplyPruning(model, config, [&] { model.forward(calibration); }).ok());
  model.forward(calibration * 100);
  EXPECT_GT(model.query(0)->last_activation_mask().mean().item<double>(), 0.9);
}

TEST(SparsityReport, PerLayerAndTotal) {
  TwoLayers model;
  PruningConfig config = WeightOnly(0.5, PruneScope::kGlobal);
  config.activation = {0.5, PruneMethod::kL1Norm, PruneScope::kLocal};
  ASSERT_TRUE(ApplyPruning(model, config).ok());
  model.small(at::randn({1, 4}));  // 4 distinct |x| -> rank 1.5 -> 2 kept
  absl::StatusOr<SparsityReport> report = ReportSparsity(model);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->layers.size(), 2u);
  EXPECT_EQ(report->layers[0].name, "small");
  EXPECT_DOUBLE_EQ(report->layers[0].weight_sparsity, 1.0);
  EXPECT_DOUBLE_EQ(report->layers[1].weight_sparsity, 0.0);
  EXPECT_DOUBLE_EQ(report->total_weight_sparsity, 0.5);
  EXPECT_DOUBLE_EQ(report->layers[0].activation_sparsity, 0.5);
  EXPECT_EQ(report->layers[1].activation_elements, 0);  // no forward yet
  EXPECT_DOUBLE_EQ(report->total_activation_sparsity, 0.5);
}

// A PruningConfig section left out prunes nothing, while a PruningSection written without
// fields is a prune stage's default (task/pruning_config.h).
TEST(Pruning, SectionsLeftOutPruneNothing) {
  at::manual_seed(8);
  QuantLinear layer(16, 16);
  ASSERT_TRUE(ApplyPruning(*layer, PruningConfig{}).ok());
  layer(at::randn({4, 16}));
  EXPECT_EQ(layer->weight_mask().sum().item<int64_t>(), 16 * 16);
  EXPECT_EQ(layer->last_activation_mask().sum().item<int64_t>(), 4 * 16);
  PruningConfig config;
  config.weight = PruningSection{};
  ASSERT_TRUE(ApplyPruning(*layer, config).ok());
  EXPECT_EQ(layer->weight_mask().sum().item<int64_t>(), 16 * 16 / 2);  // l1-norm, half
}

TEST(Pruning, RejectsBadConfigAndPlainLinear) {
  QuantLinear layer(4, 2);
  EXPECT_EQ(ApplyPruning(*layer, WeightOnly(1.5)).code(), absl::StatusCode::kInvalidArgument);
  torch::nn::Linear plain(4, 2);
  const absl::Status status = ApplyPruning(*plain, WeightOnly(0.5));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePruneMethod("l1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParsePruneMethod("l1-norm"), PruneMethod::kL1Norm);
  EXPECT_EQ(*ParsePruneScope("global"), PruneScope::kGlobal);
}

}  // namespace
}  // namespace nasq
