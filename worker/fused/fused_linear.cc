#include "worker/fused/fused_linear.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/quant/quantiser.h"

namespace nasq {

DeviceIndex::DeviceIndex(const std::vector<int64_t>& values)
    : cpu_(torch::tensor(values, torch::kLong)), on_device_(cpu_) {}

const torch::Tensor& DeviceIndex::On(const torch::Device& device) const {
  if (on_device_.defined() && on_device_.device() != device) on_device_ = cpu_.to(device);
  return on_device_;
}

namespace {

// Field-wise equality of two operand configs (QuantConfig has no operator==).
bool SameQuantConfig(const QuantConfig& a, const QuantConfig& b) {
  auto fields = [](const QuantConfig& c) {
    return std::tie(c.format, c.width, c.frac_width, c.floor, c.exponent_width, c.exponent_bias,
                    c.exponent_bias_width, c.block_size, c.skip_first_dim, c.stochastic, c.bipolar,
                    c.levels, c.scaled);
  };
  return fields(a) == fields(b);
}

}  // namespace

bool IsElementwiseFormat(const QuantConfig& config) {
  switch (config.format) {
    case QuantFormat::kFloat32:
    case QuantFormat::kInteger:
    case QuantFormat::kMinifloatDenorm:
    case QuantFormat::kMinifloatIeee:
    case QuantFormat::kLog:
      return true;
    case QuantFormat::kBinary:
      return config.bipolar;
    case QuantFormat::kBlockFp:
    case QuantFormat::kBlockMinifloat:
    case QuantFormat::kBlockLog:
    case QuantFormat::kTernary:
    case QuantFormat::kBinaryResidualSign:
      return false;
  }
  return false;
}

FusedLinearImpl::FusedLinearImpl(int64_t members, int64_t in_features, int64_t out_features)
    : in_features_(in_features),
      out_features_(out_features),
      configs_(members, WithOperandRoles(LinearQuantConfig{})),
      identity_(members, false) {
  TORCH_CHECK(members > 0 && in_features > 0 && out_features > 0,
              "FusedLinear sizes must be positive, got ", members, " x ", out_features, " x ",
              in_features);
  weight = register_parameter("weight", torch::zeros({members, out_features, in_features}));
  bias = register_parameter("bias", torch::zeros({members, out_features}));
  Replan();
}

absl::Status FusedLinearImpl::SetQuantConfig(int64_t member, const LinearQuantConfig& config) {
  if (member < 0 || member >= members()) {
    return absl::InvalidArgumentError(absl::StrCat("fused member ", member, " out of range"));
  }
  if (absl::Status valid = ValidateLinearQuantConfig(config); !valid.ok()) return valid;
  if (config.data_in.format == QuantFormat::kBinaryResidualSign) {
    return absl::InvalidArgumentError(
        "binary residual sign data_in has learnable means and cannot be fused");
  }
  configs_[member] = WithOperandRoles(config);
  Replan();
  return absl::OkStatus();
}

absl::Status FusedLinearImpl::SetIdentity(int64_t member, bool identity) {
  if (member < 0 || member >= members()) {
    return absl::InvalidArgumentError(absl::StrCat("fused member ", member, " out of range"));
  }
  if (identity && in_features_ != out_features_) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", in_features_, " -> ", out_features_, " Linear cannot be Identity"));
  }
  identity_[member] = identity;
  Replan();
  return absl::OkStatus();
}

void FusedLinearImpl::KeepMembers(const std::vector<int64_t>& kept) {
  const torch::Tensor index = torch::tensor(kept, torch::kLong).to(weight.device());
  torch::NoGradGuard no_grad;
  for (torch::Tensor* p : {&weight, &bias}) {
    p->set_data(p->index_select(0, index));
    if (p->grad().defined()) p->mutable_grad() = p->grad().index_select(0, index);
  }
  std::vector<LinearQuantConfig> configs;
  std::vector<bool> identity;
  for (int64_t k : kept) {
    configs.push_back(configs_.at(k));
    identity.push_back(identity_.at(k));
  }
  configs_ = std::move(configs);
  identity_ = std::move(identity);
  Replan();
}

void FusedLinearImpl::Replan() {
  data_in_plan_ = PlanOperand(&LinearQuantConfig::data_in);
  weight_plan_ = PlanOperand(&LinearQuantConfig::weight);
  bias_plan_ = PlanOperand(&LinearQuantConfig::bias);
  std::vector<int64_t> flags;
  any_identity_ = false;
  for (bool identity : identity_) {
    flags.push_back(identity ? 1 : 0);
    any_identity_ = any_identity_ || identity;
  }
  identity_members_ = DeviceIndex(flags);
}

FusedLinearImpl::OperandPlan FusedLinearImpl::PlanOperand(
    QuantConfig LinearQuantConfig::*operand) const {
  OperandPlan plan;
  std::vector<std::pair<QuantConfig, std::vector<int64_t>>> groups;
  for (int64_t k = 0; k < members(); ++k) {
    const QuantConfig& config = configs_[k].*operand;
    plan.all_fp32 = plan.all_fp32 && config.format == QuantFormat::kFloat32;
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& group) { return SameQuantConfig(group.first, config); });
    if (it == groups.end()) {
      groups.push_back({config, {k}});
    } else {
      it->second.push_back(k);
    }
  }
  std::vector<int64_t> restore(members());
  int64_t position = 0;
  for (auto& [config, group_members] : groups) {
    for (int64_t k : group_members) restore[k] = position++;
    plan.groups.push_back({config, group_members, DeviceIndex(group_members)});
  }
  plan.restore = DeviceIndex(restore);
  return plan;
}

torch::Tensor FusedLinearImpl::QuantiseOperand(const torch::Tensor& x,
                                               const OperandPlan& plan) const {
  if (plan.all_fp32) return x;
  auto quantise_group = [&](const OperandPlan::Group& group, const torch::Tensor& slice) {
    if (IsElementwiseFormat(group.config)) return Quantise(slice, group.config);
    std::vector<torch::Tensor> per_member;
    for (int64_t k = 0; k < slice.size(0); ++k) {
      per_member.push_back(Quantise(slice[k], group.config));
    }
    return torch::stack(per_member);
  };
  if (plan.groups.size() == 1) return quantise_group(plan.groups.front(), x);
  std::vector<torch::Tensor> pieces;
  for (const OperandPlan::Group& group : plan.groups) {
    pieces.push_back(quantise_group(group, x.index_select(0, group.index.On(x.device()))));
  }
  return torch::cat(pieces).index_select(0, plan.restore.On(x.device()));
}

torch::Tensor FusedLinearImpl::forward(const torch::Tensor& x) {
  const int64_t k = members();
  TORCH_CHECK(x.dim() >= 2 && x.size(0) == k && x.size(-1) == in_features_,
              "FusedLinear expects input [", k, ", ..., ", in_features_, "], got ", x.sizes());
  const torch::Tensor x_q = QuantiseOperand(x, data_in_plan_);
  const torch::Tensor w_q = QuantiseOperand(weight, weight_plan_);
  const torch::Tensor b_q = QuantiseOperand(bias, bias_plan_);
  std::vector<int64_t> out_sizes = x.sizes().vec();
  out_sizes.back() = out_features_;
  torch::Tensor y =
      torch::baddbmm(b_q.unsqueeze(1), x_q.reshape({k, -1, in_features_}), w_q.transpose(1, 2))
          .view(out_sizes);
  if (!any_identity_) return y;
  std::vector<int64_t> mask_sizes(x.dim(), 1);
  mask_sizes[0] = k;
  const torch::Tensor identity = identity_members_.On(x.device()).view(mask_sizes).to(torch::kBool);
  return torch::where(identity, x, y);
}

}  // namespace nasq
