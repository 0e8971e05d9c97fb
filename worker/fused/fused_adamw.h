// worker/fused/fused_adamw.h: AdamW over stacked [K, ...] parameters with a learning rate and a
// weight decay per member, and per-member gradient-norm clipping.
//
// For every member the update equals torch::optim::AdamW's (LibTorch's decoupled weight decay
// p *= 1 - lr * wd, then the Adam step with bias corrections, eps added after the square root)
// on that member's slices alone; HF's parameter groups are passed in as a per-parameter decay
// mask (0 for biases and LayerNorm weights, and for members whose slot is Identity). All
// members step together, so they share the step count.
// Thread-safety: not thread-safe; use with one training loop.
#ifndef NASQ_WORKER_FUSED_FUSED_ADAMW_H_
#define NASQ_WORKER_FUSED_FUSED_ADAMW_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace nasq {

struct FusedAdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class FusedAdamW {
 public:
  // `parameters`: leaf tensors [K, ...] with requires_grad; `decay_mask[i]`: float [K] (CPU or
  // the parameters' device) scaling member k's weight decay for parameters[i] (0 or 1).
  FusedAdamW(std::vector<torch::Tensor> parameters, std::vector<torch::Tensor> decay_mask,
             FusedAdamWOptions options = {});

  // Scales each member's gradients so that the 2-norm over all its gradient slices is at most
  // `max_norm`, as torch::nn::utils::clip_grad_norm_ on that member's parameters alone (factor
  // max_norm / (norm + 1e-6) when below 1). Parameters without a gradient are skipped.
  void ClipGradNorm(double max_norm);

  // One step; lr and weight_decay hold one value per member. Parameters without a gradient are
  // skipped (as torch::optim::AdamW).
  void Step(const std::vector<double>& lr, const std::vector<double>& weight_decay);

  // Clears every gradient (set to undefined, as zero_grad(set_to_none)).
  void ZeroGrad();

  // Keeps the optimizer state of the members at positions `kept` (ascending, in range); call
  // after the parameters themselves were cut the same way (their tensors are read again).
  void KeepMembers(const std::vector<int64_t>& kept);

  int64_t steps() const { return steps_; }

 private:
  std::vector<torch::Tensor> parameters_;
  std::vector<torch::Tensor> decay_mask_;
  std::vector<torch::Tensor> exp_avg_;
  std::vector<torch::Tensor> exp_avg_sq_;
  FusedAdamWOptions options_;
  int64_t steps_ = 0;
};

}  // namespace nasq

#endif  // NASQ_WORKER_FUSED_FUSED_ADAMW_H_
