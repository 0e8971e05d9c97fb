#include "worker/quant/quant_linear.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/nn/init.h>

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "worker/quant/pruning.h"

namespace nasq {

QuantLinearImpl::QuantLinearImpl(int64_t in_features, int64_t out_features, bool with_bias)
    : in_features_(in_features), out_features_(out_features), with_bias_(with_bias) {
  TORCH_CHECK(in_features > 0 && out_features > 0, "QuantLinear sizes must be positive, got ",
              in_features, "x", out_features);
  reset();
}

QuantLinearImpl::QuantLinearImpl(const torch::nn::LinearImpl& linear)
    : QuantLinearImpl(linear.options.in_features(), linear.options.out_features(),
                      linear.options.bias()) {
  at::NoGradGuard no_grad;
  weight.copy_(linear.weight);
  if (with_bias_) bias.copy_(linear.bias);
}

void QuantLinearImpl::reset() {
  weight = register_parameter("weight", at::empty({out_features_, in_features_}));
  if (with_bias_) bias = register_parameter("bias", at::empty({out_features_}));
  // Optional state survives Cloneable::clone(), which re-runs reset() on a member-wise copy.
  if (weight_mask_.defined()) weight_mask_ = register_buffer("weight_mask", weight_mask_.clone());
  if (residual_means.defined()) {
    residual_means = register_parameter("residual_means", residual_means.detach().clone());
  }
  // torch::nn::Linear's initialisation.
  at::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (with_bias_) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_features_));
    torch::nn::init::uniform_(bias, -bound, bound);
  }
}

absl::Status QuantLinearImpl::SetQuantConfig(const LinearQuantConfig& config) {
  if (absl::Status s = ValidateLinearQuantConfig(config); !s.ok()) return s;
  config_ = WithOperandRoles(config);
  if (config_.data_in.format == QuantFormat::kBinaryResidualSign) {
    const at::Tensor means = DefaultResidualMeans(config_.data_in.levels).to(weight.device());
    if (!residual_means.defined()) {
      residual_means = register_parameter("residual_means", means);
    } else if (residual_means.size(0) != means.size(0)) {
      residual_means.set_data(means);
    }
  }
  return absl::OkStatus();
}

absl::Status QuantLinearImpl::SetWeightMask(const at::Tensor& mask) {
  if (!mask.defined() || mask.sizes() != weight.sizes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight mask shape must be [", out_features_, ", ", in_features_, "]"));
  }
  const at::Tensor keep = (mask != 0).to(weight.options());
  at::NoGradGuard no_grad;
  if (weight_mask_.defined()) {
    weight_mask_.copy_(keep);
  } else {
    weight_mask_ = register_buffer("weight_mask", keep);
  }
  weight.mul_(weight_mask_);
  return absl::OkStatus();
}

at::Tensor QuantLinearImpl::weight_mask() const { return weight_mask_; }

void QuantLinearImpl::ReapplyWeightMask() {
  if (!weight_mask_.defined()) return;
  at::NoGradGuard no_grad;
  weight.mul_(weight_mask_);
}

at::Tensor QuantLinearImpl::EffectiveWeight() const {
  return weight_mask_.defined() ? weight * weight_mask_ : weight;
}

void QuantLinearImpl::SetActivationPruning(std::optional<PruningSection> section,
                                           std::optional<double> fixed_threshold) {
  activation_pruning_ = section;
  activation_threshold_ = fixed_threshold;
  last_activation_mask_ = at::Tensor();
}

void QuantLinearImpl::set_capture_input(bool capture) {
  capture_input_ = capture;
  if (!capture) captured_input_ = at::Tensor();
}

at::Tensor QuantLinearImpl::MaskInput(const at::Tensor& x) {
  const PruningSection& section = *activation_pruning_;
  {
    at::NoGradGuard no_grad;
    if (section.method == PruneMethod::kRandom) {
      // A fresh Bernoulli mask on every call (eval included), with no dropout-style rescaling.
      last_activation_mask_ = RandomKeepMask(x.sizes(), section.sparsity).to(x.options());
    } else {
      const at::Tensor magnitude = x.detach().abs();
      // Local: the quantile of the entire input tensor (batch x seq x features, padding
      // included), so the threshold is batch-dependent. Global: the calibrated fixed threshold.
      const at::Tensor threshold =
          (section.scope == PruneScope::kGlobal && activation_threshold_.has_value())
              ? at::full({}, *activation_threshold_, magnitude.options())
              : FlatQuantile(magnitude, section.sparsity);
      last_activation_mask_ = L1KeepMask(magnitude, threshold);
    }
  }
  return x * last_activation_mask_;
}

at::Tensor QuantLinearImpl::forward(const at::Tensor& x) {
  TORCH_CHECK(x.dim() >= 1 && x.size(-1) == in_features_, "QuantLinear expects input [..., ",
              in_features_, "], got ", x.sizes());
  last_input_sizes_ = x.sizes().vec();
  if (capture_input_) captured_input_ = x.detach().clone();
  const at::Tensor input = activation_pruning_.has_value() ? MaskInput(x) : x;
  const at::Tensor x_q = config_.data_in.format == QuantFormat::kBinaryResidualSign
                             ? ResidualSignQuantise(input, residual_means)
                             : Quantise(input, config_.data_in);
  const at::Tensor w_q = Quantise(EffectiveWeight(), config_.weight);
  const at::Tensor b_q = with_bias_ ? Quantise(bias, config_.bias) : at::Tensor();
  return at::linear(x_q, w_q, b_q);
}

}  // namespace nasq
