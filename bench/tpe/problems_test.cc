#include "bench/tpe/problems.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq::bench {
namespace {

ExternalParams AllCoordinates(double x) {
  ExternalParams params;
  for (int i = 0; i < 5; ++i) params[absl::StrCat("x", i)] = x;
  return params;
}

struct OptimumCase {
  std::string problem;
  double at;
  double expected;
};

TEST(Problems, ContinuousProblemsHaveTheirKnownOptima) {
  const OptimumCase cases[] = {
      {"sphere", 0.0, 0.0},
      {"rosenbrock", 1.0, 0.0},
      // Styblinski-Tang: minimum 5 * -39.16616570377142 at x_i = -2.903534027771178.
      {"styblinski_tang", -2.903534027771178, 5 * -39.16616570377142},
  };
  for (const OptimumCase& c : cases) {
    absl::StatusOr<BenchProblem> problem = MakeQualityProblem(c.problem);
    ASSERT_TRUE(problem.ok()) << problem.status();
    EXPECT_NEAR(problem->objective(AllCoordinates(c.at)), c.expected, 1e-9) << c.problem;
    EXPECT_EQ(problem->space.size(), 5u);
  }
}

// Visits every point of a categorical space (internal values) depth-first.
void ForEachPoint(const SearchSpace& space, size_t next, InternalParams& point,
                  const std::function<void(const InternalParams&)>& visit) {
  if (next == space.size()) {
    visit(point);
    return;
  }
  const ParamSpec& param = space.params()[next];
  for (int64_t i = 0; i < *DiscreteSize(param.distribution); ++i) {
    point[param.name] = static_cast<double>(i);
    ForEachPoint(space, next + 1, point, visit);
  }
}

TEST(Problems, NasTableOptimumIsAnInteriorTradeOff) {
  absl::StatusOr<BenchProblem> problem = MakeQualityProblem("nas_table");
  ASSERT_TRUE(problem.ok()) << problem.status();
  EXPECT_EQ(problem->direction, StudyDirection::kMaximize);
  double best = -1.0;
  InternalParams best_point, point;
  int points = 0;
  ForEachPoint(problem->space, 0, point, [&](const InternalParams& p) {
    ++points;
    const double v = problem->Evaluate(p);
    if (v > best) {
      best = v;
      best_point = p;
    }
  });
  EXPECT_EQ(points, 3 * 4 * 5 * 5 * 4 * 4 * 4);
  // The maximiser found by problems.py over the same table: 4 layers, 4 heads, hidden 192,
  // intermediate 768, three full extra blocks (neither the smallest nor the largest model).
  EXPECT_NEAR(best, 0.856321201007962, 1e-12);
  ASSERT_TRUE(problem->optimum.has_value());
  EXPECT_EQ(*problem->optimum, best);
  EXPECT_THAT(
      best_point,
      testing::ElementsAre(testing::Pair("extra_block_0", 3.0), testing::Pair("extra_block_1", 3.0),
                           testing::Pair("extra_block_2", 3.0), testing::Pair("hidden_size", 1.0),
                           testing::Pair("intermediate_size", 1.0), testing::Pair("num_heads", 1.0),
                           testing::Pair("num_layers", 1.0)));
}

// The maximiser found by enumerating the table in Python (problems.py): 4 layers, minifloat 8 bits
// on the first three, minifloat 4 bits on the last; params of layers 4 and 5 are inactive.
TEST(Problems, NasConditionalIsConditionalWithAnInteriorOptimum) {
  absl::StatusOr<BenchProblem> problem = MakeQualityProblem("nas_conditional");
  ASSERT_TRUE(problem.ok()) << problem.status();
  EXPECT_EQ(problem->direction, StudyDirection::kMaximize);
  EXPECT_EQ(problem->space.size(), 13u);
  const InternalParams best = {
      {"num_layers", 3.0},    {"layer0.format", 1.0}, {"layer0.width", 2.0},
      {"layer1.format", 1.0}, {"layer1.width", 2.0},  {"layer2.format", 1.0},
      {"layer2.width", 2.0},  {"layer3.format", 1.0}, {"layer3.width", 1.0}};
  ASSERT_TRUE(problem->space.CheckAssignment(best).ok());
  EXPECT_NEAR(problem->Evaluate(best), 0.7234, 1e-12);
  ASSERT_TRUE(problem->optimum.has_value());
  EXPECT_EQ(*problem->optimum, problem->Evaluate(best));
  // One layer less or more is worse, whatever the extra layer holds.
  InternalParams shallower = best;
  shallower["num_layers"] = 2.0;
  shallower.erase("layer3.format");
  shallower.erase("layer3.width");
  EXPECT_LT(problem->Evaluate(shallower), *problem->optimum);
  InternalParams deeper = best;
  deeper["num_layers"] = 4.0;
  deeper["layer4.format"] = 1.0;
  deeper["layer4.width"] = 1.0;
  EXPECT_LT(problem->Evaluate(deeper), *problem->optimum);
}

TEST(Problems, ContinuousProblemsHaveNoEnumeratedOptimum) {
  absl::StatusOr<BenchProblem> problem = MakeQualityProblem("sphere");
  ASSERT_TRUE(problem.ok()) << problem.status();
  EXPECT_FALSE(problem->optimum.has_value());
}

TEST(Problems, SpeedSpaceHasTheSeedLabParams) {
  const BenchProblem problem = MakeSpeedProblem();
  EXPECT_EQ(problem.space.size(), 46u);
  for (const char* name :
       {"num_layers", "num_heads", "hidden_size", "intermediate_size",
        "bert.encoder.layer.0.attention.self.query.type", "bert.encoder.layer.1.output.dense.width",
        "bert.pooler.dense.frac_width", "classifier.type"}) {
    EXPECT_NE(problem.space.Find(name), nullptr) << name;
  }
}

TEST(Problems, UnknownProblemIsRefusedWithTheKnownNames) {
  absl::StatusOr<BenchProblem> problem = MakeQualityProblem("ackley");
  EXPECT_EQ(problem.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(problem.status().message(),
              testing::AllOf(testing::HasSubstr("ackley"), testing::HasSubstr("nas_table")));
}

}  // namespace
}  // namespace nasq::bench
