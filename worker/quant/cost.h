// worker/quant/cost.h: measures the inputs of the cost metrics (task/cost_metrics.h,
// docs/quantisation.md section 9.6) on a built model: each QuantLinear's shape, last forward
// input sizes, non-zero effective weights and formats.
//
// Thread-safety: reads the module tree; not safe concurrently with a forward or a mutation.
#ifndef NASQ_WORKER_QUANT_COST_H_
#define NASQ_WORKER_QUANT_COST_H_

#include <torch/nn/module.h>

#include <vector>

#include "absl/status/statusor.h"
#include "task/cost_metrics.h"

namespace nasq {

// The inputs for every QuantLinear under `root`, using each layer's last forward input sizes
// (run one forward pass on a representative batch first). FailedPrecondition naming a layer
// that has not run forward; InvalidArgument on a plain torch::nn::Linear.
absl::StatusOr<std::vector<LinearCostInput>> DescribeLinearLayers(torch::nn::Module& root);

}  // namespace nasq

#endif  // NASQ_WORKER_QUANT_COST_H_
