// Tests of bench/pruners/learning_curve.h: determinism, the documented formula and the noise.
#include "bench/pruners/learning_curve.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace nasq::bench {
namespace {

InternalParams Config(double lr, double width, double dropout) {
  return {{"lr", lr}, {"width", width}, {"dropout", dropout}};
}

TEST(LearningCurveTest, SpaceHasTheThreeParams) {
  const LearningCurveSurrogate surrogate(CurveFamily::kCrossing, 0.0);
  ASSERT_EQ(surrogate.space().params().size(), 3u);
  EXPECT_NE(surrogate.space().Find("lr"), nullptr);
  EXPECT_NE(surrogate.space().Find("width"), nullptr);
  EXPECT_NE(surrogate.space().Find("dropout"), nullptr);
}

TEST(LearningCurveTest, ShapeFollowsTheFormula) {
  const LearningCurveSurrogate surrogate(CurveFamily::kCrossing, 0.0);
  // lr = 10^-2.5, width 512, dropout 0.15: every penalty term is zero.
  const CurveShape best = surrogate.Shape(Config(std::pow(10.0, -2.5), 512, 0.15));
  EXPECT_NEAR(best.asymptote, 0.05, 1e-12);
  EXPECT_NEAR(best.initial, 1.05, 1e-12);
  EXPECT_NEAR(best.rate, 0.1 * std::pow(10.0, -0.3), 1e-12);
  // lr = 1, width 16, dropout 0.5.
  const CurveShape worst = surrogate.Shape(Config(1.0, 16, 0.5));
  EXPECT_NEAR(worst.asymptote, 0.05 + 0.06 * 6.25 + 0.15 + 0.4 * 0.35 * 0.35, 1e-12);
  EXPECT_DOUBLE_EQ(worst.rate, 1.0);  // capped
}

TEST(LearningCurveTest, OrderedRateFollowsTheFormula) {
  const LearningCurveSurrogate surrogate(CurveFamily::kOrdered, 0.0);
  const CurveShape best = surrogate.Shape(Config(std::pow(10.0, -2.5), 512, 0.15));
  EXPECT_NEAR(best.asymptote, 0.05, 1e-12);  // the family changes the rate only
  EXPECT_NEAR(best.rate, 0.15, 1e-12);
  EXPECT_NEAR(surrogate.Shape(Config(1.0, 512, 0.15)).rate, 0.15 * std::pow(10.0, -1.25), 1e-12);
  EXPECT_NEAR(surrogate.Shape(Config(1e-4, 512, 0.15)).rate, 0.15 * std::pow(10.0, -0.75), 1e-12);
}

TEST(LearningCurveTest, NoiseFreeLossDecaysToTheAsymptote) {
  const LearningCurveSurrogate surrogate(CurveFamily::kCrossing, 0.0);
  const InternalParams params = Config(1e-2, 64, 0.1);
  const CurveShape shape = surrogate.Shape(params);
  double previous = shape.initial;
  for (int64_t step = 1; step <= 200; ++step) {
    const double loss = surrogate.Loss(params, 3, step);
    EXPECT_LT(loss, previous) << step;
    EXPECT_GT(loss, shape.asymptote) << step;
    previous = loss;
  }
  EXPECT_NEAR(previous, shape.asymptote, 1e-3);
}

TEST(LearningCurveTest, LearningRateCurvesCrossOnlyInTheCrossingFamily) {
  const InternalParams high = Config(0.3, 256, 0.15),
                       best = Config(std::pow(10.0, -2.5), 256, 0.15);
  const LearningCurveSurrogate crossing(CurveFamily::kCrossing, 0.0);
  EXPECT_LT(crossing.Loss(high, 0, 5), crossing.Loss(best, 0, 5));
  EXPECT_GT(crossing.Loss(high, 0, 200), crossing.Loss(best, 0, 200));
  const LearningCurveSurrogate ordered(CurveFamily::kOrdered, 0.0);
  for (int64_t step : {1, 5, 20, 200}) {
    EXPECT_GT(ordered.Loss(high, 0, step), ordered.Loss(best, 0, step)) << step;
  }
}

TEST(LearningCurveTest, NoiseIsDeterministicAndStandardNormal) {
  const LearningCurveSurrogate surrogate(CurveFamily::kCrossing, 0.01);
  const InternalParams params = Config(1e-3, 128, 0.2);
  EXPECT_EQ(surrogate.Loss(params, 5, 17), surrogate.Loss(params, 5, 17));
  EXPECT_NE(surrogate.Loss(params, 5, 17), surrogate.Loss(params, 6, 17));
  double sum = 0.0, sum_squares = 0.0;
  constexpr int kSamples = 20000;
  for (int i = 0; i < kSamples; ++i) {
    const double z = StandardNormal(11, i);
    sum += z;
    sum_squares += z * z;
  }
  const double mean = sum / kSamples;
  EXPECT_NEAR(mean, 0.0, 0.05);
  EXPECT_NEAR(sum_squares / kSamples - mean * mean, 1.0, 0.05);
}

}  // namespace
}  // namespace nasq::bench
