#include "worker/text/tokenized_dataset.h"

#include "core/status_macros.h"

namespace nasq {

absl::StatusOr<TokenizedDataset> TokenizeDataset(const TextDataset& dataset,
                                                 const WordPieceTokenizer& tokenizer,
                                                 int max_length) {
  TokenizedDataset tokenized;
  tokenized.label_names = dataset.label_names;
  tokenized.pad_id = tokenizer.pad_id();
  tokenized.max_length = max_length;
  tokenized.examples.reserve(dataset.examples.size());
  for (const TextExample& example : dataset.examples) {
    NASQ_ASSIGN_OR_RETURN(Encoding encoding, tokenizer.Encode(example.text, max_length));
    tokenized.examples.push_back({std::move(encoding.input_ids), example.label});
  }
  return tokenized;
}

}  // namespace nasq
