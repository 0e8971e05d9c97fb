// task/param_binding.h: binds a trial's params onto a TaskSpec by name (the mapping is
// documented with examples in docs/task-spec.md).
//
//   num_layers | num_hidden_layers, num_heads | num_attention_heads, hidden_size,
//   intermediate_size, max_position_embeddings, dropout      -> model (random init only)
//   train.<field>, finetune.<field>                           -> every train / finetune stage
//   prune.<field>, prune.weight.<field>, prune.activation.<field> -> every prune stage
//   quant.<field>, quant.<operand>.<field>                    -> every quantise stage's default
//   <layer>.type = identity                                   -> model.identity_layers
//   <layer>.type = linear | <quantiser>, <layer>.<field>,
//   <layer>.<operand>.<field>                                 -> every quantise stage's layer
// where <layer> is layer<i>.<HF Linear name> (layer0.attention.self.query, layer1.output.dense),
// pooler.dense, classifier, or the full HF path. A param that matches nothing, a stage param
// without such a stage, or a value the field refuses is INVALID_ARGUMENT naming the param
// ("params.prune.sparsity: expected a number in [0, 1], got 1.5"). The bound spec is validated
// again (e.g. num_heads must divide hidden_size).
// Thread-safety: pure functions.
#ifndef NASQ_TASK_PARAM_BINDING_H_
#define NASQ_TASK_PARAM_BINDING_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/distribution.h"
#include "core/search_space.h"
#include "task/task_spec.h"

namespace nasq {

// `spec` with `params` applied (see top).
absl::StatusOr<TaskSpec> BindTrialParams(TaskSpec spec, const ExternalParams& params);

// Binds the one param `name` = `value` onto `spec` with the checks of its field, but not the
// cross-field rules of the whole spec (num_heads must divide hidden_size, ...), which depend on
// the other params of a trial. OK when BindTrialParams would accept the param alone on those
// grounds; its INVALID_ARGUMENT ("params.<name>: ...") otherwise. Used to check a study's search
// space before any trial exists.
absl::Status CheckParamBinds(TaskSpec spec, const std::string& name, const ParamValue& value);

// Parses a JSON object of param name -> bool, integer, number or string (the `--params` flag of
// nasq-worker --once). INVALID_ARGUMENT naming the param on anything else.
absl::StatusOr<ExternalParams> ParseExternalParamsJson(std::string_view json_text);

}  // namespace nasq

#endif  // NASQ_TASK_PARAM_BINDING_H_
