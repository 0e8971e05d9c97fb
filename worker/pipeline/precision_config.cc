#include "worker/pipeline/precision_config.h"

#include <utility>
#include <vector>

#include "core/status_macros.h"
#include "task/layer_precision.h"

namespace nasq {

absl::StatusOr<QuantisationConfig> BuildQuantisationConfig(const QuantiseStageSpec& stage,
                                                           const BertConfig& model,
                                                           const std::string& stage_path) {
  NASQ_ASSIGN_OR_RETURN(
      std::vector<LayerQuantConfig> layers,
      ResolveQuantiseStage(stage, model.Dimensions(), model.identity_layers, stage_path));
  QuantisationConfig config;
  config.by = SelectBy::kName;
  for (LayerQuantConfig& layer : layers) {
    config.rules.push_back({std::move(layer.name), std::move(layer.config)});
  }
  return config;
}

}  // namespace nasq
