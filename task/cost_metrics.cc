#include "task/cost_metrics.h"

#include <functional>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "task/block_shape.h"

namespace nasq {
namespace {

int64_t Product(const std::vector<int64_t>& sizes) {
  return std::accumulate(sizes.begin(), sizes.end(), int64_t{1}, std::multiplies<>());
}

// Block formats: width per element plus `shared_width` bits per (padded) block.
absl::StatusOr<double> BlockBits(const QuantConfig& config, const std::vector<int64_t>& sizes,
                                 int shared_width) {
  NASQ_ASSIGN_OR_RETURN(const std::vector<int64_t> block_shape,
                        InferBlockShape(sizes, config.block_size, config.skip_first_dim));
  const double blocks = static_cast<double>(CountBlocks(sizes, block_shape));
  const double total =
      blocks * static_cast<double>(Product(block_shape)) * config.width + blocks * shared_width;
  return total / static_cast<double>(Product(sizes));
}

}  // namespace

absl::StatusOr<double> BitsPerElement(const QuantConfig& config,
                                      const std::vector<int64_t>& sizes) {
  NASQ_RETURN_IF_ERROR(ValidateQuantConfig(config));
  if (sizes.empty() || Product(sizes) <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor sizes [", absl::StrJoin(sizes, ", "), "] hold no elements"));
  }
  switch (config.format) {
    case QuantFormat::kFloat32:
      return 32.0;
    case QuantFormat::kInteger:
    case QuantFormat::kMinifloatDenorm:
    case QuantFormat::kMinifloatIeee:
    case QuantFormat::kLog:
      return static_cast<double>(config.width);
    case QuantFormat::kBlockFp:
      return BlockBits(config, sizes, config.exponent_width);
    case QuantFormat::kBlockMinifloat:
    case QuantFormat::kBlockLog:
      return BlockBits(config, sizes, config.exponent_bias_width);
    case QuantFormat::kBinary:
      return 1.0;
    case QuantFormat::kBinaryResidualSign:
      return static_cast<double>(config.levels);
    case QuantFormat::kTernary:
      return 2.0;
  }
  return absl::InvalidArgumentError("unknown quantisation format");
}

absl::StatusOr<LinearCost> ComputeLinearCost(const LinearCostInput& layer) {
  const int64_t in = layer.in_features;
  const int64_t out = layer.out_features;
  if (in <= 0 || out <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("layer '", layer.name, "' has non-positive sizes ", in, "x", out));
  }
  if (layer.input_sizes.empty() || layer.input_sizes.back() != in) {
    return absl::InvalidArgumentError(absl::StrCat("layer '", layer.name, "': input sizes [",
                                                   absl::StrJoin(layer.input_sizes, ", "),
                                                   "] do not end in in_features ", in));
  }
  if (layer.nonzero_weights < 0 || layer.nonzero_weights > in * out) {
    return absl::InvalidArgumentError(absl::StrCat("layer '", layer.name, "': nonzero_weights ",
                                                   layer.nonzero_weights, " not in [0, ", in * out,
                                                   "]"));
  }
  const LinearQuantConfig config = WithOperandRoles(layer.config);
  LinearCost cost;
  cost.name = layer.name;
  cost.tokens = Product(layer.input_sizes) / in;
  cost.weight_elements = in * out;
  NASQ_ASSIGN_OR_RETURN(cost.weight_bits, BitsPerElement(config.weight, {out, in}));
  NASQ_ASSIGN_OR_RETURN(cost.activation_bits, BitsPerElement(config.data_in, layer.input_sizes));
  NASQ_ASSIGN_OR_RETURN(cost.bias_bits, BitsPerElement(config.bias, {out}));
  const double weight_elements = static_cast<double>(cost.weight_elements);
  const double bias_storage = layer.has_bias ? static_cast<double>(out) * cost.bias_bits : 0.0;
  cost.macs = static_cast<double>(cost.tokens) * weight_elements;
  cost.bitops = cost.macs * cost.weight_bits * cost.activation_bits;
  cost.weight_storage_bits = weight_elements * cost.weight_bits + bias_storage;
  cost.effective_storage_bits = static_cast<double>(layer.nonzero_weights) * cost.weight_bits +
                                weight_elements /* 1-bit mask */ + bias_storage;
  cost.weight_sparsity = 1.0 - static_cast<double>(layer.nonzero_weights) / weight_elements;
  return cost;
}

absl::StatusOr<ModelCost> ComputeModelCost(const std::vector<LinearCostInput>& layers) {
  if (layers.empty()) return absl::InvalidArgumentError("no Linear layers to cost");
  ModelCost model;
  double weight_elements = 0;
  double weight_bits = 0;
  double nonzero = 0;
  for (const LinearCostInput& layer : layers) {
    NASQ_ASSIGN_OR_RETURN(LinearCost cost, ComputeLinearCost(layer));
    model.macs += cost.macs;
    model.bitops += cost.bitops;
    model.weight_storage_bits += cost.weight_storage_bits;
    model.effective_storage_bits += cost.effective_storage_bits;
    weight_elements += static_cast<double>(cost.weight_elements);
    weight_bits += static_cast<double>(cost.weight_elements) * cost.weight_bits;
    nonzero += static_cast<double>(layer.nonzero_weights);
    model.layers.push_back(std::move(cost));
  }
  model.average_bitwidth = weight_bits / weight_elements;
  model.weight_sparsity = 1.0 - nonzero / weight_elements;
  return model;
}

std::map<std::string, double> CostMetricValues(const ModelCost& cost) {
  return {{"macs", cost.macs},
          {"bitops", cost.bitops},
          {"weight_bits", cost.weight_storage_bits},
          {"effective_size_bits", cost.effective_storage_bits},
          {"avg_bitwidth", cost.average_bitwidth},
          {"sparsity", cost.weight_sparsity}};
}

}  // namespace nasq
