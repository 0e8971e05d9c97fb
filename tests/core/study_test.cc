#include "core/study.h"

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

// Spells out every field, so -Wmissing-field-initializers stays quiet.
FloatDistribution Float(double low, double high, bool log = false,
                        std::optional<double> step = std::nullopt) {
  return FloatDistribution{low, high, log, step};
}

using ::testing::HasSubstr;

SearchSpace MakeSpace(std::vector<ParamSpec> params) {
  absl::StatusOr<SearchSpace> space = SearchSpace::Create(std::move(params));
  EXPECT_TRUE(space.ok()) << space.status();
  return *std::move(space);
}

StudySpec ValidSpec() {
  StudySpec spec;
  spec.name = "bert-tiny_qat.v2";
  spec.directions = {StudyDirection::kMaximize, StudyDirection::kMinimize};
  spec.metric_names = {"accuracy", "size_mb"};
  spec.space = MakeSpace(
      {ParamSpec{"lr", Float(1e-5, 1e-1, true), {}}, ParamSpec{"bits", IntDistribution{2, 8}, {}}});
  return spec;
}

TEST(StudyEnums, NamesRoundTrip) {
  for (StudyDirection d : {StudyDirection::kMinimize, StudyDirection::kMaximize}) {
    EXPECT_EQ(ParseStudyDirection(StudyDirectionName(d)), d);
  }
  EXPECT_EQ(ParseStudyDirection("maximize"), StudyDirection::kMaximize);
  EXPECT_FALSE(ParseStudyDirection("max").has_value());
  for (SamplerKind k : {SamplerKind::kRandom, SamplerKind::kGrid, SamplerKind::kTpe}) {
    EXPECT_EQ(ParseSamplerKind(SamplerKindName(k)), k);
  }
  EXPECT_STREQ(SamplerKindName(SamplerKind::kTpe), "tpe");
  EXPECT_EQ(ParseSamplerKind("TPE"), SamplerKind::kTpe);
  EXPECT_FALSE(ParseSamplerKind("cmaes").has_value());
  for (StudyState s : {StudyState::kRunning, StudyState::kCompleted, StudyState::kStopped}) {
    EXPECT_EQ(ParseStudyState(StudyStateName(s)), s);
  }
  EXPECT_STREQ(StudyStateName(StudyState::kCompleted), "COMPLETED");
  EXPECT_FALSE(ParseStudyState("DONE").has_value());
}

TEST(StudySpec, ValidSpecsPass) {
  EXPECT_TRUE(ValidateStudySpec(ValidSpec()).ok()) << ValidateStudySpec(ValidSpec());
  StudySpec single = ValidSpec();
  single.directions = {StudyDirection::kMinimize};
  single.metric_names.clear();
  single.sampler.tpe.multivariate = true;
  single.sampler.tpe.group = true;
  single.sampler.tpe.n_startup_trials = 0;
  single.max_trials = 0;
  single.max_retries = 0;
  single.name = std::string(128, 'a');
  // Every range's upper end is allowed.
  single.max_trials = 1'000'000'000;
  single.max_retries = 1000;
  single.lease_duration_ms = 7LL * 24 * 3600 * 1000;
  single.heartbeat_interval_ms = single.lease_duration_ms - 1;
  single.sampler.tpe.n_ei_candidates = 10'000;
  single.sampler.max_constraint_retries = 10'000;
  single.metric_names = {std::string(256, 'm')};
  single.user_attrs["\xc3\xa9t\xc3\xa9"] = "\"\xf0\x9f\x98\x80\"";
  single.reference_point = {-1e300};
  EXPECT_TRUE(ValidateStudySpec(single).ok()) << ValidateStudySpec(single);
}

TEST(StudySpec, GridAcceptsDiscreteSpacesUpToTheLimit) {
  StudySpec spec = ValidSpec();
  spec.sampler.kind = SamplerKind::kGrid;
  spec.space = MakeSpace({ParamSpec{"a", IntDistribution{1, 1000}, {}},
                          ParamSpec{"b", Float(0.0, 0.999, false, 0.001), {}},
                          ParamSpec{"c", CategoricalDistribution{{true, false}}, {}},
                          ParamSpec{"d", IntDistribution{0, 8, false, 2}, {}},
                          ParamSpec{"e", Float(0.5, 0.5), {}}});
  // 1000 * 1000 * 2 * 5 * 1 = 10,000,000 points: exactly the limit.
  EXPECT_TRUE(ValidateStudySpec(spec).ok()) << ValidateStudySpec(spec);
}

struct InvalidSpecCase {
  std::string label;
  std::function<void(StudySpec&)> mutate;
  std::string field;
  std::string problem;
};

TEST(StudySpec, ValidateRejectsBadFieldsNamingThem) {
  const std::vector<InvalidSpecCase> cases = {
      {"empty name", [](StudySpec& s) { s.name = ""; }, "name", "must be 1 to 128 characters"},
      {"long name", [](StudySpec& s) { s.name = std::string(129, 'a'); }, "name",
       "must be 1 to 128 characters (got 129)"},
      {"name with space", [](StudySpec& s) { s.name = "my study"; }, "name",
       "must match [A-Za-z0-9._-]{1,128} (got 'my study')"},
      {"name with slash", [](StudySpec& s) { s.name = "a/b"; }, "name", "must match"},
      {"no directions",
       [](StudySpec& s) {
         s.directions.clear();
         s.metric_names.clear();
       },
       "directions", "at least one objective direction"},
      {"bad direction", [](StudySpec& s) { s.directions[1] = static_cast<StudyDirection>(7); },
       "directions[1]", "unknown direction 7"},
      {"metric count", [](StudySpec& s) { s.metric_names = {"accuracy"}; }, "metric_names",
       "expected one name per direction (2), got 1"},
      {"empty metric", [](StudySpec& s) { s.metric_names[1] = ""; }, "metric_names[1]",
       "must not be empty"},
      {"duplicate metric",
       [](StudySpec& s) {
         s.metric_names = {"acc", "acc"};
       },
       "metric_names[1]", "duplicate name 'acc'"},
      {"reference point of another size", [](StudySpec& s) { s.reference_point = {0.5}; },
       "reference_point", "expected one value per direction (2), got 1"},
      {"infinite reference point",
       [](StudySpec& s) {
         s.reference_point = {0.5, std::numeric_limits<double>::infinity()};
       },
       "reference_point[1]", "must be finite (got inf)"},
      {"NaN reference point",
       [](StudySpec& s) {
         s.reference_point = {std::nan(""), 8};
       },
       "reference_point[0]", "must be finite (got nan)"},
      {"empty space", [](StudySpec& s) { s.space = SearchSpace(); }, "space",
       "the search space is empty"},
      {"bad sampler kind", [](StudySpec& s) { s.sampler.kind = static_cast<SamplerKind>(9); },
       "sampler.kind", "unknown sampler kind 9"},
      {"negative startup", [](StudySpec& s) { s.sampler.tpe.n_startup_trials = -1; },
       "sampler.tpe.n_startup_trials", "must be between 0 and 1000000 (got -1)"},
      {"zero candidates", [](StudySpec& s) { s.sampler.tpe.n_ei_candidates = 0; },
       "sampler.tpe.n_ei_candidates", "must be between 1 and 10000 (got 0)"},
      {"zero prior weight", [](StudySpec& s) { s.sampler.tpe.prior_weight = 0; },
       "sampler.tpe.prior_weight", "must be > 0"},
      {"nan prior weight",
       [](StudySpec& s) { s.sampler.tpe.prior_weight = std::numeric_limits<double>::quiet_NaN(); },
       "sampler.tpe.prior_weight", "must be > 0 and finite"},
      {"group without multivariate", [](StudySpec& s) { s.sampler.tpe.group = true; },
       "sampler.tpe.group", "requires multivariate"},
      {"zero constraint retries", [](StudySpec& s) { s.sampler.max_constraint_retries = 0; },
       "sampler.max_constraint_retries", "must be between 1 and 10000 (got 0)"},
      {"grid skipping duplicates",
       [](StudySpec& s) {
         s.sampler.kind = SamplerKind::kGrid;
         s.sampler.skip_duplicates = true;
       },
       "sampler.skip_duplicates", "not with grid, which never repeats a cell"},
      {"grid over a continuous float", [](StudySpec& s) { s.sampler.kind = SamplerKind::kGrid; },
       "sampler.kind", "grid needs every param to be discrete, but 'lr' is float [1e-05, 0.1] log"},
      {"grid too large",
       [](StudySpec& s) {
         s.sampler.kind = SamplerKind::kGrid;
         s.space = MakeSpace({ParamSpec{"a", IntDistribution{1, 10000}, {}},
                              ParamSpec{"b", IntDistribution{1, 1001}, {}}});
       },
       "sampler.kind", "grid has more than 10000000 points (at param 'b')"},
      {"grid product overflow",
       [](StudySpec& s) {
         s.sampler.kind = SamplerKind::kGrid;
         s.space = MakeSpace({ParamSpec{"a", IntDistribution{0, int64_t{1} << 40}, {}},
                              ParamSpec{"b", IntDistribution{0, int64_t{1} << 40}, {}}});
       },
       "sampler.kind", "grid has more than 10000000 points (at param 'a')"},
      {"negative max_trials", [](StudySpec& s) { s.max_trials = -1; }, "max_trials",
       "must be between 0 and 1000000000 (got -1)"},
      {"negative max_retries", [](StudySpec& s) { s.max_retries = -2; }, "max_retries",
       "must be between 0 and 1000 (got -2)"},
      {"negative max_consecutive_failures", [](StudySpec& s) { s.max_consecutive_failures = -1; },
       "max_consecutive_failures", "must be between 0 and 1000000000 (got -1)"},
      {"zero lease", [](StudySpec& s) { s.lease_duration_ms = 0; }, "lease_duration_ms",
       "must be between 1 and 604800000 (got 0)"},
      {"zero heartbeat", [](StudySpec& s) { s.heartbeat_interval_ms = 0; }, "heartbeat_interval_ms",
       "must be > 0 and < lease_duration_ms"},
      {"heartbeat as long as the lease",
       [](StudySpec& s) { s.heartbeat_interval_ms = s.lease_duration_ms; }, "heartbeat_interval_ms",
       "(got 60000, lease_duration_ms=60000)"},
      // Issue 12 finding 2: durations and counts past their documented range.
      {"lease of 1e15 s", [](StudySpec& s) { s.lease_duration_ms = 1'000'000'000'000'000'000; },
       "lease_duration_ms", "must be between 1 and 604800000 (got 1000000000000000000)"},
      {"lease that overflows a deadline",
       [](StudySpec& s) { s.lease_duration_ms = 9'223'372'036'854'775; }, "lease_duration_ms",
       "(got 9223372036854775)"},
      {"lease of a week and a ms",
       [](StudySpec& s) { s.lease_duration_ms = 7LL * 24 * 3600 * 1000 + 1; }, "lease_duration_ms",
       "must be between 1 and 604800000"},
      {"max_trials too large", [](StudySpec& s) { s.max_trials = 1'000'000'001; }, "max_trials",
       "must be between 0 and 1000000000"},
      {"max_retries too large", [](StudySpec& s) { s.max_retries = 1001; }, "max_retries",
       "must be between 0 and 1000"},
      {"too many startup trials",
       [](StudySpec& s) { s.sampler.tpe.n_startup_trials = std::numeric_limits<int>::max(); },
       "sampler.tpe.n_startup_trials", "must be between 0 and 1000000"},
      {"too many candidates", [](StudySpec& s) { s.sampler.tpe.n_ei_candidates = 10'001; },
       "sampler.tpe.n_ei_candidates", "must be between 1 and 10000"},
      {"too many constraint retries",
       [](StudySpec& s) { s.sampler.max_constraint_retries = 10'001; },
       "sampler.max_constraint_retries", "must be between 1 and 10000"},
      {"too many objectives",
       [](StudySpec& s) {
         s.directions.assign(17, StudyDirection::kMinimize);
         s.metric_names.clear();
       },
       "directions", "at most 16 objectives (got 17)"},
      // Finding 4: strings have a size and must be UTF-8.
      {"long metric name", [](StudySpec& s) { s.metric_names[0] = std::string(257, 'm'); },
       "metric_names[0]", "must be at most 256 bytes (got 257)"},
      {"metric name not UTF-8", [](StudySpec& s) { s.metric_names[1] = "acc\xff"; },
       "metric_names[1]", "must be valid UTF-8"},
      {"task too large",
       [](StudySpec& s) { s.task_json = "{\"a\":\"" + std::string(1 << 20, 'x') + "\"}"; },
       "task_json", "must be at most 1048576 bytes"},
      {"task not UTF-8", [](StudySpec& s) { s.task_json = "{\"a\":\"\xc3\x28\"}"; }, "task_json",
       "must be valid UTF-8"},
      {"attr key not UTF-8", [](StudySpec& s) { s.user_attrs["\xed\xa0\x80"] = "1"; }, "user_attrs",
       "key of entry 0: must be valid UTF-8"},
      {"attr value too large",
       [](StudySpec& s) { s.user_attrs["owner"] = "\"" + std::string(65'536, 'x') + "\""; },
       "user_attrs.owner", "must be at most 65536 bytes"},
  };
  for (const InvalidSpecCase& c : cases) {
    SCOPED_TRACE(c.label);
    StudySpec spec = ValidSpec();
    c.mutate(spec);
    const absl::Status status = ValidateStudySpec(spec);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), ::testing::StartsWith(c.field + ": "));
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.problem));
  }
}

}  // namespace
}  // namespace nasq
