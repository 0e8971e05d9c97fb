// task/model_size.h: the dimensions of a BERT classifier, its Linear layers and its analytic
// parameter count, so that a model too large for a worker is refused from its dimensions alone,
// before anything is allocated (a checkpoint config with num_hidden_layers: 1000000 would
// otherwise allocate until the OOM killer acts), and its cost is known before it is built
// (cost_model.h). worker/model's BertConfig builds exactly these layers.
// Thread-safety: plain value types and pure functions.
#ifndef NASQ_TASK_MODEL_SIZE_H_
#define NASQ_TASK_MODEL_SIZE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace nasq {

// The default largest model a worker builds, in parameters (nasq-worker --max-model-params):
// 2e9 fp32 parameters are 8 GB of weights before gradients and optimizer state.
inline constexpr int64_t kDefaultMaxModelParams = 2'000'000'000;

// The dimensions of BertForSequenceClassification that decide its size (HF config names).
struct BertDimensions {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 0;
  int64_t type_vocab_size = 2;
  int64_t num_labels = 2;
};

// prajjwal1/bert-tiny with 2 labels (docs/quantisation.md section 7): the architecture of a
// randomly initialised model wherever the task leaves a field unset (BertConfig's defaults).
inline constexpr BertDimensions kBertTinyDimensions = {.vocab_size = 30522,
                                                       .hidden_size = 128,
                                                       .num_hidden_layers = 2,
                                                       .intermediate_size = 512,
                                                       .max_position_embeddings = 512,
                                                       .type_vocab_size = 2,
                                                       .num_labels = 2};

// A Linear layer of the model: its HF module path and shape.
struct BertLinearShape {
  std::string name;
  int64_t in_features = 0;
  int64_t out_features = 0;
};

// The Linear layers of one encoder layer, named below "bert.encoder.layer.<i>.": query, key,
// value and attention.output.dense (hidden -> hidden), intermediate.dense (hidden ->
// intermediate) and output.dense (intermediate -> hidden).
std::vector<BertLinearShape> BertEncoderLayerLinears(const BertDimensions& dimensions);

// Every Linear layer in HF module order: each encoder layer's (above), then bert.pooler.dense
// (hidden -> hidden) and classifier (hidden -> num_labels). Identity choices are not applied.
std::vector<BertLinearShape> BertLinearLayers(const BertDimensions& dimensions);

// Every parameter of the model: word, position and token-type embeddings and their LayerNorm,
// per encoder layer the query/key/value/output projections, the feed-forward pair and two
// LayerNorms, the pooler and the classifier, weights and biases (4,386,178 for
// prajjwal1/bert-tiny with 2 labels). Negative dimensions count as 0; saturates at INT64_MAX.
int64_t BertParameterCount(const BertDimensions& dimensions);

// OK when BertParameterCount(dimensions) <= max_params; otherwise RESOURCE_EXHAUSTED naming both,
// e.g. "the model has 198275989634 parameters (num_hidden_layers 1000000, hidden_size 128, ...),
// more than this worker's limit of 2000000000 (--max-model-params)".
absl::Status CheckModelSize(const BertDimensions& dimensions, int64_t max_params);

}  // namespace nasq

#endif  // NASQ_TASK_MODEL_SIZE_H_
