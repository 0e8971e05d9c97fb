// TPE with skip_duplicates: a duplicate is replaced by the best untried configuration by the
// l/g acquisition (TpeSampler::SampleUntried), and uniform draws come only when every
// candidate is taken.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sampler/tpe_sampler.h"
#include "sampler_test_util.h"

namespace nasq {
namespace {

using testing::MakeSpec;
using testing::MakeTrial;
using testing::Param;

CategoricalDistribution Choices(int k) {
  CategoricalDistribution d;
  for (int i = 0; i < k; ++i) d.choices.push_back(std::string(1, static_cast<char>('p' + i)));
  return d;
}

// Two categorical params of `k` choices each, minimising a + b (internal indices).
StudySpec GridSpec(int k, uint64_t seed) {
  StudySpec spec =
      MakeSpec({Param("a", Choices(k)), Param("b", Choices(k))}, {}, SamplerKind::kTpe, seed);
  spec.sampler.skip_duplicates = true;
  return spec;
}

void AddTrial(const StudySpec& spec, int a, int b, std::vector<Trial>& history) {
  history.push_back(MakeTrial(spec, static_cast<int64_t>(history.size()), {{"a", a}, {"b", b}},
                              TrialState::kComplete, {static_cast<double>(a + b)}));
}

// 6 x 6 cells. The 30 trials split into "below" = the best 3, (0,0), (0,1), (1,0), and
// "above" = 27 trials over the 16 cells with a, b in {2..5}. By l/g, choice 0 beats choice 1 for
// each param, and both beat 2..5 by far (seen only above): the favourite (0,0) and the runners-up
// (0,1) and (1,0) are taken, so the best untried cell is (1,1). l(x) draws it with probability
// about 0.29^2 = 0.085, so 100 candidates (the first round) hold it but for odds of 1.4e-4.
// 17 cells are free: a uniform draw finds (1,1) with probability 1/17 per seed, in all five
// seeds with about 7e-7.
TEST(TpeUntried, DuplicateOfTheFavouriteGivesTheBestUntriedCellByAcquisition) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    StudySpec spec = GridSpec(6, seed);
    spec.sampler.tpe.n_ei_candidates = 100;
    std::vector<Trial> history;
    AddTrial(spec, 0, 0, history);
    AddTrial(spec, 0, 1, history);
    AddTrial(spec, 1, 0, history);
    for (int i = 0; i < 27; ++i) AddTrial(spec, 2 + i % 4, 2 + (i / 4) % 4, history);
    auto sampler = CreateSampler(spec);
    ASSERT_TRUE(sampler.ok()) << sampler.status();

    spec.sampler.skip_duplicates = false;
    EXPECT_EQ(*SampleTrial(**sampler, {&spec, history, 30}), (InternalParams{{"a", 0}, {"b", 0}}))
        << "seed " << seed << ": without skip_duplicates TPE proposes its taken favourite";

    spec.sampler.skip_duplicates = true;
    auto params = SampleTrial(**sampler, {&spec, history, 30});
    ASSERT_TRUE(params.ok()) << params.status();
    EXPECT_EQ(*params, (InternalParams{{"a", 1}, {"b", 1}})) << "seed " << seed;
    EXPECT_EQ(*params, *SampleTrial(**sampler, {&spec, history, 30})) << "deterministic";
  }
}

// 3 x 3 cells, 30 trials over all but one cell: SampleUntried finds the free cell wherever it
// is (even the worst one, which only the prior part of l(x) proposes), and offers nothing once
// every cell is taken, which is when SampleTrial turns to uniform draws.
TEST(TpeUntried, OffersNothingOnlyWhenEveryCellIsTaken) {
  const StudySpec spec = GridSpec(3, 3);
  auto sampler = TpeSampler::Create(spec);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  for (int free_cell = -1; free_cell < 9; ++free_cell) {
    std::vector<Trial> history;
    std::set<InternalParams> taken;
    for (int i = 0; history.size() < 30; ++i) {
      if (i % 9 == free_cell) continue;
      AddTrial(spec, i % 9 / 3, i % 3, history);
      taken.insert(history.back().params);
    }
    std::mt19937_64 rng(free_cell + 1);
    SamplingContext ctx{&spec, history, 30};
    ctx.rng = &rng;
    auto untried =
        (*sampler)->SampleUntried(ctx, [&](const InternalParams& p) { return taken.contains(p); });
    ASSERT_TRUE(untried.ok()) << untried.status();
    if (free_cell < 0) {
      EXPECT_FALSE(untried->has_value()) << "every cell is taken";
      continue;
    }
    ASSERT_TRUE(untried->has_value()) << "free cell " << free_cell;
    EXPECT_EQ(**untried, (InternalParams{{"a", free_cell / 3}, {"b", free_cell % 3}}));
  }
}

TEST(TpeUntried, OffersNothingDuringStartup) {
  const StudySpec spec = GridSpec(3, 0);
  auto sampler = TpeSampler::Create(spec);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  std::vector<Trial> history;
  AddTrial(spec, 0, 0, history);
  std::mt19937_64 rng(1);
  SamplingContext ctx{&spec, history, 1};
  ctx.rng = &rng;
  auto untried = (*sampler)->SampleUntried(ctx, [](const InternalParams&) { return false; });
  ASSERT_TRUE(untried.ok()) << untried.status();
  EXPECT_FALSE(untried->has_value());
}

}  // namespace
}  // namespace nasq
