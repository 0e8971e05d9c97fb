// worker/quant/quant_linear.h: a Linear layer with per-operand fake quantisation and pruning.
//
// QuantLinear replaces torch::nn::Linear in every model that nasq quantises or prunes
// (docs/quantisation.md section 2). Parameters stay fp32 master weights; on every forward, in train
// and eval alike:
//   1. x_p = x * activation_mask(x)   if activation pruning is set (dynamic, per forward, 4)
//   2. x_q = Q_data_in(x_p)           (data_in blocked as an activation: skip_first_dim)
//   3. W_q = Q_weight(W * weight_mask) if a weight mask is set (fixed; masked entries get zero
//                                      gradient, like MASE's FakeSparseWeight parametrisation)
//   4. b_q = Q_bias(b)                 if the layer has a bias
//   5. y = x_q W_q^T + b_q             in fp32; there is no output quantisation.
// With every operand kFloat32 and no pruning it computes exactly F::linear(x, W, b).
//
// Optional state is registered only when used, so an unpruned fp32 layer has exactly the
// parameters of torch::nn::Linear ("weight" [out, in], "bias" [out]) and loads HF checkpoints
// unchanged: "weight_mask" (buffer) appears once a weight mask is set, "residual_means"
// (parameter) once data_in uses kBinaryResidualSign (LibTorch cannot unregister a parameter, so
// it then stays, unused by other formats). Configure quantisation and pruning before building
// the optimizer, so that it sees every parameter.
//
// Thread-safety: like any torch::nn::Module, not safe for concurrent forward/mutation.
#ifndef NASQ_WORKER_QUANT_QUANT_LINEAR_H_
#define NASQ_WORKER_QUANT_QUANT_LINEAR_H_

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "task/pruning_config.h"
#include "worker/quant/quantiser.h"

namespace nasq {

class QuantLinearImpl : public torch::nn::Cloneable<QuantLinearImpl> {
 public:
  // A fresh layer initialised like torch::nn::Linear (kaiming-uniform weight, U(+-1/sqrt(in))
  // bias) with all operands fp32. Throws c10::Error on non-positive sizes.
  QuantLinearImpl(int64_t in_features, int64_t out_features, bool with_bias = true);
  // A copy of `linear` (weight AND bias values copied, unlike MASE Tutorial 6, section 9.2),
  // with all operands fp32.
  explicit QuantLinearImpl(const torch::nn::LinearImpl& linear);

  // (Re)registers parameters and buffers; required by Cloneable, so clone() deep-copies masks,
  // residual means and configs too.
  void reset() override;

  // y = Q(x) Q(W)^T + Q(b); x has shape [..., in_features]. Records the input's sizes (for
  // cost metrics) and, with activation pruning, the last activation mask.
  at::Tensor forward(const at::Tensor& x);

  // Replaces the operand formats; weight and bias values are untouched. Registers or drops the
  // learnable residual means as needed. InvalidArgument (and no change) on a bad config.
  absl::Status SetQuantConfig(const LinearQuantConfig& config);
  const LinearQuantConfig& quant_config() const { return config_; }

  // Installs a fixed weight mask (bool or 0/1, shape [out, in]) and zeroes the masked weight
  // entries; the forward multiplies by it from then on. InvalidArgument on a shape mismatch.
  absl::Status SetWeightMask(const at::Tensor& mask);
  // The mask as float 0/1, or an undefined tensor when none is set.
  at::Tensor weight_mask() const;
  // Zeroes the masked weight entries again (call after optimizer steps with weight decay or
  // momentum, so the stored weight matches the effective one); no-op without a mask.
  void ReapplyWeightMask();
  // weight * mask (or weight when unmasked): what the forward quantises.
  at::Tensor EffectiveWeight() const;

  // Enables dynamic activation pruning of the input on every forward: local l1-norm thresholds
  // each input by its own quantile, random draws a fresh Bernoulli mask, global l1-norm uses
  // `fixed_threshold` (calibrated by ApplyPruning). nullopt disables it.
  void SetActivationPruning(std::optional<PruningSection> section,
                            std::optional<double> fixed_threshold = std::nullopt);
  const std::optional<PruningSection>& activation_pruning() const { return activation_pruning_; }
  // The mask applied to the last forward's input (float 0/1), undefined before the first one.
  const at::Tensor& last_activation_mask() const { return last_activation_mask_; }
  // Sizes of the last forward's input; empty before the first forward.
  const std::vector<int64_t>& last_input_sizes() const { return last_input_sizes_; }
  // While true, forward keeps a detached copy of its (unpruned) input for calibration.
  void set_capture_input(bool capture);
  const at::Tensor& captured_input() const { return captured_input_; }

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  bool has_bias() const { return with_bias_; }

  at::Tensor weight;          // [out, in], fp32 master weight
  at::Tensor bias;            // [out], undefined when !has_bias()
  at::Tensor residual_means;  // [levels] while data_in is kBinaryResidualSign

 private:
  at::Tensor MaskInput(const at::Tensor& x);

  int64_t in_features_;
  int64_t out_features_;
  bool with_bias_;
  LinearQuantConfig config_;
  at::Tensor weight_mask_;  // float 0/1 buffer, undefined when unpruned
  std::optional<PruningSection> activation_pruning_;
  std::optional<double> activation_threshold_;
  bool capture_input_ = false;
  at::Tensor captured_input_;
  at::Tensor last_activation_mask_;
  std::vector<int64_t> last_input_sizes_;
};
TORCH_MODULE(QuantLinear);

}  // namespace nasq

#endif  // NASQ_WORKER_QUANT_QUANT_LINEAR_H_
