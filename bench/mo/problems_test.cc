#include "bench/mo/problems.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq::bench {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

MoProblem Problem(const std::string& name) {
  absl::StatusOr<MoProblem> problem = MakeMoProblem(name);
  EXPECT_TRUE(problem.ok()) << problem.status();
  return *std::move(problem);
}

// x0 = first, x1 = second (when given), every other coordinate = rest.
ExternalParams Point(size_t n, double first, double rest, double second) {
  ExternalParams params;
  for (size_t i = 0; i < n; ++i) params[absl::StrCat("x", i)] = i == 0 ? first : rest;
  params["x1"] = second;
  return params;
}

ExternalParams Formats(const std::vector<std::string>& formats) {
  ExternalParams params;
  for (size_t l = 0; l < formats.size(); ++l)
    params[absl::StrCat("layer", l, ".format")] = formats[l];
  return params;
}

TEST(MoProblems, ZdtOnAndOffTheirFronts) {
  const MoProblem zdt1 = Problem("zdt1"), zdt2 = Problem("zdt2");
  ASSERT_EQ(zdt1.space.size(), 10u);
  // On the front (x_i = 0 for i > 0, g = 1): ZDT1 f2 = 1 - sqrt(f1), ZDT2 f2 = 1 - f1^2.
  EXPECT_THAT(zdt1.objective(Point(10, 0.25, 0.0, 0.0)), ElementsAre(0.25, DoubleNear(0.5, 1e-12)));
  EXPECT_THAT(zdt2.objective(Point(10, 0.5, 0.0, 0.0)), ElementsAre(0.5, DoubleNear(0.75, 1e-12)));
  // Worst g = 10 (x_i = 1 for i > 0): f2 = 10 (1 - sqrt(0.1)) resp. 10 (1 - 0.01).
  EXPECT_THAT(zdt1.objective(Point(10, 1.0, 1.0, 1.0)),
              ElementsAre(1.0, DoubleNear(10.0 * (1.0 - std::sqrt(0.1)), 1e-12)));
  EXPECT_THAT(zdt2.objective(Point(10, 1.0, 1.0, 1.0)), ElementsAre(1.0, DoubleNear(9.9, 1e-12)));
  // The largest f2 over the space (x0 = 0, g = 10) is inside the reference point.
  EXPECT_THAT(zdt1.objective(Point(10, 0.0, 1.0, 1.0)), ElementsAre(0.0, DoubleNear(10.0, 1e-12)));
  EXPECT_THAT(zdt1.reference, ElementsAre(1.1, 11.0));
}

TEST(MoProblems, Dtlz2FrontIsTheUnitSphere) {
  const MoProblem dtlz2 = Problem("dtlz2");
  ASSERT_EQ(dtlz2.space.size(), 7u);  // 3 objectives: 2 position + 5 distance variables
  // Distance variables at 0.5 (g = 0): the point lies on the unit sphere.
  for (double x0 : {0.0, 0.2, 0.7, 1.0}) {
    for (double x1 : {0.0, 0.4, 1.0}) {
      const std::vector<double> f = dtlz2.objective(Point(7, x0, 0.5, x1));
      ASSERT_EQ(f.size(), 3u);
      EXPECT_NEAR(f[0] * f[0] + f[1] * f[1] + f[2] * f[2], 1.0, 1e-12) << x0 << " " << x1;
    }
  }
  EXPECT_THAT(dtlz2.objective(Point(7, 0.5, 0.5, 0.5)),
              ElementsAre(DoubleNear(0.5, 1e-12), DoubleNear(0.5, 1e-12),
                          DoubleNear(std::sqrt(0.5), 1e-12)));
  // Distance variables at 0 (g = 5 * 0.25, the largest): radius 2.25, inside the reference 2.5.
  const std::vector<double> far = dtlz2.objective(Point(7, 1.0, 0.0, 0.0));
  EXPECT_NEAR(far[2], 2.25, 1e-12);
  EXPECT_THAT(dtlz2.reference, ElementsAre(2.5, 2.5, 2.5));
}

TEST(MoProblems, MixedPrecisionAccuracyAndAverageBits) {
  const MoProblem mp = Problem("mixed_precision");
  ASSERT_EQ(mp.space.size(), 8u);
  EXPECT_THAT(mp.directions, ElementsAre(StudyDirection::kMaximize, StudyDirection::kMinimize));
  EXPECT_THAT(mp.objective(Formats(std::vector<std::string>(8, "fp32"))), ElementsAre(0.9, 32.0));
  // fp8 on layer 0 (sensitivity 1.0, 0.5M of 17M weights).
  std::vector<std::string> formats(8, "fp32");
  formats[0] = "fp8";
  EXPECT_THAT(mp.objective(Formats(formats)),
              ElementsAre(DoubleNear(0.897, 1e-12), DoubleNear((0.5 * 8 + 16.5 * 32) / 17, 1e-12)));
  // int4 on layers 3 and 4 (sensitivity 0.3 each; adjacent: one 0.02 penalty), 8M weights.
  formats = std::vector<std::string>(8, "fp32");
  formats[3] = formats[4] = "int4";
  EXPECT_THAT(mp.objective(Formats(formats)),
              ElementsAre(DoubleNear(0.9 - 0.6 * 0.03 - 0.02, 1e-12),
                          DoubleNear((8 * 4 + 9 * 32) / 17.0, 1e-12)));
  // All int2: 4.6 total sensitivity x 0.15, seven adjacent low-precision pairs.
  EXPECT_THAT(mp.objective(Formats(std::vector<std::string>(8, "int2"))),
              ElementsAre(DoubleNear(0.9 - 4.6 * 0.15 - 7 * 0.02, 1e-12), 2.0));
}

TEST(MoProblems, EvaluateConvertsInternalValues) {
  const MoProblem mp = Problem("mixed_precision");
  InternalParams internal;
  for (int l = 0; l < 8; ++l) internal[absl::StrCat("layer", l, ".format")] = 0;  // fp32
  EXPECT_THAT(mp.Evaluate(internal), ElementsAre(0.9, 32.0));
}

TEST(MoProblems, HypervolumeUsesTheFixedReferenceInLossSpace) {
  const MoProblem zdt1 = Problem("zdt1");
  // (1.1 - 0.25) * (11 - 0.5); the second point is dominated, the third not counted yet.
  const std::vector<std::vector<double>> values = {{0.25, 0.5}, {0.5, 1.0}, {0.0, 0.0}};
  EXPECT_THAT(zdt1.HypervolumeOfFirst(values, 2).value(), DoubleNear(0.85 * 10.5, 1e-12));
  EXPECT_THAT(zdt1.HypervolumeOfFirst(values, 3).value(), DoubleNear(1.1 * 11, 1e-12));
  EXPECT_EQ(zdt1.HypervolumeOfFirst(values, 0).value(), 0.0);
  // Accuracy is maximised: (0.9 - 0) * (35.2 - 32).
  const MoProblem mp = Problem("mixed_precision");
  EXPECT_THAT(mp.HypervolumeOfFirst({{0.9, 32.0}}, 1).value(), DoubleNear(0.9 * 3.2, 1e-12));
}

TEST(MoProblems, UnknownProblemIsRefused) {
  absl::StatusOr<MoProblem> problem = MakeMoProblem("zdt3");
  ASSERT_EQ(problem.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(problem.status().message()), HasSubstr("zdt1, zdt2, dtlz2"));
}

}  // namespace
}  // namespace nasq::bench
