#include "worker/model/bert_quantisation.h"

#include "core/status_macros.h"

namespace nasq {

absl::StatusOr<std::vector<std::string>> QuantiseBert(BertForSequenceClassification& model,
                                                      const QuantisationConfig& config) {
  NASQ_RETURN_IF_ERROR(ValidateQuantisationConfig(config));
  const torch::Device device = model.parameters().front().device();
  return ApplyQuantisation(model, config, [&](const std::string& name, QuantLinear replacement) {
    replacement->to(device);
    return model.ReplaceLinear(name, torch::nn::AnyModule(replacement));
  });
}

}  // namespace nasq
