// worker/quant/pruning.h: weight and activation pruning of Linear layers, and sparsity reports.
//
// Semantics are MASE's prune_transform_pass (docs/quantisation.md section 4), with ranking on the
// current weights (section 9.5):
//   * weight, l1-norm: t = quantile(|W|, s) (linear interpolation at position s*(n-1)); keep
//     |W| > t. The inequality is strict, so ties at t are pruned and s = 0 still prunes the
//     minimum (e.g. exact zeros). Local: one t per layer; global: one t over all layers' |W|.
//   * weight, random: each element pruned independently with probability s (rand < s); local
//     and global behave the same. Counts are not exact.
//   * Weight masks are fixed from then on (QuantLinear::SetWeightMask): the forward multiplies
//     by the mask, so pruned weights get zero gradient and stay zero through training.
//   * activation: installed on every QuantLinear's input and recomputed on every forward (train
//     and eval): local l1-norm thresholds the whole input tensor by its own quantile, random
//     draws a fresh mask, global l1-norm uses one fixed threshold calibrated here from the
//     inputs all layers see during `calibrate` (MASE used its 2-sentence dummy input).
//
// Thread-safety: mutates the module tree; not safe concurrently with other use of it.
#ifndef NASQ_WORKER_QUANT_PRUNING_H_
#define NASQ_WORKER_QUANT_PRUNING_H_

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "task/pruning_config.h"

namespace nasq {

// torch.quantile(values.flatten(), q) with linear interpolation, computed in the input dtype
// without torch.quantile's 2^24-element limit. Requires a non-empty tensor and q in [0, 1].
at::Tensor FlatQuantile(const at::Tensor& values, double q);

// Keep-mask (float 0/1, shape of `values`) of an l1-norm ranking: |values| > threshold.
at::Tensor L1KeepMask(const at::Tensor& values, const at::Tensor& threshold);

// Keep-mask of random pruning: each element kept unless rand < sparsity (global generator).
at::Tensor RandomKeepMask(const at::IntArrayRef sizes, double sparsity);

// Prunes every QuantLinear under `root` (see quant_config.h for the model protocol): computes
// and installs the weight masks from the current effective weights and enables activation
// pruning. `calibrate` runs forward passes over representative inputs; it is required (and
// called once) only for global l1-norm activation pruning. Errors: invalid config, a plain
// torch::nn::Linear under root, no Linear layers at all, missing `calibrate` or a calibration
// that reached no layer.
absl::Status ApplyPruning(torch::nn::Module& root, const PruningConfig& config,
                          const std::function<void()>& calibrate = nullptr);

// Zeroes the masked weights of every pruned QuantLinear under `root` again; call after an
// optimizer step whose weight decay or momentum could move them (the forward already masks).
void ReapplyWeightMasks(torch::nn::Module& root);

// Sparsity of one layer: 1 - kept / total (section 4's calculate_sparsity).
struct LayerSparsity {
  std::string name;
  int64_t weight_elements = 0;
  int64_t weight_kept = 0;  // mask ones (all elements when unpruned)
  double weight_sparsity = 0.0;
  int64_t activation_elements = 0;  // of the last activation mask; 0 when none
  int64_t activation_kept = 0;
  double activation_sparsity = 0.0;
};

struct SparsityReport {
  std::vector<LayerSparsity> layers;       // named_modules() order
  double total_weight_sparsity = 0.0;      // 1 - sum kept / sum elements over all layers
  double total_activation_sparsity = 0.0;  // same over layers with an activation mask
};

// Reports every QuantLinear under `root`. InvalidArgument on a plain torch::nn::Linear.
absl::StatusOr<SparsityReport> ReportSparsity(torch::nn::Module& root);

}  // namespace nasq

#endif  // NASQ_WORKER_QUANT_PRUNING_H_
