// task/layer_precision.h: turns a quantise stage of the task (LayerPrecision per layer, with a
// default) into the LinearQuantConfig of every Linear layer of one BERT architecture, without
// LibTorch: the worker applies the result to its model (worker/pipeline/precision_config.h) and
// the cost model prices it before any model exists (cost_model.h).
//
// Resolution per layer and operand (data_in, weight, bias), most specific first: the layer's
// operand object, the layer's own fields, the default's operand object, the default's fields,
// then QuantConfig's defaults. A layer-level type reaches the operands by role: binary and
// ternary quantise the weight only, binary_residual uses residual sign on data_in and binary on
// the weight, every other type applies to all three; "none" (written "linear") is fp32.
// Thread-safety: pure functions.
#ifndef NASQ_TASK_LAYER_PRECISION_H_
#define NASQ_TASK_LAYER_PRECISION_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "task/model_size.h"
#include "task/quant_format.h"
#include "task/task_spec.h"

namespace nasq {

// One Linear layer's resolved precision.
struct LayerQuantConfig {
  std::string name;  // HF module path
  LinearQuantConfig config;
};

// The precision of every Linear layer of the model `dimensions` describes, in HF module order,
// skipping `identity_layers` (HF paths). INVALID_ARGUMENT naming `stage_path` and the layer when
// a layer override names a layer the model does not have or a resolved operand config is
// invalid (e.g. integer width 40).
absl::StatusOr<std::vector<LayerQuantConfig>> ResolveQuantiseStage(
    const QuantiseStageSpec& stage, const BertDimensions& dimensions,
    const std::set<std::string>& identity_layers, const std::string& stage_path);

}  // namespace nasq

#endif  // NASQ_TASK_LAYER_PRECISION_H_
