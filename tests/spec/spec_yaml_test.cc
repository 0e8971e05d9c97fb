#include "spec/spec_yaml.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr char kFullSpec[] = R"(
name: bert-mpq
directions: [maximize, minimize]
metrics: [accuracy, bits]
space:
  params:
    num_layers: {type: int, low: 2, high: 6}
    lr: {type: float, low: 1e-5, high: 1e-2, log: true}
    dropout: {type: float, low: 0.0, high: 0.5, step: 0.1}
    width: {type: categorical, choices: [4, 8, 16]}
    act: [relu, gelu]
    flags: {choices: [true, false, "yes", 2.5]}
    layer4.width:
      type: categorical
      choices: [4, 8]
      when: {parent: num_layers, op: ">=", value: 4}
    layer4.frac:
      type: int
      low: 1
      high: 7
      when:
        - {parent: num_layers, op: ">=", value: 4}
        - {parent: act, in: [gelu]}
    frac_width: {type: int, low: 1, high: 15}
  constraints:
    - {lhs: frac_width, op: "<", rhs: width}
    - {lhs: layer4.frac, op: "<=", rhs: layer4.width, offset: -1}
    - {lhs: frac_width, op: ">=", rhs: 2}
sampler:
  type: tpe
  seed: 42
  n_startup_trials: 5
  n_ei_candidates: 32
  multivariate: true
  group: true
  constant_liar: true
  prior_weight: 2.0
  consider_magic_clip: false
  consider_endpoints: true
max_trials: 100
max_retries: 3
max_consecutive_failures: 4
lease: {duration: 1500ms, heartbeat_interval: 0.5}
task:
  kind: bert-classify
  epochs: 2
  data: {name: spam, max_len: 128}
  labels: [ham, spam]
  note: "007"
  ratio: .inf
  nothing: ~
user_attrs:
  owner: lab1
)";

TEST(SpecYaml, ParsesEveryField) {
  auto spec = ParseStudySpecYaml(kFullSpec, "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "bert-mpq");
  EXPECT_EQ(spec->directions,
            (std::vector<StudyDirection>{StudyDirection::kMaximize, StudyDirection::kMinimize}));
  EXPECT_EQ(spec->metric_names, (std::vector<std::string>{"accuracy", "bits"}));
  ASSERT_EQ(spec->space.size(), 9u);

  const ParamSpec* lr = spec->space.Find("lr");
  ASSERT_NE(lr, nullptr);
  EXPECT_EQ(std::get<FloatDistribution>(lr->distribution),
            (FloatDistribution{1e-5, 1e-2, true, std::nullopt}));
  EXPECT_EQ(std::get<FloatDistribution>(spec->space.Find("dropout")->distribution).step, 0.1);
  EXPECT_EQ(std::get<IntDistribution>(spec->space.Find("num_layers")->distribution),
            (IntDistribution{2, 6, false, 1}));

  const auto& flags = std::get<CategoricalDistribution>(spec->space.Find("flags")->distribution);
  ASSERT_EQ(flags.choices.size(), 4u);
  EXPECT_EQ(std::get<bool>(flags.choices[0]), true);
  EXPECT_EQ(std::get<std::string>(flags.choices[2]), "yes");
  EXPECT_EQ(std::get<double>(flags.choices[3]), 2.5);
  const auto& width = std::get<CategoricalDistribution>(spec->space.Find("width")->distribution);
  EXPECT_EQ(std::get<int64_t>(width.choices[1]), 8);
  EXPECT_EQ(std::get<CategoricalDistribution>(spec->space.Find("act")->distribution).choices,
            (std::vector<ParamValue>{std::string("relu"), std::string("gelu")}));

  const ParamSpec* l4 = spec->space.Find("layer4.frac");
  ASSERT_EQ(l4->conditions.size(), 2u);
  EXPECT_EQ(l4->conditions[0].parent, "num_layers");
  EXPECT_EQ(l4->conditions[0].op, CompareOp::kGe);
  EXPECT_EQ(std::get<int64_t>(l4->conditions[0].values.at(0)), 4);
  EXPECT_EQ(l4->conditions[1].op, CompareOp::kIn);
  EXPECT_EQ(std::get<std::string>(l4->conditions[1].values.at(0)), "gelu");

  ASSERT_EQ(spec->space.constraints().size(), 3u);
  EXPECT_EQ(spec->space.constraints()[0].rhs, "width");
  EXPECT_EQ(spec->space.constraints()[1].offset, -1.0);
  EXPECT_EQ(spec->space.constraints()[2].rhs, "");
  EXPECT_EQ(spec->space.constraints()[2].offset, 2.0);

  EXPECT_EQ(spec->sampler.kind, SamplerKind::kTpe);
  EXPECT_EQ(spec->sampler.seed, 42u);
  TpeOptions tpe{5, 32, 2.0, false, true, true, true, true};
  EXPECT_EQ(spec->sampler.tpe, tpe);
  EXPECT_EQ(spec->max_trials, 100);
  EXPECT_EQ(spec->max_retries, 3);
  EXPECT_EQ(spec->max_consecutive_failures, 4);
  EXPECT_EQ(spec->lease_duration_ms, 1500);
  EXPECT_EQ(spec->heartbeat_interval_ms, 500);
  EXPECT_EQ(spec->user_attrs.at("owner"), "\"lab1\"");
}

TEST(SpecYaml, TaskSectionBecomesJsonInDeclarationOrder) {
  auto spec = ParseStudySpecYaml(kFullSpec, "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->task_json,
            R"({"kind":"bert-classify","epochs":2,"data":{"name":"spam","max_len":128},)"
            R"("labels":["ham","spam"],"note":"007","ratio":".inf","nothing":null})");
}

TEST(SpecYaml, DefaultsForOmittedFields) {
  auto spec = ParseStudySpecYaml(R"(
name: tiny
space:
  params:
    x: {type: float, low: -1, high: 1}
)",
                                 "tiny.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->directions, std::vector<StudyDirection>{StudyDirection::kMinimize});
  EXPECT_TRUE(spec->metric_names.empty());
  EXPECT_EQ(spec->sampler, SamplerConfig{});
  EXPECT_EQ(spec->max_trials, 0);
  EXPECT_EQ(spec->task_json, "{}");
  EXPECT_EQ(spec->lease_duration_ms, StudySpec{}.lease_duration_ms);
}

TEST(SpecYaml, GridAndRandomSamplers) {
  for (const char* type : {"grid", "random"}) {
    auto spec = ParseStudySpecYaml(
        std::string("name: s\ndirection: maximize\nmetric: acc\n"
                    "space: {params: {w: [4, 8], n: {type: int, low: 1, high: 3}}}\n"
                    "sampler: {type: ") +
            type + ", seed: 7}\n",
        "s.yaml");
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(SamplerKindName(spec->sampler.kind), std::string(type));
    EXPECT_EQ(spec->sampler.seed, 7u);
    EXPECT_EQ(spec->metric_names, std::vector<std::string>{"acc"});
    EXPECT_FALSE(spec->sampler.skip_duplicates);
  }
  auto skipping = ParseStudySpecYaml(
      "name: s\nspace: {params: {w: [4, 8]}}\nsampler: {type: random, skip_duplicates: true}\n",
      "s.yaml");
  ASSERT_TRUE(skipping.ok()) << skipping.status();
  EXPECT_TRUE(skipping->sampler.skip_duplicates);
}

TEST(SpecYaml, Nsga2SamplerAndItsOptions) {
  auto spec = ParseStudySpecYaml(
      "name: s\ndirections: [minimize, maximize]\nspace: {params: {x: {type: float, low: 0, "
      "high: 1}}}\nsampler: {type: nsga2, seed: 3, population_size: 20, crossover: sbx, eta: 15, "
      "mutation_prob: 0.1, crossover_prob: 0.8}\n",
      "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->sampler.kind, SamplerKind::kNsga2);
  Nsga2Options want;
  want.population_size = 20;
  want.crossover = Nsga2Crossover::kSbx;
  want.eta = 15;
  want.mutation_prob = 0.1;
  want.crossover_prob = 0.8;
  EXPECT_EQ(spec->sampler.nsga2, want);
  EXPECT_EQ(spec->sampler.tpe, TpeOptions{});
}

TEST(SpecYaml, ReferencePointAndItsBadValues) {
  const std::string head =
      "name: s\ndirections: [maximize, minimize]\nspace: {params: {w: [4, 8]}}\n";
  auto spec = ParseStudySpecYaml(head + "reference_point: [0.0, 32]\n", "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->reference_point, (std::vector<double>{0.0, 32.0}));
  auto none = ParseStudySpecYaml(head, "s.yaml");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->reference_point.empty());

  const std::pair<std::string, std::string> cases[] = {
      {"[0.5]", "s.yaml:4:1: reference_point: expected one value per direction (2), got 1"},
      {"[0.5, .inf]", "s.yaml:4:1: reference_point[1]: must be finite (got inf)"},
      {"[0.5, .nan]", "reference_point[1]: must be finite (got nan)"},
      {"[0.5, lots]", "s.yaml:4:24: reference_point[1]: expected a number, got \"lots\""},
      {"0.5", "reference_point: expected a list, got \"0.5\""},
  };
  for (const auto& [point, expected] : cases) {
    auto bad = ParseStudySpecYaml(head + "reference_point: " + point + "\n", "s.yaml");
    ASSERT_FALSE(bad.ok()) << point;
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << point;
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(expected)) << point;
  }
}

// Every example of docs/study-spec.md "Pruners" parses to its kind with its options.
TEST(SpecYaml, Pruners) {
  const std::string head = "name: s\ndirection: maximize\nspace: {params: {w: [4, 8]}}\n";
  struct Case {
    std::string pruner;
    std::function<bool(const PrunerConfig&)> check;
  };
  const Case cases[] = {
      {"{type: median, n_startup_trials: 3, n_warmup_steps: 2, interval_steps: 2, "
       "n_min_trials: 4}",
       [](const PrunerConfig& p) {
         return p.kind == PrunerKind::kMedian &&
                p.percentile == PercentilePrunerOptions{.n_startup_trials = 3,
                                                        .n_warmup_steps = 2,
                                                        .interval_steps = 2,
                                                        .n_min_trials = 4};
       }},
      {"{type: percentile, percentile: 25.0}",
       [](const PrunerConfig& p) {
         return p.kind == PrunerKind::kPercentile && p.percentile.percentile == 25.0;
       }},
      {"{type: successive_halving, min_resource: 2, reduction_factor: 3, "
       "min_early_stopping_rate: 1, bootstrap_count: 2}",
       [](const PrunerConfig& p) {
         return p.successive_halving == SuccessiveHalvingPrunerOptions{2, 3, 1, 2};
       }},
      {"{type: hyperband, min_resource: 2, max_resource: 27}",
       [](const PrunerConfig& p) {
         return p.kind == PrunerKind::kHyperband && p.hyperband.max_resource == 27 &&
                p.hyperband.reduction_factor == 3;
       }},
      {"{type: threshold, lower: 0.5, upper: .inf}",
       [](const PrunerConfig& p) {
         return p.threshold.lower == 0.5 && std::isinf(p.threshold.upper);
       }},
      {"{type: patient, patience: 3, min_delta: 0.1, wrapped: median, n_startup_trials: 7, "
       "objective: 0}",
       [](const PrunerConfig& p) {
         return p.kind == PrunerKind::kPatient && p.wrapped == PrunerKind::kMedian &&
                p.patient.patience == 3 && p.patient.min_delta == 0.1 &&
                p.percentile.n_startup_trials == 7;
       }},
  };
  for (const Case& c : cases) {
    auto spec = ParseStudySpecYaml(head + "pruner: " + c.pruner + "\n", "s.yaml");
    ASSERT_TRUE(spec.ok()) << c.pruner << ": " << spec.status();
    EXPECT_TRUE(c.check(spec->pruner)) << c.pruner;
  }
  auto none = ParseStudySpecYaml(head, "s.yaml");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->pruner.kind, PrunerKind::kNone);
}

TEST(SpecYaml, BadPrunerValuesAreRefusedNamingTheField) {
  const std::string head = "name: s\ndirections: [maximize]\nspace: {params: {w: [4, 8]}}\n";
  const std::pair<std::string, std::string> cases[] = {
      {"{type: asha}", "s.yaml:4:16: pruner.type: expected none, median"},
      {"{type: median, percentile: 20}", "pruner.percentile: unknown field"},
      {"{type: median, wrapped: median}", "pruner.wrapped: unknown field"},
      {"{type: percentile, percentile: 120}",
       "pruner.percentile: must be between 0 and 100 (got 120)"},
      {"{type: successive_halving, reduction_factor: 1}",
       "pruner.reduction_factor: must be between 2 and 1000 (got 1)"},
      {"{type: successive_halving, bootstrap_count: 1}", "pruner.bootstrap_count: needs"},
      {"{type: hyperband, min_resource: 9, max_resource: 3}",
       "pruner.max_resource: must be >= min_resource"},
      {"{type: threshold}", "pruner: give lower or upper"},
      {"{type: threshold, lower: 2, upper: 1}", "pruner.upper: must be >= lower"},
      {"{type: patient, patience: -1}", "pruner.patience: must be between 0"},
      {"{type: patient, wrapped: patient}", "pruner.wrapped: a patient pruner cannot wrap"},
      {"{type: median, objective: 1}", "pruner.objective: must be < the number of objectives"},
      {"{type: median, n_startup_trials: many}", "pruner.n_startup_trials: expected an integer"},
      {"[median]", "pruner: expected a mapping"},
  };
  for (const auto& [pruner, expected] : cases) {
    auto spec = ParseStudySpecYaml(head + "pruner: " + pruner + "\n", "s.yaml");
    ASSERT_FALSE(spec.ok()) << pruner;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << pruner;
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(expected)) << pruner;
  }
}

// Every NSGA-II and pruner option (docs/study-spec.md "Options") refuses a value out of its
// range naming itself: -1 breaks each rule but the threshold bounds', which NaN breaks.
TEST(SpecYaml, EveryNsga2AndPrunerOptionRefusesABadValueNamingIt) {
  const std::string head =
      "name: s\ndirections: [maximize, minimize]\nspace: {params: {w: [4, 8]}}\n";
  std::vector<std::pair<std::string, std::string>> cases;  // the section -> the option
  for (const Field<Nsga2Options>& field : kNsga2OptionFields) {
    cases.emplace_back("sampler: {type: nsga2, ", field.name);
  }
  const auto add = [&](const std::string& section, const auto& fields) {
    for (const auto& field : fields) cases.emplace_back(section, field.name);
  };
  add("pruner: {type: median, ", kPrunerOptionFields);
  add("pruner: {type: percentile, ", kPercentilePrunerFields);
  add("pruner: {type: successive_halving, ", kSuccessiveHalvingPrunerFields);
  add("pruner: {type: hyperband, ", kHyperbandPrunerFields);
  add("pruner: {type: threshold, n_warmup_steps: 1, ", kThresholdPrunerFields);
  add("pruner: {type: patient, ", kPatientPrunerFields);
  for (const auto& [section, name] : cases) {
    const std::string value = name == "lower" || name == "upper" ? ".nan" : "-1";
    const std::string yaml = head + section + name + ": " + value + "}\n";
    SCOPED_TRACE(yaml);
    auto spec = ParseStudySpecYaml(yaml, "s.yaml");
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string path = section.starts_with("sampler") ? "sampler." : "pruner.";
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr("s.yaml:4:"));
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(": " + path + name + ": "));
  }
  EXPECT_GE(cases.size(), 30u);
}

TEST(SpecYaml, Budgets) {
  const std::string head = "name: s\ndirections: [maximize]\nspace: {params: {w: [4, 8]}}\n";
  absl::StatusOr<StudySpec> spec =
      ParseStudySpecYaml(head +
                             "budgets:\n  avg_bitwidth: {max: 6}\n  bitops: {max: 2.0e9}\n"
                             "  sparsity: {min: 0.3, max: 0.9}\n",
                         "s.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const Budgets expected = {{"avg_bitwidth", {.max = 6}},
                            {"bitops", {.max = 2.0e9}},
                            {"sparsity", {.min = 0.3, .max = 0.9}}};
  EXPECT_EQ(spec->budgets, expected);
  EXPECT_TRUE(ParseStudySpecYaml(head, "s.yaml")->budgets.empty());

  const std::pair<std::string, std::string> cases[] = {
      {"{avg_bitwidth: {max: .inf}}", "s.yaml:4:"},
      {"{avg_bitwidth: {max: .inf}}", "budgets.avg_bitwidth.max: must be finite (got inf)"},
      {"{avg_bitwidth: {min: .nan}}", "budgets.avg_bitwidth.min: must be finite"},
      {"{sparsity: {}}", "budgets.sparsity: needs min or max"},
      {"{sparsity: {min: 0.5, max: 0.2}}", "budgets.sparsity: min (0.5) > max (0.2)"},
      {"{sparsity: {maximum: 1}}", "budgets.sparsity.maximum: unknown field"},
      {"{sparsity: {max: many}}", "budgets.sparsity.max: expected a number"},
      {"{sparsity: 0.5}", "budgets.sparsity: expected a mapping"},
      {"{\"avg bits\": {max: 4}}", "budgets: a metric name must match"},
      {"[avg_bitwidth]", "budgets: expected a mapping"},
  };
  for (const auto& [budgets, expected_error] : cases) {
    auto bad = ParseStudySpecYaml(head + "budgets: " + budgets + "\n", "s.yaml");
    ASSERT_FALSE(bad.ok()) << budgets;
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << budgets;
    EXPECT_THAT(std::string(bad.status().message()), HasSubstr(expected_error)) << budgets;
  }
}

struct BadSpec {
  const char* label;
  std::string yaml;
  std::string expected;  // a substring of the one-line error
};

std::string WithParams(const std::string& params_yaml, const std::string& rest = "") {
  return "name: s\nspace:\n  params:\n" + params_yaml + rest;
}

// Runs each case through ParseStudySpecYaml and checks the one-line INVALID_ARGUMENT error.
void ExpectRefused(const std::vector<BadSpec>& cases) {
  for (const BadSpec& c : cases) {
    SCOPED_TRACE(c.label);
    auto spec = ParseStudySpecYaml(c.yaml, "bad.yaml");
    ASSERT_FALSE(spec.ok());
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(spec.status().message()), HasSubstr(c.expected));
    EXPECT_EQ(std::string(spec.status().message()).find('\n'), std::string::npos);
  }
}

TEST(SpecYaml, RejectsBadSpecsWithOneLineErrors) {
  ExpectRefused({
      {"malformed", "name: [unclosed\n", "bad.yaml:2:1: invalid YAML:"},
      {"empty", "", "bad.yaml: empty study spec"},
      {"not a mapping", "- a\n- b\n", "bad.yaml:1:1: expected a mapping, got a list"},
      {"unknown top field", "name: s\nfoo: 1\n", "bad.yaml:2:1: foo: unknown field"},
      {"missing name", "space: {params: {x: [1]}}\n", "name: required field is missing"},
      {"missing space", "name: s\n", "space: required field is missing"},
      // Found by fuzz/spec_yaml_fuzzer: nlohmann's dump threw on these and the CLI aborted.
      {"invalid utf-8 in task", "name: s\nspace: {params: {x: [1]}}\ntask: {kind: \"a\xff\"}\n",
       "bad.yaml:3:14: task.kind: must be valid UTF-8"},
      {"invalid utf-8 in user_attrs",
       "name: s\nspace: {params: {x: [1]}}\nuser_attrs: {owner: [\"\xc3\x28\"]}\n",
       "bad.yaml:3:22: user_attrs.owner[0]: must be valid UTF-8"},
      {"bad low", WithParams("    lr: {type: float, low: abc, high: 1}\n"),
       "bad.yaml:4:28: space.params.lr.low: expected a number, got \"abc\""},
      {"int low not integer", WithParams("    n: {type: int, low: 1.5, high: 4}\n"),
       "space.params.n.low: expected an integer, got \"1.5\""},
      {"missing high", WithParams("    n: {type: int, low: 1}\n"),
       "space.params.n.high: required field is missing"},
      {"unknown param field", WithParams("    n: {type: int, low: 1, high: 2, choices: [1]}\n"),
       "bad.yaml:4:37: space.params.n.choices: unknown field"},
      {"unknown type", WithParams("    n: {type: double, low: 1, high: 2}\n"),
       "space.params.n.type: expected float, int or categorical, got \"double\""},
      {"missing type", WithParams("    n: {low: 1, high: 2}\n"), "space.params.n.type: required"},
      {"low above high", WithParams("    x: {type: float, low: 2, high: 1}\n"),
       "bad.yaml:4:5: space.params.x"},
      {"log with zero low", WithParams("    x: {type: float, low: 0, high: 1, log: true}\n"),
       "space.params.x"},
      {"log not bool", WithParams("    x: {type: float, low: 1, high: 2, log: maybe}\n"),
       "space.params.x.log: expected true or false, got \"maybe\""},
      {"empty choices", WithParams("    c: {choices: []}\n"), "space.params.c.choices: needs"},
      {"duplicate choices", WithParams("    c: [a, a]\n"), "space.params.c"},
      {"null choice", WithParams("    c: [a, ~]\n"), "space.params.c.choices[1]: expected"},
      {"duplicate param", WithParams("    c: [a]\n    c: [b]\n"),
       "bad.yaml:5:5: space.params.c: duplicate parameter"},
      {"unknown parent",
       WithParams("    c: {choices: [a], when: {parent: nope, op: \"==\", value: 1}}\n"),
       "space.params.c"},
      {"bad op",
       WithParams(
           "    n: [1, 2]\n    c: {choices: [a], when: {parent: n, op: \"=~\", value: 1}}\n"),
       "space.params.c.when.op: expected one of"},
      {"two condition forms",
       WithParams("    n: [1, 2]\n    c: {choices: [a], when: {parent: n, op: \"==\", value: 1, "
                  "in: [2]}}\n"),
       "space.params.c.when: give exactly one of"},
      {"unknown condition field",
       WithParams("    n: [1, 2]\n    c: {choices: [a], when: [{parent: n, in: [1], and: 2}]}\n"),
       "space.params.c.when[0].and: unknown field"},
      {"constraint unknown param",
       WithParams("    n: {type: int, low: 1, high: 4}\n",
                  "  constraints:\n    - {lhs: n, op: \"<\", rhs: m}\n"),
       "bad.yaml:6:7: space.constraints[0]"},
      {"constraint in op",
       WithParams("    n: {type: int, low: 1, high: 4}\n",
                  "  constraints:\n    - {lhs: n, op: in, rhs: 3}\n"),
       "space.constraints[0].op: expected one of ==, !=, <, <=, >, >="},
      {"constraint offset with number",
       WithParams("    n: {type: int, low: 1, high: 4}\n",
                  "  constraints:\n    - {lhs: n, op: \"<\", rhs: 3, offset: 1}\n"),
       "space.constraints[0].offset: only allowed when rhs names a parameter"},
      {"unknown sampler", WithParams("    n: [1]\n", "sampler: {type: cmaes}\n"),
       "sampler.type: expected grid, random or tpe, got \"cmaes\""},
      {"tpe option on random", WithParams("    n: [1]\n", "sampler: {type: random, group: true}\n"),
       "sampler.group: only valid with type: tpe"},
      {"nsga2 option on tpe", WithParams("    n: [1]\n", "sampler: {population_size: 10}\n"),
       "sampler.population_size: only valid with type: nsga2"},
      {"crossover on random",
       WithParams("    n: [1]\n", "sampler: {type: random, crossover: sbx}\n"),
       "sampler.crossover: only valid with type: nsga2"},
      {"unknown crossover", WithParams("    n: [1]\n", "sampler: {type: nsga2, crossover: pmx}\n"),
       "sampler.crossover: expected uniform, blxalpha, sbx, vsbx, spx or undx, got \"pmx\""},
      {"population of one",
       WithParams("    n: [1]\n", "sampler: {type: nsga2, population_size: 1}\n"),
       "sampler.population_size: must be between 2 and 100000 (got 1)"},
      {"three parents, population of two",
       WithParams("    n: [1]\n", "sampler: {type: nsga2, population_size: 2, crossover: undx}\n"),
       "sampler.population_size: must be >= 3 with crossover undx"},
      {"mutation_prob above 1",
       WithParams("    n: [1]\n", "sampler: {type: nsga2, mutation_prob: 1.5}\n"),
       "bad.yaml:5:24: sampler.mutation_prob: must be between 0 and 1 (got 1.5)"},
      {"use_child_gene_prob 0",
       WithParams("    n: [1]\n", "sampler: {type: nsga2, use_child_gene_prob: 0}\n"),
       "sampler.use_child_gene_prob: must be > 0 and <= 1"},
      {"negative alpha", WithParams("    n: [1]\n", "sampler: {type: nsga2, alpha: -1}\n"),
       "sampler.alpha: must be >= 0 and finite"},
      {"unknown sampler field", WithParams("    n: [1]\n", "sampler: {type: tpe, gamma: 0.1}\n"),
       "sampler.gamma: unknown field"},
      {"group without multivariate",
       WithParams("    n: [1]\n", "sampler: {type: tpe, group: true}\n"),
       "bad.yaml:5:22: sampler.group: requires multivariate"},
      {"grid over continuous",
       WithParams("    x: {type: float, low: 0, high: 1}\n", "sampler: {type: grid}\n"),
       "sampler.type: grid needs every param to be discrete"},
      {"grid skipping duplicates",
       WithParams("    n: [1]\n", "sampler: {type: grid, skip_duplicates: true}\n"),
       "bad.yaml:5:23: sampler.skip_duplicates: not with grid"},
      {"skip_duplicates not bool",
       WithParams("    n: [1]\n", "sampler: {type: random, skip_duplicates: 2}\n"),
       "sampler.skip_duplicates: expected true or false, got \"2\""},
      {"negative seed", WithParams("    n: [1]\n", "sampler: {seed: -1}\n"),
       "sampler.seed: must be >= 0"},
      {"bad direction", "name: s\ndirection: up\nspace: {params: {n: [1]}}\n",
       "bad.yaml:2:12: direction: expected minimize or maximize, got \"up\""},
      {"direction and directions",
       "name: s\ndirection: minimize\ndirections: [minimize]\nspace: {params: {n: [1]}}\n",
       "directions: give either direction or directions"},
      {"metric count", "name: s\nmetrics: [a, b]\nspace: {params: {n: [1]}}\n",
       "bad.yaml:2:1: metrics: expected one name per direction"},
      {"bad name", "name: \"has space\"\nspace: {params: {n: [1]}}\n", "bad.yaml:1:1: name: must"},
      {"negative max_trials", WithParams("    n: [1]\n", "max_trials: -5\n"),
       "max_trials: must be between 0 and 1000000000"},
      {"bad duration", WithParams("    n: [1]\n", "lease: {duration: soon}\n"),
       "lease.duration: expected a duration"},
      {"heartbeat too long",
       WithParams("    n: [1]\n", "lease: {duration: 1s, heartbeat_interval: 2s}\n"),
       "bad.yaml:5:23: lease.heartbeat_interval: must be > 0"},
      {"unknown lease field", WithParams("    n: [1]\n", "lease: {ttl: 3}\n"),
       "lease.ttl: unknown field"},
      {"task not a mapping", WithParams("    n: [1]\n", "task: [1, 2]\n"),
       "task: expected a mapping, got a list"},
      {"task duplicate key", WithParams("    n: [1]\n", "task: {a: 1, a: 2}\n"),
       "task.a: duplicate key"},
  });
}

// Issue 12 finding 2: every duration and count has a documented range.
TEST(SpecYaml, RefusesDurationsAndCountsOutOfRange) {
  ExpectRefused({
      {"lease of 1e15 s", WithParams("    n: [1]\n", "lease: {duration: 1e15}\n"),
       "bad.yaml:5:9: lease.duration: must be between 1 and 604800000 (got 1000000000000000000)"},
      {"lease that overflows a deadline",
       WithParams("    n: [1]\n", "lease: {duration: 9223372036854775ms}\n"),
       "lease.duration: must be between 1 and 604800000 (got 92233720368547"},
      {"lease past int64", WithParams("    n: [1]\n", "lease: {duration: 1e300h}\n"),
       "lease.duration: must be between 1 and 604800000 (got 9223372036854775807)"},
      {"zero lease", WithParams("    n: [1]\n", "lease: {duration: 0}\n"),
       "lease.duration: must be between 1 and 604800000 (got 0)"},
      {"max_trials", WithParams("    n: [1]\n", "max_trials: 10000000000\n"),
       "max_trials: must be between 0 and 1000000000"},
      {"max_retries", WithParams("    n: [1]\n", "max_retries: 5000\n"),
       "max_retries: must be between 0 and 1000 (got 5000)"},
      {"n_ei_candidates", WithParams("    n: [1]\n", "sampler: {n_ei_candidates: 100000}\n"),
       "sampler.n_ei_candidates: must be between 1 and 10000"},
      {"n_startup_trials", WithParams("    n: [1]\n", "sampler: {n_startup_trials: 2000000}\n"),
       "sampler.n_startup_trials: must be between 0 and 1000000"},
      {"max_constraint_retries",
       WithParams("    n: [1]\n", "sampler: {max_constraint_retries: 20000}\n"),
       "sampler.max_constraint_retries: must be between 1 and 10000"},
  });
}

// YAML that nests `levels` lists, each holding ten aliases of the one below: 10^levels nodes
// from a few hundred bytes ("billion laughs").
std::string AliasBomb(int levels) {
  std::string yaml = WithParams("    n: [1]\n",
                                "task:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, "
                                "lol, lol, lol, lol]\n");
  for (int i = 1; i <= levels; ++i) {
    absl::StrAppend(&yaml, "  l", i, ": &l", i, " [");
    for (int k = 0; k < 10; ++k) absl::StrAppend(&yaml, k ? ", " : "", "*l", i - 1);
    yaml += "]\n";
  }
  return yaml;
}

// Issue 12 finding 4: hostile strings and documents. Each input is the one reported: before the
// fix the first crashed the CLI (std::regex recursion), the second aborted it (nlohmann
// type_error on dump) and the third hung it.
TEST(SpecYaml, RefusesHostileInputWithoutCrashing) {
  const std::string long_name(50'000, 'x');
  std::string deep = "a: ";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  ExpectRefused({
      {"50,000-character param name with a validation error",
       WithParams("    ? " + long_name + "\n    : [a, a]\n"),  // YAML's explicit-key form
       "bad.yaml:4:7: space.params[0] name: must be at most 256 bytes (got 50000)"},
      {"invalid UTF-8 in the task", WithParams("    n: [1]\n", "task: {note: \"x\xff\xfe\"}\n"),
       "bad.yaml:5:14: task.note: must be valid UTF-8"},
      {"invalid UTF-8 in a task key", WithParams("    n: [1]\n", "task: {\xc3: 1}\n"),
       "task: mapping keys must be valid UTF-8"},
      {"invalid UTF-8 in a user attr",
       WithParams("    n: [1]\n", "user_attrs: {owner: \xed\xa0\x80}\n"),
       "user_attrs.owner: must be valid UTF-8"},
      {"invalid UTF-8 in a choice", WithParams("    n: [\"a\xff\"]\n"),
       "space.params.n.choices[0]: must be valid UTF-8"},
      {"invalid UTF-8 in a metric", "name: s\nmetric: \"acc\xc0\xaf\"\nspace: {params: {n: [1]}}\n",
       "bad.yaml:2:1: metric[0]: must be valid UTF-8"},
      {"billion laughs", AliasBomb(9), "nodes once its aliases (*name) are expanded"},
      {"deep nesting", WithParams("    n: [1]\n", "task:\n  " + deep + "\n"),
       "nested more than 64 levels deep"},
  });
}

// Relocation of core's "space.params[i] (name)" is plain string code: names may hold any
// character, including the parenthesis a pattern would stop at.
TEST(SpecYaml, LocatesErrorsOfParamsWithAnyName) {
  const std::string name = "w(1)) " + std::string(240, 'y');
  auto spec =
      ParseStudySpecYaml(WithParams("    n: [1]\n    \"" + name + "\": [a, a]\n"), "bad.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(
      std::string(spec.status().message()),
      "bad.yaml:5:5: space.params." + name + ": duplicate choice 'a' (choices[0] and choices[1])");
}

// Issue 12 finding 10: the task mapping was built with ordered_json's operator[], which scans
// every key before it: 60,000 keys (0.9 MB, within the task limit) took 13.6 s on main and take
// 0.9 s now. The bound is generous.
TEST(SpecYaml, LargeTaskMappingsConvertInLinearTime) {
  std::string yaml = WithParams("    n: [1]\n", "task:\n");
  for (int i = 0; i < 60'000; ++i) absl::StrAppend(&yaml, "  k", i, ": ", i, "\n");
  const auto start = std::chrono::steady_clock::now();
  auto spec = ParseStudySpecYaml(yaml, "big.yaml");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->task_json.starts_with(R"({"k0":0,"k1":1,)")) << spec->task_json.substr(0, 40);
  const nlohmann::json task = nlohmann::json::parse(spec->task_json);  // a std::map: n log n
  EXPECT_EQ(task.size(), 60'000u);
  EXPECT_EQ(task["k59999"], 59'999);
  EXPECT_LT(seconds, 6.0);
}

TEST(SpecYaml, LoadFileNamesThePath) {
  const std::string path = ::testing::TempDir() + "/spec_yaml_test.yaml";
  {
    std::ofstream out(path);
    out << "name: f\nspace:\n  params:\n    x: {type: float, low: 1, high: x}\n";
  }
  auto spec = LoadStudySpecFile(path);
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()),
              HasSubstr(path + ":4:36: space.params.x.high: expected a number, got \"x\""));
  std::remove(path.c_str());

  auto missing = LoadStudySpecFile(path);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

// ParseDurationMs, which `nasq ask --lease` and `nasq heartbeat --lease` share with lease.duration.
TEST(SpecYaml, ParseDurationMsReadsUnitsAndBareSeconds) {
  const std::pair<std::string, int64_t> kGood[] = {
      {"90s", 90'000}, {"30m", 1'800'000}, {"2h", 7'200'000}, {"500ms", 500},
      {"1.5", 1'500},  {"0.25h", 900'000}, {"0s", 0},         {"1e100h", INT64_MAX}};
  for (const auto& [text, ms] : kGood) EXPECT_EQ(ParseDurationMs(text), ms) << text;
  for (const std::string text : {"", "s", "h", "-1s", "10d", "2 h", "abc", "nan", ".inf", "1hh"}) {
    EXPECT_EQ(ParseDurationMs(text), std::nullopt) << text;
  }
}

// Every YAML example in docs/study-spec.md parses; fragments get the fields they leave out.
TEST(SpecYaml, DocumentedExamplesParse) {
  std::ifstream doc(std::string(NASQ_SOURCE_DIR) + "/docs/study-spec.md");
  ASSERT_TRUE(doc.good());
  std::stringstream text;
  text << doc.rdbuf();
  const std::string markdown = text.str();
  int examples = 0;
  for (size_t at = markdown.find("```yaml\n"); at != std::string::npos;
       at = markdown.find("```yaml\n", at + 1)) {
    const size_t start = at + 8;
    std::string yaml = markdown.substr(start, markdown.find("```", start) - start);
    if (!yaml.starts_with("name:")) {
      std::string prefix = "name: doc\n";
      if (!yaml.starts_with("space:")) prefix += "space: {params: {w: [1, 2]}}\n";
      yaml = prefix + yaml;
    }
    SCOPED_TRACE(yaml);
    auto spec = ParseStudySpecYaml(yaml, "study-spec.md");
    EXPECT_TRUE(spec.ok()) << spec.status();
    ++examples;
  }
  EXPECT_GE(examples, 8);
}

}  // namespace
}  // namespace nasq
