// Tests of cli/axis_ticks: nice steps (1, 2, 5 x 10^k) for several ranges, whole-number ticks on
// integer axes, the padding around the data and the tick labels.
#include "cli/axis_ticks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace nasq {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Labels(const AxisTicks& t) {
  EXPECT_EQ(t.labels.size(), t.values.size());
  return t.labels;
}

// What every axis promises, whatever the data.
void ExpectWellFormed(const AxisTicks& t, double data_lo, double data_hi, bool integers) {
  EXPECT_LE(t.lo, data_lo);
  EXPECT_GE(t.hi, data_hi);
  ASSERT_GE(t.values.size(), 2u);
  EXPECT_LE(t.values.size(), static_cast<size_t>(kMaxTicks));
  const double mantissa = t.step / std::pow(10.0, std::floor(std::log10(t.step) + 1e-9));
  EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
              std::abs(mantissa - 5) < 1e-9)
      << t.step;
  for (size_t i = 0; i < t.values.size(); ++i) {
    EXPECT_GE(t.values[i], t.lo);
    EXPECT_LE(t.values[i], t.hi);
    if (i > 0) {
      EXPECT_NEAR(t.values[i] - t.values[i - 1], t.step, t.step * 1e-9);
    }
    if (integers) {
      EXPECT_EQ(t.values[i], std::round(t.values[i]));
    }
  }
}

TEST(NiceTicks, ANarrowRangeOfScoresGetsHundredths) {
  const AxisTicks t = NiceTicks(0.9012, 0.9534);
  ExpectWellFormed(t, 0.9012, 0.9534, false);
  EXPECT_DOUBLE_EQ(t.step, 0.01);
  EXPECT_THAT(Labels(t), ElementsAre("0.90", "0.91", "0.92", "0.93", "0.94", "0.95"));
}

TEST(NiceTicks, ZeroToTenThousandStepsByTwoThousandFromZero) {
  for (bool integers : {false, true}) {
    const AxisTicks t = NiceTicks(0, 10000, integers);
    ExpectWellFormed(t, 0, 10000, integers);
    EXPECT_EQ(t.lo, 0);  // a bound at 0 is kept
    EXPECT_THAT(Labels(t), ElementsAre("0", "2000", "4000", "6000", "8000", "10000"));
  }
}

TEST(NiceTicks, NegativeRanges) {
  AxisTicks t = NiceTicks(-3.7, -1.2);
  ExpectWellFormed(t, -3.7, -1.2, false);
  EXPECT_THAT(Labels(t), ElementsAre("-3.5", "-3.0", "-2.5", "-2.0", "-1.5"));
  t = NiceTicks(-50, 0);
  ExpectWellFormed(t, -50, 0, false);
  EXPECT_EQ(t.hi, 0);
  EXPECT_THAT(Labels(t), ElementsAre("-50", "-40", "-30", "-20", "-10", "0"));
  t = NiceTicks(-0.004, 0.003);  // across 0: the 0 tick reads "0.000", never "-0.000"
  ExpectWellFormed(t, -0.004, 0.003, false);
  EXPECT_THAT(Labels(t), ::testing::Contains("0.000"));
}

TEST(NiceTicks, ASingleValueGetsARangeAroundIt) {
  AxisTicks t = NiceTicks(3.7, 3.7);
  ExpectWellFormed(t, 3.7, 3.7, false);
  EXPECT_THAT(Labels(t), ElementsAre("3.5", "3.6", "3.7", "3.8", "3.9"));
  t = NiceTicks(0, 0);
  ExpectWellFormed(t, 0, 0, false);
  EXPECT_THAT(Labels(t), ElementsAre("-1.0", "-0.5", "0.0", "0.5", "1.0"));
  t = NiceTicks(5, 5, /*integers=*/true);
  ExpectWellFormed(t, 5, 5, true);
  EXPECT_THAT(Labels(t), ElementsAre("4", "5", "6"));
}

TEST(NiceTicks, TrialNumberAxesTickOnWholeNumbers) {
  for (double last : {1.0, 3.0, 9.0, 17.0, 99.0, 1234.0}) {
    const AxisTicks t = NiceTicks(0, last, /*integers=*/true);
    ExpectWellFormed(t, 0, last, true);
    EXPECT_GE(t.step, 1);
    EXPECT_EQ(t.decimals, 0);
  }
  EXPECT_THAT(Labels(NiceTicks(0, 9, true)), ElementsAre("0", "2", "4", "6", "8"));
}

TEST(NiceTicks, TinyAndHugeMagnitudes) {
  AxisTicks t = NiceTicks(1.5e-7, 4.5e-7);
  ExpectWellFormed(t, 1.5e-7, 4.5e-7, false);
  EXPECT_EQ(Labels(t).front(), "1.5e-07");
  t = NiceTicks(1e8, 5e8);
  ExpectWellFormed(t, 1e8, 5e8, false);
  EXPECT_EQ(Labels(t).front(), "1e+08");
  t = NiceTicks(-1.7e308, 1.7e308);  // the range overflows: the ends only
  EXPECT_EQ(t.values.size(), 2u);
}

// Log axes: the data inside, ticks at powers of 10 or their 1-2-5 multiples, in data units.
void ExpectWellFormedLog(const AxisTicks& t, double data_lo, double data_hi) {
  EXPECT_TRUE(t.log);
  EXPECT_LE(t.lo, std::log10(data_lo));
  EXPECT_GE(t.hi, std::log10(data_hi));
  ASSERT_GE(t.values.size(), 2u);
  EXPECT_LE(t.values.size(), static_cast<size_t>(kMaxTicks));
  for (double v : t.values) {
    EXPECT_GE(t.Position(v), t.lo);
    EXPECT_LE(t.Position(v), t.hi);
  }
}

TEST(LogTicks, DecadesForWideRangesAndOneTwoFiveForNarrowerOnes) {
  AxisTicks t = LogTicks(1e-5, 1e-1);  // a learning rate
  ExpectWellFormedLog(t, 1e-5, 1e-1);
  EXPECT_THAT(Labels(t), ElementsAre("1e-05", "0.0001", "0.001", "0.01", "0.1"));
  t = LogTicks(8, 256);  // a batch size
  ExpectWellFormedLog(t, 8, 256);
  EXPECT_THAT(Labels(t), ElementsAre("10", "20", "50", "100", "200"));
  t = LogTicks(1e-12, 1e3);  // 15 decades: every third power of 10
  ExpectWellFormedLog(t, 1e-12, 1e3);
  EXPECT_THAT(Labels(t), ElementsAre("1e-12", "1e-09", "1e-06", "0.001", "1", "1000"));
  t = LogTicks(0.01, 0.01);  // a single value: half a decade each side
  ExpectWellFormedLog(t, 0.01, 0.01);
  EXPECT_THAT(Labels(t), ::testing::Contains("0.01"));
  t = LogTicks(1.0, 1.05);  // too narrow for a log axis: linear ticks
  EXPECT_FALSE(t.log);
  ExpectWellFormed(t, 1.0, 1.05, false);
}

TEST(FormatTick, FixedDecimalsWithoutANegativeZero) {
  EXPECT_EQ(FormatTick(0.92, 2), "0.92");
  EXPECT_EQ(FormatTick(2000, 0), "2000");
  EXPECT_EQ(FormatTick(-0.0, 1), "0.0");
  EXPECT_EQ(FormatTick(-1e-12, 2), "0.00");
}

}  // namespace
}  // namespace nasq
