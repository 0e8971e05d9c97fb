#include "task/cost_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "task/layer_precision.h"

namespace nasq {
namespace {

// One non-Identity Linear layer while the stages are replayed.
struct LayerState {
  BertLinearShape shape;
  LinearQuantConfig config;  // fp32 until a quantise stage
  int64_t pruned = 0;        // weights that are zero
};

int64_t WeightCount(const LayerState& layer) {
  return layer.shape.in_features * layer.shape.out_features;
}

// How many of `n` distinct magnitudes an l1-norm ranking at sparsity `s` prunes: those <=
// quantile(|W|, s), whose rank is computed in fp32 as the worker's FlatQuantile does.
int64_t L1PrunedCount(int64_t n, double s) {
  const float rank = static_cast<float>(s) * static_cast<float>(n - 1);
  return std::min<int64_t>(n, static_cast<int64_t>(std::floor(rank)) + 1);
}

// One prune section applied to every layer's weights (worker/quant/pruning.h).
void PruneWeights(const PruningSection& section, std::vector<LayerState>& layers) {
  if (section.method == PruneMethod::kRandom) {
    for (LayerState& layer : layers) {
      const int64_t kept = WeightCount(layer) - layer.pruned;
      layer.pruned =
          WeightCount(layer) - std::llround(static_cast<double>(kept) * (1.0 - section.sparsity));
    }
    return;
  }
  if (section.scope == PruneScope::kLocal) {
    for (LayerState& layer : layers) {
      layer.pruned = std::max(layer.pruned, L1PrunedCount(WeightCount(layer), section.sparsity));
    }
    return;
  }
  // Global: one threshold over all weights; the new zeros are split in proportion to the
  // weights each layer still has, rounded down, and the remainder (less than one per layer)
  // goes one each to the first layers with room.
  int64_t total = 0;
  int64_t pruned = 0;
  for (const LayerState& layer : layers) {
    total += WeightCount(layer);
    pruned += layer.pruned;
  }
  const int64_t extra = L1PrunedCount(total, section.sparsity) - pruned;
  if (extra <= 0) return;
  const double kept = static_cast<double>(total - pruned);
  int64_t remainder = extra;
  std::vector<int64_t> share(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const int64_t layer_kept = WeightCount(layers[i]) - layers[i].pruned;
    share[i] = static_cast<int64_t>(static_cast<double>(extra) * layer_kept / kept);
    remainder -= share[i];
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    layers[i].pruned += share[i];
    if (remainder > 0 && layers[i].pruned < WeightCount(layers[i])) {
      ++layers[i].pruned;
      --remainder;
    }
  }
}

absl::Status CheckDimension(absl::string_view field, int64_t value) {
  if (value >= 1 && value <= std::numeric_limits<int32_t>::max()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("model ", field, " must be in [1, 2147483647], got ", value));
}

absl::Status CheckArchitecture(const BertArchitecture& architecture, const TaskSpec& spec) {
  const BertDimensions& d = architecture.dimensions;
  const std::pair<absl::string_view, int64_t> sizes[] = {
      {"vocab_size", d.vocab_size},
      {"hidden_size", d.hidden_size},
      {"num_hidden_layers", d.num_hidden_layers},
      {"intermediate_size", d.intermediate_size},
      {"max_position_embeddings", d.max_position_embeddings},
      {"type_vocab_size", d.type_vocab_size},
      {"num_labels", d.num_labels},
  };
  for (const auto& [field, value] : sizes) NASQ_RETURN_IF_ERROR(CheckDimension(field, value));
  if (d.num_hidden_layers > kMaxLayerIndex) {
    return absl::InvalidArgumentError(absl::StrCat("model num_hidden_layers must be at most ",
                                                   kMaxLayerIndex, ", got ", d.num_hidden_layers));
  }
  for (const std::string& name : architecture.identity_layers) {
    const std::vector<BertLinearShape> linears = BertLinearLayers(d);
    const auto it = std::find_if(linears.begin(), linears.end(),
                                 [&](const BertLinearShape& s) { return s.name == name; });
    if (it == linears.end() || it->in_features != it->out_features) {
      return absl::InvalidArgumentError(absl::StrCat(
          "task.model.identity_layers: '", name, "' is not a square Linear layer of the model"));
    }
  }
  if (spec.dataset.max_length > d.max_position_embeddings) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task.dataset.max_length (", spec.dataset.max_length,
        ") exceeds the model's max_position_embeddings (", d.max_position_embeddings, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

BertArchitecture TrialArchitecture(const ModelSpec& model, BertArchitecture base) {
  BertDimensions& d = base.dimensions;
  d.num_hidden_layers = model.num_layers.value_or(d.num_hidden_layers);
  d.hidden_size = model.hidden_size.value_or(d.hidden_size);
  d.intermediate_size = model.intermediate_size.value_or(d.intermediate_size);
  d.max_position_embeddings = model.max_position_embeddings.value_or(d.max_position_embeddings);
  base.identity_layers.insert(model.identity_layers.begin(), model.identity_layers.end());
  return base;
}

absl::StatusOr<CostEstimate> EstimateCost(const TaskSpec& bound_spec,
                                          const BertArchitecture& base) {
  CostEstimate estimate;
  estimate.architecture = TrialArchitecture(bound_spec.model, base);
  const BertArchitecture& architecture = estimate.architecture;
  NASQ_RETURN_IF_ERROR(CheckArchitecture(architecture, bound_spec));

  std::vector<LayerState> layers;
  estimate.parameter_count = BertParameterCount(architecture.dimensions);
  for (const BertLinearShape& shape : BertLinearLayers(architecture.dimensions)) {
    if (architecture.identity_layers.count(shape.name)) {
      estimate.parameter_count -= shape.in_features * shape.out_features + shape.out_features;
      continue;
    }
    layers.push_back({shape, {}, 0});
  }
  for (size_t i = 0; i < bound_spec.stages.size(); ++i) {
    const StageSpec& stage = bound_spec.stages[i];
    if (stage.kind == StageKind::kQuantise) {
      NASQ_ASSIGN_OR_RETURN(const std::vector<LayerQuantConfig> configs,
                            ResolveQuantiseStage(stage.quantise, architecture.dimensions,
                                                 architecture.identity_layers, StageFieldPath(i)));
      for (size_t l = 0; l < layers.size(); ++l) layers[l].config = configs[l].config;
    } else if (stage.kind == StageKind::kPrune && stage.prune.prune_weights) {
      PruneWeights(stage.prune.weight, layers);
    }
  }

  const int64_t tokens = bound_spec.dataset.max_length;
  for (const LayerState& layer : layers) {
    const BertLinearShape& s = layer.shape;
    const bool per_token = s.name != "bert.pooler.dense" && s.name != "classifier";
    LinearCostInput input;
    input.name = s.name;
    input.in_features = s.in_features;
    input.out_features = s.out_features;
    input.has_bias = true;
    input.input_sizes = per_token ? std::vector<int64_t>{1, tokens, s.in_features}
                                  : std::vector<int64_t>{1, s.in_features};
    input.nonzero_weights = WeightCount(layer) - layer.pruned;
    input.config = layer.config;
    estimate.layers.push_back(std::move(input));
  }
  NASQ_ASSIGN_OR_RETURN(estimate.cost, ComputeModelCost(estimate.layers));
  estimate.metrics = CostMetricValues(estimate.cost);
  return estimate;
}

}  // namespace nasq
