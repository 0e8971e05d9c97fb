// worker/fused/fused_bert.h: K BertForSequenceClassification models of one shape as one module
// (horizontal fusion, docs/fused-training.md): every parameter gains a leading member dimension
// [K, ...] under the same HF name ("bert.encoder.layer.0.attention.self.query.weight" is
// [K, out, in]), Linear layers are FusedLinear batched matmuls, LayerNorms and embeddings are per
// member, attention runs over K * B sequences.
//
// Per member, forward computes what BertForSequenceClassification::forward computes on that
// member's batch (exact-erf GELU, additive padding mask, dropout, padding-row embedding without
// gradient), with the member's own quantisers and Identity layers; only dropout masks differ
// from a solo run (drawn for the whole fused tensor). Unfuse(k) returns member k as a solo model.
// Thread-safety: a torch module; not thread-safe.
#ifndef NASQ_WORKER_FUSED_FUSED_BERT_H_
#define NASQ_WORKER_FUSED_FUSED_BERT_H_

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/fused/fused_linear.h"
#include "worker/model/bert_model.h"
#include "worker/quant/quant_config.h"

namespace nasq {

class FusedBertLayer;
class FusedLayerNorm;

// One stacked parameter and which members use it.
struct FusedParameter {
  std::string name;     // HF name, e.g. "classifier.weight"
  torch::Tensor value;  // [K, ...], the module's parameter
  // float [K] on the CPU: 1 where the member uses the parameter, 0 where its slot is Identity
  // (the optimizer must then not decay it).
  torch::Tensor used;
};

class FusedBert : public torch::nn::Module {
 public:
  // Stacks `members` (at least one; equal configs apart from identity_layers; every slot a plain
  // Linear, a QuantLinear without pruning state or Identity) on the device of the first
  // member's parameters. Members keep their values, quant configs and Identity layers.
  // InvalidArgument naming the member and the difference otherwise.
  static absl::StatusOr<std::shared_ptr<FusedBert>> Create(
      const std::vector<std::shared_ptr<BertForSequenceClassification>>& members);

  // input_ids, attention_mask: [K, B, T] integer tensors on the model's device (member k's batch
  // in row k, all padded to T <= max_position_embeddings). Returns logits [K, B, num_labels].
  // Throws c10::Error on bad shapes.
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask);

  int64_t members() const { return static_cast<int64_t>(member_configs_.size()); }
  // Member k's config (its identity_layers included).
  const BertConfig& member_config(int64_t k) const { return member_configs_.at(k); }

  // Applies `config` to member k's Linear layers as QuantiseBert does to a solo model (layers
  // no rule selects get the default config; Identity layers are skipped). InvalidArgument for an
  // invalid config, one FusedLinear refuses, or k out of range (nothing changes then).
  absl::Status QuantiseMember(int64_t k, const QuantisationConfig& config);

  // Member k as a solo model on this model's device: its parameter values, Identity layers and,
  // once QuantiseMember ran for it, QuantLinears with its configs. OutOfRange for a bad k.
  absl::StatusOr<std::shared_ptr<BertForSequenceClassification>> Unfuse(int64_t k) const;

  // Keeps the members at positions `kept` (ascending, unique, in range): every parameter and its
  // gradient (when defined) is cut with index_select. InvalidArgument otherwise.
  absl::Status KeepMembers(const std::vector<int64_t>& kept);

  // Every parameter with its HF name, in named_parameters() order.
  std::vector<FusedParameter> FusedParameters();

 private:
  explicit FusedBert(const BertConfig& shared, int64_t members);
  FusedLinear& Linear(const std::string& name) const { return *linears_.at(name); }
  // The FusedLinear owning parameter `parameter_name` ("<path>.weight"), or nullptr.
  const FusedLinear* LinearOf(const std::string& parameter_name) const;

  BertConfig shared_;  // the members' config without identity_layers
  std::vector<BertConfig> member_configs_;
  std::vector<bool> quantised_;
  torch::Tensor word_embeddings_;        // [K, vocab, H]
  torch::Tensor position_embeddings_;    // [K, positions, H]
  torch::Tensor token_type_embeddings_;  // [K, types, H]
  std::shared_ptr<FusedLayerNorm> embeddings_layer_norm_;
  std::vector<std::shared_ptr<FusedBertLayer>> layers_;
  std::map<std::string, FusedLinear*> linears_;  // by HF module path
  FusedLinear pooler_{nullptr};
  FusedLinear classifier_{nullptr};
};

}  // namespace nasq

#endif  // NASQ_WORKER_FUSED_FUSED_BERT_H_
