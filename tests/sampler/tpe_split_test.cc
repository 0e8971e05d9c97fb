// gamma, weights and the below/above split of the history.
#include "sampler/tpe_split.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

TEST(TpeSplit, DefaultGamma) {
  const std::vector<std::pair<int, int>> cases = {{0, 0},    {1, 1},    {10, 1},   {11, 2},
                                                  {100, 10}, {249, 25}, {250, 25}, {1000, 25}};
  for (const auto& [n, gamma] : cases) EXPECT_EQ(DefaultGamma(n), gamma) << n;
}

TEST(TpeSplit, DefaultWeights) {
  EXPECT_TRUE(DefaultWeights(0).empty());
  EXPECT_EQ(DefaultWeights(24), std::vector<double>(24, 1.0));
  // Optuna 3.1: optuna.samplers._tpe.sampler.default_weights(30).
  const std::vector<double> expected_head = {0.03333333333333333, 0.275, 0.5166666666666667,
                                             0.7583333333333333, 1.0};
  const std::vector<double> w = DefaultWeights(30);
  ASSERT_EQ(w.size(), 30u);
  for (size_t i = 0; i < expected_head.size(); ++i) EXPECT_NEAR(w[i], expected_head[i], 1e-15);
  for (size_t i = 5; i < 30; ++i) EXPECT_EQ(w[i], 1.0);
  EXPECT_EQ(DefaultWeights(26)[0], 1.0 / 26);  // linspace with a single point
}

Trial MakeTrial(int64_t number, TrialState state, std::vector<double> values = {},
                std::map<int64_t, double> intermediate = {}) {
  Trial t;
  t.number = number;
  t.id = number;
  t.state = state;
  t.values = std::move(values);
  t.intermediate_values = std::move(intermediate);
  return t;
}

std::vector<int64_t> Numbers(const std::vector<Trial>& h, const std::vector<int>& indices) {
  std::vector<int64_t> out;
  for (int i : indices) out.push_back(h[i].number);
  return out;
}

TEST(TpeSplit, BestCompleteTrialsGoBelowInTheStudyDirection) {
  std::vector<Trial> h;
  for (int i = 0; i < 20; ++i) h.push_back(MakeTrial(i, TrialState::kComplete, {double(i % 7)}));
  h.push_back(MakeTrial(20, TrialState::kFail));
  h.push_back(MakeTrial(21, TrialState::kWaiting));
  // n = 20 -> gamma 2; minimize: values 0 at trials 0, 7, 14.
  TrialSplit s = SplitTrials(h, 99, {StudyDirection::kMinimize}, false);
  EXPECT_EQ(s.n_finished, 20);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{0, 7}));
  EXPECT_EQ(s.above.size(), 18u);
  // maximize: values 6 at trials 6 and 13.
  s = SplitTrials(h, 99, {StudyDirection::kMaximize}, false);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{6, 13}));
}

TEST(TpeSplit, PrunedTrialsFillBelowDeepestFirstAndRunningGoAboveWithLiar) {
  std::vector<Trial> h;
  h.push_back(MakeTrial(0, TrialState::kComplete, {5.0}));
  h.push_back(MakeTrial(1, TrialState::kPruned, {}, {{1, 0.1}, {5, 0.3}}));     // step 5
  h.push_back(MakeTrial(2, TrialState::kPruned, {}, {{7, 0.9}}));               // step 7, worse
  h.push_back(MakeTrial(3, TrialState::kPruned, {}, {{7, 0.1}}));               // step 7, better
  for (int i = 4; i < 21; ++i) h.push_back(MakeTrial(i, TrialState::kPruned));  // no values
  h.push_back(MakeTrial(21, TrialState::kRunning));
  h.push_back(MakeTrial(22, TrialState::kRunning));  // the trial being sampled
  // n = 21 (running excluded) -> gamma 3: the complete trial, then trials 3 and 2.
  TrialSplit s = SplitTrials(h, 22, {StudyDirection::kMinimize}, true);
  EXPECT_EQ(s.n_finished, 21);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{0, 2, 3}));
  EXPECT_EQ(s.above.size(), 19u);  // 18 pruned + running trial 21
  EXPECT_EQ(h[s.above.back()].number, 21);
  // Without constant liar running trials are not used at all.
  s = SplitTrials(h, 22, {StudyDirection::kMinimize}, false);
  EXPECT_EQ(s.above.size(), 18u);
  // Maximize negates the intermediate value: trial 2 (0.9) beats trial 3 (0.1) at step 7,
  // then trial 1 (step 5) comes before the rest.
  h[0].state = TrialState::kFail;
  s = SplitTrials(h, 22, {StudyDirection::kMaximize}, false);
  EXPECT_EQ(DefaultGamma(s.n_finished), 2);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{2, 3}));
}

TEST(TpeSplit, MultiObjectiveGammaIsNotCapped) {
  // Optuna 5.0: ceil(0.1 n) below trials for several objectives, min(ceil(0.1 n), 25) for one.
  EXPECT_EQ(MultiObjectiveGamma(0), 0);
  EXPECT_EQ(MultiObjectiveGamma(11), 2);
  EXPECT_EQ(MultiObjectiveGamma(300), 30);
  std::vector<Trial> h;
  for (int i = 0; i < 300; ++i) {
    h.push_back(MakeTrial(i, TrialState::kComplete, {1.0 * i, 300.0 - i}));
  }
  const TrialSplit two =
      SplitTrials(h, 999, {StudyDirection::kMinimize, StudyDirection::kMinimize}, false);
  EXPECT_EQ(two.below.size(), 30u);
  for (Trial& t : h) t.values.resize(1);
  EXPECT_EQ(SplitTrials(h, 999, {StudyDirection::kMinimize}, false).below.size(), 25u);
}

TEST(TpeSplit, BelowWeightsAreOnesForSeveralObjectives) {
  EXPECT_EQ(BelowWeights(30, 2), std::vector<double>(30, 1.0));
  EXPECT_EQ(BelowWeights(30, 1), DefaultWeights(30));
  EXPECT_LT(BelowWeights(30, 1)[0], 1.0);  // the ramp
}

TEST(TpeSplit, MultiObjectiveTakesWholeFrontsThenHypervolumeSubset) {
  std::vector<Trial> h;
  // Front 1: (0,4) (1,1) (4,0); front 2: (2,3) (3,2); then dominated trials.
  const std::vector<std::vector<double>> points = {{0, 4}, {1, 1}, {4, 0}, {2, 3}, {3, 2}};
  for (int i = 0; i < 30; ++i) {
    std::vector<double> v = i < 5 ? points[i] : std::vector<double>{10.0 + i, 10.0 + i};
    h.push_back(MakeTrial(i, TrialState::kComplete, v));
  }
  // gamma(30) = 3: exactly front 1.
  TrialSplit s = SplitTrials(h, 99, {StudyDirection::kMinimize, StudyDirection::kMinimize}, false);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{0, 1, 2}));
  // gamma(40) = 4: front 1 and one of front 2, whose two trials add the same hypervolume (the
  // lexicographically first wins).
  std::vector<Trial> more = h;
  for (int i = 30; i < 40; ++i) more.push_back(MakeTrial(i, TrialState::kComplete, {50.0, 50.0}));
  s = SplitTrials(more, 99, {StudyDirection::kMinimize, StudyDirection::kMinimize}, false);
  EXPECT_EQ(Numbers(more, s.below), (std::vector<int64_t>{0, 1, 2, 3}));
  // gamma(11..20) = 2: front 1 does not fit; hypervolume subset selection (tpe_hssp.h) takes
  // (1,1) and then (0,4), where crowding distance would have kept the extremes (0,4) and (4,0).
  h.resize(15);
  s = SplitTrials(h, 99, {StudyDirection::kMinimize, StudyDirection::kMinimize}, false);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{0, 1}));
}

// Optuna 5.1's _split_trials: feasible COMPLETE, then feasible PRUNED trials fill below;
// infeasible ones (penalty > 0; a trial without constraints is feasible) only take the slots
// left, smallest penalty first, and still count in n.
TEST(TpeSplit, InfeasibleTrialsTakeOnlyTheBelowSlotsLeftByPenalty) {
  std::vector<Trial> h;
  for (int i = 0; i < 20; ++i) h.push_back(MakeTrial(i, TrialState::kComplete, {double(i)}));
  h.push_back(MakeTrial(20, TrialState::kComplete, {100.0}));
  h.push_back(MakeTrial(21, TrialState::kPruned, {}, {{3, 50.0}}));
  h.push_back(MakeTrial(22, TrialState::kPruned, {}, {{3, -50.0}}));
  h.push_back(MakeTrial(23, TrialState::kFail));
  // Without constraints: n = 23, gamma 3 -> the three smallest values.
  TrialSplit s = SplitTrials(h, 99, {StudyDirection::kMinimize}, false);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{0, 1, 2}));

  for (int i = 0; i < 20; ++i) h[i].system_attrs["constraints:c"] = absl::StrCat(2 + i);
  h[13].system_attrs["constraints:c"] = "0.5";  // the smallest penalty: 0.5 + 0
  h[13].system_attrs["constraints:d"] = "-3";
  h[20].system_attrs["constraints:c"] = "-1";  // feasible
  h[21].system_attrs["constraints:c"] = "0";   // feasible (<= 0)
  h[22].system_attrs["constraints:c"] = "7";   // infeasible PRUNED: ranked by penalty too
  h[23].system_attrs["constraints:c"] = "-1";  // FAIL: never used
  s = SplitTrials(h, 99, {StudyDirection::kMinimize}, false);
  EXPECT_EQ(s.n_finished, 23);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{13, 20, 21}));
  EXPECT_EQ(s.above.size(), 20u);

  // A trial without constraints is feasible, and a feasible PRUNED one comes before any
  // infeasible trial.
  h.resize(12);  // penalties 2..13; with two more trials n = 14, gamma 2
  h[5].system_attrs.clear();
  h.push_back(MakeTrial(12, TrialState::kPruned, {}, {{1, 1.0}}));
  h.push_back(MakeTrial(13, TrialState::kComplete, {-1.0}));
  h.back().system_attrs["constraints:c"] = "0.1";
  s = SplitTrials(h, 99, {StudyDirection::kMinimize}, false);
  EXPECT_EQ(Numbers(h, s.below), (std::vector<int64_t>{5, 12}));
}

}  // namespace
}  // namespace nasq
