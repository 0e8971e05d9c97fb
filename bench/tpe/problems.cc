// bench/tpe/problems.cc: see problems.h; formulas in README.md, twin of problems.py.
#include "bench/tpe/problems.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/common/study_loop.h"

namespace nasq::bench {
namespace {

constexpr int kDimensions = 5;

const std::vector<int64_t> kNumLayers = {2, 4, 8};
const std::vector<int64_t> kNumHeads = {2, 4, 8, 16};
const std::vector<int64_t> kHiddenSize = {128, 192, 256, 384, 512};
const std::vector<int64_t> kIntermediateSize = {512, 768, 1024, 1536, 2048};
const std::vector<std::string> kExtraBlockKinds = {"identity", "attention_only", "ffn_only",
                                                   "full"};
constexpr int kNumExtraBlocks = 3;
// Gains aligned with the choice lists above.
const std::vector<double> kLayerGain = {0.0, 0.02, 0.03};
const std::vector<double> kHeadGain = {0.0, 0.01, 0.015, 0.012};
const std::vector<double> kExtraBlockGain = {0.0, 0.006, 0.004, 0.012};
constexpr double kCostBudget = 4.0 * (4.0 * 256 * 256 + 2.0 * 256 * 1024);

// nas_conditional: per-layer format and width of a network of 1..6 layers.
const std::vector<int64_t> kDepths = {1, 2, 3, 4, 5, 6};
const std::vector<std::string> kFormats = {"int", "minifloat", "log"};
const std::vector<int64_t> kLayerWidths = {2, 4, 8};
const std::vector<double> kDepthGain = {0.0, 0.05, 0.085, 0.112, 0.12, 0.125};  // by depth
const std::vector<double> kSensitivity = {1.0, 0.8, 0.6, 0.3, 0.25, 0.2};       // by layer
// Quantisation error by format (kFormats) and width (kLayerWidths).
const std::vector<std::vector<double>> kQuantError = {
    {0.20, 0.04, 0.008}, {0.30, 0.03, 0.004}, {0.12, 0.05, 0.025}};
constexpr double kBitCost = 0.0025;

const std::vector<std::string> kQuantTypes = {"linear",           "integer",  "minifloat_ieee",
                                              "minifloat_denorm", "block_fp", "log"};
const std::vector<int64_t> kWidths = {4, 8, 12, 16, 24, 32};
const std::vector<int64_t> kFracWidths = {2, 3, 4, 6, 8};
const std::vector<std::string> kEncoderLinears = {"attention.self.query", "attention.self.key",
                                                  "attention.self.value", "attention.output.dense",
                                                  "intermediate.dense",   "output.dense"};

double Number(const ExternalParams& params, const std::string& name) {
  return *ParamValueAsNumber(params.at(name));
}

template <class T>
size_t IndexOf(const std::vector<T>& choices, const T& value) {
  return static_cast<size_t>(std::find(choices.begin(), choices.end(), value) - choices.begin());
}

size_t NumberIndex(const std::vector<int64_t>& choices, const ExternalParams& params,
                   const std::string& name) {
  return IndexOf(choices, static_cast<int64_t>(Number(params, name)));
}

size_t TextIndex(const std::vector<std::string>& choices, const ExternalParams& params,
                 const std::string& name) {
  return IndexOf(choices, std::get<std::string>(params.at(name)));
}

template <class T>
CategoricalDistribution Categorical(const std::vector<T>& choices) {
  return CategoricalDistribution{std::vector<ParamValue>(choices.begin(), choices.end())};
}

std::vector<double> Coordinates(const ExternalParams& params) {
  std::vector<double> x;
  for (int i = 0; i < kDimensions; ++i) x.push_back(Number(params, absl::StrCat("x", i)));
  return x;
}

std::vector<ParamSpec> FloatParams(double low, double high) {
  std::vector<ParamSpec> params;
  for (int i = 0; i < kDimensions; ++i) {
    params.push_back({absl::StrCat("x", i), FloatDistribution{low, high}, {}});
  }
  return params;
}

double Sphere(const ExternalParams& params) {
  double sum = 0.0;
  for (double x : Coordinates(params)) sum += x * x;
  return sum;
}

double Rosenbrock(const ExternalParams& params) {
  const std::vector<double> x = Coordinates(params);
  double sum = 0.0;
  for (int i = 0; i + 1 < kDimensions; ++i) {
    sum += 100.0 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1.0 - x[i], 2);
  }
  return sum;
}

double StyblinskiTang(const ExternalParams& params) {
  double sum = 0.0;
  for (double x : Coordinates(params)) sum += std::pow(x, 4) - 16.0 * x * x + 5.0 * x;
  return 0.5 * sum;
}

std::string ExtraBlockName(int b) { return absl::StrCat("extra_block_", b); }

// Relative parameter count of a block of kind kExtraBlockKinds[kind].
double BlockCost(size_t kind, double d, double i) {
  const double attention = 4.0 * d * d, ffn = 2.0 * d * i;
  const double costs[] = {0.0, attention, ffn, attention + ffn};
  return costs[kind];
}

double NasTable(const ExternalParams& params) {
  const double layers = Number(params, "num_layers"), heads = Number(params, "num_heads");
  const double d = Number(params, "hidden_size"), i = Number(params, "intermediate_size");
  double acc = 0.78 + kLayerGain[NumberIndex(kNumLayers, params, "num_layers")] +
               kHeadGain[NumberIndex(kNumHeads, params, "num_heads")];
  acc += 0.015 * std::log2(d / 128.0) + 0.005 * std::log2(i / 512.0);
  acc -= 0.010 * std::pow(std::log2(i / (4.0 * d)), 2);
  acc -= 0.008 * std::pow(std::log2(d / (64.0 * heads)), 2);
  double extra_gain = 0.0, extra_cost = 0.0;
  for (int b = 0; b < kNumExtraBlocks; ++b) {
    const size_t kind = TextIndex(kExtraBlockKinds, params, ExtraBlockName(b));
    extra_gain += kExtraBlockGain[kind];
    extra_cost += BlockCost(kind, d, i);
  }
  acc += extra_gain;
  const double cost = layers * BlockCost(kExtraBlockKinds.size() - 1, d, i) + extra_cost;
  acc -= 0.05 * std::max(0.0, std::log2(cost / kCostBudget));
  return acc;
}

std::string LayerParam(int layer, absl::string_view what) {
  return absl::StrCat("layer", layer, ".", what);
}

double NasConditional(const ExternalParams& params) {
  const int depth = static_cast<int>(Number(params, "num_layers"));
  double acc = 0.70 + kDepthGain[depth - 1];
  for (int l = 0; l < depth; ++l) {
    const size_t format = TextIndex(kFormats, params, LayerParam(l, "format"));
    const size_t width = NumberIndex(kLayerWidths, params, LayerParam(l, "width"));
    acc -= kSensitivity[l] * kQuantError[format][width] +
           kBitCost * static_cast<double>(kLayerWidths[width]);
  }
  return acc;
}

// num_layers, then layer<l>.format and layer<l>.width, active when num_layers > l.
std::vector<ParamSpec> NasConditionalParams() {
  std::vector<ParamSpec> params = {{"num_layers", Categorical(kDepths), {}}};
  for (int l = 0; l < static_cast<int>(kDepths.back()); ++l) {
    const std::vector<Condition> deeper = {
        Condition{"num_layers", CompareOp::kGt, {static_cast<int64_t>(l)}}};
    params.push_back({LayerParam(l, "format"), Categorical(kFormats), deeper});
    params.push_back({LayerParam(l, "width"), Categorical(kLayerWidths), deeper});
  }
  return params;
}

// Calls `visit` with every complete assignment (internal values) of a finite space, depth-first
// in the space's order; inactive params are absent.
void ForEachAssignment(const SearchSpace& space, size_t next, InternalParams& point,
                       const std::function<void(const InternalParams&)>& visit) {
  if (next == space.size()) {
    visit(point);
    return;
  }
  const ParamSpec& param = space.params()[next];
  if (!space.IsActive(param, point)) {
    ForEachAssignment(space, next + 1, point, visit);
    return;
  }
  for (int64_t i = 0; i < *DiscreteSize(param.distribution); ++i) {
    point[param.name] = static_cast<double>(i);
    ForEachAssignment(space, next + 1, point, visit);
  }
  point.erase(param.name);
}

// The four architecture categoricals shared by nas_table and the speed space.
std::vector<ParamSpec> ArchitectureParams() {
  return {{"num_layers", Categorical(kNumLayers), {}},
          {"num_heads", Categorical(kNumHeads), {}},
          {"hidden_size", Categorical(kHiddenSize), {}},
          {"intermediate_size", Categorical(kIntermediateSize), {}}};
}

std::vector<std::string> QuantisedLayers() {
  std::vector<std::string> layers;
  for (int l = 0; l < 2; ++l) {
    for (const std::string& linear : kEncoderLinears) {
      layers.push_back(absl::StrCat("bert.encoder.layer.", l, ".", linear));
    }
  }
  layers.push_back("bert.pooler.dense");
  layers.push_back("classifier");
  return layers;
}

double SpeedObjective(const ExternalParams& params) {
  double value = 0.01 * static_cast<double>(NumberIndex(kNumLayers, params, "num_layers"));
  value += 0.01 * static_cast<double>(NumberIndex(kHiddenSize, params, "hidden_size"));
  for (const std::string& layer : QuantisedLayers()) {
    const double width = Number(params, layer + ".width");
    value += 0.004 * std::log2(width);
    value -= 0.002 * static_cast<double>(TextIndex(kQuantTypes, params, layer + ".type"));
    value -= 0.001 * std::abs(Number(params, layer + ".frac_width") - width / 4.0);
  }
  return value;
}

BenchProblem MakeProblem(std::string name, StudyDirection direction, std::vector<ParamSpec> params,
                         std::function<double(const ExternalParams&)> objective) {
  // The spaces above are valid by construction (well-formed distributions and conditions).
  SearchSpace space = SearchSpace::Create(std::move(params)).value();
  return BenchProblem{std::move(name), direction, std::move(space), std::move(objective)};
}

// `problem` with its optimum found by evaluating every assignment of its (finite) space.
BenchProblem WithOptimum(BenchProblem problem) {
  InternalParams point;
  ForEachAssignment(problem.space, 0, point, [&](const InternalParams& p) {
    const double value = problem.Evaluate(p);
    if (!problem.optimum || IsBetter(problem.direction, value, *problem.optimum)) {
      problem.optimum = value;
    }
  });
  return problem;
}

}  // namespace

bool IsBetter(StudyDirection direction, double a, double b) {
  return direction == StudyDirection::kMinimize ? a < b : a > b;
}

double BenchProblem::Evaluate(const InternalParams& internal) const {
  return objective(ToExternalParams(space, internal));
}

std::vector<std::string> QualityProblemNames() {
  return {"sphere", "rosenbrock", "styblinski_tang", "nas_table", "nas_conditional"};
}

absl::StatusOr<BenchProblem> MakeQualityProblem(const std::string& name) {
  if (name == "sphere") {
    return MakeProblem(name, StudyDirection::kMinimize, FloatParams(-5.12, 5.12), Sphere);
  }
  if (name == "rosenbrock") {
    return MakeProblem(name, StudyDirection::kMinimize, FloatParams(-2.048, 2.048), Rosenbrock);
  }
  if (name == "styblinski_tang") {
    return MakeProblem(name, StudyDirection::kMinimize, FloatParams(-5.0, 5.0), StyblinskiTang);
  }
  if (name == "nas_table") {
    std::vector<ParamSpec> params = ArchitectureParams();
    for (int b = 0; b < kNumExtraBlocks; ++b) {
      params.push_back({ExtraBlockName(b), Categorical(kExtraBlockKinds), {}});
    }
    return WithOptimum(MakeProblem(name, StudyDirection::kMaximize, std::move(params), NasTable));
  }
  if (name == "nas_conditional") {
    return WithOptimum(
        MakeProblem(name, StudyDirection::kMaximize, NasConditionalParams(), NasConditional));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown problem '", name, "' (known: ", absl::StrJoin(QualityProblemNames(), ", "), ")"));
}

BenchProblem MakeSpeedProblem() {
  std::vector<ParamSpec> params = ArchitectureParams();
  for (const std::string& layer : QuantisedLayers()) {
    params.push_back({layer + ".type", Categorical(kQuantTypes), {}});
    params.push_back({layer + ".width", Categorical(kWidths), {}});
    params.push_back({layer + ".frac_width", Categorical(kFracWidths), {}});
  }
  return MakeProblem("seed_lab_46", StudyDirection::kMaximize, std::move(params), SpeedObjective);
}

}  // namespace nasq::bench
