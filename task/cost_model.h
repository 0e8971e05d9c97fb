// task/cost_model.h: the analytic cost model: from a task with a trial's params bound and the
// architecture it builds, the cost metrics the worker reports after the trial, computed before
// anything is built or trained (docs/quantisation.md section 9.6), under the worker's metric
// names, so that a coordinator can check budgets and show cost on running trials.
//
// The estimate replays the task's stages on layer shapes alone: a quantise stage sets every
// non-Identity Linear layer's formats (task/layer_precision.h), a prune stage sets how many
// weights are zero, train, finetune and evaluate stages change no cost. The cost forward the
// worker runs is one sequence of dataset.max_length tokens: every encoder Linear sees input
// [1, max_length, in], the pooler and the classifier see [1, hidden] (the [CLS] token).
//
// Exactly what the worker measures (tests/worker/pipeline/cost_model_test.cc checks it on every
// example study): macs, bitops, weight_bits, avg_bitwidth and the parameter count always;
// sparsity and effective_size_bits when no prune stage prunes weights, and with l1-norm local
// pruning as long as no two weight magnitudes of a layer tie at its threshold. There the worker
// keeps |w| > t with t = quantile(|W|, s) at rank r = float(s) * float(n - 1) (fp32, as
// torch.quantile), so it prunes floor(r) + 1 of a layer's n weights (s = 0 still prunes the
// minimum), and a later prune stage prunes max(already zero, floor(r) + 1). Where the worker
// differs from the estimate:
//   * ties at the threshold are pruned too (more zeros than estimated; rare on fp32 weights);
//   * l1-norm global pruning: the total is exact, but the split over layers depends on the
//     weights; the estimate splits the pruned weights in proportion to each layer's remaining
//     ones, so effective_size_bits is exact only when every layer has the same weight format;
//   * random pruning keeps each weight with probability 1 - s: the estimate is the expected
//     count, rounded to the nearest integer per layer;
//   * weights that are exactly zero before the first prune stage (a checkpoint saved after
//     pruning) are not seen: the estimate assumes every unpruned weight is non-zero; and a prune
//     stage that does not target weights followed by training lets earlier pruned weights grow
//     back in the worker, while the estimate keeps them pruned.
// activation_sparsity depends on the data and is not estimated (a prune stage's target is its
// PruneStageSpec::activation.sparsity).
//
// Thread-safety: plain value types and pure functions.
#ifndef NASQ_TASK_COST_MODEL_H_
#define NASQ_TASK_COST_MODEL_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "task/cost_metrics.h"
#include "task/model_size.h"
#include "task/task_spec.h"

namespace nasq {

// A model's architecture as far as cost goes: its dimensions and its Linear layers replaced by
// Identity (HF paths).
struct BertArchitecture {
  BertDimensions dimensions = kBertTinyDimensions;
  std::set<std::string> identity_layers;
};

// The architecture a trial builds from `base`: the task's architecture fields (num_layers,
// hidden_size, intermediate_size, max_position_embeddings; set only without a checkpoint)
// replace base's, and the task's identity layers join base's. `base` is what the task cannot
// say itself: for a checkpoint its config.json (dimensions and nasq_identity_layers); for a
// random initialisation kBertTinyDimensions with the data's vocab_size and num_labels (a built
// vocabulary may be smaller than tokenizer.vocab_size; vocab_size only moves the parameter
// count).
BertArchitecture TrialArchitecture(const ModelSpec& model, BertArchitecture base);

// The estimate for one trial.
struct CostEstimate {
  BertArchitecture architecture;  // TrialArchitecture(bound_spec.model, base)
  // Weights and biases of the model built (BertParameterCount less the Identity layers'); the
  // learnable means a binary_residual data_in adds (`levels` per layer) are not counted.
  int64_t parameter_count = 0;
  // Per non-Identity Linear layer, in HF module order, the cost inputs the worker measures after
  // the last stage (see top).
  std::vector<LinearCostInput> layers;
  ModelCost cost;  // ComputeModelCost(layers)
  // CostMetricValues(cost): the worker's names for the metrics above.
  std::map<std::string, double> metrics;
};

// The cost of running `bound_spec` (params already bound, BindTrialParams) on `base` (see
// TrialArchitecture). INVALID_ARGUMENT naming the field when the architecture cannot be built
// (a dimension not in [1, 2^31 - 1], more than kMaxLayerIndex encoder layers, an Identity layer
// that is not a square Linear of the model, dataset.max_length above max_position_embeddings)
// or a quantise stage names a layer the model lacks or resolves to an invalid format
// ("task.stages[0]: layer ...").
absl::StatusOr<CostEstimate> EstimateCost(const TaskSpec& bound_spec, const BertArchitecture& base);

}  // namespace nasq

#endif  // NASQ_TASK_COST_MODEL_H_
