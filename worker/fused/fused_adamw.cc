#include "worker/fused/fused_adamw.h"

#include <cmath>
#include <utility>

namespace nasq {
namespace {

// A [K] tensor shaped to broadcast against `like` ([K, ...]).
torch::Tensor PerMember(const torch::Tensor& values, const torch::Tensor& like) {
  std::vector<int64_t> sizes(like.dim(), 1);
  sizes[0] = like.size(0);
  return values.view(sizes);
}

}  // namespace

FusedAdamW::FusedAdamW(std::vector<torch::Tensor> parameters, std::vector<torch::Tensor> decay_mask,
                       FusedAdamWOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  TORCH_CHECK(decay_mask.size() == parameters_.size(), "FusedAdamW: one decay mask per parameter");
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const torch::Tensor& p = parameters_[i];
    decay_mask_.push_back(decay_mask[i].to(p.options()));
    exp_avg_.push_back(torch::zeros_like(p));
    exp_avg_sq_.push_back(torch::zeros_like(p));
  }
}

void FusedAdamW::ClipGradNorm(double max_norm) {
  std::vector<torch::Tensor> norms;
  for (const torch::Tensor& p : parameters_) {
    if (p.grad().defined()) norms.push_back(p.grad().reshape({p.size(0), -1}).norm(2, 1));
  }
  if (norms.empty()) return;
  const torch::Tensor total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2, 0);
  const torch::Tensor factor = torch::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
  for (const torch::Tensor& p : parameters_) {
    if (p.grad().defined()) p.grad().mul_(PerMember(factor, p));
  }
}

void FusedAdamW::Step(const std::vector<double>& lr, const std::vector<double>& weight_decay) {
  TORCH_CHECK(!parameters_.empty() && static_cast<int64_t>(lr.size()) == parameters_[0].size(0) &&
                  lr.size() == weight_decay.size(),
              "FusedAdamW::Step needs one lr and weight decay per member");
  ++steps_;
  const double beta1 = options_.beta1;
  const double beta2 = options_.beta2;
  const double correction1 = 1 - std::pow(beta1, steps_);
  const double correction2 = 1 - std::pow(beta2, steps_);
  // Per member: the decay product lr * wd and the step size lr / correction1, in double as
  // torch::optim::AdamW computes its scalars.
  std::vector<double> decay(lr.size());
  std::vector<double> step_size(lr.size());
  for (size_t k = 0; k < lr.size(); ++k) {
    decay[k] = lr[k] * weight_decay[k];
    step_size[k] = lr[k] / correction1;
  }
  const torch::Device device = parameters_[0].device();
  const auto float_options = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor decay_t = torch::tensor(decay, float_options).to(device, torch::kFloat32);
  const torch::Tensor step_t = torch::tensor(step_size, float_options).to(device, torch::kFloat32);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor& p = parameters_[i];
    if (!p.grad().defined()) continue;
    const torch::Tensor& grad = p.grad();
    p.mul_(1 - PerMember(decay_t * decay_mask_[i], p));
    exp_avg_[i].mul_(beta1).add_(grad, 1 - beta1);
    exp_avg_sq_[i].mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const torch::Tensor denom = (exp_avg_sq_[i].sqrt() / std::sqrt(correction2)).add_(options_.eps);
    p.sub_(exp_avg_[i] / denom * PerMember(step_t, p));
  }
}

void FusedAdamW::ZeroGrad() {
  for (torch::Tensor& p : parameters_) p.mutable_grad() = torch::Tensor();
}

void FusedAdamW::KeepMembers(const std::vector<int64_t>& kept) {
  const torch::Tensor index = torch::tensor(kept, torch::kLong).to(parameters_[0].device());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    decay_mask_[i] = decay_mask_[i].index_select(0, index);
    exp_avg_[i] = exp_avg_[i].index_select(0, index);
    exp_avg_sq_[i] = exp_avg_sq_[i].index_select(0, index);
  }
}

}  // namespace nasq
