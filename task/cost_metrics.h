// task/cost_metrics.h: the cost metrics nasq reports for a (quantised, pruned) model, as
// arithmetic on layer shapes, formats and non-zero counts, without LibTorch: the worker measures
// the inputs on a built model (worker/quant/cost.h) and the cost model predicts them from a task
// before training (cost_model.h), and both price them here.
//
// Defined once, exactly as docs/quantisation.md section 9.6, per Linear layer:
//   MACs                = tokens * in * out          (tokens = input elements / in)
//   BitOPs              = MACs * weight_bits * activation_bits
//   weight storage bits = in * out * weight_bits + out * bias_bits (when there is a bias)
//   effective bits      = non-zero weights * weight_bits + in * out * 1 (the 1-bit mask)
//                         + out * bias_bits
//   unquantised operands count 32 bits, and over the model
//   average bitwidth    = sum(in * out * weight_bits) / sum(in * out) over ALL Linear layers
//                         (fp32 ones included; never width + frac_width).
// Bits per element of a format (BitsPerElement): fp32 32; integer, minifloat*, log: width;
// binary 1; residual sign: one bit per level; ternary 2; block formats: width plus the shared
// exponent/bias amortised over the padded blocks of the actual tensor, i.e. (n_blocks *
// block_elements * width + n_blocks * shared_width) / numel (MASE's profiler, section 6.3).
//
// Thread-safety: plain value types and pure functions.
#ifndef NASQ_TASK_COST_METRICS_H_
#define NASQ_TASK_COST_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "task/quant_format.h"

namespace nasq {

// Bits per element of a tensor of `sizes` stored in `config`'s format (see top). Blocked
// activations pass their real sizes with skip_first_dim set, e.g. [batch, seq, in].
// InvalidArgument on an invalid config or empty sizes.
absl::StatusOr<double> BitsPerElement(const QuantConfig& config, const std::vector<int64_t>& sizes);

// What the cost of one Linear layer depends on.
struct LinearCostInput {
  std::string name;
  int64_t in_features = 0;
  int64_t out_features = 0;
  bool has_bias = true;
  std::vector<int64_t> input_sizes;  // [..., in_features], e.g. [batch, seq, in]
  int64_t nonzero_weights = 0;       // of the effective (masked) weight
  LinearQuantConfig config;
};

struct LinearCost {
  std::string name;
  int64_t tokens = 0;
  int64_t weight_elements = 0;  // in * out
  double weight_bits = 32;
  double activation_bits = 32;
  double bias_bits = 32;
  double macs = 0;
  double bitops = 0;
  double weight_storage_bits = 0;
  double effective_storage_bits = 0;
  double weight_sparsity = 0;  // 1 - nonzero / (in * out)
};

struct ModelCost {
  std::vector<LinearCost> layers;
  double macs = 0;
  double bitops = 0;
  double weight_storage_bits = 0;
  double effective_storage_bits = 0;
  double average_bitwidth = 32;  // weight bits, element-weighted over all Linear layers
  double weight_sparsity = 0;    // 1 - sum nonzero / sum (in * out)
};

// The cost of one layer. InvalidArgument when input_sizes does not end in in_features or a
// config is invalid.
absl::StatusOr<LinearCost> ComputeLinearCost(const LinearCostInput& layer);

// Sums per-layer costs (see top). InvalidArgument on an empty list or a bad layer.
absl::StatusOr<ModelCost> ComputeModelCost(const std::vector<LinearCostInput>& layers);

// The metrics a trial reports for `cost`, by the names ProducedMetricNames lists (task_spec.h):
// macs, bitops, weight_bits (weight storage bits), effective_size_bits, avg_bitwidth and
// sparsity (weight sparsity).
std::map<std::string, double> CostMetricValues(const ModelCost& cost);

}  // namespace nasq

#endif  // NASQ_TASK_COST_METRICS_H_
