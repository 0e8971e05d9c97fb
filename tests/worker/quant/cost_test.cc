// Tests for worker/quant/cost.h: the cost inputs measured on a built model (the arithmetic on
// them is tested in tests/task/cost_metrics_test.cc).
#include "worker/quant/cost.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/worker/quant/toy_model.h"
#include "worker/quant/pruning.h"

namespace nasq {
namespace {

TEST(DescribeLinearLayers, UsesLastForwardAndMasks) {
  ToyModel model;
  EXPECT_EQ(DescribeLinearLayers(model).status().code(), absl::StatusCode::kFailedPrecondition);
  PruningConfig config;
  config.weight = {0.5, PruneMethod::kL1Norm, PruneScope::kLocal};
  ASSERT_TRUE(ApplyPruning(model, config).ok());
  model.forward(at::randn({2, 3, 8}));
  absl::StatusOr<std::vector<LinearCostInput>> layers = DescribeLinearLayers(model);
  ASSERT_TRUE(layers.ok()) << layers.status();
  ASSERT_EQ(layers->size(), 3u);
  EXPECT_EQ((*layers)[0].name, "encoder.layer.0.attention.self.query");
  EXPECT_EQ((*layers)[0].input_sizes, (std::vector<int64_t>{2, 3, 8}));
  EXPECT_EQ((*layers)[0].nonzero_weights, 32);  // 64 distinct magnitudes, half pruned
  absl::StatusOr<ModelCost> cost = ComputeModelCost(*layers);
  ASSERT_TRUE(cost.ok());
  EXPECT_DOUBLE_EQ(cost->macs, 6 * (64 + 64 + 16));
  EXPECT_DOUBLE_EQ(cost->average_bitwidth, 32);
}

}  // namespace
}  // namespace nasq
