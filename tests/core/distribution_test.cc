#include "core/distribution.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

// Spells out every field, so -Wmissing-field-initializers stays quiet.
FloatDistribution Float(double low, double high, bool log = false,
                        std::optional<double> step = std::nullopt) {
  return FloatDistribution{low, high, log, step};
}

using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

CategoricalDistribution Choices(std::vector<ParamValue> choices) {
  return CategoricalDistribution{std::move(choices)};
}

TEST(ParamValue, ToStringUsesShortestRoundTrip) {
  EXPECT_EQ(ParamValueToString(true), "true");
  EXPECT_EQ(ParamValueToString(false), "false");
  EXPECT_EQ(ParamValueToString(int64_t{16}), "16");
  EXPECT_EQ(ParamValueToString(0.1), "0.1");
  EXPECT_EQ(ParamValueToString(0.125), "0.125");
  EXPECT_EQ(ParamValueToString(1e-5), "1e-05");
  EXPECT_EQ(ParamValueToString(std::string("integer")), "integer");
}

TEST(ParamValue, EqualsComparesNumbersButNotBools) {
  EXPECT_TRUE(ParamValueEquals(int64_t{16}, 16.0));
  EXPECT_TRUE(ParamValueEquals(16.0, int64_t{16}));
  EXPECT_FALSE(ParamValueEquals(true, int64_t{1}));
  EXPECT_FALSE(ParamValueEquals(int64_t{1}, true));
  EXPECT_FALSE(ParamValueEquals(true, 1.0));
  EXPECT_TRUE(ParamValueEquals(true, true));
  EXPECT_FALSE(ParamValueEquals(true, false));
  EXPECT_TRUE(ParamValueEquals(kNaN, kNaN));
  EXPECT_FALSE(ParamValueEquals(kNaN, 0.0));
  EXPECT_TRUE(ParamValueEquals(std::string("a"), std::string("a")));
  EXPECT_FALSE(ParamValueEquals(std::string("1"), int64_t{1}));
  // Exact for large integers that doubles cannot tell apart.
  EXPECT_FALSE(ParamValueEquals(int64_t{(1LL << 53) + 1}, int64_t{1LL << 53}));
}

TEST(ParamValue, AsNumber) {
  EXPECT_EQ(ParamValueAsNumber(int64_t{3}), 3.0);
  EXPECT_EQ(ParamValueAsNumber(2.5), 2.5);
  EXPECT_FALSE(ParamValueAsNumber(true).has_value());
  EXPECT_FALSE(ParamValueAsNumber(std::string("3")).has_value());
}

TEST(Distribution, CategoricalEqualityIsOrderSensitiveAndNumeric) {
  EXPECT_TRUE(Choices({int64_t{1}, std::string("a")}) == Choices({1.0, std::string("a")}));
  EXPECT_FALSE(Choices({int64_t{1}, std::string("a")}) == Choices({std::string("a"), int64_t{1}}));
  EXPECT_FALSE(Choices({true}) == Choices({int64_t{1}}));
  EXPECT_TRUE(Choices({kNaN}) == Choices({kNaN}));
}

struct RoundTripCase {
  std::string label;
  Distribution distribution;
  ParamValue external;
  double internal;
};

TEST(Distribution, InternalExternalRoundTripForEveryKind) {
  const std::vector<RoundTripCase> cases = {
      {"float", Float(0.0, 1.0), 0.25, 0.25},
      {"float log", Float(1e-5, 1e-1, true), 1e-3, 1e-3},
      {"float step", Float(0.0, 1.0, false, 0.1), 0.3, 0.3},
      {"int", IntDistribution{0, 10}, int64_t{7}, 7.0},
      {"int log", IntDistribution{1, 1024, true}, int64_t{64}, 64.0},
      {"int step", IntDistribution{2, 16, false, 2}, int64_t{8}, 8.0},
      {"categorical string", Choices({std::string("integer"), std::string("minifloat")}),
       std::string("minifloat"), 1.0},
      {"categorical int", Choices({int64_t{4}, int64_t{8}, int64_t{16}}), int64_t{16}, 2.0},
      {"categorical bool", Choices({false, true}), true, 1.0},
      {"categorical float", Choices({0.5, 1.5}), 0.5, 0.0},
  };
  for (const RoundTripCase& c : cases) {
    SCOPED_TRACE(c.label);
    const absl::StatusOr<double> internal = ToInternal(c.distribution, c.external);
    ASSERT_TRUE(internal.ok()) << internal.status();
    EXPECT_DOUBLE_EQ(*internal, c.internal);
    EXPECT_TRUE(Contains(c.distribution, *internal));
    const ParamValue back = ToExternal(c.distribution, *internal);
    EXPECT_TRUE(ParamValueEquals(back, c.external)) << ParamValueToString(back);
    EXPECT_EQ(back.index(), c.external.index()) << "external type must be preserved";
  }
}

TEST(Distribution, ToInternalAcceptsNumericEquivalents) {
  EXPECT_EQ(*ToInternal(IntDistribution{0, 32}, 16.0), 16.0);
  EXPECT_EQ(*ToInternal(Float(0, 32), int64_t{16}), 16.0);
  EXPECT_EQ(*ToInternal(Choices({int64_t{8}, int64_t{16}}), 16.0), 1.0);
  EXPECT_EQ(std::get<int64_t>(ToExternal(IntDistribution{0, 32}, 15.9999999999)), 16);
}

struct BadValueCase {
  std::string label;
  Distribution distribution;
  ParamValue value;
  std::string message;
};

TEST(Distribution, ToInternalRejectsWrongTypeOrRange) {
  const std::vector<BadValueCase> cases = {
      {"string for float", Float(0, 1), std::string("x"), "not a number"},
      {"bool for int", IntDistribution{0, 1}, true, "not a number"},
      {"above float", Float(0, 1), 1.5, "not contained in float [0, 1]"},
      {"off int step", IntDistribution{0, 10, false, 2}, int64_t{3}, "not contained"},
      {"fraction for int", IntDistribution{0, 10}, 2.5, "not contained"},
      {"off float step", Float(0, 1, false, 0.25), 0.3, "not contained"},
      {"nan", Float(0, 1), kNaN, "not contained"},
      {"missing choice", Choices({std::string("a"), std::string("b")}), std::string("c"),
       "'c' is not among the choices of categorical [a, b]"},
      {"bool is not one", Choices({int64_t{1}, int64_t{2}}), true, "not among the choices"},
  };
  for (const BadValueCase& c : cases) {
    SCOPED_TRACE(c.label);
    const absl::StatusOr<double> internal = ToInternal(c.distribution, c.value);
    ASSERT_FALSE(internal.ok());
    EXPECT_EQ(internal.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(internal.status().message()), HasSubstr(c.message));
  }
}

TEST(Distribution, ContainsHonoursStepsLogAndTolerance) {
  const FloatDistribution stepped = Float(0.0, 1.0, false, 0.1);
  EXPECT_TRUE(Contains(stepped, 0.3));
  EXPECT_TRUE(Contains(stepped, 0.1 * 3));  // 0.30000000000000004
  EXPECT_TRUE(Contains(stepped, 0.7 + 1e-10));
  EXPECT_FALSE(Contains(stepped, 0.35));
  EXPECT_FALSE(Contains(stepped, 1.1));
  EXPECT_FALSE(Contains(stepped, -0.1));

  const FloatDistribution log = Float(1e-4, 1.0, true);
  EXPECT_TRUE(Contains(log, 1e-4));
  EXPECT_TRUE(Contains(log, 1.0));
  EXPECT_FALSE(Contains(log, 0.0));
  EXPECT_FALSE(Contains(log, kNaN));
  EXPECT_FALSE(Contains(log, kInf));

  const IntDistribution ints{1, 9, false, 2};
  EXPECT_TRUE(Contains(ints, 1.0));
  EXPECT_TRUE(Contains(ints, 9.0));
  EXPECT_FALSE(Contains(ints, 2.0));
  EXPECT_FALSE(Contains(ints, 3.5));
  EXPECT_FALSE(Contains(ints, 11.0));

  const CategoricalDistribution cat = Choices({std::string("a"), std::string("b")});
  EXPECT_TRUE(Contains(cat, 1.0));
  EXPECT_FALSE(Contains(cat, 2.0));
  EXPECT_FALSE(Contains(cat, -1.0));
  EXPECT_FALSE(Contains(cat, 0.5));
}

TEST(Distribution, NormalizeLowersHighToLastGridPoint) {
  const auto f = std::get<FloatDistribution>(NormalizeDistribution(Float(0.0, 1.0, false, 0.3)));
  EXPECT_DOUBLE_EQ(f.high, 0.9);
  // Already on the grid (despite 0.3 / 0.1 == 2.9999999999999996): unchanged, bit for bit.
  const auto exact =
      std::get<FloatDistribution>(NormalizeDistribution(Float(0.0, 0.3, false, 0.1)));
  EXPECT_EQ(exact.high, 0.3);
  const auto i = std::get<IntDistribution>(NormalizeDistribution(IntDistribution{1, 10, false, 4}));
  EXPECT_EQ(i.high, 9);
  const auto negative =
      std::get<IntDistribution>(NormalizeDistribution(IntDistribution{-7, 0, false, 3}));
  EXPECT_EQ(negative.high, -1);
  const FloatDistribution continuous = Float(0.0, 1.0);
  EXPECT_EQ(std::get<FloatDistribution>(NormalizeDistribution(continuous)), continuous);
}

TEST(Distribution, IsSingle) {
  EXPECT_TRUE(IsSingle(Float(2.0, 2.0)));
  EXPECT_TRUE(IsSingle(Float(0.0, 0.05, false, 0.1)));
  EXPECT_FALSE(IsSingle(Float(0.0, 0.1, false, 0.1)));
  EXPECT_TRUE(IsSingle(IntDistribution{3, 3}));
  EXPECT_TRUE(IsSingle(IntDistribution{3, 5, false, 4}));
  EXPECT_FALSE(IsSingle(IntDistribution{3, 4}));
  EXPECT_TRUE(IsSingle(Choices({std::string("only")})));
  EXPECT_FALSE(IsSingle(Choices({int64_t{1}, int64_t{2}})));
}

TEST(Distribution, DiscreteSizeAndValues) {
  struct Case {
    std::string label;
    Distribution distribution;
    std::optional<int64_t> size;
    std::vector<double> values;  // every DiscreteValue, in order
  };
  const std::vector<Case> cases = {
      {"int", IntDistribution{2, 5}, 4, {2, 3, 4, 5}},
      {"int step", IntDistribution{0, 8, false, 4}, 3, {0, 4, 8}},
      {"float step", Float(0.0, 1.0, false, 0.25), 5, {0, 0.25, 0.5, 0.75, 1.0}},
      {"float step 0.1", Float(0.0, 0.3, false, 0.1), 4, {0, 0.1, 0.2, 0.3}},
      {"fixed float", Float(1.5, 1.5), 1, {1.5}},
      {"categorical", Choices({std::string("a"), std::string("b"), true}), 3, {0, 1, 2}},
      {"continuous", Float(0.0, 1.0), std::nullopt, {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_EQ(DiscreteSize(c.distribution), c.size);
    if (!c.size.has_value()) continue;
    ASSERT_EQ(static_cast<int64_t>(c.values.size()), *c.size);
    for (int64_t i = 0; i < *c.size; ++i) {
      const double v = DiscreteValue(c.distribution, i);
      EXPECT_NEAR(v, c.values[i], 1e-12) << "i=" << i;
      EXPECT_TRUE(Contains(c.distribution, v)) << "i=" << i;
    }
  }
}

TEST(Distribution, KindAndDescription) {
  EXPECT_STREQ(DistributionKind(FloatDistribution{}), "float");
  EXPECT_STREQ(DistributionKind(IntDistribution{}), "int");
  EXPECT_STREQ(DistributionKind(Choices({true})), "categorical");
  EXPECT_EQ(DistributionToString(Float(1e-5, 0.1, true)), "float [1e-05, 0.1] log");
  EXPECT_EQ(DistributionToString(IntDistribution{0, 8, false, 2}), "int [0, 8] step 2");
  EXPECT_EQ(DistributionToString(Choices({std::string("a"), int64_t{2}})), "categorical [a, 2]");
}

struct InvalidDistributionCase {
  std::string label;
  Distribution distribution;
  std::string problem;
};

TEST(Distribution, ValidateNamesFieldAndProblem) {
  const std::vector<InvalidDistributionCase> cases = {
      {"float low > high", Float(1.0, 0.0), "low > high (low=1, high=0)"},
      {"int low > high", IntDistribution{5, 2}, "low > high (low=5, high=2)"},
      {"float log low 0", Float(0.0, 1.0, true), "log requires low > 0 (low=0)"},
      {"int log low 0", IntDistribution{0, 8, true}, "log requires low >= 1 (low=0)"},
      {"float step 0", Float(0.0, 1.0, false, 0.0), "step must be > 0"},
      {"float step negative", Float(0.0, 1.0, false, -0.5), "step must be > 0"},
      {"float step nan", Float(0.0, 1.0, false, kNaN), "step must be > 0"},
      {"int step 0", IntDistribution{0, 8, false, 0}, "step must be > 0 (step=0)"},
      {"float log with step", Float(0.1, 1.0, true, 0.1), "step is not supported"},
      {"int log with step", IntDistribution{1, 8, true, 2}, "log requires step == 1 (step=2)"},
      {"nan low", Float(kNaN, 1.0), "low must be finite"},
      {"inf high", Float(0.0, kInf), "high must be finite"},
      {"empty choices", Choices({}), "choices must not be empty"},
      {"duplicate choices", Choices({std::string("a"), std::string("b"), std::string("a")}),
       "duplicate choice 'a' (choices[0] and choices[2])"},
      {"duplicate numeric choices", Choices({int64_t{16}, 16.0}), "duplicate choice '16'"},
      {"tiny step", Float(0.0, 1e10, false, 1e-10), "step is too small"},
      {"huge int range",
       IntDistribution{std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()},
       "range is too large"},
  };
  for (const InvalidDistributionCase& c : cases) {
    SCOPED_TRACE(c.label);
    const absl::Status status = ValidateDistribution(c.distribution, "space.params[2] (lr)");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), ::testing::StartsWith("space.params[2] (lr): "));
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.problem));
  }
}

TEST(Distribution, ValidateAcceptsWellFormed) {
  for (const Distribution& d : std::vector<Distribution>{
           Float(0.0, 1.0), Float(1e-5, 1.0, true), Float(2.0, 2.0), Float(0.0, 1.0, false, 0.3),
           IntDistribution{-5, 5}, IntDistribution{1, 1024, true}, IntDistribution{0, 9, false, 4},
           Choices({true, false}), Choices({std::string("a"), int64_t{1}, 2.5})}) {
    EXPECT_TRUE(ValidateDistribution(d, "f").ok()) << DistributionToString(d);
  }
}

}  // namespace
}  // namespace nasq
