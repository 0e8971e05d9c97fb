// worker/pipeline/precision_config.h: turns a quantise stage of the task (LayerPrecision per
// layer, with a default) into quant's QuantisationConfig for one concrete BERT architecture,
// one name rule per Linear layer, resolved by task/layer_precision.h (the resolution rules are
// documented there).
// Thread-safety: pure functions.
#ifndef NASQ_WORKER_PIPELINE_PRECISION_CONFIG_H_
#define NASQ_WORKER_PIPELINE_PRECISION_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "task/task_spec.h"
#include "worker/model/bert_config.h"
#include "worker/quant/quant_config.h"

namespace nasq {

// The config selecting each Linear layer of `model` by name (Identity layers are skipped).
// INVALID_ARGUMENT naming `stage_path` and the layer when a layer override names a layer the
// model does not have or a resolved operand config is invalid (e.g. integer width 40).
absl::StatusOr<QuantisationConfig> BuildQuantisationConfig(const QuantiseStageSpec& stage,
                                                           const BertConfig& model,
                                                           const std::string& stage_path);

}  // namespace nasq

#endif  // NASQ_WORKER_PIPELINE_PRECISION_CONFIG_H_
