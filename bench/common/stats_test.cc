#include "bench/common/stats.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq::bench {
namespace {

struct QuantileCase {
  std::vector<double> values;
  double q;
  double expected;
};

TEST(Stats, QuantileInterpolatesBetweenOrderStatistics) {
  const QuantileCase cases[] = {
      {{3.0, 1.0, 2.0}, 0.5, 2.0},
      {{4.0, 1.0, 3.0, 2.0}, 0.5, 2.5},
      {{1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0}, 0.9, 10.0},
      {{0.0, 10.0}, 0.9, 9.0},
      {{5.0}, 0.9, 5.0},
  };
  for (const QuantileCase& c : cases) {
    EXPECT_DOUBLE_EQ(Quantile(c.values, c.q), c.expected) << "q=" << c.q;
  }
  EXPECT_TRUE(std::isnan(Quantile({}, 0.5)));
}

TEST(Stats, MannWhitneyMatchesNormalApproximationByHand) {
  // a entirely below b: U_a = 0, mean 4.5, variance 9/12 * 7 = 5.25,
  // z = (0 - 4.5 + 0.5) / sqrt(5.25), p = Phi(z).
  const double z = -4.0 / std::sqrt(5.25);
  const double expected = 0.5 * std::erfc(-z / std::sqrt(2.0));
  EXPECT_NEAR(MannWhitneyLessP({1, 2, 3}, {4, 5, 6}), expected, 1e-12);
  EXPECT_NEAR(expected, 0.0404, 1e-4);
}

TEST(Stats, MannWhitneyDirectionAndTies) {
  std::vector<double> low, high;
  for (int i = 0; i < 20; ++i) {
    low.push_back(i);
    high.push_back(i + 15);
  }
  EXPECT_LT(MannWhitneyLessP(low, high), 0.001);
  EXPECT_GT(MannWhitneyLessP(high, low), 0.999);
  EXPECT_EQ(MannWhitneyLessP({2, 2, 2}, {2, 2, 2}), 1.0);  // all tied: no evidence
  EXPECT_EQ(MannWhitneyLessP({}, {1.0}), 1.0);
  // Identical samples with some spread: no evidence either way.
  EXPECT_GT(MannWhitneyLessP(low, low), 0.4);
}

TEST(Stats, CompareLossesJudgesSmallerLossesBetter) {
  std::vector<double> low, high, mixed;
  for (int i = 0; i < 20; ++i) {
    low.push_back(i);
    high.push_back(i + 15);
    mixed.push_back(i + 0.5);
  }
  const Comparison better = CompareLosses(low, high, 0.05);
  EXPECT_EQ(better.outcome, Comparison::kBetter);
  EXPECT_DOUBLE_EQ(better.p, MannWhitneyLessP(low, high));
  EXPECT_THAT(better.Text(), ::testing::StartsWith("BETTER (p="));
  const Comparison worse = CompareLosses(high, low, 0.05);
  EXPECT_EQ(worse.outcome, Comparison::kWorse);
  EXPECT_THAT(worse.Text(), ::testing::StartsWith("WORSE (p="));
  const Comparison tie = CompareLosses(mixed, low, 0.05);
  EXPECT_EQ(tie.outcome, Comparison::kTie);
  EXPECT_DOUBLE_EQ(tie.p, MannWhitneyLessP(low, mixed));
  EXPECT_THAT(tie.Text(), ::testing::StartsWith("TIE (p_worse="));
}

}  // namespace
}  // namespace nasq::bench
