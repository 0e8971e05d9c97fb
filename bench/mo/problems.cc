// bench/mo/problems.cc: see problems.h; formulas in README.md, twin of problems.py.
#include "bench/mo/problems.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/common/study_loop.h"
#include "core/pareto.h"

namespace nasq::bench {
namespace {

constexpr int kZdtDimensions = 10;  // the standard ZDT1/ZDT2 have 30 (README.md)
constexpr int kDtlz2Objectives = 3;
constexpr int kDtlz2K = 5;  // distance variables (standard: 10)

// mixed_precision: one format per layer.
struct Format {
  const char* name;
  double bits;
  double error;  // quantisation error, scaled by the layer's sensitivity
};
constexpr Format kFormats[] = {{"fp32", 32, 0.0}, {"fp16", 16, 0.0005}, {"int8", 8, 0.004},
                               {"fp8", 8, 0.003}, {"int4", 4, 0.03},    {"fp4", 4, 0.025},
                               {"int2", 2, 0.15}};
constexpr double kLayerWeights[] = {0.5, 2.0, 2.0, 4.0, 4.0, 2.0, 2.0, 0.5};  // millions
constexpr double kSensitivity[] = {1.0, 0.5, 0.4, 0.3, 0.3, 0.4, 0.5, 1.2};
constexpr int kLayers = std::size(kLayerWeights);
constexpr double kBaseAccuracy = 0.90;
constexpr double kLowBits = 4;  // two adjacent layers of at most kLowBits bits cost the penalty
constexpr double kAdjacentLowPenalty = 0.02;

std::vector<double> Coordinates(const ExternalParams& params, int n) {
  std::vector<double> x;
  for (int i = 0; i < n; ++i) x.push_back(std::get<double>(params.at(absl::StrCat("x", i))));
  return x;
}

std::vector<ParamSpec> UnitFloats(int n) {
  std::vector<ParamSpec> params;
  for (int i = 0; i < n; ++i) params.push_back({absl::StrCat("x", i), FloatDistribution{0, 1}, {}});
  return params;
}

double ZdtG(const std::vector<double>& x) {
  double sum = 0.0;
  for (size_t i = 1; i < x.size(); ++i) sum += x[i];
  return 1.0 + 9.0 * sum / static_cast<double>(x.size() - 1);
}

std::vector<double> Zdt1(const ExternalParams& params) {
  const std::vector<double> x = Coordinates(params, kZdtDimensions);
  const double g = ZdtG(x);
  return {x[0], g * (1.0 - std::sqrt(x[0] / g))};
}

std::vector<double> Zdt2(const ExternalParams& params) {
  const std::vector<double> x = Coordinates(params, kZdtDimensions);
  const double g = ZdtG(x);
  return {x[0], g * (1.0 - std::pow(x[0] / g, 2))};
}

std::vector<double> Dtlz2(const ExternalParams& params) {
  constexpr int m = kDtlz2Objectives;
  const std::vector<double> x = Coordinates(params, m - 1 + kDtlz2K);
  double g = 0.0;
  for (size_t i = m - 1; i < x.size(); ++i) g += std::pow(x[i] - 0.5, 2);
  std::vector<double> values;
  for (int i = 0; i < m; ++i) {  // (1 + g) prod_{j < m-1-i} cos(x_j pi/2) * sin(x_{m-1-i} pi/2)
    double f = 1.0 + g;
    for (int j = 0; j < m - 1 - i; ++j) f *= std::cos(x[j] * std::numbers::pi / 2.0);
    if (i > 0) f *= std::sin(x[m - 1 - i] * std::numbers::pi / 2.0);
    values.push_back(f);
  }
  return values;
}

std::string LayerParam(int layer) { return absl::StrCat("layer", layer, ".format"); }

const Format& FormatNamed(const std::string& name) {
  return *std::find_if(std::begin(kFormats), std::end(kFormats),
                       [&](const Format& f) { return name == f.name; });
}

std::vector<double> MixedPrecision(const ExternalParams& params) {
  double accuracy = kBaseAccuracy, weighted_bits = 0.0, weights = 0.0, previous_bits = 0.0;
  for (int l = 0; l < kLayers; ++l) {
    const Format& format = FormatNamed(std::get<std::string>(params.at(LayerParam(l))));
    accuracy -= kSensitivity[l] * format.error;
    if (l > 0 && format.bits <= kLowBits && previous_bits <= kLowBits) {
      accuracy -= kAdjacentLowPenalty;
    }
    weighted_bits += kLayerWeights[l] * format.bits;
    weights += kLayerWeights[l];
    previous_bits = format.bits;
  }
  return {accuracy, weighted_bits / weights};
}

std::vector<ParamSpec> FormatParams() {
  std::vector<ParamValue> names;
  for (const Format& f : kFormats) names.push_back(std::string(f.name));
  std::vector<ParamSpec> params;
  for (int l = 0; l < kLayers; ++l) {
    params.push_back({LayerParam(l), CategoricalDistribution{names}, {}});
  }
  return params;
}

MoProblem MakeProblem(std::string name, std::vector<StudyDirection> directions,
                      std::vector<ParamSpec> params,
                      std::function<std::vector<double>(const ExternalParams&)> objective,
                      std::vector<double> reference) {
  // The spaces above are valid by construction (well-formed distributions, no conditions).
  SearchSpace space = SearchSpace::Create(std::move(params)).value();
  return MoProblem{std::move(name), std::move(directions), std::move(space), std::move(objective),
                   std::move(reference)};
}

}  // namespace

std::vector<double> MoProblem::Evaluate(const InternalParams& internal) const {
  return objective(ToExternalParams(space, internal));
}

absl::StatusOr<double> MoProblem::HypervolumeOfFirst(const std::vector<std::vector<double>>& values,
                                                     size_t count) const {
  std::vector<std::vector<double>> losses;
  for (size_t i = 0; i < std::min(count, values.size()); ++i) {
    losses.push_back(LossVector(values[i], directions));
  }
  return Hypervolume(losses, reference);
}

std::vector<std::string> MoProblemNames() { return {"zdt1", "zdt2", "dtlz2", "mixed_precision"}; }

absl::StatusOr<MoProblem> MakeMoProblem(const std::string& name) {
  constexpr StudyDirection kMin = StudyDirection::kMinimize;
  if (name == "zdt1")
    return MakeProblem(name, {kMin, kMin}, UnitFloats(kZdtDimensions), Zdt1, {1.1, 11});
  if (name == "zdt2")
    return MakeProblem(name, {kMin, kMin}, UnitFloats(kZdtDimensions), Zdt2, {1.1, 11});
  if (name == "dtlz2") {
    return MakeProblem(name, std::vector<StudyDirection>(kDtlz2Objectives, kMin),
                       UnitFloats(kDtlz2Objectives - 1 + kDtlz2K), Dtlz2,
                       std::vector<double>(kDtlz2Objectives, 2.5));
  }
  if (name == "mixed_precision") {
    // Loss space: accuracy is negated, so the reference accuracy 0 is the coordinate 0.
    return MakeProblem(name, {StudyDirection::kMaximize, kMin}, FormatParams(), MixedPrecision,
                       {0.0, 35.2});
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown problem '", name, "' (known: ", absl::StrJoin(MoProblemNames(), ", "), ")"));
}

}  // namespace nasq::bench
