#include "worker/quant/pruning.h"

#include <c10/util/Exception.h>

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "worker/quant/quant_config.h"
#include "worker/quant/quant_linear.h"

namespace nasq {
namespace {

using NamedLayers = std::vector<std::pair<std::string, QuantLinearImpl*>>;

// Keep-masks from the current effective weights (section 9.5: no stale snapshot).
std::vector<at::Tensor> WeightKeepMasks(NamedLayers& layers, const PruningSection& section) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> masks;
  if (section.method == PruneMethod::kRandom) {
    // Local and global random pruning are the same draw.
    for (auto& [name, layer] : layers) {
      masks.push_back(RandomKeepMask(layer->weight.sizes(), section.sparsity));
    }
    return masks;
  }
  std::optional<at::Tensor> global_threshold;
  if (section.scope == PruneScope::kGlobal) {
    std::vector<at::Tensor> magnitudes;
    for (auto& [name, layer] : layers) {
      magnitudes.push_back(layer->EffectiveWeight().abs().flatten());
    }
    global_threshold = FlatQuantile(at::cat(magnitudes), section.sparsity);
  }
  for (auto& [name, layer] : layers) {
    const at::Tensor weight = layer->EffectiveWeight();
    masks.push_back(L1KeepMask(weight, global_threshold
                                           ? *global_threshold
                                           : FlatQuantile(weight.abs(), section.sparsity)));
  }
  return masks;
}

// The global activation threshold: the quantile of |input| over every layer's calibration input.
absl::StatusOr<double> CalibrateActivationThreshold(NamedLayers& layers, double sparsity,
                                                    const std::function<void()>& calibrate) {
  if (!calibrate) {
    return absl::InvalidArgumentError(
        "global l1-norm activation pruning needs a calibration function");
  }
  for (auto& [name, layer] : layers) layer->set_capture_input(true);
  {
    at::NoGradGuard no_grad;
    calibrate();
  }
  std::vector<at::Tensor> magnitudes;
  for (auto& [name, layer] : layers) {
    if (layer->captured_input().defined()) {
      magnitudes.push_back(layer->captured_input().abs().flatten());
    }
    layer->set_capture_input(false);
  }
  if (magnitudes.empty()) {
    return absl::FailedPreconditionError("the calibration function ran no Linear layer");
  }
  return FlatQuantile(at::cat(magnitudes), sparsity).item<double>();
}

}  // namespace

at::Tensor FlatQuantile(const at::Tensor& values, double q) {
  TORCH_CHECK(values.numel() > 0, "quantile of an empty tensor");
  TORCH_CHECK(q >= 0.0 && q <= 1.0, "quantile q must be in [0, 1], got ", q);
  const at::Tensor flat = values.detach().flatten();
  // torch.quantile's arithmetic: rank = q * (n - 1) in the input dtype, linear interpolation
  // between the neighbouring order statistics (kthvalue is 1-based).
  const at::Tensor rank = at::full({}, q, flat.options()) * static_cast<double>(flat.numel() - 1);
  const int64_t below = rank.floor().item<int64_t>();
  const int64_t above = rank.ceil().item<int64_t>();
  const at::Tensor low = std::get<0>(at::kthvalue(flat, below + 1));
  const at::Tensor high = std::get<0>(at::kthvalue(flat, above + 1));
  return at::lerp(low, high, rank - static_cast<double>(below));
}

at::Tensor L1KeepMask(const at::Tensor& values, const at::Tensor& threshold) {
  return (values.detach().abs() > threshold).to(values.scalar_type());
}

at::Tensor RandomKeepMask(const at::IntArrayRef sizes, double sparsity) {
  return (at::rand(sizes) >= sparsity).to(at::kFloat);
}

absl::Status ApplyPruning(torch::nn::Module& root, const PruningConfig& config,
                          const std::function<void()>& calibrate) {
  NASQ_RETURN_IF_ERROR(ValidatePruningConfig(config));
  NASQ_ASSIGN_OR_RETURN(NamedLayers layers, CollectQuantLinears(root));
  if (layers.empty()) return absl::InvalidArgumentError("no Linear layers to prune");
  for (auto& [name, layer] : layers) layer->SetActivationPruning(std::nullopt);

  // Calibrate before the weight masks change the activations (MASE ranked its metadata inputs,
  // recorded before pruning).
  std::optional<double> activation_threshold;
  if (config.activation.method == PruneMethod::kL1Norm &&
      config.activation.scope == PruneScope::kGlobal) {
    NASQ_ASSIGN_OR_RETURN(activation_threshold, CalibrateActivationThreshold(
                                                    layers, config.activation.sparsity, calibrate));
  }
  const std::vector<at::Tensor> masks = WeightKeepMasks(layers, config.weight);
  for (size_t i = 0; i < layers.size(); ++i) {
    NASQ_RETURN_IF_ERROR(layers[i].second->SetWeightMask(masks[i]));
    layers[i].second->SetActivationPruning(config.activation, activation_threshold);
  }
  return absl::OkStatus();
}

void ReapplyWeightMasks(torch::nn::Module& root) {
  if (auto* layer = dynamic_cast<QuantLinearImpl*>(&root)) layer->ReapplyWeightMask();
  for (const auto& module : root.modules(/*include_self=*/false)) {
    if (auto* layer = module->as<QuantLinearImpl>()) layer->ReapplyWeightMask();
  }
}

absl::StatusOr<SparsityReport> ReportSparsity(torch::nn::Module& root) {
  NASQ_ASSIGN_OR_RETURN(NamedLayers layers, CollectQuantLinears(root));
  SparsityReport report;
  int64_t weight_elements = 0;
  int64_t weight_kept = 0;
  int64_t activation_elements = 0;
  int64_t activation_kept = 0;
  for (auto& [name, layer] : layers) {
    LayerSparsity entry;
    entry.name = name;
    entry.weight_elements = layer->weight.numel();
    const at::Tensor mask = layer->weight_mask();
    entry.weight_kept = mask.defined() ? mask.sum().item<int64_t>() : entry.weight_elements;
    entry.weight_sparsity =
        1.0 - static_cast<double>(entry.weight_kept) / static_cast<double>(entry.weight_elements);
    const at::Tensor& activation_mask = layer->last_activation_mask();
    if (activation_mask.defined()) {
      entry.activation_elements = activation_mask.numel();
      entry.activation_kept = activation_mask.sum().item<int64_t>();
      entry.activation_sparsity = 1.0 - static_cast<double>(entry.activation_kept) /
                                            static_cast<double>(entry.activation_elements);
    }
    weight_elements += entry.weight_elements;
    weight_kept += entry.weight_kept;
    activation_elements += entry.activation_elements;
    activation_kept += entry.activation_kept;
    report.layers.push_back(std::move(entry));
  }
  if (weight_elements > 0) {
    report.total_weight_sparsity =
        1.0 - static_cast<double>(weight_kept) / static_cast<double>(weight_elements);
  }
  if (activation_elements > 0) {
    report.total_activation_sparsity =
        1.0 - static_cast<double>(activation_kept) / static_cast<double>(activation_elements);
  }
  return report;
}

}  // namespace nasq
