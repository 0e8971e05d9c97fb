// tests/spec/spec_json_test.cc: the StudySpec and distribution JSON codec: exact round
// trips, Optuna's distribution format, and clear errors for malformed input.
#include "spec/spec_json.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/storage/storage_test_util.h"

namespace nasq {
namespace {

using ::nasq::testing::ExpectSameSpec;

StudySpec WithSpace(StudySpec spec, std::vector<ParamSpec> params,
                    std::vector<Constraint> constraints = {}) {
  absl::StatusOr<SearchSpace> space =
      SearchSpace::Create(std::move(params), std::move(constraints));
  EXPECT_TRUE(space.ok()) << space.status();
  if (space.ok()) spec.space = *std::move(space);
  return spec;
}

TEST(SpecJson, RoundTripsEverySpecExactly) {
  StudySpec minimal = WithSpace(StudySpec{}, {ParamSpec{"x", FloatDistribution{}, {}}});
  minimal.name = "m";
  minimal.directions = {StudyDirection::kMinimize};
  StudySpec grid = testing::SampleSpec("grid");
  grid.sampler.kind = SamplerKind::kGrid;
  grid.sampler.seed = 0;
  StudySpec awkward_doubles = WithSpace(
      testing::SampleSpec("doubles"),
      {ParamSpec{"tiny", FloatDistribution{5e-324, 1.7976931348623157e308, true, std::nullopt}, {}},
       ParamSpec{"third", FloatDistribution{-1.0 / 3.0, 2.0 / 3.0, false, 0.1}, {}},
       ParamSpec{"neg_zero", FloatDistribution{-0.0, 0.0, false, std::nullopt}, {}},
       ParamSpec{"choice",
                 CategoricalDistribution{
                     {0.1, 1e100, -2.5e-7, int64_t{-3}, std::numeric_limits<int64_t>::max()}},
                 {}}},
      {Constraint{"third", CompareOp::kGt, "tiny", 1e-17}});
  awkward_doubles.task_json = "{}";
  StudySpec unicode = testing::SampleSpec("unicode");
  unicode.user_attrs = {{"ключ", "\"значение \\\" ✓\""}, {"", "null"}};
  unicode.task_json = "{\"text\": \"line\\nbreak\\u0000\"}";

  const std::vector<StudySpec> specs = {minimal,
                                        grid,
                                        awkward_doubles,
                                        unicode,
                                        testing::SampleSpec("sample"),
                                        testing::RichSpec("rich")};
  for (const StudySpec& spec : specs) {
    SCOPED_TRACE(spec.name);
    absl::StatusOr<std::string> json = StudySpecToJson(spec);
    ASSERT_TRUE(json.ok()) << json.status();
    absl::StatusOr<StudySpec> decoded = StudySpecFromJson(*json);
    ASSERT_TRUE(decoded.ok()) << decoded.status() << "\n" << *json;
    ExpectSameSpec(spec, *decoded);
    EXPECT_EQ(StudySpecToJson(*decoded).value_or(""), *json);  // a fixed point
  }
}

TEST(SpecJson, WritesDistributionsInOptunaFormat) {
  struct Case {
    Distribution distribution;
    std::string json;
  };
  const std::vector<Case> cases = {
      {FloatDistribution{-1.0, 1.0, false, std::nullopt},
       R"({"name":"FloatDistribution","attributes":{"step":null,"low":-1.0,"high":1.0,"log":false}})"},
      {FloatDistribution{0.0, 1.0, false, 0.25},
       R"({"name":"FloatDistribution","attributes":{"step":0.25,"low":0.0,"high":1.0,"log":false}})"},
      {IntDistribution{1, 100, true, 1},
       R"({"name":"IntDistribution","attributes":{"log":true,"step":1,"low":1,"high":100}})"},
      {CategoricalDistribution{{std::string("a"), std::string("b")}},
       R"({"name":"CategoricalDistribution","attributes":{"choices":["a","b"]}})"},
      {CategoricalDistribution{{true, int64_t{16}, 16.5, std::string("16")}},
       R"({"name":"CategoricalDistribution","attributes":{"choices":[true,16,16.5,"16"]}})"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::string> json = DistributionToJson(c.distribution);
    ASSERT_TRUE(json.ok()) << json.status();
    EXPECT_EQ(*json, c.json);
    absl::StatusOr<Distribution> back = DistributionFromJson(c.json);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == c.distribution) << c.json;
  }
}

TEST(SpecJson, KeepsTheTypesOfExternalValues) {
  // 2.0 must come back as a double, 2 as an int, true as a bool, "2" as a string.
  absl::StatusOr<Distribution> d = DistributionFromJson(
      R"({"name":"CategoricalDistribution","attributes":{"choices":[2.0,2.5,true,"2",3]}})");
  ASSERT_TRUE(d.ok()) << d.status();
  const auto& choices = std::get<CategoricalDistribution>(*d).choices;
  ASSERT_EQ(choices.size(), 5u);
  EXPECT_TRUE(std::holds_alternative<double>(choices[0]));
  EXPECT_TRUE(std::holds_alternative<bool>(choices[2]));
  EXPECT_TRUE(std::holds_alternative<std::string>(choices[3]));
  EXPECT_TRUE(std::holds_alternative<int64_t>(choices[4]));
  EXPECT_EQ(DistributionToJson(*d).value_or(""),
            R"({"name":"CategoricalDistribution","attributes":{"choices":[2.0,2.5,true,"2",3]}})");
}

TEST(SpecJson, RefusesMalformedDistributionsNamingTheField) {
  struct Case {
    std::string json;
    std::string expected_in_message;
  };
  const std::vector<Case> cases = {
      {"not json", "not valid JSON"},
      {"[1, 2]", "distribution: expected a JSON object"},
      {R"({"attributes":{}})", "distribution.name: missing"},
      {R"({"name":"BetaDistribution","attributes":{}})",
       "unknown distribution \"BetaDistribution\""},
      {R"({"name":"FloatDistribution","attributes":{"low":0,"high":1,"log":false}})",
       "distribution.attributes.step: missing"},
      {R"({"name":"FloatDistribution","attributes":{"step":null,"low":"0","high":1,"log":false}})",
       "distribution.attributes.low: expected a number"},
      {R"({"name":"IntDistribution","attributes":{"log":false,"step":1,"low":0.5,"high":3}})",
       "distribution.attributes.low: expected an integer"},
      {R"({"name":"IntDistribution","attributes":{"log":false,"step":1,"low":5,"high":3}})",
       "distribution"},
      {R"({"name":"CategoricalDistribution","attributes":{"choices":[1,null]}})",
       "distribution.attributes.choices[1]: expected a bool, number or string"},
      {R"({"name":"CategoricalDistribution","attributes":{"choices":[]}})", "distribution"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Distribution> d = DistributionFromJson(c.json);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(d.status().message().find(c.expected_in_message), absl::string_view::npos)
        << c.json << " -> " << d.status();
  }
}

// Specs stored before sampler.skip_duplicates existed lack the field: they read as false.
TEST(SpecJson, ReadsSpecsStoredBeforeSkipDuplicatesExisted) {
  nlohmann::json j = nlohmann::json::parse(*StudySpecToJson(testing::RichSpec("rich")));
  ASSERT_TRUE(j["sampler"]["skip_duplicates"].get<bool>());
  j["sampler"].erase("skip_duplicates");
  absl::StatusOr<StudySpec> spec = StudySpecFromJson(j.dump());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->sampler.skip_duplicates);
}

TEST(SpecJson, RoundTripsNsga2OptionsAndReadsSpecsStoredBeforeThem) {
  StudySpec spec = testing::RichSpec("rich");
  spec.sampler.kind = SamplerKind::kNsga2;
  spec.sampler.nsga2.population_size = 12;
  spec.sampler.nsga2.crossover = Nsga2Crossover::kUndx;
  spec.sampler.nsga2.sigma_eta = 0.25;
  spec.sampler.nsga2.mutation_prob = 0.125;
  absl::StatusOr<StudySpec> back = StudySpecFromJson(*StudySpecToJson(spec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sampler, spec.sampler);
  nlohmann::json j = nlohmann::json::parse(*StudySpecToJson(spec));
  EXPECT_EQ(j["sampler"]["nsga2"]["crossover"], "undx");
  j["sampler"].erase("nsga2");
  back = StudySpecFromJson(j.dump());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sampler.nsga2, Nsga2Options{});
}

TEST(SpecJson, ReadsSpecsStoredBeforeMaxConsecutiveFailuresExisted) {
  nlohmann::json j = nlohmann::json::parse(*StudySpecToJson(testing::RichSpec("rich")));
  ASSERT_EQ(j["max_consecutive_failures"].get<int>(), 0);
  j.erase("max_consecutive_failures");
  absl::StatusOr<StudySpec> spec = StudySpecFromJson(j.dump());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->max_consecutive_failures, StudySpec().max_consecutive_failures);
}

TEST(SpecJson, ReadsSpecsStoredBeforePrunersExisted) {
  nlohmann::json j = nlohmann::json::parse(*StudySpecToJson(testing::RichSpec("rich")));
  ASSERT_EQ(j["pruner"]["kind"], "patient");
  EXPECT_FALSE(j["pruner"]["threshold"].contains("upper")) << "an infinite bound is left out";
  j.erase("pruner");
  absl::StatusOr<StudySpec> spec = StudySpecFromJson(j.dump());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->pruner == PrunerConfig{});
}

TEST(SpecJson, ReadsSpecsStoredBeforeReferencePointsExisted) {
  nlohmann::json j = nlohmann::json::parse(*StudySpecToJson(testing::RichSpec("rich")));
  ASSERT_EQ(j["reference_point"], nlohmann::json::parse("[-0.25, 0.3333333333333333]"));
  j.erase("reference_point");
  absl::StatusOr<StudySpec> spec = StudySpecFromJson(j.dump());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->reference_point.empty());
}

TEST(SpecJson, RefusesMalformedSpecsNamingTheField) {
  const std::string good = *StudySpecToJson(testing::RichSpec("rich"));
  struct Case {
    std::string name;
    std::function<void(nlohmann::json&)> mutate;
    std::string expected_in_message;
  };
  const std::vector<Case> cases = {
      {"missing name", [](nlohmann::json& j) { j.erase("name"); }, "name: missing"},
      {"bad direction", [](nlohmann::json& j) { j["directions"][1] = "SIDEWAYS"; },
       "directions[1]: unknown direction"},
      {"bad reference point", [](nlohmann::json& j) { j["reference_point"][1] = "x"; },
       "reference_point[1]: expected a number"},
      {"bad sampler", [](nlohmann::json& j) { j["sampler"]["kind"] = "cmaes"; },
       "sampler.kind: unknown sampler"},
      {"bad pruner", [](nlohmann::json& j) { j["pruner"]["wrapped"] = "asha"; },
       "pruner.wrapped: unknown pruner"},
      {"bad pruner option",
       [](nlohmann::json& j) { j["pruner"]["hyperband"]["reduction_factor"] = "two"; },
       "pruner.hyperband.reduction_factor: expected an integer"},
      {"negative seed", [](nlohmann::json& j) { j["sampler"]["seed"] = -1; },
       "sampler.seed: expected a non-negative integer"},
      {"int overflow", [](nlohmann::json& j) { j["max_retries"] = 1LL << 40; },
       "max_retries: expected an integer"},
      {"bad tpe flag", [](nlohmann::json& j) { j["sampler"]["tpe"]["group"] = 1; },
       "sampler.tpe.group: expected true or false"},
      {"bad crossover", [](nlohmann::json& j) { j["sampler"]["nsga2"]["crossover"] = "pmx"; },
       "sampler.nsga2.crossover: unknown crossover \"pmx\""},
      {"bad nsga2 option", [](nlohmann::json& j) { j["sampler"]["nsga2"]["eta"] = "big"; },
       "sampler.nsga2.eta: expected a number"},
      {"bad skip_duplicates", [](nlohmann::json& j) { j["sampler"]["skip_duplicates"] = "yes"; },
       "sampler.skip_duplicates: expected true or false"},
      {"bad op", [](nlohmann::json& j) { j["space"]["constraints"][0]["op"] = "~"; },
       "space.constraints[0].op: unknown operator"},
      {"bad distribution",
       [](nlohmann::json& j) {
         j["space"]["params"][0]["distribution"]["attributes"].erase("low");
       },
       "space.params[0].distribution.attributes.low: missing"},
      {"unknown parent",
       [](nlohmann::json& j) { j["space"]["params"][3]["conditions"][0]["parent"] = "ghost"; },
       "ghost"},
      {"user attr not text", [](nlohmann::json& j) { j["user_attrs"]["owner"] = 3; },
       "user_attrs.owner: expected a string"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = nlohmann::json::parse(good);
    c.mutate(j);
    absl::StatusOr<StudySpec> spec = StudySpecFromJson(j.dump());
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(spec.status().message().find(c.expected_in_message), absl::string_view::npos)
        << c.name << " -> " << spec.status();
  }
}

TEST(SpecJson, RefusesNonFiniteValuesThatJsonCannotHold) {
  for (double bad :
       {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    absl::StatusOr<std::string> d = DistributionToJson(CategoricalDistribution{{1.0, bad}});
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(d.status().message().find("choices[1]"), absl::string_view::npos) << d.status();
  }
}

}  // namespace
}  // namespace nasq
