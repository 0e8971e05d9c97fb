#include "task/task_spec.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TaskSpec, ParsesEveryPart) {
  auto spec = ParseTaskSpec(R"({
    "kind": "bert-classify",
    "dataset": {"name": "csv", "path": "/data/x.csv", "text_field": "body", "label_field": "y",
                "labels": ["neg", "pos"], "test_fraction": 0.25, "split_seed": 3,
                "max_examples": 300, "max_length": 64},
    "tokenizer": {"vocab_size": 2000, "lower_case": false},
    "model": {"num_layers": 1, "num_heads": 4, "hidden_size": 32, "intermediate_size": 64,
              "dropout": 0.0, "init_seed": 7, "identity_layers": ["layer0.attention.self.key"]},
    "stages": [
      {"stage": "quantise", "type": "integer", "width": 8, "frac_width": 4,
       "weight": {"width": 6},
       "layers": {"classifier": {"type": "linear"},
                  "bert.encoder.layer.0.output.dense": {"block_size": [1, 16]}}},
      {"stage": "train", "learning_rate": 0.002, "epochs": 2, "batch_size": 16, "warmup_steps": 5},
      {"stage": "prune", "sparsity": 0.3, "method": "random", "scope": "global",
       "activation": {"method": "l1-norm"}, "targets": ["weights", "activations"]},
      {"stage": "quantize", "type": "minifloat_ieee", "exponent_width": 3},
      {"stage": "finetune", "epochs": 1},
      {"stage": "evaluate", "label": "final_check"}
    ],
    "evaluate_each_stage": false,
    "eval_batch_size": 16,
    "save_path": "/tmp/out-{trial}"
  })");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->dataset.format, DatasetFormat::kCsv);
  EXPECT_EQ(spec->dataset.text_field, "body");
  EXPECT_EQ(spec->dataset.labels, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(spec->dataset.max_examples, 300);
  EXPECT_EQ(spec->tokenizer.vocab_size, 2000);
  EXPECT_FALSE(spec->tokenizer.lower_case);
  EXPECT_EQ(spec->model.num_heads, 4);
  EXPECT_THAT(spec->model.identity_layers, ElementsAre("bert.encoder.layer.0.attention.self.key"));
  ASSERT_EQ(spec->stages.size(), 6u);
  const QuantiseStageSpec& q = spec->stages[0].quantise;
  EXPECT_EQ(q.default_precision.all.type, "integer");
  EXPECT_EQ(q.default_precision.all.width, 8);
  EXPECT_EQ(q.default_precision.weight.width, 6);
  EXPECT_EQ(q.layers.at("classifier").all.type, "none");
  EXPECT_EQ(q.layers.at("bert.encoder.layer.0.output.dense").all.block_size,
            (std::vector<int64_t>{1, 16}));
  EXPECT_EQ(spec->stages[1].train.learning_rate, 0.002);
  EXPECT_EQ(spec->stages[1].train.epochs, 2);
  const PruneStageSpec& p = spec->stages[2].prune;
  EXPECT_EQ(p.weight.sparsity, 0.3);
  EXPECT_EQ(p.weight.method, PruneMethod::kRandom);
  EXPECT_EQ(p.activation.method, PruneMethod::kL1Norm);
  EXPECT_EQ(p.activation.scope, PruneScope::kGlobal);
  EXPECT_EQ(spec->stages[3].kind, StageKind::kQuantise);
  EXPECT_EQ(spec->stages[4].kind, StageKind::kFinetune);
  EXPECT_EQ(spec->stages[5].label, "final_check");
  EXPECT_FALSE(spec->evaluate_each_stage);
  EXPECT_EQ(spec->save_path, "/tmp/out-{trial}");
}

// A stage written without fields runs the libraries' own defaults (task/train_settings.h,
// task/pruning_config.h), the ones docs/task-spec.md lists.
TEST(TaskSpec, BareStagesTakeTheLibrariesDefaults) {
  auto spec = ParseTaskSpec(
      R"({"kind": "bert-classify", "stages": [{"stage": "train"}, {"stage": "prune"}]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const TrainSettings& train = spec->stages[0].train;
  EXPECT_FALSE(train.learning_rate.has_value());
  EXPECT_EQ(train.epochs, 1);
  EXPECT_EQ(train.batch_size, 8);
  EXPECT_EQ(train.progress_every_steps, 50);
  const PruneStageSpec& prune = spec->stages[1].prune;
  for (const PruningSection& section : {prune.weight, prune.activation}) {
    EXPECT_EQ(section.sparsity, 0.5);
    EXPECT_EQ(section.method, PruneMethod::kL1Norm);
    EXPECT_EQ(section.scope, PruneScope::kLocal);
  }
  EXPECT_TRUE(prune.prune_weights && prune.prune_activations);
}

TEST(TaskSpec, DefaultsAreTheEmbeddedSpamAssassinAndBertTiny) {
  auto spec = ParseTaskSpec(R"({"kind": "bert-classify"})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->dataset.format, DatasetFormat::kSpamAssassin);
  EXPECT_EQ(spec->dataset.max_length, 128);
  EXPECT_FALSE(spec->model.num_layers.has_value());
  EXPECT_TRUE(spec->stages.empty());
  EXPECT_TRUE(spec->evaluate_each_stage);
}

struct BadCase {
  std::string name;
  std::string json;
  std::string message;
};

TEST(TaskSpec, RefusesBadSpecsNamingTheField) {
  const std::vector<BadCase> cases = {
      {"not json", "{", "task: not valid JSON"},
      {"not an object", "[1]", "task: expected an object"},
      {"no kind", "{}", "task.kind: required field is missing"},
      {"other kind", R"({"kind": "resnet"})", "task.kind: unsupported task kind \"resnet\""},
      {"unknown top field", R"({"kind": "bert-classify", "epochs": 1})",
       "task.epochs: unknown field"},
      {"unknown dataset", R"({"kind": "bert-classify", "dataset": {"name": "mnist"}})",
       "task.dataset.name: expected spam-assassin, imdb"},
      {"csv without path", R"({"kind": "bert-classify", "dataset": {"name": "csv"}})",
       "task.dataset.path: required"},
      {"labels on spam", R"({"kind": "bert-classify", "dataset": {"labels": ["a", "b"]}})",
       "apply to csv, tsv and jsonl only"},
      {"bad fraction", R"({"kind": "bert-classify", "dataset": {"test_fraction": 1}})",
       "task.dataset.test_fraction: expected a number in (0, 1), got 1"},
      {"short max_length", R"({"kind": "bert-classify", "dataset": {"max_length": 1}})",
       "task.dataset.max_length: expected an integer >= 2, got 1"},
      {"fractional layers", R"({"kind": "bert-classify", "model": {"num_layers": 1.5}})",
       "task.model.num_layers: expected an integer in [1, 256], got 1.5"},
      {"heads do not divide", R"({"kind": "bert-classify", "model": {"hidden_size": 30,
         "num_heads": 4}})",
       "task.model: num_heads (4) must divide hidden_size (30)"},
      {"arch with checkpoint",
       R"({"kind": "bert-classify", "model": {"checkpoint": "x", "hidden_size": 64}})",
       "comes from the checkpoint"},
      {"bad identity layer",
       R"({"kind": "bert-classify", "model": {"identity_layers": ["layer0.query"]}})",
       "task.model.identity_layers[0]: \"layer0.query\" is not a Linear layer name"},
      {"stage not object", R"({"kind": "bert-classify", "stages": ["train"]})",
       "task.stages[0]: expected an object"},
      {"stage missing kind", R"({"kind": "bert-classify", "stages": [{"epochs": 1}]})",
       "task.stages[0].stage: required field is missing"},
      {"unknown stage", R"({"kind": "bert-classify", "stages": [{"stage": "distil"}]})",
       "task.stages[0].stage: expected quantise, train"},
      {"bad sparsity",
       R"({"kind": "bert-classify", "stages": [{"stage": "prune", "sparsity": 1.5}]})",
       "task.stages[0].sparsity: expected a number in [0, 1], got 1.5"},
      {"bad method", R"({"kind": "bert-classify", "stages": [{"stage": "prune", "method": "l2"}]})",
       "task.stages[0].method: expected random, l1 or l1-norm"},
      {"bad target",
       R"({"kind": "bert-classify", "stages": [{"stage": "prune", "targets": ["biases"]}]})",
       "task.stages[0].targets: expected weights and/or activations"},
      {"train field on prune",
       R"({"kind": "bert-classify", "stages": [{"stage": "prune", "epochs": 1}]})",
       "task.stages[0].epochs: unknown field"},
      {"negative lr",
       R"({"kind": "bert-classify", "stages": [{"stage": "train", "learning_rate": -1}]})",
       "task.stages[0].learning_rate: expected a learning rate in (0, 10]"},
      {"bad quant type",
       R"({"kind": "bert-classify", "stages": [{"stage": "quantise", "type": "int4"}]})",
       "task.stages[0].type: "},
      {"identity in quantise",
       R"({"kind": "bert-classify", "stages": [{"stage": "quantise", "type": "identity"}]})",
       "\"identity\" is a model choice"},
      {"bad layer key",
       R"({"kind": "bert-classify", "stages": [{"stage": "quantise", "layers": {"fc1": {}}}]})",
       "task.stages[0].layers.fc1: \"fc1\" is not a Linear layer name"},
      {"unknown precision field",
       R"({"kind": "bert-classify", "stages": [{"stage": "quantise", "weight": {"bits": 4}}]})",
       "task.stages[0].weight.bits: unknown field"},
      {"duplicate labels",
       R"({"kind": "bert-classify", "stages": [{"stage": "evaluate", "label": "a"},
                                              {"stage": "evaluate", "label": "a"}]})",
       "task.stages[1].label: duplicate evaluate label"},
  };
  for (const BadCase& c : cases) {
    auto spec = ParseTaskSpec(c.json);
    ASSERT_FALSE(spec.ok()) << c.name;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(c.message)) << c.name;
  }
}

TEST(TaskSpec, CanonicalLayerNames) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"layer0.attention.self.query", "bert.encoder.layer.0.attention.self.query"},
      {"layer12.output.dense", "bert.encoder.layer.12.output.dense"},
      {"bert.encoder.layer.3.intermediate.dense", "bert.encoder.layer.3.intermediate.dense"},
      {"pooler.dense", "bert.pooler.dense"},
      {"bert.pooler.dense", "bert.pooler.dense"},
      {"classifier", "classifier"},
  };
  for (const auto& [input, expected] : cases) {
    auto name = CanonicalLayerName(input);
    ASSERT_TRUE(name.ok()) << input << ": " << name.status();
    EXPECT_EQ(*name, expected);
  }
  for (const char* bad : {"layer.0.output.dense", "layer0.attention.query", "pooler", ""}) {
    EXPECT_FALSE(CanonicalLayerName(bad).ok()) << bad;
  }
}

// Inputs that used to crash every worker that leased the trial (std::regex recursion) or to
// copy megabytes into messages: each is refused quickly, naming the field, in a short message.
TEST(TaskSpec, RefusesHostileInputsWithShortMessages) {
  const std::string long_label(100'000, 'a');
  const std::string many_digits(100'000, '1');
  std::string deep_list;
  for (int i = 0; i < 100'000; ++i) deep_list += '[';
  for (int i = 0; i < 100'000; ++i) deep_list += ']';
  const std::vector<BadCase> cases = {
      {"100,000-character evaluate label",
       R"({"kind": "bert-classify", "stages": [{"stage": "evaluate", "label": ")" + long_label +
           R"("}]})",
       "task.stages[0].label: expected 1 to 64 lower-case letters, digits and _"},
      {"label with other characters",
       R"({"kind": "bert-classify", "stages": [{"stage": "evaluate", "label": "Final"}]})",
       "task.stages[0].label: expected 1 to 64 lower-case letters"},
      {"layer index of 100,000 digits",
       R"({"kind": "bert-classify", "stages": [{"stage": "quantise", "layers": {"layer)" +
           many_digits + R"(.output.dense": {"width": 4}}}]})",
       "task.stages[0].layers.layer1111"},
      {"100,000-character stage kind",
       R"({"kind": "bert-classify", "stages": [{"stage": ")" + long_label + R"("}]})",
       "task.stages[0].stage: expected quantise, train, prune, finetune or evaluate, got \"aaaa"},
      {"100,000-character unknown field",
       R"({"kind": "bert-classify", "stages": [{"stage": "train", ")" + long_label + R"(": 1}]})",
       "task.stages[0].aaaa"},
      {"deeply nested value",
       R"({"kind": "bert-classify", "dataset": {"name": )" + deep_list + "}}",
       "task.dataset.name: expected a string, got a list"},
  };
  for (const BadCase& c : cases) {
    auto spec = ParseTaskSpec(c.json);
    ASSERT_FALSE(spec.ok()) << c.name;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(c.message)) << c.name;
    EXPECT_LT(spec.status().message().size(), 1000u) << c.name;
  }
}

TEST(TaskSpec, CanonicalLayerNameParsesIndicesWithoutRegex) {
  EXPECT_EQ(*CanonicalLayerName("layer007.output.dense"), "bert.encoder.layer.7.output.dense");
  EXPECT_EQ(*CanonicalLayerName("layer255.output.dense"), "bert.encoder.layer.255.output.dense");
  const std::string many_digits(100'000, '1');
  for (const std::string& bad :
       {"layer" + many_digits + ".output.dense",
        "bert.encoder.layer." + many_digits + ".output.dense", std::string("layer256.output.dense"),
        std::string("layer-1.output.dense"), std::string("layer1.output.dense.x"),
        std::string("layer1output.dense")}) {
    const auto name = CanonicalLayerName(bad);
    ASSERT_FALSE(name.ok()) << bad.substr(0, 40);
    EXPECT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_LT(name.status().message().size(), 1000u);
  }
}

TEST(TaskSpec, CompressionRangeAndMetricNames) {
  struct Case {
    std::string stages;
    bool checkpoint;
    std::optional<std::pair<size_t, size_t>> range;
  };
  const std::vector<Case> cases = {
      // QAT from scratch: quantising an untrained model is not compression.
      {R"([{"stage":"quantise"},{"stage":"train"}])", false, std::nullopt},
      // PTQ of a checkpoint is.
      {R"([{"stage":"quantise"}])", true, std::make_pair(size_t{0}, size_t{1})},
      // train -> prune -> quantise -> finetune: the compression run is [1, 3).
      {R"([{"stage":"train"},{"stage":"prune"},{"stage":"quantise"},{"stage":"finetune"}])", false,
       std::make_pair(size_t{1}, size_t{3})},
  };
  for (const Case& c : cases) {
    std::string json = R"({"kind":"bert-classify","stages":)" + c.stages;
    if (c.checkpoint) json += R"(,"model":{"checkpoint":"base"})";
    auto spec = ParseTaskSpec(json + "}");
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(CompressionRange(*spec), c.range) << c.stages;
    const auto names = ProducedMetricNames(*spec);
    EXPECT_EQ(std::count(names.begin(), names.end(), "accuracy_before_compression"),
              c.range ? 1 : 0);
    EXPECT_EQ(std::count(names.begin(), names.end(), "accuracy"), 1);
  }
}

TEST(TaskSpec, IntermediateEvaluationOptions) {
  auto off = ParseTaskSpec(R"({"kind": "bert-classify"})");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->evaluate_every_steps, 0);
  EXPECT_EQ(off->intermediate_eval_examples, 0);
  const auto off_names = ProducedMetricNames(*off);
  EXPECT_EQ(std::count(off_names.begin(), off_names.end(), "intermediate_eval_seconds"), 0);

  auto on = ParseTaskSpec(
      R"({"kind": "bert-classify", "evaluate_every_steps": 25, "intermediate_eval_examples": 64})");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->evaluate_every_steps, 25);
  EXPECT_EQ(on->intermediate_eval_examples, 64);
  const auto on_names = ProducedMetricNames(*on);
  EXPECT_EQ(std::count(on_names.begin(), on_names.end(), "intermediate_eval_seconds"), 1);

  for (const char* field : {"evaluate_every_steps", "intermediate_eval_examples"}) {
    auto bad = ParseTaskSpec(absl::StrCat(R"({"kind": "bert-classify", ")", field, R"(": -1})"));
    ASSERT_FALSE(bad.ok()) << field;
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(absl::StrCat("task.", field)));
  }
}

}  // namespace
}  // namespace nasq
