// Tests for task/cost_model.h on a tiny hand-computed BERT, and its errors. (Agreement with the
// worker's measured metrics on every example study: tests/worker/pipeline/cost_model_test.cc.)
//
// The model: vocab 10, 16 positions, 2 token types, hidden 4, 1 encoder layer, intermediate 8,
// 2 labels, sequences of 3 tokens. Its Linear layers (weights in x out, tokens per forward):
//   query, key, value, attention.output.dense  4x4, 3 tokens   16 weights, 48 MACs each
//   intermediate.dense                         4x8, 3 tokens   32 weights, 96 MACs
//   output.dense                               8x4, 3 tokens   32 weights, 96 MACs
//   bert.pooler.dense                          4x4, 1 token    16 weights, 16 MACs
//   classifier                                 4x2, 1 token     8 weights,  8 MACs
// In all 152 weights, 34 biases and 408 MACs. Parameters: embeddings (10 + 16 + 2) * 4 + LayerNorm
// 8 = 120; the encoder layer 4 * 20 + 40 + 36 + 2 LayerNorms 16 = 172; pooler 20; classifier 10;
// 322 in all.
#include "task/cost_model.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr BertDimensions kTiny = {.vocab_size = 10,
                                  .hidden_size = 4,
                                  .num_hidden_layers = 1,
                                  .intermediate_size = 8,
                                  .max_position_embeddings = 16,
                                  .type_vocab_size = 2,
                                  .num_labels = 2};

// A task over kTiny's 3-token sequences with `stages` (JSON list) and `model` (JSON object).
TaskSpec Task(const std::string& stages, const std::string& model = "{}") {
  absl::StatusOr<TaskSpec> spec =
      ParseTaskSpec(R"({"kind": "bert-classify", "dataset": {"max_length": 3}, "model": )" + model +
                    R"(, "stages": )" + stages + "}");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

CostEstimate Estimate(const TaskSpec& spec, const BertArchitecture& base = {kTiny, {}}) {
  absl::StatusOr<CostEstimate> estimate = EstimateCost(spec, base);
  EXPECT_TRUE(estimate.ok()) << estimate.status();
  return estimate.ok() ? *estimate : CostEstimate{};
}

TEST(EstimateCost, Fp32ModelWithoutStages) {
  const CostEstimate e = Estimate(Task("[]"));
  EXPECT_EQ(e.parameter_count, 322);
  ASSERT_EQ(e.layers.size(), 8u);
  EXPECT_EQ(e.layers[0].name, "bert.encoder.layer.0.attention.self.query");
  EXPECT_EQ(e.layers[0].input_sizes, (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(e.layers[7].name, "classifier");
  EXPECT_EQ(e.layers[7].input_sizes, (std::vector<int64_t>{1, 4}));
  EXPECT_DOUBLE_EQ(e.metrics.at("macs"), 408);
  EXPECT_DOUBLE_EQ(e.metrics.at("bitops"), 408 * 32 * 32);
  EXPECT_DOUBLE_EQ(e.metrics.at("weight_bits"), (152 + 34) * 32);
  // Unpruned: every weight non-zero, plus the 1-bit mask per weight.
  EXPECT_DOUBLE_EQ(e.metrics.at("effective_size_bits"), (152 + 34) * 32 + 152);
  EXPECT_DOUBLE_EQ(e.metrics.at("avg_bitwidth"), 32);
  EXPECT_DOUBLE_EQ(e.metrics.at("sparsity"), 0);
}

TEST(EstimateCost, EveryLayerAt8Bits) {
  const CostEstimate e =
      Estimate(Task(R"([{"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4},
               {"stage": "train"}, {"stage": "evaluate"}])"));
  EXPECT_DOUBLE_EQ(e.metrics.at("macs"), 408);
  EXPECT_DOUBLE_EQ(e.metrics.at("bitops"), 26112);              // 408 * 8 * 8
  EXPECT_DOUBLE_EQ(e.metrics.at("weight_bits"), 1488);          // 152 * 8 + 34 * 8
  EXPECT_DOUBLE_EQ(e.metrics.at("effective_size_bits"), 1640);  // 1216 + 152 mask bits + 272
  EXPECT_DOUBLE_EQ(e.metrics.at("avg_bitwidth"), 8);
}

TEST(EstimateCost, PerLayerPrecisionAndLaterStagesWin) {
  // The second quantise stage leaves every layer fp32 except the classifier, integer 4 on all
  // three operands: 8 MACs * 4 * 4 + 400 MACs * 32 * 32 BitOPs, (144 * 32 + 8 * 4) / 152 bits.
  const CostEstimate e = Estimate(Task(R"([{"stage": "quantise", "type": "integer"},
      {"stage": "quantise", "layers": {"classifier": {"type": "integer", "width": 4}}}])"));
  EXPECT_DOUBLE_EQ(e.metrics.at("bitops"), 8 * 4 * 4 + 400 * 32 * 32);
  EXPECT_DOUBLE_EQ(e.metrics.at("avg_bitwidth"), (144.0 * 32 + 8 * 4) / 152);
  // Biases: 32 of them fp32, the classifier's 2 at 4 bits.
  EXPECT_DOUBLE_EQ(e.metrics.at("weight_bits"), 144 * 32 + 8 * 4 + 32 * 32 + 2 * 4);
}

TEST(EstimateCost, IdentityLayersAndLocalL1Pruning) {
  // The query is Identity: 20 parameters and 48 MACs fewer. l1-norm at 0.3 prunes
  // floor(0.3f * (n - 1)) + 1 per layer: 5 of 16 (rank 4.5), 10 of 32 (9.3), 3 of 8 (2.1), so
  // 3 * 5 + 2 * 10 + 5 + 3 = 43 of 136 weights.
  const CostEstimate e = Estimate(Task(R"([{"stage": "prune", "sparsity": 0.3}])",
                                       R"({"identity_layers": ["layer0.attention.self.query"]})"));
  EXPECT_EQ(e.parameter_count, 302);
  EXPECT_DOUBLE_EQ(e.metrics.at("macs"), 360);
  ASSERT_EQ(e.layers.size(), 7u);
  EXPECT_EQ(e.layers[0].name, "bert.encoder.layer.0.attention.self.key");
  EXPECT_EQ(e.layers[0].nonzero_weights, 11);
  EXPECT_EQ(e.layers[3].nonzero_weights, 22);
  EXPECT_EQ(e.layers[6].nonzero_weights, 5);
  EXPECT_DOUBLE_EQ(e.metrics.at("sparsity"), 43.0 / 136);
  EXPECT_DOUBLE_EQ(e.metrics.at("effective_size_bits"), (136 - 43) * 32 + 136 + 30 * 32);
}

TEST(EstimateCost, LaterPruneStagesKeepEarlierZeros) {
  // 0.3 then 0.1 (which alone prunes 2 of 16): still 5 of 16; then 0.5: 8 of 16 (rank 7.5).
  const std::string first = R"({"stage": "prune", "sparsity": 0.3},)";
  EXPECT_EQ(Estimate(Task("[" + first + R"({"stage": "prune", "sparsity": 0.1}])"))
                .layers[0]
                .nonzero_weights,
            11);
  EXPECT_EQ(Estimate(Task("[" + first + R"({"stage": "prune", "sparsity": 0.5}])"))
                .layers[0]
                .nonzero_weights,
            8);
  // Zero sparsity still prunes the smallest weight; activation-only pruning prunes no weight.
  EXPECT_EQ(Estimate(Task(R"([{"stage": "prune", "sparsity": 0}])")).layers[0].nonzero_weights, 15);
  EXPECT_DOUBLE_EQ(
      Estimate(Task(R"([{"stage": "prune", "targets": ["activations"]}])")).metrics.at("sparsity"),
      0);
}

TEST(EstimateCost, GlobalAndRandomPruning) {
  // Global l1 at 0.3 prunes floor(0.3f * 151) + 1 = 46 of all 152 weights, split by layer size
  // rounded down (16 * 46 / 152 = 4.84 -> 4, 32 -> 9, 8 -> 2: 40), the remaining 6 one each to
  // the first 6 layers.
  const CostEstimate global =
      Estimate(Task(R"([{"stage": "prune", "sparsity": 0.3, "scope": "global"}])"));
  int64_t nonzero = 0;
  for (const LinearCostInput& layer : global.layers) nonzero += layer.nonzero_weights;
  EXPECT_EQ(nonzero, 152 - 46);
  EXPECT_EQ(global.layers[0].nonzero_weights, 16 - 5);
  EXPECT_EQ(global.layers[4].nonzero_weights, 32 - 10);
  EXPECT_EQ(global.layers[6].nonzero_weights, 16 - 4);
  EXPECT_DOUBLE_EQ(global.metrics.at("sparsity"), 46.0 / 152);
  // Random at 0.25 keeps the expected 3/4 of each layer: 12 of 16, 24 of 32, 6 of 8.
  const CostEstimate random =
      Estimate(Task(R"([{"stage": "prune", "sparsity": 0.25, "method": "random"}])"));
  EXPECT_EQ(random.layers[0].nonzero_weights, 12);
  EXPECT_EQ(random.layers[4].nonzero_weights, 24);
  EXPECT_EQ(random.layers[7].nonzero_weights, 6);
  EXPECT_DOUBLE_EQ(random.metrics.at("sparsity"), 0.25);
}

TEST(TrialArchitecture, TaskFieldsReplaceTheBaseAndIdentityLayersJoin) {
  const TaskSpec spec = Task("[]", R"({"num_layers": 3, "hidden_size": 8,
      "identity_layers": ["pooler.dense"]})");
  const BertArchitecture a =
      TrialArchitecture(spec.model, {kTiny, {"bert.encoder.layer.0.attention.self.key"}});
  EXPECT_EQ(a.dimensions.num_hidden_layers, 3);
  EXPECT_EQ(a.dimensions.hidden_size, 8);
  EXPECT_EQ(a.dimensions.intermediate_size, 8);  // kept from the base
  EXPECT_EQ(a.dimensions.vocab_size, 10);
  EXPECT_EQ(a.identity_layers, (std::set<std::string>{"bert.encoder.layer.0.attention.self.key",
                                                      "bert.pooler.dense"}));
}

TEST(EstimateCost, RefusesWhatTheWorkerCannotBuildNamingTheField) {
  struct Case {
    TaskSpec spec;
    BertDimensions base;
    std::string message;
  };
  BertDimensions no_hidden = kTiny;
  no_hidden.hidden_size = 0;
  BertDimensions short_positions = kTiny;
  short_positions.max_position_embeddings = 2;
  BertDimensions deep = kTiny;
  deep.num_hidden_layers = 1000;
  const Case cases[] = {
      {Task("[]"), no_hidden, "hidden_size must be in [1, 2147483647], got 0"},
      {Task("[]"), short_positions, "task.dataset.max_length (3) exceeds"},
      {Task("[]"), deep, "num_hidden_layers must be at most 256, got 1000"},
      {Task("[]", R"({"identity_layers": ["layer0.intermediate.dense"]})"), kTiny,
       "'bert.encoder.layer.0.intermediate.dense' is not a square Linear"},
      {Task(R"([{"stage": "train"}, {"stage": "quantise",
                 "layers": {"layer3.output.dense": {"type": "integer"}}}])"),
       kTiny, "task.stages[1].layers.bert.encoder.layer.3.output.dense: the model has no such"},
  };
  for (const Case& c : cases) {
    const absl::Status status = EstimateCost(c.spec, {c.base, {}}).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace nasq
