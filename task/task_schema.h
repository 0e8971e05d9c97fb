// task/task_schema.h: the field tables of the `bert-classify` task spec (task_field.h), one per
// object of docs/task-spec.md, and the checks that span fields. The task JSON parser
// (task_spec.cc), the trial-param binder (param_binding.cc) and the docs tables (task_docs.h)
// are all driven by these tables, so a value is read and checked the same way wherever it comes
// from and the docs state the code's defaults.
// Thread-safety: constant data and pure functions.
#ifndef NASQ_TASK_TASK_SCHEMA_H_
#define NASQ_TASK_TASK_SCHEMA_H_

#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "spec/strict_json.h"
#include "task/task_field.h"
#include "task/task_spec.h"

namespace nasq {

// The top level: kind, dataset, tokenizer, model, stages, evaluate_each_stage, eval_batch_size,
// save_path.
absl::Span<const TaskField<TaskSpec>> TaskSpecFields();
absl::Span<const TaskField<DatasetSpec>> DatasetFields();
absl::Span<const TaskField<TokenizerSpec>> TokenizerFields();
// checkpoint, the architecture (num_layers, ...), dropout, init_seed, identity_layers.
absl::Span<const TaskField<ModelSpec>> ModelFields();
// The train and finetune stages.
absl::Span<const TaskField<TrainSettings>> TrainFields();
// The prune stage: sparsity, method and scope (both sections), the weight and activation
// objects (PruneSectionFields), targets, seed.
absl::Span<const TaskField<PruneStageSpec>> PruneFields();
absl::Span<const TaskField<PruningSection>> PruneSectionFields();
// The precision of one operand (type, width, ...); a layer's precision adds the operand objects
// data_in, weight and bias (SetLayerPrecisionField).
absl::Span<const TaskField<OperandPrecision>> OperandFields();
// The evaluate stage: label.
absl::Span<const TaskField<StageSpec>> EvaluateFields();

// Sets `key` of a layer's precision: an operand field of the layer itself, or an operand object
// "data_in"/"weight"/"bias" (whose fields override the layer's for that operand). A "type" of
// "identity" is refused here (it is a model choice, see BindTrialParams). Errors as
// ReadTaskField.
absl::Status SetLayerPrecisionField(LayerPrecision& target, const std::string& key,
                                    const Json& value, const std::string& parent_path);

// Checks what single fields cannot: cross-field rules of the whole spec (dataset fields that
// belong to another format, an architecture given together with a checkpoint, duplicate
// evaluate labels, ...). `path` is the spec's root name in messages ("task").
absl::Status ValidateTaskSpec(const TaskSpec& spec, const std::string& path);

}  // namespace nasq

#endif  // NASQ_TASK_TASK_SCHEMA_H_
