// PED-ANOVA parameter importance: a param that decides the objective ranks first, whatever its
// kind; too few trials; option errors; the objective's direction. Agreement with Optuna's own
// numbers is tests/python/test_param_importance.py's.
#include "analysis/param_importance.h"

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

// x: float [0, 1]; lr: float [1e-5, 0.1] log; n: int [1, 64]; c: categorical [a, b, c].
StudySpec NoiseSpec(std::vector<StudyDirection> directions = {StudyDirection::kMinimize}) {
  StudySpec spec;
  spec.name = "importance";
  spec.directions = std::move(directions);
  spec.space = *SearchSpace::Create({
      {"x", FloatDistribution{0.0, 1.0, false, std::nullopt}, {}},
      {"lr", FloatDistribution{1e-5, 0.1, true, std::nullopt}, {}},
      {"n", IntDistribution{1, 64, false, 1}, {}},
      {"c", CategoricalDistribution{{std::string("a"), std::string("b"), std::string("c")}}, {}},
  });
  return spec;
}

using Objective = std::function<std::vector<double>(const InternalParams&)>;

// `n` COMPLETE trials with params drawn uniformly (log-uniformly for lr) from NoiseSpec's space.
std::vector<Trial> RandomTrials(const StudySpec& spec, int n, const Objective& objective) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  TrialDistributions::Map dists;
  for (const ParamSpec& p : spec.space.params()) dists.emplace(p.name, p.distribution);
  const TrialDistributions shared(dists);
  std::vector<Trial> trials;
  for (int i = 0; i < n; ++i) {
    Trial t;
    t.number = i;
    t.id = i;
    t.state = TrialState::kComplete;
    t.params = {{"x", unit(rng)},
                {"lr", std::exp(std::log(1e-5) + unit(rng) * (std::log(0.1) - std::log(1e-5)))},
                {"n", std::floor(1 + unit(rng) * 64)},
                {"c", std::floor(unit(rng) * 3)}};
    t.distributions = shared;
    t.values = objective(t.params);
    trials.push_back(std::move(t));
  }
  return trials;
}

double ImportanceOf(const std::vector<ParamImportance>& list, const std::string& param) {
  for (const ParamImportance& p : list) {
    if (p.param == param) return p.importance;
  }
  ADD_FAILURE() << param << " missing";
  return std::numeric_limits<double>::quiet_NaN();
}

struct SignalCase {
  std::string param;
  std::function<double(const InternalParams&)> value;
};

TEST(ParamImportance, TheParamThatDecidesTheObjectiveRanksFirstByAWideMargin) {
  const SignalCase cases[] = {
      {"x", [](const InternalParams& p) { return std::pow(p.at("x") - 0.3, 2); }},
      {"lr", [](const InternalParams& p) { return std::pow(std::log10(p.at("lr")) + 3, 2); }},
      {"n", [](const InternalParams& p) { return std::abs(p.at("n") - 40); }},
      {"c", [](const InternalParams& p) { return p.at("c") == 1 ? 0.0 : 1.0; }},
  };
  const StudySpec spec = NoiseSpec();
  for (const SignalCase& signal : cases) {
    const std::vector<Trial> trials = RandomTrials(
        spec, 200, [&](const InternalParams& p) { return std::vector<double>{signal.value(p)}; });
    absl::StatusOr<std::vector<ParamImportance>> result = ComputeParamImportances(spec, trials);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->size(), 4u) << signal.param;
    EXPECT_EQ(result->front().param, signal.param);
    for (size_t i = 1; i < result->size(); ++i) {
      EXPECT_GE((*result)[i].importance, 0.0);
      EXPECT_GT(result->front().importance, 5 * (*result)[i].importance)
          << signal.param << " vs " << (*result)[i].param;
      EXPECT_LE((*result)[i].importance, (*result)[i - 1].importance);  // most important first
    }
  }
}

TEST(ParamImportance, FewerThanTwoCompleteTrialsGiveAnEmptyList) {
  const StudySpec spec = NoiseSpec();
  std::vector<Trial> trials =
      RandomTrials(spec, 5, [](const InternalParams& p) { return std::vector<double>{p.at("x")}; });
  EXPECT_TRUE(ComputeParamImportances(spec, {})->empty());
  trials[1].state = TrialState::kPruned;
  trials[2].state = TrialState::kFail;
  trials[3].state = TrialState::kRunning;
  trials[4].values = {std::numeric_limits<double>::infinity()};  // not a finite objective
  EXPECT_TRUE(ComputeParamImportances(spec, trials)->empty());
  trials[1].state = TrialState::kComplete;
  EXPECT_EQ(ComputeParamImportances(spec, trials)->size(), 4u);
}

TEST(ParamImportance, BadOptionsAreRefusedNamingTheOption) {
  const StudySpec spec = NoiseSpec();
  const std::vector<Trial> trials = RandomTrials(
      spec, 20, [](const InternalParams& p) { return std::vector<double>{p.at("x")}; });
  const std::pair<ImportanceOptions, std::string> bad[] = {
      {{.objective = 1}, "objective"},
      {{.objective = -1}, "objective"},
      {{.target_quantile = 0}, "target_quantile"},
      {{.target_quantile = 0.5, .region_quantile = 0.5}, "target_quantile"},
      {{.target_quantile = std::nan("")}, "target_quantile"},
      {{.region_quantile = 1.5}, "region_quantile"},
      {{.region_quantile = 0}, "region_quantile"},
  };
  for (const auto& [options, name] : bad) {
    const absl::Status status = ComputeParamImportances(spec, trials, options).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(status.message(), HasSubstr(name + ":"));
  }
  EXPECT_TRUE(
      ComputeParamImportances(spec, trials, {.target_quantile = 0.2, .region_quantile = 0.5}).ok());
}

TEST(ParamImportance, TheDirectionDecidesWhichTrialsAreTheTop) {
  // f: x (in [0, 1]) when c is "a", else 2 + n / 64 (in [2, 3]). The least values need c = "a"
  // and a small x, the greatest another c and a large n.
  auto f = [](const InternalParams& p) { return p.at("c") == 0 ? p.at("x") : 2 + p.at("n") / 64; };
  const StudySpec minimize = NoiseSpec({StudyDirection::kMinimize});
  const StudySpec maximize = NoiseSpec({StudyDirection::kMaximize});
  const std::vector<Trial> trials = RandomTrials(
      minimize, 200, [&](const InternalParams& p) { return std::vector<double>{f(p)}; });
  const std::vector<Trial> negated = RandomTrials(
      minimize, 200, [&](const InternalParams& p) { return std::vector<double>{-f(p)}; });
  const std::vector<ParamImportance> least = *ComputeParamImportances(minimize, trials);
  const std::vector<ParamImportance> greatest = *ComputeParamImportances(maximize, trials);
  EXPECT_GT(ImportanceOf(least, "x"), 3 * ImportanceOf(least, "n"));
  EXPECT_GT(ImportanceOf(greatest, "n"), 3 * ImportanceOf(greatest, "x"));
  // Maximising f is minimising -f.
  const std::vector<ParamImportance> a = *ComputeParamImportances(maximize, trials);
  const std::vector<ParamImportance> b = *ComputeParamImportances(minimize, negated);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].param, b[i].param);
    EXPECT_EQ(a[i].importance, b[i].importance);
  }
}

TEST(ParamImportance, OptionObjectivePicksTheObjectiveOfAMultiObjectiveStudy) {
  const StudySpec spec = NoiseSpec({StudyDirection::kMinimize, StudyDirection::kMinimize});
  const std::vector<Trial> trials = RandomTrials(spec, 200, [](const InternalParams& p) {
    return std::vector<double>{std::abs(p.at("x") - 0.5), std::abs(p.at("n") - 10)};
  });
  EXPECT_EQ(ComputeParamImportances(spec, trials, {.objective = 0})->front().param, "x");
  EXPECT_EQ(ComputeParamImportances(spec, trials, {.objective = 1})->front().param, "n");
}

// A trial without the param (conditional spaces) is left out of that param's densities.
TEST(ParamImportance, TrialsWithoutTheParamAreLeftOutOfIt) {
  const StudySpec spec = NoiseSpec();
  std::vector<Trial> trials = RandomTrials(
      spec, 200, [](const InternalParams& p) { return std::vector<double>{p.at("x")}; });
  const double before = ImportanceOf(*ComputeParamImportances(spec, trials), "x");
  for (size_t i = 0; i < trials.size(); i += 2) {
    trials[i].params.erase("c");
    trials[i].distributions.erase("c");
  }
  const std::vector<ParamImportance> after = *ComputeParamImportances(spec, trials);
  EXPECT_EQ(ImportanceOf(after, "x"), before);
  EXPECT_GE(ImportanceOf(after, "c"), 0.0);
}

}  // namespace
}  // namespace nasq
