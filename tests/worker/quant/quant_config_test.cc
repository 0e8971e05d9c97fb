// Tests for worker/quant/quant_config.h: MASE-style selection by type, name and regex with a
// default, application to a module tree, and MASE pass_args read by mase_pass_args.h.
#include "worker/quant/quant_config.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/modules/linear.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/worker/quant/mase_pass_args.h"
#include "tests/worker/quant/toy_model.h"

namespace nasq {
namespace {

LinearQuantConfig IntegerEverywhere(int width) {
  QuantConfig c;
  c.format = QuantFormat::kInteger;
  c.width = width;
  c.frac_width = width / 2;
  return {c, c, c};
}

int WeightWidth(const LinearQuantConfig& config) {
  return config.weight.format == QuantFormat::kFloat32 ? 32 : config.weight.width;
}

QuantisationConfig Config(SelectBy by, std::vector<QuantRule> rules,
                          LinearQuantConfig fallback = LinearQuantConfig()) {
  QuantisationConfig config;
  config.by = by;
  config.rules = std::move(rules);
  config.default_config = std::move(fallback);
  return config;
}

struct SelectionCase {
  std::string name;
  QuantisationConfig config;
  std::string layer;
  int expected_weight_width;  // 32 = fp32 default
};

class Selection : public ::testing::TestWithParam<SelectionCase> {};

TEST_P(Selection, PicksRuleOrDefault) {
  absl::StatusOr<LinearQuantConfig> selected =
      SelectLinearConfig(GetParam().config, GetParam().layer);
  ASSERT_TRUE(selected.ok()) << selected.status();
  EXPECT_EQ(WeightWidth(*selected), GetParam().expected_weight_width);
}

const char kQuery0[] = "bert.encoder.layer.0.attention.self.query";

INSTANTIATE_TEST_SUITE_P(
    By, Selection,
    ::testing::Values(
        SelectionCase{"type_linear", Config(SelectBy::kType, {{"linear", IntegerEverywhere(8)}}),
                      kQuery0, 8},
        SelectionCase{
            "type_other_op_uses_default",
            Config(SelectBy::kType, {{"matmul", IntegerEverywhere(8)}}, IntegerEverywhere(4)),
            kQuery0, 4},
        SelectionCase{"name_hf_path", Config(SelectBy::kName, {{kQuery0, IntegerEverywhere(6)}}),
                      kQuery0, 6},
        SelectionCase{"name_fx_node",
                      Config(SelectBy::kName,
                             {{"bert_encoder_layer_0_attention_self_query", IntegerEverywhere(6)}}),
                      kQuery0, 6},
        SelectionCase{"name_no_match",
                      Config(SelectBy::kName, {{"classifier", IntegerEverywhere(6)}}), kQuery0, 32},
        SelectionCase{"regex_first_match_wins",
                      Config(SelectBy::kRegexName, {{".*query", IntegerEverywhere(4)},
                                                    {".*layer\\.0.*", IntegerEverywhere(6)}}),
                      kQuery0, 4},
        SelectionCase{"regex_is_full_match",
                      Config(SelectBy::kRegexName, {{"query", IntegerEverywhere(4)}}), kQuery0, 32},
        SelectionCase{
            "regex_on_fx_name",
            Config(SelectBy::kRegexName, {{"bert_encoder_layer_\\d+_.*", IntegerEverywhere(4)}}),
            kQuery0, 4}),
    [](const ::testing::TestParamInfo<SelectionCase>& info) { return info.param.name; });

TEST(QuantisationConfig, RejectsBadRules) {
  const QuantisationConfig bad_regex = Config(SelectBy::kRegexName, {{"(unclosed", {}}});
  EXPECT_EQ(ValidateQuantisationConfig(bad_regex).code(), absl::StatusCode::kInvalidArgument);
  const QuantisationConfig duplicate = Config(SelectBy::kName, {{"a", {}}, {"a", {}}});
  EXPECT_EQ(ValidateQuantisationConfig(duplicate).code(), absl::StatusCode::kInvalidArgument);
  const QuantisationConfig bad_width = Config(SelectBy::kType, {{"linear", IntegerEverywhere(0)}});
  const absl::Status status = ValidateQuantisationConfig(bad_width);
  EXPECT_NE(std::string(status.message()).find("linear"), std::string::npos) << status.message();
}

// regex_name rules are user input: RE2 matches them in linear time (std::regex backtracked
// exponentially on "(a*)*b", or overflowed the stack), and an over-long rule is refused.
TEST(QuantisationConfig, RegexRulesRunInLinearTimeWithALengthLimit) {
  const QuantisationConfig nested =
      Config(SelectBy::kRegexName, {{"(a*)*b", IntegerEverywhere(4)}});
  const auto start = std::chrono::steady_clock::now();
  auto selected = SelectLinearConfig(nested, std::string(100'000, 'a'));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_TRUE(selected.ok()) << selected.status();
  EXPECT_EQ(selected->weight.format, QuantFormat::kFloat32);  // no match: the default

  const QuantisationConfig too_long =
      Config(SelectBy::kRegexName, {{std::string(kMaxRegexRuleLength + 1, 'a'), {}}});
  const absl::Status status = ValidateQuantisationConfig(too_long);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(status.message()).find("longer than the limit of 1024"), std::string::npos)
      << status.message();
}

TEST(ApplyQuantisation, ConfiguresQuantLinearsInPlaceKeepingValues) {
  at::manual_seed(1);
  ToyModel model;
  const at::Tensor weight_before = model.query(1)->weight.clone();
  const at::Tensor bias_before = model.query(1)->bias.clone();
  const QuantisationConfig config =
      Config(SelectBy::kRegexName, {{"encoder\\.layer\\.1\\..*", IntegerEverywhere(4)}},
             IntegerEverywhere(8));
  absl::StatusOr<std::vector<std::string>> visited = ApplyQuantisation(model, config);
  ASSERT_TRUE(visited.ok()) << visited.status();
  EXPECT_EQ(*visited,
            (std::vector<std::string>{"encoder.layer.0.attention.self.query",
                                      "encoder.layer.1.attention.self.query", "classifier"}));
  EXPECT_EQ(model.query(0)->quant_config().weight.width, 8);
  EXPECT_EQ(model.query(1)->quant_config().weight.width, 4);
  EXPECT_EQ(model.classifier->quant_config().weight.width, 8);
  EXPECT_TRUE(at::equal(model.query(1)->weight, weight_before));
  EXPECT_TRUE(at::equal(model.query(1)->bias, bias_before));
}

// A model holding a plain torch::nn::Linear swaps it through the callback.
struct PlainModel : torch::nn::Module {
  PlainModel() { dense = register_module("dense", torch::nn::Linear(4, 3)); }
  std::shared_ptr<torch::nn::Module> dense;
};

TEST(ApplyQuantisation, SwapsPlainLinearCopyingWeightAndBias) {
  PlainModel model;
  const auto* original = model.dense->as<torch::nn::LinearImpl>();
  const at::Tensor weight = original->weight.clone();
  const at::Tensor bias = original->bias.clone();
  const QuantisationConfig config = Config(SelectBy::kType, {{"linear", IntegerEverywhere(8)}});

  EXPECT_EQ(ApplyQuantisation(model, config).status().code(), absl::StatusCode::kInvalidArgument);

  const LinearSwapFn swap = [&](const std::string& name, QuantLinear replacement) {
    EXPECT_EQ(name, "dense");
    model.dense = model.replace_module(name, replacement.ptr());
    return absl::OkStatus();
  };
  ASSERT_TRUE(ApplyQuantisation(model, config, swap).ok());
  const auto* swapped = model.dense->as<QuantLinearImpl>();
  ASSERT_NE(swapped, nullptr);
  EXPECT_TRUE(at::equal(swapped->weight, weight));
  EXPECT_TRUE(at::equal(swapped->bias, bias));  // MASE Tutorial 6 did not copy it (9.2)
  EXPECT_EQ(swapped->quant_config().weight.width, 8);
  absl::StatusOr<std::vector<std::pair<std::string, QuantLinearImpl*>>> layers =
      CollectQuantLinears(model);
  ASSERT_TRUE(layers.ok());
  EXPECT_EQ(layers->size(), 1u);
}

TEST(ParseQuantisationConfig, ReadsTutorialConfig) {
  const auto pass_args = nlohmann::ordered_json::parse(R"({
    "by": "type",
    "default": {"config": {"name": null}},
    "linear": {"config": {"name": "integer",
      "data_in_width": 8, "data_in_frac_width": 4,
      "weight_width": 8, "weight_frac_width": 4,
      "bias_width": 8, "bias_frac_width": 4}}})");
  absl::StatusOr<QuantisationConfig> config = ParseQuantisationConfig(pass_args);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->by, SelectBy::kType);
  EXPECT_EQ(config->default_config.weight.format, QuantFormat::kFloat32);
  ASSERT_EQ(config->rules.size(), 1u);
  EXPECT_EQ(config->rules[0].key, "linear");
  EXPECT_EQ(config->rules[0].config.bias.format, QuantFormat::kInteger);
  EXPECT_EQ(config->rules[0].config.data_in.frac_width, 4);
  EXPECT_TRUE(pass_args.contains("by"));  // not popped, unlike MASE
}

TEST(ParseQuantisationConfig, ReadsBlockAndBinaryFormatsInRuleOrder) {
  const auto pass_args = nlohmann::ordered_json::parse(R"({
    "by": "regex_name",
    "z_.*": {"config": {"name": "block_fp",
      "data_in_width": 7, "data_in_exponent_width": 8, "data_in_exponent_bias": null,
      "data_in_block_size": [1, 16],
      "weight_width": 7, "weight_exponent_width": 8, "weight_exponent_bias": 127,
      "weight_block_size": [1, 16], "bias_width": 7, "bias_exponent_width": 8,
      "bias_exponent_bias": 127, "bias_block_size": 16}},
    "a_.*": {"config": {"name": "binary", "weight_stochastic": 0, "weight_bipolar": 1}}})");
  absl::StatusOr<QuantisationConfig> config = ParseQuantisationConfig(pass_args);
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->rules.size(), 2u);
  EXPECT_EQ(config->rules[0].key, "z_.*");  // document order, not sorted
  const LinearQuantConfig& block = config->rules[0].config;
  EXPECT_EQ(block.data_in.format, QuantFormat::kBlockFp);
  EXPECT_FALSE(block.data_in.exponent_bias.has_value());
  EXPECT_EQ(block.weight.exponent_bias, 127);
  EXPECT_EQ(block.weight.block_size, (std::vector<int64_t>{1, 16}));
  EXPECT_EQ(block.bias.block_size, (std::vector<int64_t>{16}));
  const LinearQuantConfig& binary = config->rules[1].config;
  EXPECT_EQ(binary.weight.format, QuantFormat::kBinary);
  EXPECT_TRUE(binary.weight.bipolar);
  EXPECT_EQ(binary.data_in.format, QuantFormat::kFloat32);  // LinearBinary quantises only W
}

struct BadPassArgs {
  std::string name;
  std::string json;
  std::string message_part;
};

class ParseErrors : public ::testing::TestWithParam<BadPassArgs> {};

TEST_P(ParseErrors, NameTheProblem) {
  const absl::StatusOr<QuantisationConfig> config =
      ParseQuantisationConfig(nlohmann::ordered_json::parse(GetParam().json));
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(config.status().message()).find(GetParam().message_part), std::string::npos)
      << config.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ParseErrors,
    ::testing::Values(
        BadPassArgs{"missing_by", R"({"linear": {"config": {"name": null}}})", "'by'"},
        BadPassArgs{"bad_by", R"({"by": "op"})", "'by'"},
        BadPassArgs{"missing_key",
                    R"({"by": "type", "linear": {"config": {"name": "integer",
                        "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8}}})",
                    "weight_frac_width"},
        BadPassArgs{"unknown_format", R"({"by": "type", "linear": {"config": {"name": "int3"}}})",
                    "int3"},
        BadPassArgs{"wrong_type",
                    R"({"by": "type", "linear": {"config": {"name": "integer",
                        "weight_width": "eight", "weight_frac_width": 4}}})",
                    "weight_width"}),
    [](const ::testing::TestParamInfo<BadPassArgs>& info) { return info.param.name; });

}  // namespace
}  // namespace nasq
