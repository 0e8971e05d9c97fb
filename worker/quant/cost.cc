#include "worker/quant/cost.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "worker/quant/quant_config.h"

namespace nasq {

absl::StatusOr<std::vector<LinearCostInput>> DescribeLinearLayers(torch::nn::Module& root) {
  NASQ_ASSIGN_OR_RETURN(const auto layers, CollectQuantLinears(root));
  std::vector<LinearCostInput> inputs;
  for (const auto& [name, layer] : layers) {
    if (layer->last_input_sizes().empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "layer '", name, "' has not run forward; run one representative batch first"));
    }
    LinearCostInput input;
    input.name = name;
    input.in_features = layer->in_features();
    input.out_features = layer->out_features();
    input.has_bias = layer->has_bias();
    input.input_sizes = layer->last_input_sizes();
    {
      at::NoGradGuard no_grad;
      input.nonzero_weights = layer->EffectiveWeight().count_nonzero().item<int64_t>();
    }
    input.config = layer->quant_config();
    inputs.push_back(std::move(input));
  }
  return inputs;
}

}  // namespace nasq
