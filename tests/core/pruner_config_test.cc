// Tests of core/pruner_config.h: kind names and ValidatePrunerConfig's refusals, each naming
// the field.
#include "core/pruner_config.h"

#include <functional>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

TEST(PrunerConfig, KindNamesRoundTrip) {
  for (PrunerKind k : {PrunerKind::kNone, PrunerKind::kMedian, PrunerKind::kPercentile,
                       PrunerKind::kSuccessiveHalving, PrunerKind::kHyperband,
                       PrunerKind::kThreshold, PrunerKind::kPatient}) {
    EXPECT_EQ(ParsePrunerKind(PrunerKindName(k)), k) << PrunerKindName(k);
  }
  EXPECT_EQ(ParsePrunerKind("MEDIAN"), PrunerKind::kMedian);
  EXPECT_FALSE(ParsePrunerKind("asha").has_value());
  EXPECT_STREQ(PrunerSectionName(PrunerKind::kMedian), "percentile");
}

TEST(PrunerConfig, DefaultsAreValid) {
  EXPECT_TRUE(ValidatePrunerConfig({}, 1).ok());
  EXPECT_TRUE(ValidatePrunerConfig({.kind = PrunerKind::kHyperband}, 1).ok());
}

TEST(PrunerConfig, BadValuesAreRefusedNamingTheField) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  struct Case {
    const char* field;
    std::function<void(PrunerConfig&)> set;
  };
  const Case cases[] = {
      {"pruner.objective:", [](PrunerConfig& c) { c.objective = 1; }},
      {"pruner.wrapped:", [](PrunerConfig& c) { c.wrapped = PrunerKind::kMedian; }},
      {"pruner.wrapped:",
       [](PrunerConfig& c) {
         c.kind = PrunerKind::kPatient;
         c.wrapped = PrunerKind::kPatient;
       }},
      {"pruner.kind:", [](PrunerConfig& c) { c.kind = static_cast<PrunerKind>(42); }},
      {"pruner.percentile.percentile:", [](PrunerConfig& c) { c.percentile.percentile = 120; }},
      {"pruner.percentile.n_startup_trials:",
       [](PrunerConfig& c) { c.percentile.n_startup_trials = -1; }},
      {"pruner.percentile.interval_steps:",
       [](PrunerConfig& c) { c.percentile.interval_steps = 0; }},
      {"pruner.percentile.n_min_trials:", [](PrunerConfig& c) { c.percentile.n_min_trials = 0; }},
      {"pruner.successive_halving.reduction_factor:",
       [](PrunerConfig& c) { c.successive_halving.reduction_factor = 1; }},
      {"pruner.successive_halving.bootstrap_count:",
       [](PrunerConfig& c) { c.successive_halving.bootstrap_count = 1; }},
      {"pruner.hyperband.min_resource:", [](PrunerConfig& c) { c.hyperband.min_resource = 0; }},
      {"pruner.hyperband.max_resource:",
       [](PrunerConfig& c) {
         c.hyperband.min_resource = 5;
         c.hyperband.max_resource = 4;
       }},
      {"pruner.hyperband.bootstrap_count:",
       [](PrunerConfig& c) { c.hyperband.bootstrap_count = 2; }},
      {"pruner.threshold.lower:", [](PrunerConfig& c) { c.threshold.lower = kInf; }},
      {"pruner.threshold.upper:",
       [](PrunerConfig& c) { c.threshold.upper = std::numeric_limits<double>::quiet_NaN(); }},
      {"pruner.threshold.upper:",
       [](PrunerConfig& c) {
         c.threshold.lower = 2;
         c.threshold.upper = 1;
       }},
      {"pruner.threshold:", [](PrunerConfig& c) { c.kind = PrunerKind::kThreshold; }},
      {"pruner.patient.patience:", [](PrunerConfig& c) { c.patient.patience = -1; }},
      {"pruner.patient.min_delta:", [](PrunerConfig& c) { c.patient.min_delta = -0.1; }},
  };
  for (const Case& c : cases) {
    PrunerConfig config;
    c.set(config);
    const absl::Status status = ValidatePrunerConfig(config, 1);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.field));
  }
}

}  // namespace
}  // namespace nasq
