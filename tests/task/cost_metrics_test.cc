// Tests for task/cost_metrics.h on a hand-computed two-layer example (docs/quantisation.md
// section 9.6) and per-format bits per element.
#include "task/cost_metrics.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace nasq {
namespace {

QuantConfig IntegerConfig(int width) {
  QuantConfig c;
  c.format = QuantFormat::kInteger;
  c.width = width;
  c.frac_width = 2;
  return c;
}

QuantConfig BlockFpConfig(std::vector<int64_t> block_size, bool skip_first_dim) {
  QuantConfig c;
  c.format = QuantFormat::kBlockFp;
  c.width = 7;
  c.exponent_width = 8;
  c.block_size = std::move(block_size);
  c.skip_first_dim = skip_first_dim;
  return c;
}

// Layer a: 4 -> 3 with bias, input [2, 5, 4] (10 tokens), int8 W, int6 x, fp32 b, 6 of 12
// weights non-zero. Layer b: 3 -> 2 without bias, input [2, 3] (2 tokens), fp32, dense.
std::vector<LinearCostInput> TwoLayers() {
  LinearCostInput a{"a", 4, 3, true, {2, 5, 4}, 6, {}};
  a.config.weight = IntegerConfig(8);
  a.config.data_in = IntegerConfig(6);
  LinearCostInput b{"b", 3, 2, false, {2, 3}, 6, {}};
  return {a, b};
}

TEST(LinearCost, HandComputedPerLayer) {
  absl::StatusOr<LinearCost> a = ComputeLinearCost(TwoLayers()[0]);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->tokens, 10);
  EXPECT_DOUBLE_EQ(a->macs, 120);                    // 10 * 4 * 3
  EXPECT_DOUBLE_EQ(a->bitops, 5760);                 // 120 * 8 * 6
  EXPECT_DOUBLE_EQ(a->weight_storage_bits, 192);     // 12 * 8 + 3 * 32
  EXPECT_DOUBLE_EQ(a->effective_storage_bits, 156);  // 6 * 8 + 12 mask bits + 96
  EXPECT_DOUBLE_EQ(a->weight_sparsity, 0.5);
  absl::StatusOr<LinearCost> b = ComputeLinearCost(TwoLayers()[1]);
  ASSERT_TRUE(b.ok());
  EXPECT_DOUBLE_EQ(b->macs, 12);
  EXPECT_DOUBLE_EQ(b->bitops, 12288);  // 12 * 32 * 32: unquantised counts 32 bits
  EXPECT_DOUBLE_EQ(b->weight_storage_bits, 192);
  EXPECT_DOUBLE_EQ(b->effective_storage_bits, 198);
}

TEST(ModelCost, HandComputedTotals) {
  absl::StatusOr<ModelCost> cost = ComputeModelCost(TwoLayers());
  ASSERT_TRUE(cost.ok()) << cost.status();
  EXPECT_DOUBLE_EQ(cost->macs, 132);
  EXPECT_DOUBLE_EQ(cost->bitops, 18048);
  EXPECT_DOUBLE_EQ(cost->weight_storage_bits, 384);
  EXPECT_DOUBLE_EQ(cost->effective_storage_bits, 354);
  // (12 * 8 + 6 * 32) / 18: the fp32 layer counts (never width + frac_width = 10).
  EXPECT_DOUBLE_EQ(cost->average_bitwidth, 16);
  EXPECT_DOUBLE_EQ(cost->weight_sparsity, 1.0 / 3);
}

struct BitsCase {
  std::string name;
  QuantConfig config;
  std::vector<int64_t> sizes;
  double bits;
};

class Bits : public ::testing::TestWithParam<BitsCase> {};

TEST_P(Bits, PerElement) {
  absl::StatusOr<double> bits = BitsPerElement(GetParam().config, GetParam().sizes);
  ASSERT_TRUE(bits.ok()) << bits.status();
  EXPECT_DOUBLE_EQ(*bits, GetParam().bits);
}

QuantConfig WithFormat(QuantFormat format) {
  QuantConfig c;
  c.format = format;
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Formats, Bits,
    ::testing::Values(
        BitsCase{"fp32", QuantConfig{}, {3, 4}, 32},
        BitsCase{"integer", IntegerConfig(6), {3, 4}, 6},
        BitsCase{"binary", WithFormat(QuantFormat::kBinary), {3, 4}, 1},
        BitsCase{"ternary", WithFormat(QuantFormat::kTernary), {3, 4}, 2},
        BitsCase{"residual_two_levels", WithFormat(QuantFormat::kBinaryResidualSign), {3, 4}, 2},
        // [3, 20] with [1, 16]: 2 padded blocks per row -> (6*16*7 + 6*8) / 60.
        BitsCase{"block_fp_weight_1x16", BlockFpConfig({1, 16}, false), {3, 20}, 12},
        // [16] -> tiles [3, 16]: (2*48*7 + 2*8) / 60.
        BitsCase{"block_fp_weight_16", BlockFpConfig({16}, false), {3, 20}, 688.0 / 60},
        // Activation [2, 5, 16]: [16] -> 2 tiles [1, 5, 16]; [1, 16] -> 10 tiles.
        BitsCase{"block_fp_activation_16", BlockFpConfig({16}, true), {2, 5, 16}, 1136.0 / 160},
        BitsCase{"block_fp_activation_1x16", BlockFpConfig({1, 16}, true), {2, 5, 16}, 7.5}),
    [](const ::testing::TestParamInfo<BitsCase>& info) { return info.param.name; });

TEST(ModelCost, RejectsBadInput) {
  EXPECT_EQ(ComputeModelCost({}).status().code(), absl::StatusCode::kInvalidArgument);
  LinearCostInput wrong{"x", 4, 3, true, {2, 5}, 0, {}};
  const absl::Status status = ComputeLinearCost(wrong).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("in_features"), std::string::npos);
}

TEST(CostMetricValues, NamesTheWorkersMetrics) {
  absl::StatusOr<ModelCost> cost = ComputeModelCost(TwoLayers());
  ASSERT_TRUE(cost.ok()) << cost.status();
  const std::map<std::string, double> metrics = CostMetricValues(*cost);
  EXPECT_EQ(metrics, (std::map<std::string, double>{{"macs", 132},
                                                    {"bitops", 18048},
                                                    {"weight_bits", 384},
                                                    {"effective_size_bits", 354},
                                                    {"avg_bitwidth", 16},
                                                    {"sparsity", cost->weight_sparsity}}));
}

}  // namespace
}  // namespace nasq
