// worker/model/bert_config.h: the architecture of a BERT sequence classifier (HF field names).
//
// BertConfig mirrors the fields of a HuggingFace `BertConfig` (config.json) that the nasq model
// honours, plus the NAS layer choice "replace this square Linear by Identity". Validate() refuses
// every combination that cannot be built, so callers check a config before allocating anything.
// Thread-safety: a plain value type; const methods may be called concurrently.
#ifndef NASQ_WORKER_MODEL_BERT_CONFIG_H_
#define NASQ_WORKER_MODEL_BERT_CONFIG_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "spec/strict_json.h"
#include "task/model_size.h"

namespace nasq {

// Defaults are prajjwal1/bert-tiny (docs/quantisation.md section 7) with 2 labels.
struct BertConfig {
  int64_t vocab_size = kBertTinyDimensions.vocab_size;
  int64_t hidden_size = kBertTinyDimensions.hidden_size;
  int64_t num_hidden_layers = kBertTinyDimensions.num_hidden_layers;
  int64_t num_attention_heads = 2;
  int64_t intermediate_size = kBertTinyDimensions.intermediate_size;
  int64_t max_position_embeddings = kBertTinyDimensions.max_position_embeddings;
  int64_t type_vocab_size = kBertTinyDimensions.type_vocab_size;
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  // Dropout before the classifier; unset means hidden_dropout_prob (as HF).
  std::optional<double> classifier_dropout;
  double layer_norm_eps = 1e-12;
  double initializer_range = 0.02;
  int64_t pad_token_id = 0;
  int64_t num_labels = kBertTinyDimensions.num_labels;
  // HF module paths of square Linear layers replaced by Identity (the NAS layer choice), e.g.
  // "bert.encoder.layer.0.attention.self.query".
  std::set<std::string> identity_layers;

  // OK when the model can be built: all sizes positive, heads divide hidden_size, dropouts in
  // [0, 1), eps and initializer_range positive, pad id inside the vocabulary, at least 2 labels,
  // and every identity layer names an existing Linear whose input and output sizes are equal.
  // Otherwise InvalidArgument naming the field. Allocates nothing beyond the message.
  absl::Status Validate() const;

  // Dropout probability used before the classifier.
  double EffectiveClassifierDropout() const;

  // The sizes that decide the parameter count (BertParameterCount, CheckModelSize) and the
  // Linear layers; SetDimensions overwrites exactly those fields.
  BertDimensions Dimensions() const;
  void SetDimensions(const BertDimensions& dimensions);

  // The HF module paths and shapes of every Linear layer, in HF module order
  // (BertLinearLayers).
  using LinearShape = BertLinearShape;
  std::vector<LinearShape> LinearLayers() const;

  // Parses an HF config.json object (with spec/strict_json.h). Unknown fields are ignored and
  // null ones keep their defaults; fields with the wrong type (named "config.json.<field>"), an
  // unsupported hidden_act (only "gelu", exact erf) or position_embedding_type (only "absolute")
  // give InvalidArgument. The result is validated.
  static absl::StatusOr<BertConfig> FromHfJson(const Json& json);

  // An HF config.json object for BertForSequenceClassification that `transformers` loads.
  // Identity layers are kept under the extra key "nasq_identity_layers".
  nlohmann::json ToHfJson() const;
};

}  // namespace nasq

#endif  // NASQ_WORKER_MODEL_BERT_CONFIG_H_
