#include "task/model_size.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Saturating arithmetic on non-negative counts.
int64_t Add(int64_t a, int64_t b) {
  int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? kMax : sum;
}

int64_t Mul(int64_t a, int64_t b) {
  int64_t product = 0;
  return __builtin_mul_overflow(a, b, &product) ? kMax : product;
}

// A Linear layer's weight and bias.
int64_t Linear(int64_t in, int64_t out) { return Add(Mul(in, out), out); }

}  // namespace

int64_t BertParameterCount(const BertDimensions& d) {
  const auto dim = [](int64_t v) { return std::max<int64_t>(v, 0); };
  const int64_t h = dim(d.hidden_size);
  const int64_t i = dim(d.intermediate_size);
  const int64_t layer_norm = Mul(2, h);
  const int64_t embeddings = Add(
      Mul(Add(Add(dim(d.vocab_size), dim(d.max_position_embeddings)), dim(d.type_vocab_size)), h),
      layer_norm);
  const int64_t layer =
      Add(Add(Add(Mul(4, Linear(h, h)), Linear(h, i)), Linear(i, h)), Mul(2, layer_norm));
  return Add(Add(embeddings, Mul(dim(d.num_hidden_layers), layer)),
             Add(Linear(h, h), Linear(h, dim(d.num_labels))));
}

std::vector<BertLinearShape> BertEncoderLayerLinears(const BertDimensions& d) {
  const int64_t h = d.hidden_size;
  return {{"attention.self.query", h, h},
          {"attention.self.key", h, h},
          {"attention.self.value", h, h},
          {"attention.output.dense", h, h},
          {"intermediate.dense", h, d.intermediate_size},
          {"output.dense", d.intermediate_size, h}};
}

std::vector<BertLinearShape> BertLinearLayers(const BertDimensions& d) {
  std::vector<BertLinearShape> layers;
  for (int64_t i = 0; i < d.num_hidden_layers; ++i) {
    const std::string prefix = absl::StrCat("bert.encoder.layer.", i, ".");
    for (BertLinearShape shape : BertEncoderLayerLinears(d)) {
      shape.name = prefix + shape.name;
      layers.push_back(std::move(shape));
    }
  }
  layers.push_back({"bert.pooler.dense", d.hidden_size, d.hidden_size});
  layers.push_back({"classifier", d.hidden_size, d.num_labels});
  return layers;
}

absl::Status CheckModelSize(const BertDimensions& dimensions, int64_t max_params) {
  const int64_t count = BertParameterCount(dimensions);
  if (count <= max_params) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "the model has ", count == kMax ? "more than " : "", count, " parameters (num_hidden_layers ",
      dimensions.num_hidden_layers, ", hidden_size ", dimensions.hidden_size,
      ", intermediate_size ", dimensions.intermediate_size, ", vocab_size ", dimensions.vocab_size,
      "), more than this worker's limit of ", max_params, " (--max-model-params)"));
}

}  // namespace nasq
