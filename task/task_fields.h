// task/task_fields.h: per-field setters of the TaskSpec parts, shared by the task JSON
// parser (task_spec.cc) and the trial-param binder (param_binding.cc) so that a value is checked
// the same way wherever it comes from. Internal to task/.
//
// Each setter assigns `key` of `target` from the JSON `value` (read with spec/strict_json.h;
// objects apply their fields in the order written); errors are INVALID_ARGUMENT
// "<parent_path>.<key>: <problem>" (unknown keys included). Nested objects (e.g. a layer's
// "weight": {"width": 8}) are set field by field through the same functions.
// Thread-safety: pure functions.
#ifndef NASQ_TASK_TASK_FIELDS_H_
#define NASQ_TASK_TASK_FIELDS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "spec/strict_json.h"
#include "task/task_spec.h"

namespace nasq {

// Layer precision: "type", "width", ... or an operand object "data_in"/"weight"/"bias".
// A "type" of "identity" is refused here (it is a model choice, see BindTrialParams).
absl::Status SetLayerPrecisionField(LayerPrecision& target, const std::string& key,
                                    const Json& value, const std::string& parent_path);

// Train/finetune stage: learning_rate, epochs, batch_size, warmup_steps, weight_decay,
// max_grad_norm, group_by_length, seed, progress_every_steps.
absl::Status SetTrainField(TrainSettings& target, const std::string& key, const Json& value,
                           const std::string& parent_path);

// Prune stage: sparsity, method, scope (both sections), "weight"/"activation" objects, targets,
// seed.
absl::Status SetPruneField(PruneStageSpec& target, const std::string& key, const Json& value,
                           const std::string& parent_path);

// Model: checkpoint, num_layers (num_hidden_layers), num_heads (num_attention_heads),
// hidden_size, intermediate_size, max_position_embeddings, dropout, init_seed, identity_layers.
absl::Status SetModelField(ModelSpec& target, const std::string& key, const Json& value,
                           const std::string& parent_path);

// Checks what single fields cannot: cross-field rules of the whole spec (dataset fields that
// belong to another format, an architecture given together with a checkpoint, duplicate
// evaluate labels, ...). `path` is the spec's root name in messages ("task").
absl::Status ValidateTaskSpec(const TaskSpec& spec, const std::string& path);

}  // namespace nasq

#endif  // NASQ_TASK_TASK_FIELDS_H_
