// worker/text/tokenized_dataset.h: a dataset after tokenisation, as plain vectors (no LibTorch),
// the unit the model trainer consumes and the dataset cache stores.
//
// Thread-safety: plain value types; TokenizeDataset is a pure function (the tokenizer is only
// read).
#ifndef NASQ_WORKER_TEXT_TOKENIZED_DATASET_H_
#define NASQ_WORKER_TEXT_TOKENIZED_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/text/datasets.h"
#include "worker/text/wordpiece_tokenizer.h"

namespace nasq {

struct TokenizedExample {
  // [CLS] ... [SEP], unpadded, at most the max_length it was encoded with.
  std::vector<int32_t> input_ids;
  int label = 0;

  bool operator==(const TokenizedExample&) const = default;
};

struct TokenizedDataset {
  std::vector<TokenizedExample> examples;
  std::vector<std::string> label_names;
  // Id used to pad batches (the tokenizer's [PAD]).
  int32_t pad_id = 0;
  // The max_length the examples were truncated to.
  int max_length = 0;

  size_t size() const { return examples.size(); }
  int num_labels() const { return static_cast<int>(label_names.size()); }
  bool operator==(const TokenizedDataset&) const = default;
};

// Encodes every example ([CLS] ... [SEP], truncated to max_length, no padding).
// InvalidArgument when max_length < 2.
absl::StatusOr<TokenizedDataset> TokenizeDataset(const TextDataset& dataset,
                                                 const WordPieceTokenizer& tokenizer,
                                                 int max_length);

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_TOKENIZED_DATASET_H_
