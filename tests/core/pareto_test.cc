// Tests of core/pareto.h against hand-computed fronts and values computed with Optuna 5.1.
#include "core/pareto.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
using Points = std::vector<std::vector<double>>;

TEST(Pareto, LossVectorNegatesMaximisedObjectives) {
  EXPECT_THAT(
      LossVector(std::vector<double>{1, 2, 3},
                 {StudyDirection::kMinimize, StudyDirection::kMaximize, StudyDirection::kMinimize}),
      ElementsAre(1, -2, 3));
}

TEST(Pareto, DominanceIsWeakInEveryObjectiveAndStrictInOne) {
  EXPECT_TRUE(Dominates(std::vector<double>{1, 2}, std::vector<double>{1, 3}));
  EXPECT_TRUE(Dominates(std::vector<double>{0, 0}, std::vector<double>{1, 1}));
  EXPECT_FALSE(Dominates(std::vector<double>{1, 2}, std::vector<double>{1, 2}));  // equal
  EXPECT_FALSE(Dominates(std::vector<double>{1, 3}, std::vector<double>{2, 2}));  // trade-off
  EXPECT_FALSE(Dominates(std::vector<double>{2, 2}, std::vector<double>{1, 3}));
  EXPECT_TRUE(Dominates(std::vector<double>{1, 1}, std::vector<double>{1, kInf}));
  EXPECT_FALSE(Dominates(std::vector<double>{1}, std::vector<double>{2, 2}));  // sizes differ
}

// ParetoFront finds rank 0 without ranking everything: it must agree with NonDominationRanks on
// random points with ties (1 to 3 objectives), and keep NaN points (never dominated).
TEST(Pareto, FrontIsRankZeroOfTheFullSort) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coarse(0, 5);  // few values: many ties and equal vectors
  for (int objectives = 1; objectives <= 3; ++objectives) {
    for (int round = 0; round < 50; ++round) {
      Points points(1 + round);
      for (auto& p : points) {
        for (int m = 0; m < objectives; ++m) p.push_back(coarse(rng));
      }
      std::vector<size_t> expected;
      const std::vector<int> ranks = NonDominationRanks(points);
      for (size_t i = 0; i < ranks.size(); ++i) {
        if (ranks[i] == 0) expected.push_back(i);
      }
      EXPECT_EQ(ParetoFront(points), expected) << objectives << " objectives, round " << round;
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(ParetoFront({{1, 1}, {nan, 0}, {2, 2}, {0, 3}}), ElementsAre(0, 1, 3));
}

TEST(Pareto, RanksPeelFrontsAndEqualVectorsShareARank) {
  // Hand-computed: (1,2), (2,1), (1.5,1.5) and the copy of (2,1) are mutually non-dominated;
  // (3,3) is dominated by all of them.
  const Points losses = {{1, 2}, {2, 1}, {1.5, 1.5}, {3, 3}, {2, 1}};
  EXPECT_THAT(NonDominationRanks(losses), ElementsAre(0, 0, 0, 1, 0));
  EXPECT_THAT(ParetoFront(losses), ElementsAre(0, 1, 2, 4));
  const Points chain = {{3, 3}, {2, 2}, {1, 1}, {2, 2}};
  EXPECT_THAT(NonDominationRanks(chain), ElementsAre(2, 1, 0, 1));
  // One objective: dense ranks of the values.
  EXPECT_THAT(NonDominationRanks({{5}, {1}, {3}, {1}}), ElementsAre(2, 0, 1, 0));
}

TEST(Pareto, ConstrainedRanksPutInfeasibleTrialsAfterByPenalty) {
  // Optuna 5.1: _fast_non_domination_rank(np.array([[1,2],[2,1],[1.5,1.5],[3,3],[2,1]]),
  //     penalty=np.array([0,0,1,2,1.0])) == [0, 0, 1, 2, 1]
  const Points losses = {{1, 2}, {2, 1}, {1.5, 1.5}, {3, 3}, {2, 1}};
  EXPECT_THAT(ConstrainedNonDominationRanks(losses, {0, 0, 1, 2, 1}), ElementsAre(0, 0, 1, 2, 1));
  // A dominated feasible vector still ranks before every infeasible one.
  EXPECT_THAT(ConstrainedNonDominationRanks({{0, 0}, {5, 5}, {9, 9}}, {3, 0, -1}),
              ElementsAre(2, 0, 1));
}

TEST(Pareto, CrowdingDistanceMatchesOptuna) {
  // Optuna 5.1, samplers/nsgaii/_elite_population_selection_strategy.py, on trials numbered
  // 0..5 with these values: _calc_crowding_distance -> [inf, 0.75, 1.0, inf, 0.25, inf] and
  // _crowding_distance_sort leaves numbers [5, 0, 3, 2, 1, 4].
  const Points points = {{1, 5}, {2, 3}, {3, 3}, {4, 1}, {2, 3}, {5, kInf}};
  EXPECT_THAT(CrowdingDistances(points), ElementsAre(kInf, 0.75, 1.0, kInf, 0.25, kInf));
  EXPECT_THAT(CrowdingDistanceOrder(points), ElementsAre(5, 0, 3, 2, 1, 4));
  // An objective on which all points agree adds nothing.
  EXPECT_THAT(CrowdingDistances({{1, 7}, {2, 7}, {3, 7}}), ElementsAre(kInf, 1.0, kInf));
  EXPECT_TRUE(CrowdingDistances({}).empty());
}

TEST(Pareto, HypervolumeOfHandComputedFronts) {
  // Staircase: 0.9*0.1 + 0.7*0.3 + 0.5*0.1 + 0.3*0.3 + 0.1*0.1 = 0.45 (Optuna 5.1 agrees).
  const Points front = {{0.1, 0.9}, {0.3, 0.6}, {0.5, 0.5}, {0.7, 0.2}, {0.9, 0.1}};
  const std::vector<double> unit2 = {1, 1};
  EXPECT_NEAR(*Hypervolume(front, unit2), 0.45, 1e-12);
  // Dominated points, duplicates and points beyond the reference change nothing.
  Points noisy = front;
  noisy.push_back({0.8, 0.8});
  noisy.push_back({0.3, 0.6});
  noisy.push_back({1.5, 0.0});
  EXPECT_NEAR(*Hypervolume(noisy, unit2), 0.45, 1e-12);
  // One point: the box to the reference.
  EXPECT_NEAR(*Hypervolume({{0.5, 0.25, 0.0}}, std::vector<double>{1, 1, 2}), 0.5 * 0.75 * 2,
              1e-12);
  // Two boxes in 3-D: |A| + |B| - |A and B| = 0.5 + 0.5 - 0.25.
  EXPECT_NEAR(*Hypervolume({{0, 0.5, 0}, {0.5, 0, 0}}, std::vector<double>{1, 1, 1}), 0.75, 1e-12);
  EXPECT_EQ(*Hypervolume({}, unit2), 0.0);
}

TEST(Pareto, HypervolumeMatchesOptuna) {
  // Values from Optuna 5.1's optuna._hypervolume.compute_hypervolume(np.array(points),
  // np.array(reference)); the points were drawn with np.round(np.random.RandomState(0).rand(n,
  // d), 3) for (d, n) = (2, 8), (3, 8), (4, 6) in turn, reference 1.1 in every objective.
  struct Case {
    Points points;
    std::vector<double> reference;
    double optuna;
  };
  const std::vector<Case> cases = {
      {{{0.549, 0.715},
        {0.603, 0.545},
        {0.424, 0.646},
        {0.438, 0.892},
        {0.964, 0.383},
        {0.792, 0.529},
        {0.568, 0.926},
        {0.071, 0.087}},
       {1.1, 1.1},
       1.0423770000000003},
      {{{0.02, 0.833, 0.778},
        {0.87, 0.979, 0.799},
        {0.461, 0.781, 0.118},
        {0.64, 0.143, 0.945},
        {0.522, 0.415, 0.265},
        {0.774, 0.456, 0.568},
        {0.019, 0.618, 0.612},
        {0.617, 0.944, 0.682}},
       {1.1, 1.1, 1.1},
       0.5050256980000002},
      {{{0.36, 0.437, 0.698, 0.06},
        {0.667, 0.671, 0.21, 0.129},
        {0.315, 0.364, 0.57, 0.439},
        {0.988, 0.102, 0.209, 0.161},
        {0.653, 0.253, 0.466, 0.244},
        {0.159, 0.11, 0.656, 0.138}},
       {1.1, 1.1, 1.1, 1.1},
       0.5588674905480002},
      // compute_hypervolume(np.array([[0.1,0.5,0.9],[0.5,0.1,0.6],[0.6,0.6,0.1],[0.3,0.3,0.3]]),
      //     np.ones(3)) == 0.42499999999999993
      {{{0.1, 0.5, 0.9}, {0.5, 0.1, 0.6}, {0.6, 0.6, 0.1}, {0.3, 0.3, 0.3}}, {1, 1, 1}, 0.425},
  };
  for (const Case& c : cases) {
    absl::StatusOr<double> hv = Hypervolume(c.points, c.reference);
    ASSERT_TRUE(hv.ok()) << hv.status();
    EXPECT_NEAR(*hv, c.optuna, 1e-12) << c.reference.size() << " objectives";
  }
}

TEST(Pareto, HypervolumeRefusesBadInputAndIsInfiniteForAnInfiniteReference) {
  const std::vector<double> unit2 = {1, 1};
  EXPECT_THAT(std::string(Hypervolume({{0.5}}, unit2).status().message()),
              HasSubstr("point 0 has 1 objectives"));
  EXPECT_THAT(std::string(Hypervolume({{0.5, std::nan("")}}, unit2).status().message()),
              HasSubstr("NaN"));
  EXPECT_FALSE(Hypervolume({}, std::vector<double>{}).ok());
  EXPECT_EQ(*Hypervolume({{0.5, 0.5}}, std::vector<double>{1, kInf}), kInf);
}

TEST(Pareto, DefaultReferencePointIsOptunasTpeReference) {
  // max(1.1 w, 0.9 w) of the worst value w per objective; 1e-12 where it is 0.
  EXPECT_THAT(DefaultReferencePoint({{1, -4, 0}, {2, -5, 0}}), ElementsAre(2.2, -3.6, 1e-12));
}

TEST(Pareto, TrialConstraintsReadOptunasSystemAttrs) {
  Trial trial;
  EXPECT_TRUE(TrialConstraints(trial)->empty());
  trial.system_attrs["constraints:memory"] = "0.5";
  trial.system_attrs["constraints:latency"] = "-2";
  trial.system_attrs["worker"] = R"({"id": "w"})";
  EXPECT_THAT(*TrialConstraints(trial), ElementsAre(-2, 0.5));  // by key
  EXPECT_EQ(ConstraintPenalty(*TrialConstraints(trial)), 0.5);
  Trial old_format;
  old_format.system_attrs["constraints"] = "[1.5, -1, 2]";
  EXPECT_THAT(*TrialConstraints(old_format), ElementsAre(1.5, -1, 2));
  EXPECT_EQ(ConstraintPenalty(*TrialConstraints(old_format)), 3.5);
  old_format.system_attrs["constraints"] = "null";  // Optuna stores None when the function raised
  EXPECT_TRUE(TrialConstraints(old_format)->empty());
  for (const char* bad : {"\"x\"", "NaN", "[1, nan]", "{}"}) {
    Trial t;
    t.system_attrs["constraints:c"] = bad;
    EXPECT_THAT(std::string(TrialConstraints(t).status().message()),
                HasSubstr("system_attrs.constraints:c"))
        << bad;
  }
}

Trial CompleteTrial(std::vector<double> values, const char* constraint = nullptr) {
  Trial t;
  t.state = TrialState::kComplete;
  t.values = std::move(values);
  if (constraint != nullptr) t.system_attrs["constraints:memory"] = constraint;
  return t;
}

TEST(Pareto, ParetoRolesSplitFeasibleFrontDominatedAndInfeasible) {
  // Maximise the first objective, minimise the second.
  const std::vector<StudyDirection> directions = {StudyDirection::kMaximize,
                                                  StudyDirection::kMinimize};
  std::vector<Trial> trials = {
      CompleteTrial({0.9, 8}),            // front: the best first objective
      CompleteTrial({0.8, 4}),            // front: a trade-off
      CompleteTrial({0.7, 6}),            // dominated by trial 1
      CompleteTrial({0.95, 2}, "0.5"),    // would dominate all, but violates its constraint
      CompleteTrial({0.6, 3}, "-1"),      // feasible (constraint <= 0) and on the front
      CompleteTrial({0.5}),               // one value for two objectives
      CompleteTrial({0.99, 1}, "\"x\""),  // unreadable constraint: infeasible
  };
  Trial running;
  running.state = TrialState::kRunning;
  trials.push_back(running);
  EXPECT_THAT(ParetoRoles(trials, directions),
              ElementsAre(ParetoRole::kFront, ParetoRole::kFront, ParetoRole::kDominated,
                          ParetoRole::kInfeasible, ParetoRole::kFront, ParetoRole::kNone,
                          ParetoRole::kInfeasible, ParetoRole::kNone));
  // One objective: every trial tied for the best value is on the front.
  EXPECT_THAT(
      ParetoRoles(std::vector<Trial>{CompleteTrial({2}), CompleteTrial({1}), CompleteTrial({1})},
                  {StudyDirection::kMinimize}),
      ElementsAre(ParetoRole::kDominated, ParetoRole::kFront, ParetoRole::kFront));
}

}  // namespace
}  // namespace nasq
