// TPE sampler behaviour: startup, focus on the optimum, constant liar, relative search spaces.
#include "sampler/tpe_sampler.h"

#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sampler/random_sampler.h"
#include "sampler_test_util.h"

namespace nasq {
namespace {

using testing::MakeSpec;
using testing::MakeTrial;
using testing::Param;
using testing::RunStudy;

StudySpec Quadratic(SamplerKind kind, uint64_t seed) {
  return MakeSpec({Param("x", FloatDistribution{-10.0, 10.0, false, std::nullopt})}, {}, kind,
                  seed);
}

double QuadraticObjective(const InternalParams& p) { return (p.at("x") - 3.0) * (p.at("x") - 3.0); }

// Trials 50..99 that land within 1 of the optimum, summed over seeds.
int NearOptimum(SamplerKind kind) {
  int near = 0;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    const StudySpec spec = Quadratic(kind, seed);
    auto sampler = CreateSampler(spec);
    EXPECT_TRUE(sampler.ok());
    const std::vector<Trial> history = RunStudy(**sampler, spec, 100, QuadraticObjective);
    for (int i = 50; i < 100; ++i) near += std::abs(history[i].params.at("x") - 3.0) < 1.0;
  }
  return near;
}

TEST(TpeSampler, FocusesNearTheOptimumFarMoreThanRandom) {
  const int tpe = NearOptimum(SamplerKind::kTpe);
  const int random = NearOptimum(SamplerKind::kRandom);  // expected about 150 * 0.1 = 15
  EXPECT_GT(tpe, 3 * random) << "tpe " << tpe << " random " << random;
  EXPECT_GT(tpe, 75);  // more than half of the 150 late trials
}

TEST(TpeSampler, StartupTrialsAreRandomSamples) {
  const StudySpec spec = Quadratic(SamplerKind::kTpe, 5);
  auto tpe = CreateSampler(spec);
  ASSERT_TRUE(tpe.ok());
  RandomSampler random;
  // 9 complete trials < n_startup_trials = 10: exactly the random sampler's draw.
  std::vector<Trial> history = RunStudy(random, spec, 9, QuadraticObjective);
  EXPECT_EQ(*SampleTrial(**tpe, {&spec, history, 9}), *SampleTrial(random, {&spec, history, 9}));
  history.push_back(MakeTrial(spec, 9, {{"x", 3.0}}, TrialState::kComplete, {0.0}));
  EXPECT_NE(*SampleTrial(**tpe, {&spec, history, 10}), *SampleTrial(random, {&spec, history, 10}));
}

TEST(TpeSampler, ConstantLiarMovesAwayFromRunningTrials) {
  int changed = 0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    StudySpec spec = Quadratic(SamplerKind::kTpe, seed);
    RandomSampler random;
    std::vector<Trial> history = RunStudy(random, spec, 20, QuadraticObjective);
    auto plain = CreateSampler(spec);
    ASSERT_TRUE(plain.ok());
    const double x = SampleTrial(**plain, {&spec, history, 25})->at("x");
    // Five workers are already evaluating x.
    for (int i = 20; i < 25; ++i) {
      history.push_back(MakeTrial(spec, i, {{"x", x}}, TrialState::kRunning));
    }
    EXPECT_EQ(SampleTrial(**plain, {&spec, history, 25})->at("x"), x);  // running ignored
    spec.sampler.tpe.constant_liar = true;
    auto liar = CreateSampler(spec);
    ASSERT_TRUE(liar.ok());
    changed += SampleTrial(**liar, {&spec, history, 25})->at("x") != x;
  }
  EXPECT_EQ(changed, 5);
}

TEST(TpeSampler, CategoricalFavoursTheBestChoice) {
  const StudySpec spec =
      MakeSpec({Param("c", CategoricalDistribution{{std::string("a"), std::string("b"),
                                                    std::string("c"), std::string("d")}})},
               {}, SamplerKind::kTpe, 11);
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok());
  const std::vector<Trial> history = RunStudy(
      **sampler, spec, 60, [](const InternalParams& p) { return p.at("c") == 2 ? 0.0 : 1.0; });
  int best = 0;
  for (int i = 30; i < 60; ++i) best += history[i].params.at("c") == 2;
  EXPECT_GT(best, 20);
}

StudySpec ConditionalSpec(bool group) {
  StudySpec spec =
      MakeSpec({Param("a", CategoricalDistribution{{std::string("x"), std::string("y")}}),
                Param("bx", FloatDistribution{0.0, 1.0, false, std::nullopt},
                      {Condition{"a", CompareOp::kEq, {std::string("x")}}}),
                Param("by", IntDistribution{0, 9, false, 1},
                      {Condition{"a", CompareOp::kEq, {std::string("y")}}}),
                Param("z", FloatDistribution{0.0, 1.0, false, std::nullopt})},
               {}, SamplerKind::kTpe);
  spec.sampler.tpe.multivariate = true;
  spec.sampler.tpe.group = group;
  return spec;
}

TEST(TpeSampler, RelativeSearchSpaceIsTheIntersectionOrTheGroups) {
  for (bool group : {false, true}) {
    const StudySpec spec = ConditionalSpec(group);
    auto sampler = CreateSampler(spec);
    ASSERT_TRUE(sampler.ok());
    std::vector<Trial> history =
        RunStudy(**sampler, spec, 12, [](const InternalParams& p) { return p.at("z"); });
    const auto groups = (*sampler)->InferRelativeSearchSpace({&spec, history, 12});
    using Groups = std::vector<std::vector<std::string>>;
    if (group) {
      EXPECT_EQ(groups, (Groups{{"a", "z"}, {"bx"}, {"by"}}));
    } else {
      EXPECT_EQ(groups, (Groups{{"a", "z"}}));
    }
    // Before n_startup_trials finished trials there is no relative space.
    history.resize(9);
    EXPECT_TRUE((*sampler)->InferRelativeSearchSpace({&spec, history, 9}).empty());
  }
}

TEST(TpeSampler, RejectsInvalidOptions) {
  StudySpec spec = Quadratic(SamplerKind::kTpe, 0);
  spec.sampler.tpe.group = true;
  EXPECT_EQ(CreateSampler(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec = Quadratic(SamplerKind::kTpe, 0);
  spec.sampler.tpe.n_ei_candidates = 0;
  EXPECT_EQ(CreateSampler(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec = Quadratic(SamplerKind::kTpe, 0);
  spec.sampler.tpe.prior_weight = -1.0;
  EXPECT_EQ(CreateSampler(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TpeSampler, DuplicateTrialNumbersInTheHistoryAreAnError) {
  const StudySpec spec = Quadratic(SamplerKind::kTpe, 0);
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok());
  std::vector<Trial> history;
  for (int i = 0; i < 12; ++i) {
    history.push_back(MakeTrial(spec, i % 6, {{"x", 1.0 * i}}, TrialState::kComplete, {1.0 * i}));
  }
  EXPECT_EQ(SampleTrial(**sampler, {&spec, history, 12}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq
