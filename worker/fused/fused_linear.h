// worker/fused/fused_linear.h: K Linear layers of the same shape run as one batched matmul, each
// member with its own fake quantisation (worker/quant/quantiser.h) and Identity choice.
//
// weight is [K, out, in] and bias [K, out]; forward maps x [K, ..., in] to [K, ..., out], member
// k computing exactly what a QuantLinear with member k's LinearQuantConfig computes on x[k]
// (y = Q_data_in(x) Q_weight(W)^T + Q_bias(b)), or y = x[k] when member k is Identity (square
// layers only; its weight and bias then get zero gradients). Members with an identical operand
// config are quantised together in one Quantise call when the format is elementwise (integer,
// minifloat, log, bipolar binary); formats with per-tensor, per-row or per-block statistics
// (block formats, zero-scaled binary, ternary) are quantised member by member on the member's own
// slice, so their statistics never mix members. Binary residual sign (learnable per-layer means)
// and pruning masks are not supported here (the fused pipeline runs such trials alone).
// Thread-safety: a torch module; not thread-safe.
#ifndef NASQ_WORKER_FUSED_FUSED_LINEAR_H_
#define NASQ_WORKER_FUSED_FUSED_LINEAR_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "task/quant_format.h"

namespace nasq {

// An int64 index tensor kept on the CPU, with a copy cached on the device it is used on.
class DeviceIndex {
 public:
  DeviceIndex() = default;
  explicit DeviceIndex(const std::vector<int64_t>& values);
  const torch::Tensor& On(const torch::Device& device) const;

 private:
  torch::Tensor cpu_;
  mutable torch::Tensor on_device_;
};

// True when Quantise(x, config) computes each element from that element alone, so members
// sharing `config` can be quantised in one call on their stacked slices.
bool IsElementwiseFormat(const QuantConfig& config);

class FusedLinearImpl : public torch::nn::Module {
 public:
  // K fp32, non-Identity members with zero weights and biases (callers copy the values in).
  // Throws c10::Error on non-positive sizes.
  FusedLinearImpl(int64_t members, int64_t in_features, int64_t out_features);

  torch::Tensor forward(const torch::Tensor& x);

  // Member `member`'s operand formats (WithOperandRoles applied, as QuantLinear). InvalidArgument
  // for an invalid config, a member out of range or binary residual sign data_in.
  absl::Status SetQuantConfig(int64_t member, const LinearQuantConfig& config);
  const LinearQuantConfig& quant_config(int64_t member) const { return configs_.at(member); }

  // Makes member `member` Identity (its output is its input) or a Linear again.
  // InvalidArgument for a non-square layer or a member out of range.
  absl::Status SetIdentity(int64_t member, bool identity);
  bool is_identity(int64_t member) const { return identity_.at(member); }

  // Keeps the members at positions `kept` (ascending, in range), in that order: weight, bias,
  // configs, Identity flags and defined gradients are cut to them.
  void KeepMembers(const std::vector<int64_t>& kept);

  int64_t members() const { return static_cast<int64_t>(configs_.size()); }
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

  torch::Tensor weight;  // [K, out, in]
  torch::Tensor bias;    // [K, out]

 private:
  // Which members share which config of one operand, for batching Quantise calls.
  struct OperandPlan {
    struct Group {
      QuantConfig config;
      std::vector<int64_t> members;
      DeviceIndex index;
    };
    bool all_fp32 = true;
    std::vector<Group> groups;
    DeviceIndex restore;  // [K]: each member's position in the concatenated groups
  };

  void Replan();
  OperandPlan PlanOperand(QuantConfig LinearQuantConfig::*operand) const;
  torch::Tensor QuantiseOperand(const torch::Tensor& x, const OperandPlan& plan) const;

  int64_t in_features_;
  int64_t out_features_;
  std::vector<LinearQuantConfig> configs_;
  std::vector<bool> identity_;
  OperandPlan data_in_plan_;
  OperandPlan weight_plan_;
  OperandPlan bias_plan_;
  DeviceIndex identity_members_;  // members that are Identity (0/1 per member)
  bool any_identity_ = false;
};
TORCH_MODULE(FusedLinear);

}  // namespace nasq

#endif  // NASQ_WORKER_FUSED_FUSED_LINEAR_H_
