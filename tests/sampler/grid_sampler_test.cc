// Grid sampler: exhaustive, duplicate-free assignment under concurrency, conditional spaces.
#include "sampler/grid_sampler.h"

#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "sampler_test_util.h"

namespace nasq {
namespace {

using testing::MakeSpec;
using testing::MakeTrial;
using testing::Param;

StudySpec Grid3x4x5(uint64_t seed = 3) {
  return MakeSpec(
      {Param("a", CategoricalDistribution{{std::string("x"), std::string("y"), std::string("z")}}),
       Param("b", IntDistribution{1, 4, false, 1}),
       Param("c", FloatDistribution{0.0, 1.0, false, 0.25})},
      {}, SamplerKind::kGrid, seed);
}

// A study as the server holds it: history and the next trial number behind one mutex.
struct SharedStudy {
  std::mutex mu;
  std::vector<Trial> history;
  int64_t next_number = 0;
};

TEST(GridSampler, ParallelWorkersGetEveryCellOnceThenExhausted) {
  const StudySpec spec = Grid3x4x5();
  auto sampler = CreateSampler(spec);
  ASSERT_TRUE(sampler.ok()) << sampler.status();
  SharedStudy study;
  std::vector<absl::Status> exhausted;
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&] {
      while (true) {
        std::lock_guard<std::mutex> lock(study.mu);
        const int64_t number = study.next_number;
        auto params = SampleTrial(**sampler, {&spec, study.history, number});
        if (!params.ok()) {
          exhausted.push_back(params.status());
          return;
        }
        ++study.next_number;
        study.history.push_back(MakeTrial(spec, number, *params, TrialState::kRunning));
      }
    });
  }
  for (auto& t : workers) t.join();
  ASSERT_EQ(study.history.size(), 60u);
  std::set<InternalParams> cells;
  for (const Trial& t : study.history) cells.insert(t.params);
  EXPECT_EQ(cells.size(), 60u);
  ASSERT_EQ(exhausted.size(), 8u);
  for (const absl::Status& s : exhausted) {
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  }
  EXPECT_EQ(study.next_number, 60);
}

TEST(GridSampler, OrderIsAShuffleThatDependsOnTheSeed) {
  auto order = [](uint64_t seed) {
    const StudySpec spec = Grid3x4x5(seed);
    auto sampler = GridSampler::Create(spec);
    EXPECT_TRUE(sampler.ok());
    std::vector<InternalParams> cells;
    for (int64_t n = 0; n < 60; ++n) cells.push_back(*SampleTrial(**sampler, {&spec, {}, n}));
    return cells;
  };
  const auto a = order(1), again = order(1), b = order(2);
  EXPECT_EQ(a, again);
  EXPECT_NE(a, b);
  EXPECT_EQ(std::set<InternalParams>(a.begin(), a.end()),
            std::set<InternalParams>(b.begin(), b.end()));
}

struct CountCase {
  std::string name;
  std::vector<ParamSpec> params;
  std::vector<Constraint> constraints;
  int64_t cells;
};

TEST(GridSampler, EnumeratesOnlyValidCells) {
  const std::vector<CountCase> cases = {
      // a=x: b in 1..3 and c in 2 -> 6; a=y: only c -> 2.
      {"conditional",
       {Param("a", CategoricalDistribution{{std::string("x"), std::string("y")}}),
        Param("b", IntDistribution{1, 3, false, 1},
              {Condition{"a", CompareOp::kEq, {std::string("x")}}}),
        Param("c", CategoricalDistribution{{true, false}})},
       {},
       8},
      // Nested: depth 1..3, w2 active for depth >= 2 (2 values), w3 for depth >= 3 and w2 == 8.
      // depth 1: 1; depth 2: 2; depth 3: w2=4 -> 1, w2=8 -> 2 w3 values -> 3. Total 6.
      {"nested",
       {Param("depth", IntDistribution{1, 3, false, 1}),
        Param("w2", CategoricalDistribution{{int64_t{4}, int64_t{8}}},
              {Condition{"depth", CompareOp::kGe, {int64_t{2}}}}),
        Param("w3", IntDistribution{0, 1, false, 1},
              {Condition{"depth", CompareOp::kGe, {int64_t{3}}},
               Condition{"w2", CompareOp::kEq, {int64_t{8}}}})},
       {},
       6},
      // frac < width with width in 2..4 and frac in 0..4: 2 + 3 + 4.
      {"constrained",
       {Param("width", IntDistribution{2, 4, false, 1}),
        Param("frac", IntDistribution{0, 4, false, 1})},
       {Constraint{"frac", CompareOp::kLt, "width"}},
       9},
  };
  for (const CountCase& c : cases) {
    const StudySpec spec = MakeSpec(c.params, c.constraints, SamplerKind::kGrid);
    auto sampler = GridSampler::Create(spec);
    ASSERT_TRUE(sampler.ok()) << c.name << ": " << sampler.status();
    EXPECT_EQ((*sampler)->num_cells(), c.cells) << c.name;
    std::set<InternalParams> seen;
    for (int64_t n = 0; n < c.cells; ++n) {
      auto params = SampleTrial(**sampler, {&spec, {}, n});
      ASSERT_TRUE(params.ok()) << c.name << ": " << params.status();
      EXPECT_TRUE(spec.space.CheckAssignment(*params).ok()) << c.name;
      seen.insert(*params);
    }
    EXPECT_EQ(static_cast<int64_t>(seen.size()), c.cells) << c.name;
    EXPECT_EQ(SampleTrial(**sampler, {&spec, {}, c.cells}).status().code(),
              absl::StatusCode::kResourceExhausted)
        << c.name;
  }
}

TEST(GridSampler, RefusesContinuousFloatsNamingTheParam) {
  const StudySpec spec = MakeSpec({Param("units", IntDistribution{1, 4, false, 1}),
                                   Param("lr", FloatDistribution{1e-4, 1e-1, true, std::nullopt})},
                                  {}, SamplerKind::kGrid);
  auto sampler = CreateSampler(spec);
  EXPECT_EQ(sampler.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(sampler.status().message().find("'lr'"), std::string::npos) << sampler.status();
}

TEST(GridSampler, RefusesGridsLargerThanTheLimit) {
  const StudySpec spec = Grid3x4x5();
  auto sampler = GridSampler::Create(spec, GridOptions{.max_cells = 59});
  EXPECT_EQ(sampler.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq
