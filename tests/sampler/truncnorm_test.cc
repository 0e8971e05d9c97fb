// Truncated-normal primitives against reference values.
//
// Reference values were produced with Optuna 3.1's optuna/samplers/_tpe/_truncnorm.py (Debian
// python3-optuna; its _ndtri_exp is a 100-step bisection, so it is accurate to ~1e-14):
//   _log_ndtr(np.array([a])), _log_gauss_mass(np.array([a]), np.array([b])),
//   ppf(np.array([q]), a, b), logpdf(np.array([x]), a, b).
#include "sampler/truncnorm.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace nasq::truncnorm {
namespace {

// Relative tolerance (absolute near zero).
void ExpectClose(double actual, double expected) {
  EXPECT_NEAR(actual, expected, 1e-9 * std::max(1.0, std::abs(expected)));
}

TEST(Truncnorm, LogNdtrMatchesReference) {
  const std::vector<std::pair<double, double>> cases = {
      {-40.0, -804.6084420137538}, {-25.0, -316.6394080080202},   {-5.0, -15.064998393988724},
      {0.0, -0.6931471805599453},  {3.0, -0.0013508099647482027}, {10.0, -7.619853024160593e-24}};
  for (const auto& [a, expected] : cases) {
    SCOPED_TRACE(a);
    ExpectClose(LogNdtr(a), expected);
  }
  EXPECT_NEAR(LogNdtr(10.0), -7.619853024160593e-24, 1e-30);
}

TEST(Truncnorm, LogGaussMassMatchesReference) {
  struct Case {
    double a, b, expected;
  };
  const std::vector<Case> cases = {{-1.0, 1.0, -0.38171514630212616},
                                   {2.0, 3.0, -3.8443534263342047},
                                   {-30.0, -29.0, -424.7874199097303},
                                   {-0.5, 20.0, -0.3689464152886564},
                                   {5.0, 40.0, -15.064998393988724}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.a);
    ExpectClose(LogGaussMass(c.a, c.b), c.expected);
  }
}

TEST(Truncnorm, PpfMatchesReference) {
  struct Case {
    double q, a, b, expected;
  };
  const std::vector<Case> cases = {
      {0.3, -1.0, 1.0, -0.3492199324568822},    {0.9, 2.0, 3.0, 2.6978044494405458},
      {0.5, -30.0, -29.0, -29.023863512020597}, {0.01, -0.5, 20.0, -0.48045439105161236},
      {0.75, 5.0, 40.0, 5.26093360482116},      {0.999, -2.0, 0.5, 0.49810150178660806}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.q);
    ExpectClose(Ppf(c.q, c.a, c.b), c.expected);
  }
  EXPECT_EQ(Ppf(0.0, -1.0, 2.0), -1.0);
  EXPECT_EQ(Ppf(1.0, -1.0, 2.0), 2.0);
}

TEST(Truncnorm, LogPdfMatchesReference) {
  ExpectClose(LogPdf(0.2, -1.0, 1.0), -0.5572233869025465);
  ExpectClose(LogPdf(2.5, 2.0, 3.0), -0.1995851068704675);
  ExpectClose(LogPdf(-29.5, -30.0, -29.0), -11.256518623474335);
  EXPECT_EQ(LogPdf(1.5, -1.0, 1.0), -std::numeric_limits<double>::infinity());
}

TEST(Truncnorm, NdtriExpInvertsLogNdtr) {
  for (double x : {-60.0, -19.5, -3.0, -0.1, 0.0, 0.7, 4.0, 7.5}) {
    SCOPED_TRACE(x);
    EXPECT_NEAR(NdtriExp(LogNdtr(x)), x, 1e-8 * std::max(1.0, std::abs(x)));
  }
}

}  // namespace
}  // namespace nasq::truncnorm
