// task/fusion_key.h: which trials of a bert-classify study can be trained as one fused model.
//
// A worker started with `--fuse K` trains up to K leased trials horizontally fused (every weight
// gains a member dimension; docs/fused-training.md). Trials can be fused when everything that
// fixes the model's shape, the data each step sees in size and the step count is equal; what a
// member may have of its own is listed below. The coordinator groups WAITING trials by this key
// when it leases several at once, and the worker refuses to fuse members whose keys differ, so
// both sides decide with this one function.
//
// Equal between members (part of the key): the dataset and tokenizer sections; the model's
// checkpoint, architecture fields (num_layers, num_heads, hidden_size, intermediate_size,
// max_position_embeddings) and dropout; the stage kinds in order with each train/finetune
// stage's epochs, batch_size, warmup_steps, max_grad_norm, group_by_length and
// progress_every_steps and each evaluate stage's label; evaluate_each_stage,
// intermediate_eval_examples and eval_batch_size.
// Per member (not in the key): model.init_seed, model.identity_layers, every quantise stage's
// precisions, each train/finetune stage's learning_rate, weight_decay and seed, and save_path.
// Not fusable (empty key): another task kind, a prune stage, or evaluate_every_steps > 0.
// Thread-safety: a pure function.
#ifndef NASQ_TASK_FUSION_KEY_H_
#define NASQ_TASK_FUSION_KEY_H_

#include <string>

#include "task/task_spec.h"

namespace nasq {

// Most trials one fused group holds (LeaseTrialRequest.max_trials, nasq-worker --fuse).
inline constexpr int kMaxFusedTrials = 64;

// The fusion key of `bound_spec` (a task spec with the trial's params bound, BindTrialParams):
// trials with equal non-empty keys can be fused; an empty key means the trial always runs alone.
// The key is a canonical text (stable within one build, not meant to be parsed or stored).
std::string FusionKey(const TaskSpec& bound_spec);

}  // namespace nasq

#endif  // NASQ_TASK_FUSION_KEY_H_
