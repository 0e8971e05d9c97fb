// Greedy hypervolume subset selection against Optuna 5.0.0's _solve_hssp (each expected subset
// printed by optuna._hypervolume.hssp._solve_hssp(points, arange(n), k,
// optuna.samplers._tpe.sampler._get_reference_point(points)) in the venv of
// bench/common/make_venv.sh).
#include "sampler/tpe_hssp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/pareto.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

std::vector<size_t> Sorted(std::vector<size_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(TpeHssp, TakesTheLargestContributionsGreedily) {
  // Reference (4.4, 4.4): (1,1) covers 11.56 alone; then (0,4) and (4,0) both add 0.4, and the
  // tie goes to the lexicographically first.
  const std::vector<std::vector<double>> front = {{0, 4}, {1, 1}, {4, 0}};
  EXPECT_EQ(Sorted(SelectHypervolumeSubset(front, 1)), (std::vector<size_t>{1}));
  EXPECT_EQ(Sorted(SelectHypervolumeSubset(front, 2)), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(Sorted(SelectHypervolumeSubset(front, 3)), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(SelectHypervolumeSubset(front, 0).empty());
}

TEST(TpeHssp, ThreeObjectivesPreferTheKneeToTheExtremes) {
  // Crowding distance would keep the three extremes; the hypervolume keeps the inner points.
  const std::vector<std::vector<double>> front = {
      {3, 0, 0}, {0, 3, 0}, {0, 0, 3}, {1, 1, 1}, {2, 0.5, 0.5}};
  EXPECT_EQ(Sorted(SelectHypervolumeSubset(front, 2)), (std::vector<size_t>{3, 4}));
  EXPECT_EQ(Sorted(SelectHypervolumeSubset(front, 3)), (std::vector<size_t>{2, 3, 4}));
}

TEST(TpeHssp, EqualVectorsCountOnceAndRepeatsFillLast) {
  EXPECT_EQ(Sorted(SelectHypervolumeSubset({{1, 1}, {0, 4}, {1, 1}, {4, 0}}, 3)),
            (std::vector<size_t>{0, 1, 3}));
  // Two distinct vectors for three slots: both first occurrences, then the earliest repeat.
  EXPECT_EQ(Sorted(SelectHypervolumeSubset({{1, 1}, {0, 4}, {1, 1}, {0, 4}}, 3)),
            (std::vector<size_t>{0, 1, 2}));
}

TEST(TpeHssp, InfiniteReferenceTakesTheLexicographicallyFirst) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Sorted(SelectHypervolumeSubset({{inf, 0}, {0, 1}, {0.5, 0.5}}, 2)),
            (std::vector<size_t>{1, 2}));
}

TEST(TpeHssp, LazyUpdatesChooseAsTheExactGreedy) {
  // 40 points on the positive octant of the unit sphere (a 3-objective front): every step of
  // the lazy selection must take a vector whose exact contribution is the largest (the
  // reference point is the one SelectHypervolumeSubset derives).
  std::vector<std::vector<double>> front;
  for (int i = 0; i < 40; ++i) {
    const double a = 0.05 + 1.47 * ((i * 7) % 40) / 40.0, b = 0.05 + 1.47 * ((i * 13) % 40) / 40.0;
    front.push_back({std::cos(a) * std::cos(b), std::cos(a) * std::sin(b), std::sin(a)});
  }
  const std::vector<double> reference = DefaultReferencePoint(front);
  for (size_t k : {1u, 5u, 12u}) {
    const std::vector<size_t> lazy = SelectHypervolumeSubset(front, k);
    ASSERT_EQ(lazy.size(), k);
    // Greedy by brute force: each prefix of the lazy choice, extended by its next vector, has the
    // largest hypervolume among all one-vector extensions.
    for (size_t step = 0; step < k; ++step) {
      std::vector<std::vector<double>> taken;
      for (size_t s = 0; s < step; ++s) taken.push_back(front[lazy[s]]);
      auto volume_with = [&](size_t i) {
        std::vector<std::vector<double>> with = taken;
        with.push_back(front[i]);
        return Hypervolume(with, reference).value();
      };
      const double chosen = volume_with(lazy[step]);
      for (size_t i = 0; i < front.size(); ++i) EXPECT_LE(volume_with(i), chosen + 1e-12);
    }
  }
}

}  // namespace
}  // namespace nasq
