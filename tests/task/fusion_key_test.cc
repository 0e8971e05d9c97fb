#include "task/fusion_key.h"

#include <string>

#include "gtest/gtest.h"
#include "task/param_binding.h"

namespace nasq {
namespace {

constexpr char kQuantisedTask[] = R"({
  "kind": "bert-classify",
  "dataset": {"max_length": 64},
  "model": {"num_layers": 2, "hidden_size": 64, "num_heads": 2},
  "stages": [
    {"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4},
    {"stage": "train", "learning_rate": 0.001, "epochs": 1, "batch_size": 8}
  ]
})";

TaskSpec Bound(const ExternalParams& params, const char* task = kQuantisedTask) {
  auto spec = ParseTaskSpec(task);
  EXPECT_TRUE(spec.ok()) << spec.status();
  auto bound = BindTrialParams(*spec, params);
  EXPECT_TRUE(bound.ok()) << bound.status();
  return *bound;
}

TEST(FusionKey, PerMemberChoicesKeepTheKey) {
  const std::string base = FusionKey(Bound({}));
  ASSERT_FALSE(base.empty());
  EXPECT_EQ(FusionKey(Bound({{"layer0.attention.self.query.type", std::string("linear")},
                             {"classifier.width", int64_t{4}},
                             {"train.learning_rate", 0.01},
                             {"train.seed", int64_t{7}},
                             {"layer1.attention.output.dense.type", std::string("identity")}})),
            base);
}

TEST(FusionKey, ShapeAndScheduleChangeTheKey) {
  const std::string base = FusionKey(Bound({}));
  EXPECT_NE(FusionKey(Bound({{"num_layers", int64_t{1}}})), base);
  EXPECT_NE(FusionKey(Bound({{"hidden_size", int64_t{32}}})), base);
  EXPECT_NE(FusionKey(Bound({{"train.batch_size", int64_t{16}}})), base);
  EXPECT_NE(FusionKey(Bound({{"train.epochs", int64_t{2}}})), base);
  EXPECT_NE(FusionKey(Bound({{"dropout", 0.0}})), base);
}

TEST(FusionKey, PruneStagesAndStepEvaluationsAreNotFusable) {
  EXPECT_EQ(FusionKey(Bound({}, R"({"kind": "bert-classify",
      "stages": [{"stage": "train"}, {"stage": "prune"}]})")),
            "");
  EXPECT_EQ(FusionKey(Bound({}, R"({"kind": "bert-classify", "evaluate_every_steps": 10,
      "stages": [{"stage": "train"}]})")),
            "");
}

}  // namespace
}  // namespace nasq
