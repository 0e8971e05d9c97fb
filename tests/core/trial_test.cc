#include "core/trial.h"

#include <string>

#include "core/clock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

// Spells out every field, so -Wmissing-field-initializers stays quiet.
FloatDistribution Float(double low, double high, bool log = false,
                        std::optional<double> step = std::nullopt) {
  return FloatDistribution{low, high, log, step};
}

TEST(TrialState, NamesRoundTripCaseInsensitively) {
  for (TrialState s : {TrialState::kRunning, TrialState::kComplete, TrialState::kPruned,
                       TrialState::kFail, TrialState::kWaiting}) {
    const std::string name = TrialStateName(s);
    EXPECT_EQ(ParseTrialState(name), s);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(c));
    EXPECT_EQ(ParseTrialState(lower), s);
  }
  EXPECT_STREQ(TrialStateName(TrialState::kComplete), "COMPLETE");
  EXPECT_EQ(static_cast<int>(TrialState::kWaiting), 4);  // Optuna's numbering
  EXPECT_FALSE(ParseTrialState("FAILED").has_value());
  EXPECT_FALSE(ParseTrialState("").has_value());
}

TEST(TrialState, FinishedStates) {
  EXPECT_TRUE(IsFinished(TrialState::kComplete));
  EXPECT_TRUE(IsFinished(TrialState::kPruned));
  EXPECT_TRUE(IsFinished(TrialState::kFail));
  EXPECT_FALSE(IsFinished(TrialState::kRunning));
  EXPECT_FALSE(IsFinished(TrialState::kWaiting));
}

TEST(Trial, ExternalParamConvertsThroughItsDistribution) {
  Trial trial;
  trial.params = {{"act", 1.0}, {"width", 16.0}, {"lr", 0.01}, {"orphan", 3.0}};
  trial.distributions = {
      {"act", CategoricalDistribution{{std::string("relu"), std::string("gelu")}}},
      {"width", IntDistribution{8, 64}},
      {"lr", Float(1e-4, 1.0, true)},
  };
  EXPECT_EQ(std::get<std::string>(*trial.ExternalParam("act")), "gelu");
  EXPECT_EQ(std::get<int64_t>(*trial.ExternalParam("width")), 16);
  EXPECT_EQ(std::get<double>(*trial.ExternalParam("lr")), 0.01);
  EXPECT_FALSE(trial.ExternalParam("missing").has_value());
  EXPECT_FALSE(trial.ExternalParam("orphan").has_value());  // no distribution recorded
}

TEST(Clock, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMicros(), 1000);
  clock.AdvanceMicros(500);
  EXPECT_EQ(clock.NowMicros(), 1500);
  clock.SetMicros(42);
  EXPECT_EQ(clock.NowMicros(), 42);
}

TEST(Clock, RealClockIsAfter2023AndMonotoneEnough) {
  RealClock* clock = RealClock::Default();
  EXPECT_EQ(clock, RealClock::Default());
  const int64_t a = clock->NowMicros();
  const int64_t b = clock->NowMicros();
  EXPECT_GT(a, int64_t{1'672'531'200'000'000});  // 2023-01-01 in microseconds
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace nasq
