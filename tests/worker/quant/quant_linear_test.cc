// Tests for worker/quant/quant_linear.h: QuantLinear computes F::linear on the quantised
// operands (section 2), keeps fixed weight masks and clones completely.
#include "worker/quant/quant_linear.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/functional/linear.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <vector>

#include "tests/worker/quant/tensor_matchers.h"

namespace nasq {
namespace {

QuantConfig IntegerConfig(int width, int frac) {
  QuantConfig c;
  c.format = QuantFormat::kInteger;
  c.width = width;
  c.frac_width = frac;
  return c;
}

QuantConfig BlockFpConfig(std::vector<int64_t> block_size) {
  QuantConfig c;
  c.format = QuantFormat::kBlockFp;
  c.width = 4;
  c.exponent_width = 8;
  c.block_size = std::move(block_size);
  return c;
}

TEST(QuantLinear, Float32EqualsTorchLinear) {
  at::manual_seed(1);
  QuantLinear layer(6, 3);
  const at::Tensor x = at::randn({2, 5, 6});
  EXPECT_TRUE(at::equal(layer(x), torch::nn::functional::linear(x, layer->weight, layer->bias)));
  EXPECT_EQ(layer->named_parameters().size(), 2u);  // exactly weight and bias
}

struct OperandCase {
  std::string name;
  LinearQuantConfig config;
};

class QuantLinearOperands : public ::testing::TestWithParam<OperandCase> {};

// y = Q_in(x) Q_w(W)^T + Q_b(b), with data_in blocked as an activation and W/b as parameters.
TEST_P(QuantLinearOperands, EqualsLinearOnQuantisedOperands) {
  at::manual_seed(2);
  QuantLinear layer(32, 4);
  ASSERT_TRUE(layer->SetQuantConfig(GetParam().config).ok());
  const at::Tensor x = at::randn({2, 3, 32});
  QuantConfig data_in = GetParam().config.data_in;
  data_in.skip_first_dim = true;
  const at::Tensor expected = torch::nn::functional::linear(
      Quantise(x, data_in), Quantise(layer->weight, GetParam().config.weight),
      Quantise(layer->bias, GetParam().config.bias));
  EXPECT_TRUE(at::equal(layer(x), expected));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, QuantLinearOperands,
    ::testing::Values(
        OperandCase{"integer", {IntegerConfig(8, 4), IntegerConfig(8, 4), IntegerConfig(8, 4)}},
        OperandCase{"mixed", {IntegerConfig(6, 3), IntegerConfig(4, 3), QuantConfig{}}},
        OperandCase{"block_fp_msfp",
                    {BlockFpConfig({1, 16}), BlockFpConfig({1, 16}), BlockFpConfig({16})}}),
    [](const ::testing::TestParamInfo<OperandCase>& info) { return info.param.name; });

// Block shape [16] on data_in spans every token of a batch item (skip_first_dim), which is not
// what quantising the flattened [B*S, H] rows would give.
TEST(QuantLinear, BlocksDataInAsActivation) {
  at::manual_seed(3);
  QuantLinear layer(16, 2);
  const LinearQuantConfig config{BlockFpConfig({16}), QuantConfig{}, QuantConfig{}};
  ASSERT_TRUE(layer->SetQuantConfig(config).ok());
  EXPECT_TRUE(layer->quant_config().data_in.skip_first_dim);
  EXPECT_FALSE(layer->quant_config().weight.skip_first_dim);
  at::Tensor x = at::randn({1, 2, 16}) * 0.01;
  x.index_put_({0, 0, 0}, 5.0);  // token 0 dominates the shared exponent of token 1 too
  QuantConfig per_item = config.data_in;
  per_item.skip_first_dim = true;
  const at::Tensor expected =
      torch::nn::functional::linear(Quantise(x, per_item), layer->weight, layer->bias);
  EXPECT_TRUE(at::equal(layer(x), expected));
  EXPECT_TRUE(at::equal(Quantise(x, per_item)[0][1], at::zeros({16})));
}

TEST(QuantLinear, GradientsFlowThroughSte) {
  at::manual_seed(4);
  QuantLinear layer(4, 2);
  ASSERT_TRUE(
      layer->SetQuantConfig({IntegerConfig(4, 2), IntegerConfig(4, 2), IntegerConfig(4, 2)}).ok());
  const at::Tensor x = (at::randn({3, 4}) * 4).requires_grad_(true);  // some inputs saturate
  layer(x).sum().backward();
  // dL/dx = dL/dx_q = 1 * Q(W) summed over outputs; dL/dW = x_q summed over the batch.
  const at::Tensor w_q = Quantise(layer->weight.detach(), IntegerConfig(4, 2));
  EXPECT_TRUE(at::allclose(x.grad(), w_q.sum(0).expand({3, 4})));
  const at::Tensor x_q = Quantise(x.detach(), IntegerConfig(4, 2));
  EXPECT_TRUE(at::allclose(layer->weight.grad(), x_q.sum(0).expand({2, 4})));
}

TEST(QuantLinear, CopiesWeightAndBiasFromLinear) {
  at::manual_seed(5);
  torch::nn::Linear linear(5, 3);
  QuantLinear copy(*linear);
  EXPECT_TRUE(at::equal(copy->weight, linear->weight));
  EXPECT_TRUE(at::equal(copy->bias, linear->bias));
  EXPECT_FALSE(copy->weight.is_same(linear->weight));  // a copy, not shared storage
  torch::nn::Linear no_bias(torch::nn::LinearOptions(5, 3).bias(false));
  EXPECT_FALSE(QuantLinear(*no_bias)->has_bias());
}

TEST(QuantLinear, WeightMaskZeroesAndFreezesPrunedWeights) {
  QuantLinear layer(2, 2);
  const at::Tensor mask = Floats({1, 0, 0, 1}).reshape({2, 2});
  ASSERT_TRUE(layer->SetWeightMask(mask).ok());
  EXPECT_EQ(layer->weight[0][1].item<float>(), 0.0f);
  EXPECT_EQ(layer->weight[1][0].item<float>(), 0.0f);
  layer(at::ones({1, 2})).sum().backward();
  ExpectValues(layer->weight.grad(), {1, 0, 0, 1});  // masked entries get no gradient
  EXPECT_TRUE(layer->named_buffers().contains("weight_mask"));
  EXPECT_EQ(layer->SetWeightMask(at::ones({3, 2})).code(), absl::StatusCode::kInvalidArgument);
}

TEST(QuantLinear, ResidualSignRegistersLearnableMeans) {
  QuantLinear layer(4, 2);
  QuantConfig residual;
  residual.format = QuantFormat::kBinaryResidualSign;
  residual.levels = 3;
  ASSERT_TRUE(layer->SetQuantConfig({residual, QuantConfig{}, QuantConfig{}}).ok());
  ASSERT_TRUE(layer->residual_means.defined());
  ExpectValues(layer->residual_means, {0.5f, 1.f / 3, 1.f / 6}, 1e-7f);
  const at::Tensor x = at::randn({3, 4});
  const at::Tensor expected = torch::nn::functional::linear(
      ResidualSignQuantise(x, layer->residual_means), layer->weight, layer->bias);
  const at::Tensor y = layer(x);
  EXPECT_TRUE(at::equal(y, expected));
  y.sum().backward();
  EXPECT_TRUE(layer->residual_means.grad().defined());
}

TEST(QuantLinear, CloneCopiesConfigMaskAndValues) {
  QuantLinear layer(4, 3);
  ASSERT_TRUE(
      layer->SetQuantConfig({IntegerConfig(8, 4), IntegerConfig(8, 4), QuantConfig{}}).ok());
  ASSERT_TRUE(layer->SetWeightMask(at::rand({3, 4}) > 0.5).ok());
  auto clone = std::dynamic_pointer_cast<QuantLinearImpl>(layer->clone());
  ASSERT_NE(clone, nullptr);
  EXPECT_TRUE(at::equal(clone->weight, layer->weight));
  EXPECT_TRUE(at::equal(clone->bias, layer->bias));
  EXPECT_TRUE(at::equal(clone->weight_mask(), layer->weight_mask()));
  EXPECT_FALSE(clone->weight.is_same(layer->weight));
  EXPECT_EQ(clone->quant_config().weight.format, QuantFormat::kInteger);
  const at::Tensor x = at::randn({2, 4});
  EXPECT_TRUE(at::equal(clone->forward(x), layer(x)));
}

TEST(QuantLinear, RejectsBadInputAndConfig) {
  QuantLinear layer(4, 3);
  EXPECT_THROW(layer(at::ones({2, 5})), c10::Error);
  LinearQuantConfig bad;
  bad.weight.format = QuantFormat::kBinaryResidualSign;
  EXPECT_EQ(layer->SetQuantConfig(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = LinearQuantConfig{};
  bad.bias = IntegerConfig(0, 0);
  const absl::Status status = layer->SetQuantConfig(bad);
  EXPECT_NE(std::string(status.message()).find("bias"), std::string::npos) << status.message();
  EXPECT_EQ(layer->quant_config().bias.format, QuantFormat::kFloat32);  // unchanged
}

}  // namespace
}  // namespace nasq
