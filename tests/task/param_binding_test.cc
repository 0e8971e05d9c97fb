#include "task/param_binding.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kFullTask[] = R"({
  "kind": "bert-classify",
  "stages": [
    {"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4},
    {"stage": "train"},
    {"stage": "prune"},
    {"stage": "quantise"},
    {"stage": "finetune"}
  ]
})";

TaskSpec FullTask() {
  auto spec = ParseTaskSpec(kFullTask);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

TEST(ParamBinding, BindsEveryKindOfParam) {
  const ExternalParams params = {
      {"num_layers", int64_t{4}},
      {"num_heads", int64_t{8}},
      {"hidden_size", int64_t{256}},
      {"intermediate_size", int64_t{1024}},
      {"train.learning_rate", 0.01},
      {"finetune.epochs", int64_t{3}},
      {"prune.sparsity", 0.7},
      {"prune.method", std::string("random")},
      {"prune.activation.scope", std::string("global")},
      {"quant.width", int64_t{6}},
      {"quant.weight.frac_width", int64_t{5}},
      {"layer0.attention.self.query.type", std::string("identity")},
      {"layer1.attention.self.key.type", std::string("linear")},
      {"layer1.output.dense.type", std::string("minifloat_ieee")},
      {"layer1.output.dense.exponent_width", int64_t{3}},
      {"bert.encoder.layer.2.intermediate.dense.data_in.width", int64_t{16}},
      {"classifier.frac_width", 8.0},
  };
  auto bound = BindTrialParams(FullTask(), params);
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ(bound->model.num_layers, 4);
  EXPECT_EQ(bound->model.num_heads, 8);
  EXPECT_EQ(bound->model.hidden_size, 256);
  EXPECT_EQ(bound->model.intermediate_size, 1024);
  EXPECT_THAT(bound->model.identity_layers,
              ElementsAre("bert.encoder.layer.0.attention.self.query"));
  EXPECT_EQ(bound->stages[1].train.learning_rate, 0.01);
  EXPECT_FALSE(bound->stages[4].train.learning_rate.has_value());
  EXPECT_EQ(bound->stages[4].train.epochs, 3);
  EXPECT_EQ(bound->stages[2].prune.weight.sparsity, 0.7);
  EXPECT_EQ(bound->stages[2].prune.activation.sparsity, 0.7);
  EXPECT_EQ(bound->stages[2].prune.weight.method, PruneMethod::kRandom);
  EXPECT_EQ(bound->stages[2].prune.weight.scope, PruneScope::kLocal);
  EXPECT_EQ(bound->stages[2].prune.activation.scope, PruneScope::kGlobal);
  for (size_t stage : {0u, 3u}) {  // both quantise stages get the quant params
    const QuantiseStageSpec& q = bound->stages[stage].quantise;
    EXPECT_EQ(q.default_precision.all.width, 6);
    EXPECT_EQ(q.default_precision.weight.frac_width, 5);
    EXPECT_EQ(q.layers.at("bert.encoder.layer.1.attention.self.key").all.type, "none");
    EXPECT_EQ(q.layers.at("bert.encoder.layer.1.output.dense").all.type, "minifloat_ieee");
    EXPECT_EQ(q.layers.at("bert.encoder.layer.1.output.dense").all.exponent_width, 3);
    EXPECT_EQ(q.layers.at("bert.encoder.layer.2.intermediate.dense").data_in.width, 16);
    EXPECT_EQ(q.layers.at("classifier").all.frac_width, 8);
  }
  // The first quantise stage keeps its own fields that no param overrides.
  EXPECT_EQ(bound->stages[0].quantise.default_precision.all.type, "integer");
}

TEST(ParamBinding, LinearTypeWithoutQuantisationIsAPlainLayer) {
  auto spec = ParseTaskSpec(R"({"kind": "bert-classify", "stages": [{"stage": "train"}]})");
  ASSERT_TRUE(spec.ok());
  auto bound =
      BindTrialParams(*spec, {{"pooler.dense.type", std::string("linear")},
                              {"layer1.attention.output.dense.type", std::string("identity")}});
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_THAT(bound->model.identity_layers,
              ElementsAre("bert.encoder.layer.1.attention.output.dense"));
}

TEST(ParamBinding, RefusesBadParamsNamingThem) {
  struct Case {
    std::string task;  // empty = kFullTask
    ExternalParams params;
    std::string message;
  };
  const std::string train_only = R"({"kind": "bert-classify", "stages": [{"stage": "train"}]})";
  const std::vector<Case> cases = {
      {"", {{"lr", 0.1}}, "params.lr: binds to no task field"},
      {"",
       {{"prune.sparsity", 1.5}},
       "params.prune.sparsity: expected a number in [0, 1], got 1.5"},
      {"",
       {{"prune.weight.method", std::string("magnitude")}},
       "params.prune.weight.method: expected random, l1 or l1-norm"},
      {"", {{"train.epochs", std::string("two")}}, "params.train.epochs: expected an integer"},
      {"", {{"train.momentum", 0.9}}, "params.train.momentum: unknown field"},
      {"",
       {{"hidden_size", int64_t{100}}, {"num_heads", int64_t{16}}},
       "num_heads (16) must divide hidden_size (100)"},
      {"",
       {{"layer0.attention.self.query.type", std::string("int8")}},
       "params.layer0.attention.self.query.type: "},
      {"",
       {{"layer0.attention.self.query.bits", int64_t{8}}},
       "params.layer0.attention.self.query.bits: unknown field"},
      {"",
       {{"layer0.attention.self.query.weight.colour", int64_t{8}}},
       "params.layer0.attention.self.query.weight.colour: unknown field"},
      {train_only, {{"prune.sparsity", 0.5}}, "params.prune.sparsity: the task has no prune stage"},
      {train_only,
       {{"layer0.output.dense.type", std::string("integer")}},
       "params.layer0.output.dense.type: the task has no quantise stage"},
      {R"({"kind": "bert-classify", "model": {"checkpoint": "base"}})",
       {{"num_layers", int64_t{4}}},
       "params.num_layers: the model is loaded from checkpoint"},
  };
  for (const Case& c : cases) {
    auto spec = ParseTaskSpec(c.task.empty() ? kFullTask : c.task);
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto bound = BindTrialParams(*spec, c.params);
    ASSERT_FALSE(bound.ok()) << c.message;
    EXPECT_EQ(bound.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(bound.status().message()), HasSubstr(c.message));
  }
}

// A layer param name with 100,000 digits used to crash the worker (std::regex recursion); a name
// of 25,000 dotted parts must cost no more than a short one.
TEST(ParamBinding, RefusesHostileParamNamesWithShortMessages) {
  auto spec = ParseTaskSpec(kFullTask);
  ASSERT_TRUE(spec.ok()) << spec.status();
  std::string dotted;
  for (int i = 0; i < 25'000; ++i) dotted += "a.";
  for (const std::string& name :
       {"layer" + std::string(100'000, '1') + ".attention.self.query.width", dotted + "width"}) {
    auto bound = BindTrialParams(*spec, {{name, int64_t{8}}});
    ASSERT_FALSE(bound.ok());
    EXPECT_EQ(bound.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(bound.status().message()), HasSubstr("binds to no task field"));
    EXPECT_LT(bound.status().message().size(), 1000u);
  }
}

TEST(ParamBinding, CheckParamBindsLeavesCrossFieldRulesToTheTrial) {
  auto spec = ParseTaskSpec(kFullTask);
  ASSERT_TRUE(spec.ok()) << spec.status();
  // 3 heads do not divide the default hidden size 128, but another param may change it.
  EXPECT_TRUE(CheckParamBinds(*spec, "num_heads", int64_t{3}).ok());
  EXPECT_FALSE(BindTrialParams(*spec, {{"num_heads", int64_t{3}}}).ok());
  EXPECT_THAT(std::string(CheckParamBinds(*spec, "num_layerz", int64_t{3}).message()),
              HasSubstr("params.num_layerz: binds to no task field"));
  EXPECT_THAT(std::string(CheckParamBinds(*spec, "num_layers", int64_t{300}).message()),
              HasSubstr("params.num_layers: expected an integer in [1, 256], got 300"));
}

TEST(ParamBinding, ParsesParamsJson) {
  auto params = ParseExternalParamsJson(
      R"({"num_layers": 2, "train.learning_rate": 0.001, "prune.method": "l1", "flag": true})");
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(std::get<int64_t>(params->at("num_layers")), 2);
  EXPECT_EQ(std::get<double>(params->at("train.learning_rate")), 0.001);
  EXPECT_EQ(std::get<std::string>(params->at("prune.method")), "l1");
  EXPECT_EQ(std::get<bool>(params->at("flag")), true);

  EXPECT_THAT(std::string(ParseExternalParamsJson("[1]").status().message()),
              HasSubstr("params: expected a JSON object"));
  EXPECT_THAT(std::string(ParseExternalParamsJson(R"({"a": [1]})").status().message()),
              HasSubstr("params.a: expected a bool, number or string"));
}

}  // namespace
}  // namespace nasq
