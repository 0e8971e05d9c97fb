// Tests of sampler/nsga2_sampler.h and sampler/nsga2_crossover.h: generations and parents from
// the history, elite selection (ranks, crowding, constraints), children and their crossovers,
// determinism.
#include "sampler/nsga2_sampler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sampler/nsga2_crossover.h"
#include "sampler/parzen_estimator.h"
#include "sampler/rng.h"
#include "sampler_test_util.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using testing::MakeTrial;
using testing::Param;
using ::testing::UnorderedElementsAre;

// Two objectives (minimise both) over one float x in [0, 1].
StudySpec TwoObjectives(int population_size) {
  StudySpec spec =
      testing::MakeSpec({Param("x", FloatDistribution{0.0, 1.0})}, {}, SamplerKind::kNsga2);
  spec.directions = {StudyDirection::kMinimize, StudyDirection::kMinimize};
  spec.sampler.nsga2.population_size = population_size;
  return spec;
}

// A COMPLETE trial numbered `number` with `values`, finished at time `number` unless `finished`.
Trial Done(const StudySpec& spec, int64_t number, std::vector<double> values,
           int64_t finished = -1) {
  Trial t = MakeTrial(spec, number, {{"x", 0.01 * static_cast<double>(number)}},
                      TrialState::kComplete, std::move(values));
  t.datetime_complete_us = finished >= 0 ? finished : number;
  return t;
}

std::unique_ptr<Nsga2Sampler> MustCreate(const StudySpec& spec) {
  absl::StatusOr<std::unique_ptr<Nsga2Sampler>> sampler = Nsga2Sampler::Create(spec);
  EXPECT_TRUE(sampler.ok()) << sampler.status();
  return *std::move(sampler);
}

TEST(Nsga2Sampler, GenerationsCountOnlyCompleteTrialsInTheOrderTheyFinished) {
  const StudySpec spec = TwoObjectives(3);
  std::unique_ptr<Nsga2Sampler> sampler = MustCreate(spec);
  std::vector<Trial> history = {Done(spec, 0, {1, 1}), Done(spec, 1, {2, 2})};
  history.push_back(MakeTrial(spec, 2, {{"x", 0.5}}, TrialState::kFail));
  history.push_back(MakeTrial(spec, 3, {{"x", 0.5}}, TrialState::kPruned));
  history.push_back(MakeTrial(spec, 4, {{"x", 0.5}}, TrialState::kRunning));
  EXPECT_EQ(*sampler->Generation({&spec, history, 5}), 0);
  EXPECT_TRUE(sampler->ParentNumbers({&spec, history, 5})->empty());
  history.push_back(Done(spec, 5, {0, 3}));
  EXPECT_EQ(*sampler->Generation({&spec, history, 6}), 1);
  EXPECT_THAT(*sampler->ParentNumbers({&spec, history, 6}), ElementsAre(0, 1, 5));
  // Trial 6 finished before 7 and 8 although it was numbered later: generation 1 is {6, 7, 8}
  // once all three have finished, and the parents of generation 2 are the elite of 0, 1, 5
  // (generation 0) and 6, 7, 8.
  history.push_back(Done(spec, 7, {5, 5}, 20));
  history.push_back(Done(spec, 8, {0.5, 0.5}, 21));
  history.push_back(Done(spec, 6, {3, 0}, 19));
  EXPECT_EQ(*sampler->Generation({&spec, history, 9}), 2);
  // Fronts: {0.5,0.5}, {0,3}, {3,0} (rank 0, three fit the population of 3).
  EXPECT_THAT(*sampler->ParentNumbers({&spec, history, 9}), ElementsAre(5, 6, 8));
}

TEST(Nsga2Sampler, TheFrontThatDoesNotFitIsCutByCrowdingDistance) {
  const StudySpec spec = TwoObjectives(4);
  std::unique_ptr<Nsga2Sampler> sampler = MustCreate(spec);
  // Generation 0: four points on one front; generation 1: a dominated point and a front point.
  std::vector<Trial> history = {Done(spec, 0, {0, 4}), Done(spec, 1, {1, 3}),
                                Done(spec, 2, {3, 1}), Done(spec, 3, {4, 0}),
                                Done(spec, 4, {9, 9}), Done(spec, 5, {2.5, 1.5}),
                                Done(spec, 6, {8, 8}), Done(spec, 7, {7, 7})};
  // Parents of generation 2: rank 0 = {5, 0, 1, 2, 3} does not fit in 4. Crowding distances
  // (spread 4 in both objectives): 0 and 3 are extremes (inf); 1: 2.5/4 + 2.5/4 = 1.25;
  // 5: 2/4 + 2/4 = 1; 2: 1.5/4 + 1.5/4 = 0.75, so 2 is left out.
  EXPECT_THAT(*sampler->ParentNumbers({&spec, history, 8}), UnorderedElementsAre(0, 1, 3, 5));
}

TEST(Nsga2Sampler, FeasibleTrialsAreChosenBeforeInfeasibleOnes) {
  const StudySpec spec = TwoObjectives(2);
  std::unique_ptr<Nsga2Sampler> sampler = MustCreate(spec);
  std::vector<Trial> history = {Done(spec, 0, {0, 0}), Done(spec, 1, {5, 5}), Done(spec, 2, {6, 6}),
                                Done(spec, 3, {1, 1})};
  history[0].system_attrs["constraints:memory"] = "2";  // the best values, but infeasible
  history[3].system_attrs["constraints:memory"] = "0.5";
  history[1].system_attrs["constraints:memory"] = "0";
  history[2].system_attrs["constraints:memory"] = "-1";
  // Generation 0 is {0, 1}: parents of generation 1 are both; generation 1 is {2, 3}; the
  // parents of generation 2 are the feasible 1 and 2 (dominated by 0 and 3, which violate).
  EXPECT_THAT(*sampler->ParentNumbers({&spec, history, 4}), ElementsAre(1, 2));
  history[0].system_attrs["constraints:memory"] = "nan";
  EXPECT_EQ(sampler->ParentNumbers({&spec, history, 5}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Nsga2Sampler, ChildrenWithoutCrossoverOrMutationCopyAParent) {
  StudySpec spec = testing::MakeSpec(
      {Param("a", IntDistribution{0, 100, false, 1}), Param("b", FloatDistribution{0.0, 1.0}),
       Param("c", CategoricalDistribution{{std::string("p"), std::string("q"), std::string("r")}})},
      {}, SamplerKind::kNsga2);
  spec.sampler.nsga2.population_size = 4;
  spec.sampler.nsga2.crossover_prob = 0.0;
  spec.sampler.nsga2.mutation_prob = 1e-300;
  std::vector<Trial> history;
  std::set<InternalParams> parents;
  for (int i = 0; i < 4; ++i) {
    const InternalParams p = {{"a", 10.0 * i}, {"b", 0.2 * i}, {"c", i % 3}};
    history.push_back(MakeTrial(spec, i, p, TrialState::kComplete, {static_cast<double>(i)}));
    parents.insert(p);
  }
  std::unique_ptr<Nsga2Sampler> sampler = MustCreate(spec);
  for (int64_t n = 4; n < 40; ++n) {
    absl::StatusOr<InternalParams> child = SampleTrial(*sampler, {&spec, history, n});
    ASSERT_TRUE(child.ok()) << child.status();
    EXPECT_TRUE(parents.contains(*child)) << n;
  }
}

TEST(Nsga2Sampler, UniformCrossoverTakesEachParamFromAParent) {
  StudySpec spec = testing::MakeSpec(
      {Param("a", IntDistribution{0, 100, false, 1}), Param("b", FloatDistribution{0.0, 1.0}),
       Param("c", CategoricalDistribution{{std::string("p"), std::string("q"), std::string("r")}})},
      {}, SamplerKind::kNsga2);
  spec.sampler.nsga2.population_size = 2;
  spec.sampler.nsga2.crossover_prob = 1.0;
  spec.sampler.nsga2.mutation_prob = 1e-300;
  const InternalParams p0 = {{"a", 10}, {"b", 0.25}, {"c", 0}};
  const InternalParams p1 = {{"a", 90}, {"b", 0.75}, {"c", 2}};
  const std::vector<Trial> history = {MakeTrial(spec, 0, p0, TrialState::kComplete, {1}),
                                      MakeTrial(spec, 1, p1, TrialState::kComplete, {2})};
  std::unique_ptr<Nsga2Sampler> sampler = MustCreate(spec);
  std::set<InternalParams> children;
  for (int64_t n = 2; n < 60; ++n) {
    absl::StatusOr<InternalParams> child = SampleTrial(*sampler, {&spec, history, n});
    ASSERT_TRUE(child.ok()) << child.status();
    for (const auto& [name, value] : *child) {
      EXPECT_TRUE(value == p0.at(name) || value == p1.at(name)) << name << " = " << value;
    }
    children.insert(*child);
  }
  EXPECT_GT(children.size(), 2u);  // genes mix, not only whole parents
}

// Every crossover on a space of every numeric kind: children always lie in their distributions
// (SampleTrial checks it), and a study runs through several generations.
TEST(Nsga2Sampler, EveryCrossoverKeepsParamsInTheirDistributions) {
  for (Nsga2Crossover crossover :
       {Nsga2Crossover::kUniform, Nsga2Crossover::kBlxAlpha, Nsga2Crossover::kSbx,
        Nsga2Crossover::kVsbx, Nsga2Crossover::kSpx, Nsga2Crossover::kUndx}) {
    StudySpec spec = testing::MakeSpec(
        {Param("f", FloatDistribution{-1.0, 1.0}),
         Param("flog", FloatDistribution{1e-4, 1.0, true}),
         Param("fstep", FloatDistribution{0.0, 1.0, false, 0.25}),
         Param("i", IntDistribution{-5, 5, false, 1}),
         Param("ilog", IntDistribution{1, 64, true, 1}),
         Param("istep", IntDistribution{0, 12, false, 3}),
         Param("c", CategoricalDistribution{{std::string("p"), std::string("q")}})},
        {}, SamplerKind::kNsga2);
    spec.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize};
    spec.sampler.nsga2.population_size = 6;
    spec.sampler.nsga2.crossover = crossover;
    std::unique_ptr<Nsga2Sampler> sampler = MustCreate(spec);
    std::vector<Trial> history;
    for (int64_t n = 0; n < 40; ++n) {
      absl::StatusOr<InternalParams> params = SampleTrial(*sampler, {&spec, history, n});
      ASSERT_TRUE(params.ok()) << Nsga2CrossoverName(crossover) << ": " << params.status();
      const double f = params->at("f"), g = params->at("i") + params->at("flog");
      history.push_back(MakeTrial(spec, n, *params, TrialState::kComplete, {f * f, g}));
      history.back().datetime_complete_us = n;
    }
    EXPECT_EQ(*sampler->Generation({&spec, history, 40}), 40 / 6) << Nsga2CrossoverName(crossover);
  }
}

TEST(Nsga2Crossover, TransformsFollowOptuna) {
  const Distribution log_float = FloatDistribution{1e-3, 10.0, true};
  EXPECT_DOUBLE_EQ(TransformNumeric(log_float, 1.0), 0.0);
  EXPECT_EQ(TransformBounds(log_float).low, std::log(1e-3));
  const Distribution stepped_int = IntDistribution{0, 12, false, 3};
  EXPECT_EQ(TransformBounds(stepped_int).low, -1.5);
  EXPECT_EQ(TransformBounds(stepped_int).high, 13.5);
  EXPECT_EQ(UntransformNumeric(stepped_int, 4.4), 3.0);
  EXPECT_EQ(UntransformNumeric(stepped_int, 4.6), 6.0);
  EXPECT_EQ(UntransformNumeric(stepped_int, 13.4), 12.0);  // clipped
  const Distribution log_int = IntDistribution{1, 64, true, 1};
  EXPECT_EQ(TransformBounds(log_int).low, std::log(0.5));
  EXPECT_EQ(TransformBounds(log_int).high, std::log(64.5));
  EXPECT_EQ(UntransformNumeric(log_int, std::log(2.5)), 2.0);  // half to even, as Python
  const Distribution plain = FloatDistribution{0.0, 1.0};
  EXPECT_LT(UntransformNumeric(plain, 1.5), 1.0);    // below high
  EXPECT_EQ(UntransformNumeric(plain, -0.5), -0.5);  // not clipped: the caller redraws
  EXPECT_FALSE(Contains(plain, UntransformNumeric(plain, -0.5)));
}

TEST(Nsga2Crossover, BlxAlphaStaysInTheWidenedBoxOfItsParents) {
  Nsga2Options options;
  options.crossover = Nsga2Crossover::kBlxAlpha;
  options.alpha = 0.5;
  const CrossoverSetting setting{&options, true, {{0, 10}, {0, 10}}};
  std::mt19937_64 rng(1);
  for (int i = 0; i < 200; ++i) {
    const std::vector<double> child = CrossOver(setting, {{2, 6}, {4, 6}}, rng);
    EXPECT_GE(child[0], 1.0);  // [2 - 0.5*2, 4 + 0.5*2]
    EXPECT_LE(child[0], 5.0);
    EXPECT_EQ(child[1], 6.0);  // equal parents: no spread
  }
  EXPECT_EQ(CrossoverParents(Nsga2Crossover::kSpx), 3);
  EXPECT_EQ(CrossoverParents(Nsga2Crossover::kSbx), 2);
}

TEST(Nsga2Crossover, SbxChildrenStayWithinTheBounds) {
  Nsga2Options options;
  options.crossover = Nsga2Crossover::kSbx;
  const CrossoverSetting setting{&options, false, {{0, 1}}};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 500; ++i) {
    const double x = CrossOver(setting, {{0.1}, {0.9}}, rng)[0];
    EXPECT_GE(x, 0.0);
    EXPECT_LE(x, 1.0);
  }
}

TEST(Nsga2Sampler, IsAPureFunctionOfSpecSeedHistoryAndNumber) {
  StudySpec spec = TwoObjectives(5);
  spec.sampler.nsga2.crossover = Nsga2Crossover::kSbx;
  auto run = [&](Nsga2Sampler& sampler) {
    std::vector<Trial> history;
    for (int64_t n = 0; n < 30; ++n) {
      InternalParams params = *SampleTrial(sampler, {&spec, history, n});
      const double x = params.at("x");
      history.push_back(Done(spec, n, {x, (1 - x) * (1 - x)}));
      history.back().params = params;
    }
    return history;
  };
  const std::vector<Trial> a = run(*MustCreate(spec));
  const std::vector<Trial> b = run(*MustCreate(spec));
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].params, b[i].params) << i;
  // A fresh sampler (a restarted server) and one that served the study agree on the next trial,
  // whatever the history's order.
  std::unique_ptr<Nsga2Sampler> warm = MustCreate(spec);
  (void)run(*warm);
  const InternalParams fresh = *SampleTrial(*MustCreate(spec), {&spec, a, 30});
  std::vector<Trial> reversed(a.rbegin(), a.rend());
  EXPECT_EQ(*SampleTrial(*warm, {&spec, a, 30}), fresh);
  EXPECT_EQ(*SampleTrial(*warm, {&spec, reversed, 30}), fresh);
  StudySpec other = spec;
  other.sampler.seed = spec.sampler.seed + 1;
  EXPECT_NE(*SampleTrial(*MustCreate(other), {&other, a, 30}), fresh);
}

}  // namespace
}  // namespace nasq
