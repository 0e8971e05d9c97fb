// Tests of proto/convert.h and proto/resource_names.h.
#include "proto/convert.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/option_fields.h"
#include "proto/resource_names.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

v1::StudySpec ParseSpec(const std::string& text) {
  v1::StudySpec spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec)) << text;
  return spec;
}

constexpr char kValidSpec[] = R"pb(
  name: "quant"
  directions: STUDY_DIRECTION_MAXIMIZE
  directions: STUDY_DIRECTION_MINIMIZE
  metric_names: "accuracy"
  metric_names: "bits"
  space {
    params {
      name: "layers"
      distribution { int_distribution { low: 2 high: 8 step: 2 } }
    }
    params {
      name: "type"
      distribution {
        categorical_distribution {
          choices { string_value: "integer" }
          choices { string_value: "float" }
        }
      }
      conditions {
        parent: "layers"
        op: COMPARE_OP_GE
        values { int_value: 4 }
      }
    }
    params {
      name: "lr"
      distribution { float_distribution { low: 1e-5 high: 0.1 log: true } }
    }
    params {
      name: "width"
      distribution { int_distribution { low: 2 high: 16 } }
    }
    params {
      name: "frac"
      distribution { int_distribution { low: 0 high: 15 } }
    }
    constraints { lhs: "frac" op: COMPARE_OP_LT rhs: "width" }
  }
  sampler {
    kind: SAMPLER_KIND_TPE
    seed: 3
    tpe { multivariate: true n_startup_trials: 5 }
  }
  max_trials: 40
  task_json: "{\"kind\":\"bert-classify\",\"epochs\":2}"
)pb";

TEST(Convert, StudySpecRoundTripsThroughCore) {
  absl::StatusOr<StudySpec> spec = StudySpecFromProto(ParseSpec(kValidSpec));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->space.size(), 5u);
  EXPECT_TRUE(spec->sampler.tpe.multivariate);
  EXPECT_EQ(spec->sampler.tpe.n_startup_trials, 5);
  EXPECT_EQ(spec->sampler.tpe.n_ei_candidates, TpeOptions{}.n_ei_candidates);
  EXPECT_EQ(spec->max_retries, 2);
  EXPECT_EQ(spec->max_consecutive_failures, 10);
  EXPECT_FALSE(spec->sampler.skip_duplicates);
  EXPECT_TRUE(spec->reference_point.empty());
  spec->sampler.skip_duplicates = true;
  spec->max_consecutive_failures = 0;
  spec->reference_point = {0.5, 8};
  v1::StudySpec wire = StudySpecToProto(*spec);
  EXPECT_EQ(wire.reference_point_size(), 2);
  EXPECT_TRUE(wire.sampler().skip_duplicates());
  EXPECT_TRUE(wire.has_max_consecutive_failures());
  EXPECT_EQ(wire.max_consecutive_failures(), 0);
  absl::StatusOr<StudySpec> again = StudySpecFromProto(wire);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(StudySpecToProto(*again), wire));
  EXPECT_EQ(again->task_json, spec->task_json);
  EXPECT_EQ(again->max_consecutive_failures, 0);
  EXPECT_EQ(again->reference_point, (std::vector<double>{0.5, 8}));
}

TEST(Convert, Nsga2OptionsRoundTripAndABadCrossoverIsRefused) {
  absl::StatusOr<StudySpec> spec = StudySpecFromProto(ParseSpec(kValidSpec));
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->sampler.kind = SamplerKind::kNsga2;
  spec->sampler.tpe = TpeOptions{};
  spec->sampler.nsga2.crossover = Nsga2Crossover::kVsbx;
  spec->sampler.nsga2.population_size = 8;
  spec->sampler.nsga2.eta = 7.5;
  v1::StudySpec wire = StudySpecToProto(*spec);
  EXPECT_EQ(wire.sampler().kind(), v1::SAMPLER_KIND_NSGA2);
  EXPECT_EQ(wire.sampler().nsga2().crossover(), "vsbx");
  EXPECT_EQ(wire.sampler().nsga2().options().at("population_size").number_value(), 8);
  absl::StatusOr<StudySpec> again = StudySpecFromProto(wire);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->sampler, spec->sampler);
  wire.mutable_sampler()->mutable_nsga2()->set_crossover("pmx");
  EXPECT_THAT(std::string(StudySpecFromProto(wire).status().message()),
              HasSubstr("spec.sampler.nsga2.crossover: expected uniform"));
  wire.mutable_sampler()->mutable_nsga2()->set_crossover("");  // the default: uniform
  (*wire.mutable_sampler()->mutable_nsga2()->mutable_options())["mutation_prob"].set_number_value(
      2);
  EXPECT_THAT(std::string(StudySpecFromProto(wire).status().message()),
              HasSubstr("spec.sampler.nsga2.mutation_prob: must be between 0 and 1"));
}

TEST(Convert, PrunerRoundTripsThroughCore) {
  v1::StudySpec wire = ParseSpec(kValidSpec);
  EXPECT_EQ(StudySpecFromProto(wire)->pruner.kind, PrunerKind::kNone) << "unset: no pruner";
  ASSERT_TRUE(google::protobuf::TextFormat::MergeFromString(
      "pruner { kind: PRUNER_KIND_PATIENT wrapped: PRUNER_KIND_MEDIAN objective: 1 "
      "percentile { n_startup_trials: 3 } patient { patience: 2 min_delta: 0.5 } "
      "threshold { lower: -1 } successive_halving { min_resource: 4 } }",
      &wire));
  absl::StatusOr<StudySpec> spec = StudySpecFromProto(wire);
  ASSERT_TRUE(spec.ok()) << spec.status();
  const PrunerConfig& p = spec->pruner;
  EXPECT_EQ(p.kind, PrunerKind::kPatient);
  EXPECT_EQ(p.wrapped, PrunerKind::kMedian);
  EXPECT_EQ(p.objective, 1);
  EXPECT_EQ(p.percentile.n_startup_trials, 3);
  EXPECT_EQ(p.percentile.n_warmup_steps, 0) << "unset fields keep Optuna's defaults";
  EXPECT_EQ(p.patient.min_delta, 0.5);
  EXPECT_EQ(p.threshold.lower, -1);
  EXPECT_TRUE(std::isinf(p.threshold.upper));
  EXPECT_EQ(p.successive_halving.min_resource, 4);
  absl::StatusOr<StudySpec> again = StudySpecFromProto(StudySpecToProto(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->pruner == p);
}

TEST(Convert, BudgetsRoundTripThroughCoreAndBadOnesAreRefused) {
  v1::StudySpec wire = ParseSpec(kValidSpec);
  EXPECT_TRUE(StudySpecFromProto(wire)->budgets.empty());
  ASSERT_TRUE(google::protobuf::TextFormat::MergeFromString(
      "budgets { key: 'avg_bitwidth' value { max: 6 } } "
      "budgets { key: 'sparsity' value { min: 0.25 max: 0.5 } }",
      &wire));
  absl::StatusOr<StudySpec> spec = StudySpecFromProto(wire);
  ASSERT_TRUE(spec.ok()) << spec.status();
  const Budgets expected = {{"avg_bitwidth", {.max = 6}}, {"sparsity", {.min = 0.25, .max = 0.5}}};
  EXPECT_EQ(spec->budgets, expected);
  absl::StatusOr<StudySpec> again = StudySpecFromProto(StudySpecToProto(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->budgets, expected);
  EXPECT_FALSE(StudySpecToProto(*spec).budgets().at("avg_bitwidth").has_min());

  (*wire.mutable_budgets())["bitops"].set_max(std::numeric_limits<double>::infinity());
  EXPECT_EQ(StudySpecFromProto(wire).status().message(),
            "spec.budgets.bitops.max: must be finite (got inf)");
  (*wire.mutable_budgets())["bitops"] = v1::Budget();
  EXPECT_EQ(StudySpecFromProto(wire).status().message(),
            "spec.budgets.bitops: needs min or max (or both)");
}

// An option added to a description after the .proto was written (here `decay`, which
// v1::TpeOptions has no field for) travels in the `options` map; the others keep their fields.
struct NewTpeOptions {
  int n_startup_trials = 10;
  double decay = 0.0;
  int64_t rounds = 5;
};
constexpr Field<NewTpeOptions> kNewTpeFields[] = {
    {.name = "n_startup_trials", .member = &NewTpeOptions::n_startup_trials, .doc = "d"},
    {.name = "decay", .member = &NewTpeOptions::decay, .doc = "d"},
    {.name = "rounds", .member = &NewTpeOptions::rounds, .doc = "d"},
};

TEST(Convert, OptionsWithoutAProtoFieldTravelInTheOptionsMap) {
  NewTpeOptions options{.n_startup_trials = 4, .decay = 0.25, .rounds = 7};
  v1::TpeOptions wire;
  OptionsToProto<NewTpeOptions>(options, kNewTpeFields, wire, *wire.mutable_options());
  EXPECT_EQ(wire.n_startup_trials(), 4);
  ASSERT_EQ(wire.options().size(), 2u);
  EXPECT_EQ(wire.options().at("decay").number_value(), 0.25);
  EXPECT_EQ(wire.options().at("rounds").number_value(), 7.0);
  NewTpeOptions back;
  ASSERT_TRUE(OptionsFromProto<NewTpeOptions>(wire, wire.options(), kNewTpeFields, "t", back).ok());
  EXPECT_EQ(back.n_startup_trials, 4);
  EXPECT_EQ(back.decay, 0.25);
  EXPECT_EQ(back.rounds, 7);

  NewTpeOptions defaults;  // unset fields and absent entries keep the defaults
  ASSERT_TRUE(
      OptionsFromProto<NewTpeOptions>(v1::TpeOptions(), {}, kNewTpeFields, "t", defaults).ok());
  EXPECT_EQ(defaults.n_startup_trials, 10);
  EXPECT_EQ(defaults.rounds, 5);

  (*wire.mutable_options())["rounds"].set_number_value(7.5);
  EXPECT_EQ(
      OptionsFromProto<NewTpeOptions>(wire, wire.options(), kNewTpeFields, "t", back).message(),
      "t.options.rounds: expected an integer");
  (*wire.mutable_options())["n_startup_trials"].set_number_value(3);
  EXPECT_EQ(
      OptionsFromProto<NewTpeOptions>(wire, wire.options(), kNewTpeFields, "t", back).message(),
      "t.options.n_startup_trials: unknown option (expected one of: decay, rounds)");
}

TEST(Convert, TaskStructBecomesJson) {
  v1::StudySpec wire = ParseSpec(kValidSpec);
  *wire.mutable_task_struct() = *JsonToStruct(R"({"kind":"bert-classify"})", "task");
  absl::StatusOr<StudySpec> spec = StudySpecFromProto(wire);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->task_json, R"({"kind":"bert-classify"})");
}

struct InvalidSpecCase {
  std::string name;
  std::string edit;  // text-format fields merged over kValidSpec
  std::string field;
};

class InvalidSpecTest : public ::testing::TestWithParam<InvalidSpecCase> {};

TEST_P(InvalidSpecTest, IsRefusedNamingTheField) {
  v1::StudySpec wire = ParseSpec(kValidSpec);
  ASSERT_TRUE(google::protobuf::TextFormat::MergeFromString(GetParam().edit, &wire));
  absl::StatusOr<StudySpec> spec = StudySpecFromProto(wire);
  ASSERT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << spec.status();
  EXPECT_THAT(std::string(spec.status().message()), StartsWith(GetParam().field));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, InvalidSpecTest,
    ::testing::Values(
        InvalidSpecCase{"UnspecifiedDirection", "directions: STUDY_DIRECTION_UNSPECIFIED",
                        "spec.directions[2]"},
        InvalidSpecCase{"ReferencePointOfAnotherSize", "reference_point: 1",
                        "spec.reference_point: expected one value per direction (2), got 1"},
        InvalidSpecCase{"InfiniteReferencePoint", "reference_point: [1, inf]",
                        "spec.reference_point[1]: must be finite (got inf)"},
        InvalidSpecCase{"EmptyDistribution", "space { params { name: \"d\" } }",
                        "spec.space.params[5] (d).distribution"},
        InvalidSpecCase{"LowAboveHigh",
                        "space { params { name: \"d\" distribution { float_distribution { low: 2 "
                        "high: 1 } } } }",
                        "spec.space.params[5] (d)"},
        InvalidSpecCase{"ConditionWithoutOp",
                        "space { params { name: \"d\" distribution { int_distribution { high: 3 } "
                        "} conditions { parent: \"layers\" values { int_value: 2 } } } }",
                        "spec.space.params[5] (d).conditions[0].op"},
        InvalidSpecCase{"UnknownParent",
                        "space { params { name: \"d\" distribution { int_distribution { high: 3 } "
                        "} conditions { parent: \"ghost\" op: COMPARE_OP_EQ values { int_value: "
                        "2 } } } }",
                        "spec.space"},
        InvalidSpecCase{"TaskNotAnObject", "task_json: \"[1, 2]\"", "spec.task_json"},
        InvalidSpecCase{"GroupWithoutMultivariate",
                        "sampler { tpe { multivariate: false group: true } }", "spec.sampler"},
        // Issue 12 finding 2: out-of-range durations and counts.
        InvalidSpecCase{"LeaseOf1e15Seconds", "lease_duration_ms: 1000000000000000000",
                        "spec.lease_duration_ms: must be between 1 and 604800000"},
        InvalidSpecCase{"LeaseThatOverflowsADeadline", "lease_duration_ms: 9223372036854775",
                        "spec.lease_duration_ms: must be between"},
        InvalidSpecCase{"NegativeHeartbeat", "heartbeat_interval_ms: -5",
                        "spec.heartbeat_interval_ms"},
        InvalidSpecCase{"MaxTrials", "max_trials: 1000000000000", "spec.max_trials: must be"},
        InvalidSpecCase{"MaxRetries", "max_retries: 2000000000", "spec.max_retries: must be"},
        InvalidSpecCase{"Candidates", "sampler { tpe { n_ei_candidates: 100000000 } }",
                        "spec.sampler.tpe.n_ei_candidates: must be between 1 and 10000"},
        InvalidSpecCase{"ConstraintRetries", "sampler { max_constraint_retries: 100000000 }",
                        "spec.sampler.max_constraint_retries: must be"},
        InvalidSpecCase{"UnknownPrunerKind", "pruner { kind: 42 }",
                        "spec.pruner.kind: unknown pruner kind 42"},
        InvalidSpecCase{"PrunerPercentile",
                        "pruner { kind: PRUNER_KIND_PERCENTILE percentile { percentile: 101 } }",
                        "spec.pruner.percentile.percentile: must be between 0 and 100"},
        InvalidSpecCase{"PrunerReductionFactor",
                        "pruner { kind: PRUNER_KIND_HYPERBAND hyperband { reduction_factor: 1 } }",
                        "spec.pruner.hyperband.reduction_factor: must be between 2"},
        InvalidSpecCase{"PrunerObjective", "pruner { objective: 3 }",
                        "spec.pruner.objective: must be < the number of objectives"},
        // Options without a field of their own travel in `options`; no other key is taken.
        InvalidSpecCase{"UnknownTpeOption",
                        "sampler { tpe { options { key: \"gamma\" value { number_value: 0.1 } } "
                        "} }",
                        "spec.sampler.tpe.options.gamma: unknown option"},
        InvalidSpecCase{"OptionThatHasAField",
                        "options { key: \"max_retries\" value { number_value: 3 } }",
                        "spec.options.max_retries: unknown option"},
        // Finding 4: strings.
        InvalidSpecCase{"LongParamName",
                        "space { params { name: \"" + std::string(300, 'p') +
                            "\" distribution { int_distribution { high: 3 } } } }",
                        "spec.space.params[5] name: must be at most 256 bytes (got 300)"},
        InvalidSpecCase{"LargeUserAttr",
                        "user_attrs { key: \"k\" value: \"" + std::string(70'000, '1') + "\" }",
                        "spec.user_attrs.k: must be at most 65536 bytes"}),
    [](const auto& info) { return info.param.name; });

// Issue 12 finding 2: a saturated deadline made the conversion throw; both directions clamp to
// Timestamp's range (0001-01-01 to 9999-12-31) instead.
TEST(Convert, TimestampsClampInsteadOfThrowing) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  google::protobuf::Timestamp latest;
  EXPECT_NO_THROW(latest = MicrosToTimestamp(kMax));
  EXPECT_EQ(latest.seconds(), 253402300799);  // 9999-12-31T23:59:59Z
  EXPECT_EQ(latest.nanos(), 999'999'000);
  google::protobuf::Timestamp earliest;
  EXPECT_NO_THROW(earliest = MicrosToTimestamp(kMin));
  EXPECT_EQ(earliest.seconds(), -62135596800);  // 0001-01-01T00:00:00Z
  EXPECT_EQ(MicrosToTimestamp(1'500'000).seconds(), 1);
  EXPECT_EQ(TimestampToMicros(MicrosToTimestamp(1'700'000'000'123'456)), 1'700'000'000'123'456);

  google::protobuf::Timestamp hostile;
  hostile.set_seconds(kMax);
  hostile.set_nanos(-7);
  EXPECT_EQ(TimestampToMicros(hostile), 253402300799LL * 1'000'000);
  hostile.set_seconds(kMin);
  EXPECT_EQ(TimestampToMicros(hostile), -62135596800LL * 1'000'000);

  Lease lease{"w", 1, kMax};
  EXPECT_EQ(LeaseToProto(lease).expire_time().seconds(), 253402300799);
}

TEST(Convert, TrialRoundTripsWithExternalParams) {
  absl::StatusOr<StudySpec> spec = StudySpecFromProto(ParseSpec(kValidSpec));
  ASSERT_TRUE(spec.ok());
  Trial trial;
  trial.id = 9;
  trial.number = 4;
  trial.state = TrialState::kRunning;
  for (const char* name : {"layers", "type", "lr"}) {
    trial.distributions.insert_or_assign(name, spec->space.Find(name)->distribution);
  }
  trial.params = {{"layers", 6.0}, {"type", 1.0}, {"lr", 0.001}};
  trial.values = {0.9, 4.0};
  trial.intermediate_values = {{0, 0.5}, {1, 0.7}};
  trial.user_attrs = {{"note", "\"x\""}};
  trial.datetime_start_us = 1'700'000'000'123'456;
  trial.attempt = 2;
  trial.lease = Lease{"w", 2, 1'700'000'060'000'000};
  v1::Trial wire = TrialToProto(trial, "quant");
  EXPECT_EQ(wire.name(), "studies/quant/trials/4");
  EXPECT_EQ(wire.params().at("type").string_value(), "float");
  EXPECT_EQ(wire.params().at("layers").int_value(), 6);
  absl::StatusOr<Trial> back = TrialFromProto(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->params, trial.params);
  EXPECT_EQ(back->distributions, trial.distributions);
  EXPECT_EQ(back->values, trial.values);
  EXPECT_EQ(back->intermediate_values, trial.intermediate_values);
  EXPECT_EQ(back->lease, trial.lease);
  EXPECT_EQ(back->datetime_start_us, trial.datetime_start_us);
  EXPECT_EQ(back->attempt, 2);
  // Trials converted through one interner share their equal distributions maps.
  DistributionsInterner interner;
  const Trial a = *TrialFromProto(wire, &interner);
  const Trial b = *TrialFromProto(wire, &interner);
  EXPECT_TRUE(a.distributions.SharesMapWith(b.distributions));
  EXPECT_FALSE(back->distributions.SharesMapWith(a.distributions));

  (*wire.mutable_params())["type"].set_string_value("bogus");
  EXPECT_THAT(std::string(TrialFromProto(wire).status().message()),
              HasSubstr("trial.params[type]"));
}

TEST(ResourceNames, ParseAndFormat) {
  EXPECT_EQ(*ParseStudyName(StudyResourceName("a.b-c"), "name"), "a.b-c");
  TrialName t = *ParseTrialName(TrialResourceName("s", 12), "name");
  EXPECT_EQ(t.study, "s");
  EXPECT_EQ(t.number, 12);
  for (const char* bad : {"", "studies/", "study/x", "studies/a/b"}) {
    EXPECT_EQ(ParseStudyName(bad, "name").status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  for (const char* bad : {"studies/s", "studies/s/trials/", "studies/s/trials/-1",
                          "studies/s/trials/1x", "studies//trials/1"}) {
    absl::Status status = ParseTrialName(bad, "name").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), StartsWith("name:"));
  }
}

}  // namespace
}  // namespace nasq
