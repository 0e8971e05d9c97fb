// Conformance of every sampler to the SampleTrial contract on a space with every kind of
// distribution, conditional params and a constraint.
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sampler/sampler.h"
#include "sampler_test_util.h"

namespace nasq {
namespace {

using testing::MakeSpec;
using testing::Param;
using testing::RunStudy;

struct SamplerCase {
  std::string name;
  SamplerKind kind;
  bool multivariate;
  bool group;
  bool constant_liar;
};

// Float (log, step), int (log, step), categorical (strings, numbers, bools), conditional params
// and the constraint frac_width < width. `continuous` adds a continuous log float (not for grid).
StudySpec ConformanceSpec(const SamplerCase& c) {
  std::vector<ParamSpec> params = {
      Param("dropout", FloatDistribution{0.0, 0.5, false, 0.25}),
      Param("layers", IntDistribution{1, 4, false, 1}),
      Param("layer3_width", IntDistribution{8, 16, false, 8},
            {Condition{"layers", CompareOp::kGe, {int64_t{3}}}}),
      Param("hidden", IntDistribution{1, 4, true, 1}),
      Param("act", CategoricalDistribution{{std::string("relu"), std::string("gelu"),
                                            std::string("tanh")}}),
      Param("bits", CategoricalDistribution{{int64_t{2}, int64_t{4}, 8.5}}),
      Param("flag", CategoricalDistribution{{true, false}}),
      Param("quant_type", CategoricalDistribution{{std::string("int"), std::string("float")}}),
      Param("int_bits", CategoricalDistribution{{int64_t{2}, int64_t{4}, int64_t{8}}},
            {Condition{"quant_type", CompareOp::kEq, {std::string("int")}}}),
      Param("width", IntDistribution{2, 4, false, 1}),
      Param("frac_width", IntDistribution{0, 4, false, 1}),
  };
  if (c.kind != SamplerKind::kGrid) {
    params.push_back(Param("lr", FloatDistribution{1e-5, 1e-1, true, std::nullopt}));
  }
  StudySpec spec =
      MakeSpec(std::move(params), {Constraint{"frac_width", CompareOp::kLt, "width"}}, c.kind);
  spec.sampler.tpe.multivariate = c.multivariate;
  spec.sampler.tpe.group = c.group;
  spec.sampler.tpe.constant_liar = c.constant_liar;
  spec.sampler.nsga2.population_size = 6;  // so that 30 trials make several NSGA-II generations
  return spec;
}

// A synthetic objective over internal values, so TPE has something to model.
double SyntheticObjective(const InternalParams& params) {
  double v = 0.0;
  for (const auto& [name, value] : params) v += (name.size() % 3 + 1) * value;
  return v;
}

class SamplerConformance : public ::testing::TestWithParam<SamplerCase> {};

TEST_P(SamplerConformance, SuggestionsAreValidActiveAndFeasible) {
  const StudySpec spec = ConformanceSpec(GetParam());
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  const std::vector<Trial> history = RunStudy(**sampler, spec, 30, SyntheticObjective);
  ASSERT_EQ(history.size(), 30u);
  for (const Trial& t : history) {
    EXPECT_TRUE(spec.space.CheckAssignment(t.params).ok()) << t.number;
    for (const ParamSpec& p : spec.space.params()) {
      const bool present = t.params.count(p.name) > 0;
      EXPECT_EQ(present, spec.space.IsActive(p, t.params)) << p.name << " in " << t.number;
      if (present) {
        EXPECT_TRUE(Contains(p.distribution, t.params.at(p.name))) << p.name;
      }
    }
    const double width = t.params.at("width"), frac = t.params.at("frac_width");
    EXPECT_LT(frac, width) << t.number;
  }
}

TEST_P(SamplerConformance, SameInputsGiveSameOutput) {
  const StudySpec spec = ConformanceSpec(GetParam());
  auto first = CreateSampler(spec);
  auto second = CreateSampler(spec);
  ASSERT_TRUE(first.ok() && second.ok());
  std::vector<Trial> history = RunStudy(**first, spec, 25, SyntheticObjective);
  // A RUNNING trial exercises constant liar where it is on.
  history.push_back(testing::MakeTrial(spec, 25, history[3].params, TrialState::kRunning));
  for (int64_t number : {26, 27}) {
    auto a = SampleTrial(**first, {&spec, history, number});
    auto b = SampleTrial(**second, {&spec, history, number});
    auto again = SampleTrial(**first, {&spec, history, number});
    ASSERT_TRUE(a.ok() && b.ok() && again.ok()) << a.status();
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(*a, *again);
  }
  // The whole trajectory replays too.
  auto third = CreateSampler(spec);
  ASSERT_TRUE(third.ok());
  const std::vector<Trial> replay = RunStudy(**third, spec, 25, SyntheticObjective);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(replay[i].params, history[i].params) << i;
}

INSTANTIATE_TEST_SUITE_P(
    AllSamplers, SamplerConformance,
    ::testing::Values(SamplerCase{"Random", SamplerKind::kRandom, false, false, false},
                      SamplerCase{"Grid", SamplerKind::kGrid, false, false, false},
                      SamplerCase{"Tpe", SamplerKind::kTpe, false, false, false},
                      SamplerCase{"TpeConstantLiar", SamplerKind::kTpe, false, false, true},
                      SamplerCase{"TpeMultivariate", SamplerKind::kTpe, true, false, false},
                      SamplerCase{"TpeGroup", SamplerKind::kTpe, true, true, true},
                      SamplerCase{"Nsga2", SamplerKind::kNsga2, false, false, false}),
    [](const ::testing::TestParamInfo<SamplerCase>& info) { return info.param.name; });

TEST(SampleTrial, ImpossibleConstraintFailsNamingIt) {
  StudySpec spec = MakeSpec(
      {Param("a", IntDistribution{0, 3, false, 1}), Param("b", IntDistribution{0, 3, false, 1})},
      {Constraint{"a", CompareOp::kGt, "b", 10.0}}, SamplerKind::kRandom);
  spec.sampler.max_constraint_retries = 5;
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok());
  auto result = SampleTrial(**sampler, {&spec, {}, 0});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("space.constraints[0]"), std::string::npos)
      << result.status();
}

TEST(SampleTrial, RedrawsUntilTheConstraintHolds) {
  StudySpec spec = MakeSpec(
      {Param("a", IntDistribution{0, 9, false, 1}), Param("b", IntDistribution{0, 9, false, 1})},
      {Constraint{"a", CompareOp::kGt, "b", 5.0}}, SamplerKind::kRandom);
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok());
  for (int64_t n = 0; n < 20; ++n) {
    auto result = SampleTrial(**sampler, {&spec, {}, n});
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_GT(result->at("a"), result->at("b") + 5.0);
  }
}

// 4 x 4 cells, best at (0, "a"): TPE alone proposes its best cell again and again.
StudySpec SixteenCellSpec(bool skip_duplicates) {
  StudySpec spec =
      MakeSpec({Param("n", IntDistribution{0, 3, false, 1}),
                Param("c", CategoricalDistribution{{std::string("a"), std::string("b"),
                                                    std::string("c"), std::string("d")}})},
               {}, SamplerKind::kTpe);
  spec.sampler.tpe.n_startup_trials = 4;
  spec.sampler.skip_duplicates = skip_duplicates;
  return spec;
}

double SixteenCellObjective(const InternalParams& p) { return p.at("n") + p.at("c"); }

size_t DistinctParams(const std::vector<Trial>& trials) {
  std::set<InternalParams> distinct;
  for (const Trial& t : trials) distinct.insert(t.params);
  return distinct.size();
}

TEST(SampleTrial, SkipDuplicatesGivesTpeANewCellEachTrialUntilTheSpaceIsUsedUp) {
  StudySpec repeating = SixteenCellSpec(false);
  auto plain = CreateSampler(repeating);
  ASSERT_TRUE(plain.ok());
  EXPECT_LT(DistinctParams(RunStudy(**plain, repeating, 16, SixteenCellObjective)), 12u)
      << "without skip_duplicates TPE repeats cells (the reason for the option)";

  StudySpec spec = SixteenCellSpec(true);
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok());
  const std::vector<Trial> history = RunStudy(**sampler, spec, 16, SixteenCellObjective);
  ASSERT_EQ(history.size(), 16u);
  EXPECT_EQ(DistinctParams(history), 16u);

  // Used up: the 17th trial repeats a cell rather than failing, and the same inputs give the
  // same output.
  auto again = SampleTrial(**sampler, {&spec, history, 16});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *SampleTrial(**sampler, {&spec, history, 16}));
}

// Two draws per trial (max_constraint_retries 1) mostly miss the one free cell of sixteen, so it
// comes from enumerating the space.
TEST(SampleTrial, SkipDuplicatesCountsEveryTrialButFailedOnesAndFindsTheLastFreeCell) {
  StudySpec spec = SixteenCellSpec(true);
  spec.sampler.kind = SamplerKind::kRandom;
  spec.sampler.max_constraint_retries = 1;
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok());
  // Fifteen cells taken by trials in every state but FAIL; the sixteenth cell's trial FAILED.
  const TrialState states[] = {TrialState::kComplete, TrialState::kPruned, TrialState::kRunning,
                               TrialState::kWaiting};
  std::vector<Trial> history;
  for (int cell = 0; cell < 16; ++cell) {
    const InternalParams params = {{"n", cell / 4}, {"c", cell % 4}};
    const TrialState state = cell == 9 ? TrialState::kFail : states[cell % 4];
    history.push_back(testing::MakeTrial(spec, cell, params, state, {1.0}));
  }
  for (int64_t number = 16; number < 24; ++number) {
    auto params = SampleTrial(**sampler, {&spec, history, number});
    ASSERT_TRUE(params.ok()) << params.status();
    EXPECT_EQ(*params, (InternalParams{{"n", 2}, {"c", 1}})) << "trial " << number;
  }
}

TEST(SampleTrial, RejectsNegativeTrialNumberAndNullSpec) {
  const StudySpec spec =
      MakeSpec({Param("a", IntDistribution{0, 3, false, 1})}, {}, SamplerKind::kRandom);
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok());
  EXPECT_EQ(SampleTrial(**sampler, {&spec, {}, -1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SampleTrial(**sampler, {nullptr, {}, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RandomSampler, ReplaysExactlyAndCoversTheRange) {
  const StudySpec spec = MakeSpec(
      {Param("x", FloatDistribution{-1.0, 1.0, false, std::nullopt}),
       Param("c", CategoricalDistribution{{std::string("a"), std::string("b"), std::string("c")}})},
      {}, SamplerKind::kRandom, 42);
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok());
  int counts[3] = {0, 0, 0};
  double sum = 0.0;
  for (int64_t n = 0; n < 600; ++n) {
    auto a = SampleTrial(**sampler, {&spec, {}, n});
    auto b = SampleTrial(**sampler, {&spec, {}, n});
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
    ++counts[static_cast<int>(a->at("c"))];
    sum += a->at("x");
  }
  for (int c : counts) EXPECT_GT(c, 150);  // 200 expected per choice
  EXPECT_NEAR(sum / 600, 0.0, 0.1);
  auto other_seed = spec;
  other_seed.sampler.seed = 43;
  auto a = SampleTrial(**sampler, {&spec, {}, 0});
  auto b = SampleTrial(**sampler, {&other_seed, {}, 0});
  EXPECT_NE(a->at("x"), b->at("x"));
}

}  // namespace
}  // namespace nasq
