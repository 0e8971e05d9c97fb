// Tests of interop/optuna_space.h: the space inferred from an Optuna study's trials.
#include "interop/optuna_space.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

const Distribution kX = FloatDistribution{0.0, 1.0, false, std::nullopt};
const Distribution kN = IntDistribution{1, 8, false, 1};

Trial MakeTrial(int64_t number, TrialState state, std::map<std::string, Distribution> params) {
  Trial trial;
  trial.number = number;
  trial.state = state;
  for (const auto& [name, d] : params) {
    trial.params[name] = DiscreteValue(d, 0);
    trial.distributions.insert_or_assign(name, d);
  }
  return trial;
}

TEST(InferSearchSpace, TakesTheUnionOfTheFinishedTrialsParams) {
  std::vector<Trial> trials = {
      MakeTrial(0, TrialState::kFail, {{"n", kN}}),  // a FAIL trial may hold a subset
      MakeTrial(1, TrialState::kComplete, {{"n", kN}, {"x", kX}}),
      MakeTrial(2, TrialState::kPruned, {{"n", kN}, {"x", kX}}),
      MakeTrial(3, TrialState::kRunning, {{"y", kX}}),  // not finished: ignored
  };
  absl::StatusOr<SearchSpace> space = InferSearchSpace(trials);
  ASSERT_TRUE(space.ok()) << space.status();
  ASSERT_EQ(space->params().size(), 2u);
  EXPECT_EQ(space->params()[0].name, "n");
  EXPECT_TRUE(space->params()[0].distribution == kN);
  EXPECT_EQ(space->params()[1].name, "x");
  EXPECT_TRUE(space->params()[1].distribution == kX);
}

TEST(InferSearchSpace, RefusesWhatNasqsFixedSpaceCannotHold) {
  const Distribution wider = FloatDistribution{0.0, 2.0, false, std::nullopt};
  struct Case {
    const char* what;
    std::vector<Trial> trials;
    const char* message;
  };
  const Case cases[] = {
      {"a range that changes",
       {MakeTrial(0, TrialState::kComplete, {{"x", kX}}),
        MakeTrial(1, TrialState::kFail, {{"x", wider}})},
       "param 'x': trial 0 samples it from float [0, 1] but trial 1 from float [0, 2]"},
      {"a conditional param",
       {MakeTrial(0, TrialState::kComplete, {{"x", kX}, {"n", kN}}),
        MakeTrial(1, TrialState::kPruned, {{"x", kX}})},
       "param 'n': trial 0 has it but PRUNED trial 1 does not"},
      {"no params", {MakeTrial(0, TrialState::kComplete, {})}, "no finished trial has params"},
      {"no finished trial",
       {MakeTrial(0, TrialState::kWaiting, {{"x", kX}})},
       "no finished trial has params"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SearchSpace> space = InferSearchSpace(c.trials);
    ASSERT_TRUE(absl::IsInvalidArgument(space.status())) << c.what << ": " << space.status();
    EXPECT_THAT(std::string(space.status().message()), HasSubstr(c.message)) << c.what;
  }
}

}  // namespace
}  // namespace nasq
