// worker/model/bert_quantisation.h: applies quant's per-layer quantisation config to a BERT model.
//
// Bridges worker/quant's model protocol (quant_config.h) and the model's LinearSlots: plain
// torch::nn::Linear slots are replaced by QuantLinear copies (weight and bias copied, on the
// model's device); slots already holding a QuantLinear are reconfigured in place; Identity slots
// are left alone. After this every non-Identity Linear is a QuantLinear, which is also what
// quant's ApplyPruning requires. Thread-safety: mutates the model; not concurrent with its use.
#ifndef NASQ_WORKER_MODEL_BERT_QUANTISATION_H_
#define NASQ_WORKER_MODEL_BERT_QUANTISATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/model/bert_model.h"
#include "worker/quant/quant_config.h"

namespace nasq {

// Applies `config` to every Linear slot of `model`; returns the layer names visited.
// InvalidArgument for an invalid config (the model is then unchanged).
absl::StatusOr<std::vector<std::string>> QuantiseBert(BertForSequenceClassification& model,
                                                      const QuantisationConfig& config);

}  // namespace nasq

#endif  // NASQ_WORKER_MODEL_BERT_QUANTISATION_H_
