// Tests for task/study_validation.h: a bert-classify study's task against its space and metrics.
#include "task/study_validation.h"

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr char kTask[] = R"({"kind": "bert-classify", "stages": [
    {"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4},
    {"stage": "train"}, {"stage": "prune"}, {"stage": "evaluate", "label": "final"}]})";

StudySpec Study(std::vector<ParamSpec> params, std::vector<std::string> metrics,
                const std::string& task = kTask) {
  StudySpec spec;
  spec.name = "s";
  spec.directions.assign(metrics.size(), StudyDirection::kMaximize);
  spec.metric_names = std::move(metrics);
  auto space = SearchSpace::Create(std::move(params));
  EXPECT_TRUE(space.ok()) << space.status();
  spec.space = *space;
  spec.task_json = task;
  return spec;
}

ParamSpec Int(const std::string& name, int64_t low, int64_t high) {
  return {name, IntDistribution{.low = low, .high = high}, {}};
}

ParamSpec Float(const std::string& name, double low, double high) {
  return {name, FloatDistribution{.low = low, .high = high}, {}};
}

ParamSpec Choice(const std::string& name, std::vector<ParamValue> choices) {
  return {name, CategoricalDistribution{std::move(choices)}, {}};
}

TEST(StudyValidation, AcceptsParamsThatBindAndProducedMetrics) {
  const StudySpec study =
      Study({Int("num_layers", 1, 4), Float("prune.sparsity", 0.0, 0.9),
             Choice("layer0.output.dense.type", {std::string("integer"), std::string("identity")}),
             Choice("num_heads", {int64_t{2}, int64_t{3}})},
            {"accuracy_final", "bitops", "accuracy_after_compression"});
  EXPECT_TRUE(ValidateBertClassifyStudy(study).ok()) << ValidateBertClassifyStudy(study);
}

TEST(StudyValidation, RefusesNamingTheField) {
  const std::vector<std::pair<StudySpec, std::string>> cases = {
      {Study({Int("num_layers", 1, 2)}, {"acuracy"}),
       "metric_names[0] 'acuracy' is not produced by the task; it produces: accuracy, f1, loss"},
      {Study({Int("num_layers", 1, 2)}, {"accuracy", "accuracy_first"}),
       "metric_names[1] 'accuracy_first' is not produced"},
      {Study({Int("num_layerz", 1, 2)}, {"accuracy"}),
       "space.params.num_layerz: binds to no task field"},
      {Study({Float("prune.sparsity", 0.5, 1.5)}, {"accuracy"}),
       "space.params.prune.sparsity: expected a number in [0, 1], got 1.5"},
      {Study({Choice("layer0.output.dense.type", {std::string("integer"), std::string("int4")})},
             {"accuracy"}),
       "space.params.layer0.output.dense.type: unknown quantisation format \"int4\""},
      {Study({Int("num_layers", 1, 2)}, {"accuracy"},
             R"({"kind": "bert-classify", "stages": [{"stage": "train", "warmup": 3}]})"),
       "task.stages[0].warmup: unknown field"},
      {Study({Int("num_layers", 1, 2)}, {"accuracy"}, R"({"kind": "bert-classify", "x": 1})"),
       "task.x: unknown field"},
  };
  for (const auto& [study, message] : cases) {
    const absl::Status status = ValidateBertClassifyStudy(study);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(std::string(status.message()), HasSubstr(message));
  }
}

}  // namespace
}  // namespace nasq
