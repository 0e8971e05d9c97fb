// Tests of the admissibility check of sampler/sampler.h (a study's budgets): SampleTrial never
// returns an assignment the check refuses, for every sampler; past the retry bound the error
// names the refusal; the grid holds only admissible cells.
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sampler/grid_sampler.h"
#include "sampler/sampler.h"
#include "tests/sampler/sampler_test_util.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using testing::MakeSpec;
using testing::MakeTrial;
using testing::Param;

// Two ints in [0, 9]; a budget y + z <= 6 admits 28 of the 100 cells.
constexpr double kMaxSum = 6;
constexpr int kAdmissibleCells = 28;

StudySpec DiscreteSpec(SamplerKind kind) {
  return MakeSpec({Param("y", IntDistribution{0, 9}), Param("z", IntDistribution{0, 9})}, {}, kind);
}

// The fake budget: OUT_OF_RANGE naming it when y + z > kMaxSum; counts its calls and refusals.
struct SumBudget {
  int calls = 0;
  int refusals = 0;
  AdmissibilityCheck Check() {
    return [this](const InternalParams& params) -> absl::Status {
      ++calls;
      const double sum = params.at("y") + params.at("z");
      if (sum <= kMaxSum) return absl::OkStatus();
      ++refusals;
      return absl::OutOfRangeError(absl::StrCat("budgets.sum: ", sum, " > max ", kMaxSum));
    };
  }
};

// The optimum (y, z) = (3, 5) breaks the budget, so model-guided samplers keep proposing
// inadmissible params.
double Objective(const InternalParams& p) {
  return std::pow(p.at("y") - 3, 2) + std::pow(p.at("z") - 5, 2);
}

struct Case {
  std::string name;
  SamplerKind kind;
  bool skip_duplicates = false;
};

class BudgetSamplingTest : public ::testing::TestWithParam<Case> {};

TEST_P(BudgetSamplingTest, NeverReturnsAnInadmissibleAssignment) {
  StudySpec spec = DiscreteSpec(GetParam().kind);
  spec.sampler.skip_duplicates = GetParam().skip_duplicates;
  spec.sampler.tpe.n_startup_trials = 5;
  spec.sampler.nsga2.population_size = 6;
  if (GetParam().kind == SamplerKind::kNsga2) {
    spec.directions = {StudyDirection::kMinimize, StudyDirection::kMinimize};
  }
  SumBudget budget;
  const AdmissibilityCheck check = budget.Check();
  auto sampler = CreateSampler(spec, check);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  std::vector<Trial> history;
  std::set<InternalParams> distinct;
  for (int i = 0; i < 60; ++i) {
    SamplingContext ctx{&spec, history, i};
    ctx.admissible = &check;
    absl::StatusOr<InternalParams> params = SampleTrial(**sampler, ctx);
    ASSERT_TRUE(params.ok()) << params.status();
    ASSERT_LE(params->at("y") + params->at("z"), kMaxSum) << "trial " << i;
    distinct.insert(*params);
    const double value = Objective(*params);
    std::vector<double> values = {value};
    if (spec.directions.size() == 2) values.push_back(-value);
    history.push_back(MakeTrial(spec, i, *params, TrialState::kComplete, values));
  }
  EXPECT_GT(budget.refusals, 0);  // the check did refuse draws, which were redrawn
  if (GetParam().skip_duplicates) {
    EXPECT_EQ(distinct.size(), static_cast<size_t>(kAdmissibleCells));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Samplers, BudgetSamplingTest,
    ::testing::Values(Case{"random", SamplerKind::kRandom}, Case{"tpe", SamplerKind::kTpe},
                      Case{"tpe_skip_duplicates", SamplerKind::kTpe, true},
                      Case{"random_skip_duplicates", SamplerKind::kRandom, true},
                      Case{"nsga2", SamplerKind::kNsga2}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// With skip_duplicates and every admissible cell but one taken, the free admissible cell is the
// answer: SampleUntried's candidates and the free-cell fallback skip inadmissible cells.
TEST(BudgetSampling, SkipDuplicatesFindsTheLastFreeAdmissibleCell) {
  for (SamplerKind kind : {SamplerKind::kTpe, SamplerKind::kRandom}) {
    StudySpec spec = DiscreteSpec(kind);
    spec.sampler.skip_duplicates = true;
    spec.sampler.tpe.n_startup_trials = 1;
    spec.sampler.max_constraint_retries = 3;
    SumBudget budget;
    const AdmissibilityCheck check = budget.Check();
    auto sampler = CreateSampler(spec, check);
    ASSERT_TRUE(sampler.ok()) << sampler.status();
    std::vector<Trial> history;
    const InternalParams free = {{"y", 2}, {"z", 4}};
    for (int y = 0; y <= 9; ++y) {
      for (int z = 0; y + z <= kMaxSum; ++z) {
        InternalParams cell = {{"y", y}, {"z", z}};
        if (cell == free) continue;
        const auto number = static_cast<int64_t>(history.size());
        history.push_back(MakeTrial(spec, number, cell, TrialState::kComplete, {Objective(cell)}));
      }
    }
    ASSERT_EQ(history.size(), static_cast<size_t>(kAdmissibleCells - 1));
    SamplingContext ctx{&spec, history, static_cast<int64_t>(history.size())};
    ctx.admissible = &check;
    absl::StatusOr<InternalParams> params = SampleTrial(**sampler, ctx);
    ASSERT_TRUE(params.ok()) << params.status();
    EXPECT_EQ(*params, free) << SamplerKindName(kind);
  }
}

TEST(BudgetSampling, PastTheRetryBoundTheErrorNamesTheBudget) {
  StudySpec spec = DiscreteSpec(SamplerKind::kTpe);
  spec.sampler.max_constraint_retries = 7;
  int calls = 0;
  const AdmissibilityCheck never = [&calls](const InternalParams&) {
    ++calls;
    return absl::OutOfRangeError("budgets.avg_bitwidth: 8 > max 2");
  };
  auto sampler = CreateSampler(spec, never);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  SamplingContext ctx{&spec, {}, 0};
  ctx.admissible = &never;
  absl::StatusOr<InternalParams> params = SampleTrial(**sampler, ctx);
  EXPECT_EQ(params.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(params.status().message()), HasSubstr("budgets.avg_bitwidth: 8 > max 2"));
  EXPECT_THAT(std::string(params.status().message()), HasSubstr("feasible region looks empty"));
  EXPECT_EQ(calls, 8);  // the first draw and max_constraint_retries redraws, no more
}

TEST(BudgetSampling, GridHoldsOnlyTheAdmissibleCells) {
  const StudySpec spec = DiscreteSpec(SamplerKind::kGrid);
  SumBudget budget;
  const AdmissibilityCheck check = budget.Check();
  auto grid = GridSampler::Create(spec, {.admissible = check});
  ASSERT_TRUE(grid.ok()) << grid.status();
  ASSERT_EQ((*grid)->num_cells(), kAdmissibleCells);
  std::set<InternalParams> cells;
  std::vector<Trial> history;
  for (int64_t n = 0; n < kAdmissibleCells; ++n) {
    absl::StatusOr<InternalParams> params = SampleTrial(**grid, {&spec, history, n});
    ASSERT_TRUE(params.ok()) << params.status();
    EXPECT_LE(params->at("y") + params->at("z"), kMaxSum);
    cells.insert(*params);
  }
  EXPECT_EQ(cells.size(), static_cast<size_t>(kAdmissibleCells));
  EXPECT_EQ(SampleTrial(**grid, {&spec, history, kAdmissibleCells}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(BudgetSampling, GridWithNoAdmissibleCellIsRefusedNamingTheBudget) {
  const StudySpec spec = DiscreteSpec(SamplerKind::kGrid);
  const AdmissibilityCheck never = [](const InternalParams&) {
    return absl::OutOfRangeError("budgets.bitops: 5e+06 > max 1");
  };
  absl::StatusOr<std::unique_ptr<Sampler>> grid = CreateSampler(spec, never);
  EXPECT_EQ(grid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(grid.status().message()), HasSubstr("budgets.bitops: 5e+06 > max 1"));
  EXPECT_THAT(std::string(grid.status().message()), HasSubstr("feasible region is empty"));
}

}  // namespace
}  // namespace nasq
