#include "core/search_space.h"

#include <chrono>
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

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ParamValue S(const char* s) { return std::string(s); }
ParamValue I(int64_t i) { return i; }

CategoricalDistribution Choices(std::vector<ParamValue> choices) {
  return CategoricalDistribution{std::move(choices)};
}

Condition When(std::string parent, CompareOp op, std::vector<ParamValue> values) {
  return Condition{std::move(parent), op, std::move(values)};
}

ParamSpec Param(std::string name, Distribution d, std::vector<Condition> conditions = {}) {
  return ParamSpec{std::move(name), std::move(d), std::move(conditions)};
}

std::vector<std::string> Names(const SearchSpace& space) {
  std::vector<std::string> names;
  for (const ParamSpec& p : space.params()) names.push_back(p.name);
  return names;
}

// The running example: a quantised encoder whose layer-3 query projection only exists with at
// least four layers, and only has a width when its number format is integer.
SearchSpace QuantSpace() {
  absl::StatusOr<SearchSpace> space = SearchSpace::Create(
      {
          Param("layer3.query.width", IntDistribution{2, 8},
                {When("num_layers", CompareOp::kGe, {I(4)}),
                 When("layer3.query.type", CompareOp::kIn, {S("integer")})}),
          Param("layer3.query.type", Choices({S("integer"), S("minifloat")}),
                {When("num_layers", CompareOp::kGe, {I(4)})}),
          Param("num_layers", IntDistribution{1, 6}),
          Param("width", Choices({I(4), I(8), I(16)})),
          Param("frac_width", IntDistribution{0, 16}),
      },
      {Constraint{"frac_width", CompareOp::kLt, "width", 0.0}});
  EXPECT_TRUE(space.ok()) << space.status();
  return *std::move(space);
}

TEST(CompareOp, NamesRoundTrip) {
  for (CompareOp op : {CompareOp::kEq, CompareOp::kNe, CompareOp::kLt, CompareOp::kLe,
                       CompareOp::kGt, CompareOp::kGe, CompareOp::kIn, CompareOp::kNotIn}) {
    EXPECT_EQ(ParseCompareOp(CompareOpName(op)), op) << CompareOpName(op);
  }
  EXPECT_STREQ(CompareOpName(CompareOp::kNotIn), "not_in");
  EXPECT_FALSE(ParseCompareOp("=").has_value());
  EXPECT_FALSE(ParseCompareOp("<>").has_value());
}

struct InvalidSpaceCase {
  std::string label;
  std::vector<ParamSpec> params;
  std::vector<Constraint> constraints;
  std::string field;    // the offending field, at the start of the message
  std::string problem;  // what is wrong with it
};

TEST(SearchSpace, CreateRejectsInvalidSpacesNamingFieldAndProblem) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const ParamSpec n = Param("n", IntDistribution{1, 6});
  const ParamSpec act = Param("act", Choices({S("relu"), S("gelu")}));
  const ParamSpec flag = Param("flag", Choices({true, false}));
  const std::vector<InvalidSpaceCase> cases = {
      {"empty space", {}, {}, "space.params", "the search space is empty"},
      {"empty name", {n, Param("", IntDistribution{})}, {}, "space.params[1]", "name is empty"},
      {"duplicate name",
       {n, Param("n", IntDistribution{})},
       {},
       "space.params[1] (n)",
       "duplicate name (also space.params[0])"},
      {"low > high",
       {n, act, Param("lr", Float(1, 0))},
       {},
       "space.params[2] (lr)",
       "low > high (low=1, high=0)"},
      {"int low > high",
       {Param("k", IntDistribution{3, 2})},
       {},
       "space.params[0] (k)",
       "low > high (low=3, high=2)"},
      {"log with low 0",
       {Param("lr", Float(0, 1, true))},
       {},
       "space.params[0] (lr)",
       "log requires low > 0"},
      {"int log with low 0",
       {Param("k", IntDistribution{0, 8, true})},
       {},
       "space.params[0] (k)",
       "log requires low >= 1"},
      {"float step 0",
       {Param("p", Float(0, 1, false, 0.0))},
       {},
       "space.params[0] (p)",
       "step must be > 0"},
      {"int step negative",
       {Param("k", IntDistribution{0, 8, false, -2})},
       {},
       "space.params[0] (k)",
       "step must be > 0 (step=-2)"},
      {"float log with step",
       {Param("lr", Float(0.1, 1, true, 0.1))},
       {},
       "space.params[0] (lr)",
       "step is not supported together with log"},
      {"int log with step",
       {Param("k", IntDistribution{1, 8, true, 2})},
       {},
       "space.params[0] (k)",
       "log requires step == 1"},
      {"nan bound", {Param("lr", Float(nan, 1))}, {}, "space.params[0] (lr)", "low must be finite"},
      {"inf bound",
       {Param("lr", Float(0, inf))},
       {},
       "space.params[0] (lr)",
       "high must be finite"},
      {"empty choices",
       {Param("act", Choices({}))},
       {},
       "space.params[0] (act)",
       "choices must not be empty"},
      {"duplicate choices",
       {Param("act", Choices({S("relu"), S("relu")}))},
       {},
       "space.params[0] (act)",
       "duplicate choice 'relu'"},
      {"unknown parent",
       {n, Param("w", IntDistribution{}, {When("nope", CompareOp::kEq, {I(1)})})},
       {},
       "space.params[1] (w).conditions[0]",
       "unknown parent 'nope'"},
      {"self parent",
       {Param("w", IntDistribution{}, {When("w", CompareOp::kEq, {I(1)})})},
       {},
       "space.params[0] (w).conditions[0]",
       "parent is the param itself"},
      {"empty parent",
       {Param("w", IntDistribution{}, {When("", CompareOp::kEq, {I(1)})})},
       {},
       "space.params[0] (w).conditions[0]",
       "parent is empty"},
      {"two-cycle",
       {Param("a", IntDistribution{}, {When("b", CompareOp::kEq, {I(1)})}),
        Param("b", IntDistribution{}, {When("a", CompareOp::kEq, {I(1)})})},
       {},
       "space.params[0] (a)",
       "conditions form a cycle: a -> b -> a"},
      {"three-cycle behind a dependant",
       {Param("c", IntDistribution{}, {When("x", CompareOp::kEq, {I(1)})}), n,
        Param("x", IntDistribution{}, {When("y", CompareOp::kEq, {I(1)})}),
        Param("y", IntDistribution{}, {When("z", CompareOp::kEq, {I(1)})}),
        Param("z", IntDistribution{}, {When("x", CompareOp::kGe, {I(0)})})},
       {},
       "space.params[2] (x)",
       "conditions form a cycle: x -> y -> z -> x"},
      {"in with a value the parent lacks",
       {act, Param("w", IntDistribution{}, {When("act", CompareOp::kIn, {S("relu"), S("foo")})})},
       {},
       "space.params[1] (w).conditions[0]",
       "value 'foo' is not among the choices of parent 'act'"},
      {"== with a value the parent lacks",
       {act, Param("w", IntDistribution{}, {When("act", CompareOp::kEq, {I(1)})})},
       {},
       "space.params[1] (w).conditions[0]",
       "value '1' is not among the choices of parent 'act'"},
      {"in without values",
       {act, Param("w", IntDistribution{}, {When("act", CompareOp::kIn, {})})},
       {},
       "space.params[1] (w).conditions[0]",
       "op 'in' needs at least one value"},
      {"not_in without values",
       {act, Param("w", IntDistribution{}, {When("act", CompareOp::kNotIn, {})})},
       {},
       "space.params[1] (w).conditions[0]",
       "op 'not_in' needs at least one value"},
      {"== with two values",
       {n, Param("w", IntDistribution{}, {When("n", CompareOp::kEq, {I(1), I(2)})})},
       {},
       "space.params[1] (w).conditions[0]",
       "op '==' needs exactly one value, got 2"},
      {"< without values",
       {n, Param("w", IntDistribution{}, {When("n", CompareOp::kLt, {})})},
       {},
       "space.params[1] (w).conditions[0]",
       "op '<' needs exactly one value, got 0"},
      {"ordering on string choices",
       {act, Param("w", IntDistribution{}, {When("act", CompareOp::kLt, {S("relu")})})},
       {},
       "space.params[1] (w).conditions[0]",
       "op '<' needs a numeric parent, but 'act' is"},
      {"ordering on bool choices",
       {flag, Param("w", IntDistribution{}, {When("flag", CompareOp::kGe, {true})})},
       {},
       "space.params[1] (w).conditions[0]",
       "op '>=' needs a numeric parent, but 'flag' is"},
      {"string value for an int parent",
       {n, Param("w", IntDistribution{}, {When("n", CompareOp::kEq, {S("four")})})},
       {},
       "space.params[1] (w).conditions[0]",
       "value 'four' is not a number"},
      {"bool value in an ordering",
       {n, Param("w", IntDistribution{},
                 {When("n", CompareOp::kGe, {I(2)}), When("n", CompareOp::kGt, {true})})},
       {},
       "space.params[1] (w).conditions[1]",
       "value 'true' is not a number"},
      {"constraint on unknown lhs",
       {n},
       {Constraint{"ghost", CompareOp::kLt, "n", 0}},
       "space.constraints[0]",
       "unknown param 'ghost' (lhs)"},
      {"constraint on unknown rhs",
       {n},
       {Constraint{"n", CompareOp::kLt, "ghost", 0}},
       "space.constraints[0]",
       "unknown param 'ghost' (rhs)"},
      {"constraint with empty lhs",
       {n},
       {Constraint{"", CompareOp::kLt, "n", 0}},
       "space.constraints[0]",
       "lhs is empty"},
      {"constraint with op in",
       {n, act},
       {Constraint{"n", CompareOp::kLe, "", 4}, Constraint{"n", CompareOp::kIn, "", 4}},
       "space.constraints[1]",
       "op 'in' is not allowed in constraints"},
      {"constraint with op not_in",
       {n},
       {Constraint{"n", CompareOp::kNotIn, "", 4}},
       "space.constraints[0]",
       "op 'not_in' is not allowed in constraints"},
      {"constraint on non-numeric lhs",
       {n, act},
       {Constraint{"act", CompareOp::kLt, "n", 0}},
       "space.constraints[0]",
       "lhs 'act' is not numeric"},
      {"constraint on non-numeric rhs",
       {n, flag},
       {Constraint{"n", CompareOp::kLt, "flag", 0}},
       "space.constraints[0]",
       "rhs 'flag' is not numeric"},
      {"constraint with infinite offset",
       {n},
       {Constraint{"n", CompareOp::kLt, "", inf}},
       "space.constraints[0]",
       "offset must be finite"},
  };
  ASSERT_GE(cases.size(), 25u);
  for (const InvalidSpaceCase& c : cases) {
    SCOPED_TRACE(c.label);
    const absl::StatusOr<SearchSpace> space = SearchSpace::Create(c.params, c.constraints);
    ASSERT_FALSE(space.ok());
    EXPECT_EQ(space.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(space.status().message()), ::testing::StartsWith(c.field + ": "));
    EXPECT_THAT(std::string(space.status().message()), HasSubstr(c.problem));
  }
}

TEST(SearchSpace, StoresParentsFirstOtherwiseInDeclarationOrder) {
  const absl::StatusOr<SearchSpace> space = SearchSpace::Create({
      Param("w", IntDistribution{}, {When("n", CompareOp::kGe, {I(2)})}),
      Param("t", IntDistribution{}, {When("n", CompareOp::kGe, {I(3)})}),
      Param("n", IntDistribution{1, 4}),
      Param("x", FloatDistribution{}),
      Param("y", IntDistribution{}, {When("w", CompareOp::kEq, {I(1)})}),
  });
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_THAT(Names(*space), ElementsAre("n", "w", "t", "x", "y"));
  for (size_t i = 0; i < space->size(); ++i) {
    EXPECT_EQ(space->Find(space->params()[i].name), &space->params()[i]);
  }
  EXPECT_EQ(space->Find("missing"), nullptr);
  EXPECT_THAT(Names(QuantSpace()), ElementsAre("num_layers", "layer3.query.type",
                                               "layer3.query.width", "width", "frac_width"));
}

TEST(SearchSpace, NormalisesDistributions) {
  const absl::StatusOr<SearchSpace> space = SearchSpace::Create({
      Param("k", IntDistribution{0, 10, false, 4}),
      Param("p", Float(0.0, 1.0, false, 0.3)),
  });
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(std::get<IntDistribution>(space->Find("k")->distribution).high, 8);
  EXPECT_DOUBLE_EQ(std::get<FloatDistribution>(space->Find("p")->distribution).high, 0.9);
}

TEST(SearchSpace, IsActiveFollowsChainsOfConditions) {
  const SearchSpace space = QuantSpace();
  const ParamSpec& type = *space.Find("layer3.query.type");
  const ParamSpec& width = *space.Find("layer3.query.width");
  const ParamSpec& layers = *space.Find("num_layers");
  const double integer = 0.0;
  const double minifloat = 1.0;
  struct Case {
    std::string label;
    InternalParams partial;
    bool type_active;
    bool width_active;
  };
  const std::vector<Case> cases = {
      {"nothing assigned", {}, false, false},
      {"3 layers", {{"num_layers", 3}}, false, false},
      {"4 layers, type not yet drawn", {{"num_layers", 4}}, true, false},
      {"4 layers, integer", {{"num_layers", 4}, {"layer3.query.type", integer}}, true, true},
      {"6 layers, integer", {{"num_layers", 6}, {"layer3.query.type", integer}}, true, true},
      {"4 layers, minifloat", {{"num_layers", 4}, {"layer3.query.type", minifloat}}, true, false},
      {"3 layers, stale integer",
       {{"num_layers", 3}, {"layer3.query.type", integer}},
       false,
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_TRUE(space.IsActive(layers, c.partial));
    EXPECT_EQ(space.IsActive(type, c.partial), c.type_active);
    EXPECT_EQ(space.IsActive(width, c.partial), c.width_active);
  }
}

TEST(SearchSpace, ConditionsCompareExternalValues) {
  const absl::StatusOr<SearchSpace> space = SearchSpace::Create({
      Param("bits", Choices({I(4), I(8), 16.0})),
      Param("act", Choices({S("relu"), S("gelu"), S("silu")})),
      Param("lr", Float(0.0, 1.0)),
      Param("wide", IntDistribution{}, {When("bits", CompareOp::kGt, {I(4)})}),
      Param("exact16", IntDistribution{}, {When("bits", CompareOp::kEq, {I(16)})}),
      Param("not_relu", IntDistribution{}, {When("act", CompareOp::kNe, {S("relu")})}),
      Param("rare_act", IntDistribution{},
            {When("act", CompareOp::kNotIn, {S("relu"), S("gelu")})}),
      Param("half", IntDistribution{}, {When("lr", CompareOp::kLe, {0.5})}),
  });
  ASSERT_TRUE(space.ok()) << space.status();
  const auto active = [&](const std::string& name, const InternalParams& partial) {
    return space->IsActive(*space->Find(name), partial);
  };
  // Categorical internal values are indices; comparisons use the chosen choice.
  EXPECT_FALSE(active("wide", {{"bits", 0}}));    // 4
  EXPECT_TRUE(active("wide", {{"bits", 1}}));     // 8
  EXPECT_TRUE(active("exact16", {{"bits", 2}}));  // 16.0 == 16
  EXPECT_FALSE(active("exact16", {{"bits", 1}}));
  EXPECT_FALSE(active("not_relu", {{"act", 0}}));
  EXPECT_TRUE(active("not_relu", {{"act", 2}}));
  EXPECT_TRUE(active("rare_act", {{"act", 2}}));
  EXPECT_FALSE(active("rare_act", {{"act", 1}}));
  EXPECT_TRUE(active("half", {{"lr", 0.5}}));
  EXPECT_FALSE(active("half", {{"lr", 0.75}}));
}

TEST(SearchSpace, ConstraintsHoldVacuouslyWithAMissingSide) {
  const absl::StatusOr<SearchSpace> space = SearchSpace::Create(
      {Param("width", Choices({I(4), I(8), I(16)})), Param("frac", IntDistribution{0, 16}),
       Param("total", IntDistribution{0, 64})},
      {Constraint{"frac", CompareOp::kLt, "width", 0.0},
       Constraint{"total", CompareOp::kLe, "width", 2.0},
       Constraint{"frac", CompareOp::kNe, "", 5.0}});
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_TRUE(space->SatisfiesConstraints({}));
  EXPECT_TRUE(space->SatisfiesConstraints({{"frac", 12}}));                // width absent
  EXPECT_TRUE(space->SatisfiesConstraints({{"width", 1}, {"frac", 7}}));   // 7 < 8
  EXPECT_FALSE(space->SatisfiesConstraints({{"width", 1}, {"frac", 8}}));  // 8 < 8 fails
  EXPECT_TRUE(space->SatisfiesConstraints({{"width", 0}, {"total", 6}}));  // 6 <= 4 + 2
  EXPECT_FALSE(space->SatisfiesConstraints({{"width", 0}, {"total", 7}}));
  EXPECT_FALSE(space->SatisfiesConstraints({{"frac", 5}}));  // frac != 5 against a constant
}

TEST(SearchSpace, CheckAssignmentAcceptsCompleteConsistentAssignments) {
  const SearchSpace space = QuantSpace();
  EXPECT_TRUE(space
                  .CheckAssignment({{"num_layers", 4},
                                    {"layer3.query.type", 0},
                                    {"layer3.query.width", 6},
                                    {"width", 1},
                                    {"frac_width", 7}})
                  .ok());
  EXPECT_TRUE(space.CheckAssignment({{"num_layers", 2}, {"width", 0}, {"frac_width", 3}}).ok());
  EXPECT_TRUE(
      space
          .CheckAssignment(
              {{"num_layers", 5}, {"layer3.query.type", 1}, {"width", 2}, {"frac_width", 15}})
          .ok());
}

TEST(SearchSpace, CheckAssignmentNamesTheFirstOffendingParam) {
  const SearchSpace space = QuantSpace();
  struct Case {
    std::string label;
    InternalParams params;
    std::string field;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"missing active param",
       {{"num_layers", 4}, {"layer3.query.type", 0}, {"width", 1}, {"frac_width", 2}},
       "param 'layer3.query.width'",
       "active but missing"},
      {"missing unconditional param",
       {{"num_layers", 2}, {"width", 1}},
       "param 'frac_width'",
       "active but missing"},
      {"extra inactive param",
       {{"num_layers", 3}, {"layer3.query.type", 0}, {"width", 1}, {"frac_width", 2}},
       "param 'layer3.query.type'",
       "present but inactive (condition 'num_layers >= 4'"},
      {"extra param under an inactive parent",
       {{"num_layers", 4},
        {"layer3.query.type", 1},
        {"layer3.query.width", 4},
        {"width", 1},
        {"frac_width", 2}},
       "param 'layer3.query.width'",
       "condition 'layer3.query.type in [integer]' does not hold"},
      {"out of range",
       {{"num_layers", 7}, {"width", 1}, {"frac_width", 2}},
       "param 'num_layers'",
       "internal value 7 is not contained in int [1, 6]"},
      {"bad categorical index",
       {{"num_layers", 2}, {"width", 3}, {"frac_width", 2}},
       "param 'width'",
       "not contained in categorical [4, 8, 16]"},
      {"fractional int",
       {{"num_layers", 2}, {"width", 1}, {"frac_width", 2.5}},
       "param 'frac_width'",
       "not contained"},
      {"violated constraint",
       {{"num_layers", 2}, {"width", 0}, {"frac_width", 4}},
       "param 'frac_width'",
       "violates space.constraints[0] (frac_width < width): frac_width=4, width=4"},
      {"unknown param",
       {{"num_layers", 2}, {"width", 0}, {"frac_width", 1}, {"ghost", 1}},
       "param 'ghost'",
       "not in the search space"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    const absl::Status status = space.CheckAssignment(c.params);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), ::testing::StartsWith(c.field + ": "));
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.problem));
  }
}

}  // namespace
}  // namespace nasq

namespace nasq {
namespace {

// `n` distinct string choices "choice-0" ... "choice-<n-1>".
std::vector<ParamValue> ManyChoices(size_t n) {
  std::vector<ParamValue> choices;
  choices.reserve(n);
  for (size_t i = 0; i < n; ++i) choices.push_back("choice-" + std::to_string(i));
  return choices;
}

TEST(SearchSpace, CreateEnforcesTheDocumentedLimits) {
  std::vector<ParamSpec> too_many_params;
  for (int i = 0; i <= 10'000; ++i) too_many_params.push_back(Param("p" + std::to_string(i), {}));
  std::vector<Constraint> too_many_constraints(10'001, Constraint{"a", CompareOp::kLt, "", 1.0});
  std::vector<Condition> too_many_conditions(101, When("n", CompareOp::kGe, {I(1)}));
  struct Case {
    std::string label;
    std::vector<ParamSpec> params;
    std::vector<Constraint> constraints;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"too many params", too_many_params, {}, "space.params: at most 10000 params (got 10001)"},
      {"too many constraints",
       {Param("a", IntDistribution{})},
       too_many_constraints,
       "space.constraints: at most 10000 constraints (got 10001)"},
      // Issue 12 finding 4: a 50,000-character name is refused without being quoted back.
      {"50,000-character name",
       {Param("n", IntDistribution{}), Param(std::string(50'000, 'x'), IntDistribution{5, 1})},
       {},
       "space.params[1] name: must be at most 256 bytes (got 50000)"},
      {"name not UTF-8",
       {Param("w\xff", IntDistribution{})},
       {},
       "space.params[0] name: must be valid UTF-8"},
      {"too many choices",
       {Param("c", Choices(ManyChoices(100'001)))},
       {},
       "space.params[0] (c).choices: at most 100000 choices (got 100001)"},
      {"long choice",
       {Param("c", Choices({S("a"), std::string(1025, 'b')}))},
       {},
       "space.params[0] (c).choices[1]: must be at most 1024 bytes (got 1025)"},
      {"choice not UTF-8",
       {Param("c", Choices({S("\xe0\x80\xaf")}))},
       {},
       "space.params[0] (c).choices[0]: must be valid UTF-8"},
      {"too many conditions",
       {Param("n", IntDistribution{1, 4}), Param("w", IntDistribution{}, too_many_conditions)},
       {},
       "space.params[1] (w).conditions: at most 100 conditions (got 101)"},
      {"too many condition values",
       {Param("c", Choices(ManyChoices(3))),
        Param("w", IntDistribution{}, {When("c", CompareOp::kIn, ManyChoices(100'001))})},
       {},
       "space.params[1] (w).conditions[0]: at most 100000 values (got 100001)"},
      {"condition value not UTF-8",
       {Param("c", Choices({S("a")})),
        Param("w", IntDistribution{}, {When("c", CompareOp::kEq, {S("\xc3")})})},
       {},
       "space.params[1] (w).conditions[0].values[0]: must be valid UTF-8"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    const absl::StatusOr<SearchSpace> space = SearchSpace::Create(c.params, c.constraints);
    ASSERT_EQ(space.status().code(), absl::StatusCode::kInvalidArgument) << space.status();
    EXPECT_EQ(space.status().message(), c.message);
  }
}

// Issue 12 finding 10: duplicate choices were found by comparing every pair (40,000 choices cost
// 21 s of server CPU), condition values were looked up by a scan of the parent's choices, and
// the topological order rescanned every param for each one placed. All three are now linear (or
// n log n); the bound is generous (the quadratic versions take many seconds here).
TEST(SearchSpace, LargeSpacesValidateInLinearTime) {
  constexpr size_t kChoices = 40'000;
  constexpr int kChain = 9'998;  // with big and child: the 10,000 params allowed
  std::vector<ParamSpec> params = {
      Param("big", Choices(ManyChoices(kChoices))),
      Param("child", IntDistribution{}, {When("big", CompareOp::kIn, ManyChoices(kChoices))})};
  // A chain declared child first: p0 depends on p1, p1 on p2, ..., the worst case of a rescan.
  for (int i = 0; i < kChain; ++i) {
    std::vector<Condition> conditions;
    if (i + 1 < kChain) {
      conditions.push_back(When("p" + std::to_string(i + 1), CompareOp::kGe, {I(0)}));
    }
    params.push_back(Param("p" + std::to_string(i), IntDistribution{0, 1}, std::move(conditions)));
  }
  const auto start = std::chrono::steady_clock::now();
  const absl::StatusOr<SearchSpace> space = SearchSpace::Create(params);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ(space->params().back().name, "p0");
  EXPECT_LT(seconds, 2.0);

  // A duplicate at the end of a long list is still found, naming both positions.
  std::vector<ParamValue> choices = ManyChoices(kChoices);
  choices.push_back(ParamValue(std::string("choice-7")));
  const absl::StatusOr<SearchSpace> duplicate = SearchSpace::Create({Param("c", Choices(choices))});
  EXPECT_THAT(std::string(duplicate.status().message()),
              HasSubstr("duplicate choice 'choice-7' (choices[7] and choices[40000])"));
}

TEST(ParamValueHash, AgreesWithParamValueEquals) {
  const std::vector<std::pair<ParamValue, ParamValue>> equal = {
      {I(16), 16.0},
      {0.0, -0.0},
      {std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::quiet_NaN()},
      {S("a"), S("a")},
      {true, true}};
  for (const auto& [a, b] : equal) {
    ASSERT_TRUE(ParamValueEquals(a, b));
    EXPECT_EQ(ParamValueHash()(a), ParamValueHash()(b)) << ParamValueToString(a);
  }
  const ChoiceIndex index = IndexChoices({I(1), S("1"), true, 2.5});
  EXPECT_EQ(index.at(1.0), 0u);
  EXPECT_EQ(index.at(S("1")), 1u);
  EXPECT_EQ(index.at(true), 2u);
  EXPECT_FALSE(index.contains(I(2)));
}

}  // namespace
}  // namespace nasq
