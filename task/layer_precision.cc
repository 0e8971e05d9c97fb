#include "task/layer_precision.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

enum class Operand { kDataIn, kWeight, kBias };

const OperandPrecision& OperandOf(const LayerPrecision& p, Operand operand) {
  switch (operand) {
    case Operand::kDataIn:
      return p.data_in;
    case Operand::kWeight:
      return p.weight;
    case Operand::kBias:
      return p.bias;
  }
  return p.weight;
}

// What a layer-level type means for one operand (see the header).
std::optional<std::string> TypeForOperand(const std::optional<std::string>& layer_type,
                                          Operand operand) {
  if (!layer_type) return std::nullopt;
  const std::string& t = *layer_type;
  if (t == "binary" || t == "ternary") return operand == Operand::kWeight ? t : "none";
  if (t == "binary_residual") {
    return operand == Operand::kDataIn ? t : operand == Operand::kWeight ? "binary" : "none";
  }
  return t;
}

// The first set value of `field` along the resolution chain.
template <typename T>
std::optional<T> First(const std::vector<const OperandPrecision*>& chain,
                       std::optional<T> OperandPrecision::*field) {
  for (const OperandPrecision* p : chain) {
    if (p->*field) return p->*field;
  }
  return std::nullopt;
}

absl::StatusOr<QuantConfig> ResolveOperand(const LayerPrecision& fallback,
                                           const LayerPrecision* layer, Operand operand) {
  std::vector<const OperandPrecision*> chain;
  std::optional<std::string> type;
  if (layer != nullptr) {
    chain = {&OperandOf(*layer, operand), &layer->all};
    type = OperandOf(*layer, operand).type;
    if (!type) type = TypeForOperand(layer->all.type, operand);
  }
  chain.push_back(&OperandOf(fallback, operand));
  chain.push_back(&fallback.all);
  if (!type) type = OperandOf(fallback, operand).type;
  if (!type) type = TypeForOperand(fallback.all.type, operand);

  QuantConfig config;
  NASQ_ASSIGN_OR_RETURN(config.format, ParseQuantFormat(type.value_or("none")));
  config.width = First(chain, &OperandPrecision::width).value_or(config.width);
  config.frac_width = First(chain, &OperandPrecision::frac_width).value_or(config.frac_width);
  config.exponent_width =
      First(chain, &OperandPrecision::exponent_width).value_or(config.exponent_width);
  if (auto bias = First(chain, &OperandPrecision::exponent_bias)) config.exponent_bias = bias;
  config.exponent_bias_width =
      First(chain, &OperandPrecision::exponent_bias_width).value_or(config.exponent_bias_width);
  config.block_size = First(chain, &OperandPrecision::block_size).value_or(config.block_size);
  config.levels = First(chain, &OperandPrecision::levels).value_or(config.levels);
  config.bipolar = First(chain, &OperandPrecision::bipolar).value_or(config.bipolar);
  config.stochastic = First(chain, &OperandPrecision::stochastic).value_or(config.stochastic);
  config.scaled = First(chain, &OperandPrecision::scaled).value_or(config.scaled);
  config.floor = First(chain, &OperandPrecision::floor).value_or(config.floor);
  return config;
}

}  // namespace

absl::StatusOr<std::vector<LayerQuantConfig>> ResolveQuantiseStage(
    const QuantiseStageSpec& stage, const BertDimensions& dimensions,
    const std::set<std::string>& identity_layers, const std::string& stage_path) {
  const std::vector<BertLinearShape> linears = BertLinearLayers(dimensions);
  std::set<std::string> names;
  for (const BertLinearShape& linear : linears) names.insert(linear.name);
  for (const auto& [name, precision] : stage.layers) {
    if (!names.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          stage_path, ".layers.", name, ": the model has no such Linear layer (it has ",
          dimensions.num_hidden_layers, " encoder layers)"));
    }
  }
  std::vector<LayerQuantConfig> layers;
  for (const BertLinearShape& linear : linears) {
    if (identity_layers.count(linear.name)) continue;
    auto it = stage.layers.find(linear.name);
    const LayerPrecision* layer = it == stage.layers.end() ? nullptr : &it->second;
    LayerQuantConfig resolved{linear.name, {}};
    NASQ_ASSIGN_OR_RETURN(resolved.config.data_in,
                          ResolveOperand(stage.default_precision, layer, Operand::kDataIn));
    NASQ_ASSIGN_OR_RETURN(resolved.config.weight,
                          ResolveOperand(stage.default_precision, layer, Operand::kWeight));
    NASQ_ASSIGN_OR_RETURN(resolved.config.bias,
                          ResolveOperand(stage.default_precision, layer, Operand::kBias));
    if (absl::Status status = ValidateLinearQuantConfig(resolved.config); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(stage_path, ": layer ", linear.name, ": ", status.message()));
    }
    layers.push_back(std::move(resolved));
  }
  return layers;
}

}  // namespace nasq
