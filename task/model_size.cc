#include "task/model_size.h"

#include <algorithm>
#include <limits>

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
