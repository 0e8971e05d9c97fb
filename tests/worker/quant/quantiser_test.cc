// Tests for worker/quant/quantiser.h. Expected values are the VERIFIED vectors of
// docs/quantisation.md section 1.14 (verbatim) and vectors derived by hand from the formulas of
// sections 1.1-1.11 and 9.3/9.4 (the derivation is in each case's comment).
#include "worker/quant/quantiser.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/worker/quant/tensor_matchers.h"

namespace nasq {
namespace {

QuantConfig Integer(int width, int frac, bool floor = false) {
  QuantConfig c;
  c.format = QuantFormat::kInteger;
  c.width = width;
  c.frac_width = frac;
  c.floor = floor;
  return c;
}

QuantConfig Minifloat(QuantFormat format, int width, int exponent_width) {
  QuantConfig c;
  c.format = format;
  c.width = width;
  c.exponent_width = exponent_width;
  return c;
}

QuantConfig Blocked(QuantFormat format, int width, std::vector<int64_t> block_size,
                    bool skip_first_dim) {
  QuantConfig c;
  c.format = format;
  c.width = width;
  c.exponent_width = format == QuantFormat::kBlockFp ? 8 : 4;
  c.exponent_bias_width = 4;
  c.block_size = std::move(block_size);
  c.skip_first_dim = skip_first_dim;
  return c;
}

QuantConfig Log(int width) {
  QuantConfig c;
  c.format = QuantFormat::kLog;
  c.width = width;
  return c;
}

QuantConfig Simple(QuantFormat format) {
  QuantConfig c;
  c.format = format;
  return c;
}

const std::vector<float> kDocInput = {-1.3f, -0.52f, -0.0625f, 0.0f, 0.031f, 0.09375f,
                                      0.2f,  0.49f,  0.75f,    1.0f, 3.3f,   9.0f};
const float kP7 = std::ldexp(1.0f, -7);
const float kP9 = std::ldexp(1.0f, -9);

struct VectorCase {
  std::string name;
  QuantConfig config;
  std::vector<int64_t> sizes;
  std::vector<float> input;
  std::vector<float> expected;
};

class QuantiseVectors : public ::testing::TestWithParam<VectorCase> {};

TEST_P(QuantiseVectors, MatchesReference) {
  const VectorCase& c = GetParam();
  const at::Tensor x = Floats(c.input).reshape(c.sizes);
  const at::Tensor y = Quantise(x, c.config);
  EXPECT_EQ(y.sizes(), x.sizes());
  ExpectValues(y, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Formats, QuantiseVectors,
    ::testing::Values(
        // ---- section 1.14, verbatim (VERIFIED with MASE).
        VectorCase{
            "doc_integer_w8f4",
            Integer(8, 4),
            {12},
            kDocInput,
            {-1.3125f, -0.5f, -0.0625f, 0, 0, 0.125f, 0.1875f, 0.5f, 0.75f, 1, 3.3125f, 7.9375f}},
        VectorCase{"doc_integer_w4f2",
                   Integer(4, 2),
                   {12},
                   kDocInput,
                   {-1.25f, -0.5f, -0.0f, 0, 0, 0, 0.25f, 0.5f, 0.75f, 1, 1.75f, 1.75f}},
        // 0.0292969 in the table is 0.029296875 printed to 6 digits (section 1.3).
        VectorCase{"doc_ieee_w8e4",
                   Minifloat(QuantFormat::kMinifloatIeee, 8, 4),
                   {12},
                   kDocInput,
                   {-1.25f, -0.5f, -0.0625f, 0, 0.029296875f, 0.09375f, 0.203125f, 0.46875f, 0.75f,
                    1, 3.25f, 9}},
        VectorCase{"doc_ieee_w6e3",
                   Minifloat(QuantFormat::kMinifloatIeee, 6, 3),
                   {12},
                   kDocInput,
                   {-1.25f, -0.5f, -0.0625f, 0, 0, 0.125f, 0.1875f, 0.4375f, 0.75f, 1, 3.5f, 8}},
        // ---- integer: half-to-even ties x*16 = 2.5, 1.5, 3.5, -0.5 -> 2, 2, 4, -0.
        VectorCase{"integer_ties",
                   Integer(8, 4),
                   {4},
                   {0.15625f, 0.09375f, 0.21875f, -0.03125f},
                   {0.125f, 0.125f, 0.25f, -0.0f}},
        // floor(x*16)/16, 9*16 = 144 saturates at 127.
        VectorCase{"integer_floor_w8f4",
                   Integer(8, 4, true),
                   {12},
                   kDocInput,
                   {-1.3125f, -0.5625f, -0.0625f, 0, 0, 0.0625f, 0.1875f, 0.4375f, 0.75f, 1, 3.25f,
                    7.9375f}},
        // f = -1: step 2, range [-16, 14]; 5 -> 2.5 -> 2 -> 4; 7 -> 3.5 -> 4 -> 8.
        VectorCase{
            "integer_negative_frac", Integer(4, -1), {4}, {5, 7, 100, -100}, {4, 8, 14, -16}},
        // f = 6 > w = 4: step 1/64, range [-0.125, 0.109375].
        VectorCase{"integer_frac_above_width",
                   Integer(4, 6),
                   {3},
                   {0.05f, 0.2f, -0.2f},
                   {0.046875f, 0.109375f, -0.125f}},
        // ---- denorm e4m3 b=7: e = clamp(ceil(log2(|x|+1e-9)), -7, 8), k = clamp(round(.), 0, 7).
        // -1.3: e=1, 5.2->5 -> 1.25; -0.0625 and 1.0 are powers of two: k=8 clamps to 7 (quirk);
        // 0.031: e=-5, 7.936 -> 8 -> 7 (no carry); 9: e=4, 4.5 -> 4 (tie to even) -> 8.
        VectorCase{"denorm_w8e4",
                   Minifloat(QuantFormat::kMinifloatDenorm, 8, 4),
                   {12},
                   kDocInput,
                   {-1.25f, -0.5f, -0.0546875f, 0, 0.02734375f, 0.09375f, 0.1875f, 0.4375f, 0.75f,
                    0.875f, 3.5f, 8}},
        // 2 -> 1.75 (quirk); max 2^8*7/8 = 224; smallest 2^-10; 2^-12 flushes to 0; 1e-9 passes
        // through unchanged; 2e-8 is above the isclose tolerance and quantises to 0.
        VectorCase{"denorm_extremes",
                   Minifloat(QuantFormat::kMinifloatDenorm, 8, 4),
                   {6},
                   {2.0f, 1000.0f, std::ldexp(1.0f, -10), std::ldexp(1.0f, -12), 1e-9f, 2e-8f},
                   {1.75f, 224, std::ldexp(1.0f, -10), 0, 1e-9f, 0}},
        // ---- IEEE e4m3 (section 1.3 VERIFIED examples): 1.95 -> 1.875 (no carry), 500 -> 480
        // (saturation), 300 -> 288, subnormals 2^-7, 2^-9 kept, 2^-10 -> 0, 0.99*2^-6 -> 7/8*2^-6
        // (no carry into the normals), 1e-9 passes through.
        VectorCase{"ieee_extremes",
                   Minifloat(QuantFormat::kMinifloatIeee, 8, 4),
                   {9},
                   {1.95f, 500, 300, kP7, kP9, std::ldexp(1.0f, -10), 0.99f * std::ldexp(1.0f, -6),
                    1e-9f, -500},
                   {1.875f, 480, 288, kP7, kP9, 0, 0.875f * std::ldexp(1.0f, -6), 1e-9f, -480}},
        // Subnormal ties: r*8/2 = 1.5 and 2.5 both round to 2 -> 2/8*2*2^-7 = 2^-8.
        VectorCase{"ieee_subnormal_ties",
                   Minifloat(QuantFormat::kMinifloatIeee, 8, 4),
                   {2},
                   {1.5f * kP9, 2.5f * kP9},
                   {std::ldexp(1.0f, -8), std::ldexp(1.0f, -8)}},
        // ---- block FP w4 (m=3), ew8, section 1.5 VERIFIED: max 1.0 = 2^0 -> 0.875 (quirk);
        // max 1.01 -> E=1, step 0.25.
        VectorCase{"block_fp_power_of_two_max",
                   Blocked(QuantFormat::kBlockFp, 4, {4}, false),
                   {4},
                   {1.0f, 0.5f, 0.3f, -0.26f},
                   {0.875f, 0.5f, 0.25f, -0.25f}},
        VectorCase{"block_fp_max_above_power",
                   Blocked(QuantFormat::kBlockFp, 4, {4}, false),
                   {4},
                   {1.01f, 0.5f, 0.3f, -0.26f},
                   {1.0f, 0.5f, 0.25f, -0.25f}},
        // Weight [2, 4], block [4] -> tile [2, 4] (one exponent for ALL rows): max 4, E=2,
        // step 0.5: 0.25 -> 0.5 -> 0 (tie to even), 0.3 -> 0.6 -> 1 -> 0.5.
        VectorCase{"block_fp_weight_16_shares_rows",
                   Blocked(QuantFormat::kBlockFp, 4, {4}, false),
                   {2, 4},
                   {4.0f, 0.3f, 0.2f, 0.1f, 0.5f, 0.25f, 0.3f, 0.2f},
                   {3.5f, 0.5f, 0, 0, 0.5f, 0, 0.5f, 0}},
        // Block [1, 4] -> one exponent per row: row 2 has max 0.5, E=-1, step 1/16.
        VectorCase{"block_fp_weight_1x16_per_row",
                   Blocked(QuantFormat::kBlockFp, 4, {1, 4}, false),
                   {2, 4},
                   {4.0f, 0.3f, 0.2f, 0.1f, 0.5f, 0.25f, 0.3f, 0.2f},
                   {3.5f, 0.5f, 0, 0, 0.4375f, 0.25f, 0.3125f, 0.1875f}},
        // Padding: [1, 6] with block [1, 4]; block 2 = [0.12, 0.06, 0, 0] has max 0.12, E=-3,
        // step 2^-6: 7.68 -> 8 -> 7.
        VectorCase{"block_fp_padding",
                   Blocked(QuantFormat::kBlockFp, 4, {1, 4}, false),
                   {1, 6},
                   {0.9f, 0.1f, 0.1f, 0.1f, 0.12f, 0.06f},
                   {0.875f, 0.125f, 0.125f, 0.125f, 0.109375f, 0.0625f}},
        // Activation [B=2, S=2, H=2], block [2] -> tile [1, S, 2] spans ALL tokens per item:
        // item 1 max 4 (E=2, step 0.5); item 2 max 0.5 (E=-1, step 1/16).
        VectorCase{"block_fp_activation_16_spans_tokens",
                   Blocked(QuantFormat::kBlockFp, 4, {2}, true),
                   {2, 2, 2},
                   {4.0f, 0.3f, 0.5f, 0.3f, 0.5f, 0.3f, 0.25f, 0.1f},
                   {3.5f, 0.5f, 0.5f, 0.5f, 0.4375f, 0.3125f, 0.25f, 0.125f}},
        // Block [1, 2] -> one exponent per token; the last token has max 0.25, E=-2, step 1/32.
        VectorCase{"block_fp_activation_1x16_per_token",
                   Blocked(QuantFormat::kBlockFp, 4, {1, 2}, true),
                   {2, 2, 2},
                   {4.0f, 0.3f, 0.5f, 0.3f, 0.5f, 0.3f, 0.25f, 0.1f},
                   {3.5f, 0.5f, 0.4375f, 0.3125f, 0.4375f, 0.3125f, 0.21875f, 0.09375f}},
        // Zero-block fix: an all-zero block borrows the smallest non-zero block max; its zeros
        // pass through. An all-zero tensor stays zero (no log2(0)).
        VectorCase{"block_fp_zero_block",
                   Blocked(QuantFormat::kBlockFp, 4, {2}, false),
                   {4},
                   {0, 0, 1.01f, 0.3f},
                   {0, 0, 1.0f, 0.25f}},
        VectorCase{"block_fp_all_zero",
                   Blocked(QuantFormat::kBlockFp, 4, {2}, false),
                   {4},
                   {0, 0, 0, 0},
                   {0, 0, 0, 0}},
        // ---- block minifloat e4m3, ebw 4, intended bias (9.3): beta = clamp(15 -
        // floor(log2 max), 0, 15). Block 1 max 4096 -> beta 3, e in [-3, 12]: 100 -> r 1.5625,
        // 4.5 -> 4 (tie) -> 96; 0.3 -> 1.25*0.25. Block 2 max 0.08 -> beta 15, e in [-15, 0].
        VectorCase{"block_minifloat_intended_bias",
                   Blocked(QuantFormat::kBlockMinifloat, 8, {4}, false),
                   {8},
                   {4096, 100, 1, 0.3f, 0.08f, 0.01f, -0.05f, 0},
                   {4096, 96, 1, 0.3125f, 0.078125f, 0.009765625f, -0.05078125f, 0}},
        // Max 1.95 -> beta 15: 1.95 -> 1.875 (no carry); 2^-16 is subnormal at e=-15 and kept;
        // 2^-19 flushes to 0.
        VectorCase{"block_minifloat_top_and_subnormal",
                   Blocked(QuantFormat::kBlockMinifloat, 8, {4}, false),
                   {4},
                   {1.95f, std::ldexp(1.0f, -16), std::ldexp(1.0f, -19), -1.0f},
                   {1.875f, std::ldexp(1.0f, -16), 0, -1.0f}},
        // ---- log w4: b = 3, e in [-3, 4], offset 0.1*2^-3. 0 -> +0.125 (zero unrepresentable);
        // 0.7 -> 1 (offset shifts the threshold); -0.01 + 0.0125 > 0 so it maps to +0.125;
        // 100 saturates at 16.
        VectorCase{"log_w4",
                   Log(4),
                   {9},
                   {0, 0.7f, -1.3f, 3.3f, 9, 100, -0.05f, -0.01f, 0.2f},
                   {0.125f, 1, -1, 4, 8, 16, -0.125f, 0.125f, 0.25f}},
        // ---- block log w4, ebw 4: beta = clamp(7 - ceil(log2 max), 0, 15). Block 1 max 1.3 ->
        // beta 6 (0 -> 2^-6, section 1.8); block 2 max 8 -> beta 4, e in [-4, 3].
        VectorCase{"block_log_w4",
                   Blocked(QuantFormat::kBlockLog, 4, {4}, false),
                   {8},
                   {1.3f, 0, 0.3f, -0.02f, 8, 0.5f, 0.001f, 0},
                   {1, 0.015625f, 0.25f, -0.015625f, 8, 0.5f, 0.0625f, 0.0625f}},
        // ---- binary bipolar deterministic: x >= 0 -> +1 (so 0 -> +1).
        VectorCase{"binary_bipolar",
                   Simple(QuantFormat::kBinary),
                   {4},
                   {-1.3f, -0.01f, 0, 0.2f},
                   {-1, -1, 1, 1}},
        // ---- ternary on a 2-D weight, per row: delta = 0.75*mean|row| (0.16875 and 0.75).
        VectorCase{"ternary_per_row",
                   Simple(QuantFormat::kTernary),
                   {3, 4},
                   {0.5f, -0.3f, 0.1f, 0, -2, 1, 0, 1, 0, 0, 0, 0},
                   {1, -1, 0, 0, -1, 1, 0, 1, 0, 0, 0, 0}}),
    [](const ::testing::TestParamInfo<VectorCase>& info) { return info.param.name; });

TEST(Quantise, NonBipolarBinaryScalesPerOutputRow) {
  QuantConfig config = Simple(QuantFormat::kBinary);
  config.bipolar = false;
  // [x > 0] * mean|row|: row means 0.9/4 and 4/4.
  const at::Tensor w = Floats({0.5f, -0.3f, 0.1f, 0, -2, 1, 0, 1}).reshape({2, 4});
  ExpectValues(Quantise(w, config), {0.225f, 0, 0.225f, 0, 0, 1, 0, 1}, 1e-7f);
}

TEST(Quantise, ScaledTernaryUsesMeanAboveThresholdPerRow) {
  QuantConfig config = Simple(QuantFormat::kTernary);
  config.scaled = true;
  // alpha = (0.5 + 0.3) / 2 and (2 + 1 + 1) / 3; an all-zero row gives 0, not NaN.
  const at::Tensor w = Floats({0.5f, -0.3f, 0.1f, 0, -2, 1, 0, 1, 0, 0, 0, 0}).reshape({3, 4});
  ExpectValues(Quantise(w, config), {0.4f, -0.4f, 0, 0, -4.f / 3, 4.f / 3, 0, 4.f / 3, 0, 0, 0, 0},
               1e-6f);
}

TEST(Quantise, StochasticBinaryFollowsHardSigmoid) {
  at::manual_seed(7);
  QuantConfig config = Simple(QuantFormat::kBinary);
  config.stochastic = true;
  // p = clamp((x + 1) / 2, 0, 1): x >= 1 is always +1, x <= -1 always -1, x = 0 is +1 half
  // the time and a fresh draw is made on every call.
  ExpectValues(Quantise(Floats({1.0f, 3.0f, -1.5f}), config), {1, 1, -1});
  const at::Tensor zeros = at::zeros({20000});
  const at::Tensor first = Quantise(zeros, config);
  const double positive_share = (first > 0).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(positive_share, 0.5, 0.02);
  EXPECT_FALSE(at::equal(first, Quantise(zeros, config)));
}

TEST(Quantise, RankLimitsAreClearErrors) {
  const QuantConfig block = Blocked(QuantFormat::kBlockFp, 4, {4}, false);
  EXPECT_THROW(Quantise(at::zeros({2, 2, 2, 2}), block), c10::Error);
  QuantConfig skip = block;
  skip.skip_first_dim = true;
  EXPECT_THROW(Quantise(at::zeros({4}), skip), c10::Error);
  EXPECT_THROW(Quantise(at::zeros({4}, at::kDouble), Integer(8, 4)), c10::Error);
}

TEST(Quantise, FloatFormatIsIdentity) {
  const at::Tensor x = Floats(kDocInput);
  EXPECT_TRUE(at::equal(Quantise(x, QuantConfig{}), x));
}

struct GradientCase {
  std::string name;
  QuantConfig config;
};

class QuantiseGradient : public ::testing::TestWithParam<GradientCase> {};

// Identity STE (section 1.13): the upstream gradient passes unchanged, saturated elements and
// the near-zero pass-through included.
TEST_P(QuantiseGradient, IsIdentityIncludingSaturatedElements) {
  const at::Tensor x =
      Floats({-1000, -1.3f, -0.0625f, 0, 1e-9f, 0.2f, 0.75f, 1, 3.3f, 9, 500, 1e6f})
          .reshape({2, 6})
          .requires_grad_(true);
  const at::Tensor upstream = at::arange(1, 13, at::kFloat).reshape({2, 6});
  Quantise(x, GetParam().config).backward(upstream);
  ExpectValues(x.grad(), ToVector(upstream));
}

INSTANTIATE_TEST_SUITE_P(
    Formats, QuantiseGradient,
    ::testing::Values(GradientCase{"integer", Integer(4, 2)},
                      GradientCase{"integer_floor", Integer(4, 2, true)},
                      GradientCase{"denorm", Minifloat(QuantFormat::kMinifloatDenorm, 8, 4)},
                      GradientCase{"ieee", Minifloat(QuantFormat::kMinifloatIeee, 6, 3)},
                      GradientCase{"block_fp", Blocked(QuantFormat::kBlockFp, 4, {1, 4}, false)},
                      GradientCase{"block_minifloat",
                                   Blocked(QuantFormat::kBlockMinifloat, 8, {4}, false)},
                      GradientCase{"log", Log(4)},
                      GradientCase{"block_log", Blocked(QuantFormat::kBlockLog, 4, {4}, false)},
                      GradientCase{"binary", Simple(QuantFormat::kBinary)},
                      GradientCase{"ternary", Simple(QuantFormat::kTernary)}),
    [](const ::testing::TestParamInfo<GradientCase>& info) { return info.param.name; });

// ---- residual sign (section 1.10, 9.4).
struct ResidualCase {
  int levels;
  std::vector<float> expected;
};

class ResidualSign : public ::testing::TestWithParam<ResidualCase> {};

// x = [0.9, -0.2, 0, 3]. L=1 (mean 1): sign(clamp(x)) = [1, -1, 0, 1]. L=2 (means [2/3, 1/3]):
// o0 = [2/3, -2/3, 0, 2/3], r1 = [0.233, 0.467, 0, 2.33] -> o1 = [1/3, 1/3, 0, 1/3].
// L=3 (means [1/2, 1/3, 1/6]): r1 = [0.4, 0.3, 0, 2.5], r2 = [0.067, -0.033, 0, 2.17].
TEST_P(ResidualSign, ReturnsPerElementSumOfLevels) {
  const at::Tensor x = Floats({0.9f, -0.2f, 0, 3}).reshape({2, 2});
  QuantConfig config = Simple(QuantFormat::kBinaryResidualSign);
  config.levels = GetParam().levels;
  const at::Tensor y = Quantise(x, config);
  EXPECT_EQ(y.sizes(), x.sizes());  // L = 1 is not indexed down to batch item 0 (9.4)
  ExpectValues(y, GetParam().expected, 1e-6f);
}

INSTANTIATE_TEST_SUITE_P(Levels, ResidualSign,
                         ::testing::Values(ResidualCase{1, {1, -1, 0, 1}},
                                           ResidualCase{2, {1, -1.f / 3, 0, 1}},
                                           ResidualCase{3, {1, -1.f / 3, 0, 1}}));

TEST(ResidualSignGradient, OneLevelIsClampSte) {
  const at::Tensor x = Floats({0.9f, -0.2f, 0, 3, -1, -1.5f}).requires_grad_(true);
  ResidualSignQuantise(x, Floats({1})).sum().backward();
  ExpectValues(x.grad(), {1, 1, 1, 0, 1, 0});
}

// Two levels: d/dx = g0*m0 + g1*m1*(1 - g0*m0) with g the clamp indicators; d/dm0 =
// sum b0*(1 - m1*g1); d/dm1 = sum b1 (see the forward derivation above).
TEST(ResidualSignGradient, TwoLevelsChainThroughResiduals) {
  const at::Tensor x = Floats({0.9f, -0.2f, 0, 3}).requires_grad_(true);
  const at::Tensor means = Floats({2.f / 3, 1.f / 3}).requires_grad_(true);
  ResidualSignQuantise(x, means).sum().backward();
  ExpectValues(x.grad(), {7.f / 9, 7.f / 9, 7.f / 9, 0}, 1e-6f);
  ExpectValues(means.grad(), {1, 3}, 1e-6f);
}

TEST(ResidualSign, DefaultMeansFollowMase) {
  ExpectValues(DefaultResidualMeans(2), {2.f / 3, 1.f / 3}, 1e-7f);
  ExpectValues(DefaultResidualMeans(3), {0.5f, 1.f / 3, 1.f / 6}, 1e-7f);
}

// ---- validation.
struct InvalidCase {
  std::string name;
  QuantConfig config;
  std::string field;
};

class InvalidConfig : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidConfig, IsRejectedNamingTheField) {
  const absl::Status status = ValidateQuantConfig(GetParam().config);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find(GetParam().field), std::string::npos)
      << status.message();
  EXPECT_THROW(Quantise(at::ones({4}), GetParam().config), c10::Error);
}

QuantConfig WithBlockSize(std::vector<int64_t> block_size) {
  QuantConfig c = Blocked(QuantFormat::kBlockFp, 4, std::move(block_size), false);
  return c;
}

QuantConfig WithLevels(int levels) {
  QuantConfig c = Simple(QuantFormat::kBinaryResidualSign);
  c.levels = levels;
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, InvalidConfig,
    ::testing::Values(InvalidCase{"integer_width", Integer(0, 0), "width"},
                      InvalidCase{"minifloat_exponent",
                                  Minifloat(QuantFormat::kMinifloatIeee, 4, 3), "exponent_width"},
                      InvalidCase{"block_size_zero", WithBlockSize({0}), "block_size"},
                      InvalidCase{"block_size_empty", WithBlockSize({}), "block_size"},
                      InvalidCase{"levels", WithLevels(4), "levels"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) { return info.param.name; });

}  // namespace
}  // namespace nasq
