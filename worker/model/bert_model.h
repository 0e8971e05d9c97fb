// worker/model/bert_model.h: BERT for sequence classification with HuggingFace parameter names.
//
// The module tree and parameter names equal HF's BertForSequenceClassification
// ("bert.embeddings.word_embeddings.weight", "bert.encoder.layer.0.attention.self.query.weight",
// ..., "bert.pooler.dense.bias", "classifier.weight"), so named_parameters() maps one to one onto
// HF checkpoints. Every Linear sits in a LinearSlot and can be swapped by its HF module path for
// Identity (square layers only) or for any module with `Tensor forward(Tensor)` such as quant's
// QuantLinear. Forward semantics follow docs/quantisation.md section 7: exact-erf GELU, additive
// padding mask (1 - mask) * lowest float, dropout on hidden states and attention probabilities.
// Thread-safety: a torch module; not thread-safe (one forward/backward at a time).
#ifndef NASQ_WORKER_MODEL_BERT_MODEL_H_
#define NASQ_WORKER_MODEL_BERT_MODEL_H_

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/model/bert_config.h"
#include "worker/model/linear_slot.h"

namespace nasq {

class BertLayer;

class BertForSequenceClassification : public torch::nn::Module {
 public:
  // Validates `config` (refusing bad ones before allocating any tensor) and builds a model on the
  // CPU initialised like HF's _init_weights: Linear and Embedding weights ~ N(0,
  // initializer_range) from a generator seeded with `init_seed`, biases 0, the padding row 0,
  // LayerNorm weight 1 and bias 0. Layers in config.identity_layers are Identity.
  static absl::StatusOr<std::shared_ptr<BertForSequenceClassification>> Create(
      const BertConfig& config, uint64_t init_seed = 42);

  // input_ids and attention_mask: [batch, seq] integer tensors on the model's device (mask 1 =
  // token, 0 = padding); token_type_ids: same shape or undefined (all 0). seq must not exceed
  // max_position_embeddings. Returns logits [batch, num_labels]. Throws c10::Error on bad shapes.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        const torch::Tensor& token_type_ids = {});

  // The config the model was built with; identity_layers follows ReplaceWithIdentity.
  const BertConfig& config() const { return config_; }

  // HF module paths of all Linear slots in HF module order ("bert.encoder.layer.0.attention.
  // self.query", ..., "bert.pooler.dense", "classifier").
  std::vector<std::string> LinearNames() const;

  // The slot at HF module path `name`, or NotFound.
  absl::StatusOr<LinearSlot*> FindLinear(const std::string& name);

  // Puts `module` into slot `name` (its parameters then appear under "<name>.<param>"). The
  // module must map [..., in] to [..., out] of that slot. NotFound for an unknown name.
  absl::Status ReplaceLinear(const std::string& name, torch::nn::AnyModule module);

  // Replaces square slot `name` by Identity and records it in config().identity_layers.
  // NotFound for an unknown name, InvalidArgument for a non-square slot.
  absl::Status ReplaceWithIdentity(const std::string& name);

  // Whether slot `name` holds Identity.
  bool IsIdentity(const std::string& name) const { return config_.identity_layers.count(name); }

 private:
  BertForSequenceClassification(const BertConfig& config, uint64_t init_seed);

  BertConfig config_;
  torch::nn::Embedding word_embeddings_{nullptr};
  torch::nn::Embedding position_embeddings_{nullptr};
  torch::nn::Embedding token_type_embeddings_{nullptr};
  torch::nn::LayerNorm embeddings_layer_norm_{nullptr};
  std::vector<std::shared_ptr<BertLayer>> layers_;
  std::unique_ptr<LinearSlot> pooler_;
  std::unique_ptr<LinearSlot> classifier_;
  std::map<std::string, LinearSlot*> slots_;
};

}  // namespace nasq

#endif  // NASQ_WORKER_MODEL_BERT_MODEL_H_
