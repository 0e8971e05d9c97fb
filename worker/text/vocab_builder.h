// worker/text/vocab_builder.h: deterministic WordPiece vocabulary builder, for corpora that come
// without a `vocab.txt`.
//
// Algorithm (deterministic: the output depends only on the texts' multiset and the options):
//  1. Split every text into words with `BasicTokenize` (same normalisation as the tokenizer) and
//     count each distinct word.
//  2. The vocabulary starts with the special tokens, in the given order.
//  3. Characters: every character seen, ranked by frequency (descending, ties by code point), is
//     added in its bare form and its "##" form, as long as both fit in `vocab_size`.
//  4. Pieces of 2+ characters: every word-initial substring w[0:j] and every continuation
//     "##" + w[i:j] (i > 0) of at most `max_piece_chars` characters is a candidate whose frequency
//     is the summed count of the words it occurs in at that position. Candidates with frequency
//     >= `min_frequency` are ranked by score = frequency * (characters - 1) (characters saved
//     over spelling it out), ties by more characters, then by byte-wise string order; the top
//     ones fill the vocabulary up to `vocab_size`.
// Thread-safety: free functions without shared state.
#ifndef NASQ_WORKER_TEXT_VOCAB_BUILDER_H_
#define NASQ_WORKER_TEXT_VOCAB_BUILDER_H_

#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/text/wordpiece_tokenizer.h"

namespace nasq {

struct VocabBuilderOptions {
  // Target size including special tokens (default 8000). Must exceed the special-token count.
  int vocab_size = 8000;
  // Put first, in this order (ids 0..n-1).
  std::vector<std::string> special_tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  // Multi-character pieces seen fewer times than this are never added (default 2).
  int min_frequency = 2;
  // Longest multi-character piece considered, in code points (default 16).
  int max_piece_chars = 16;
  // Normalisation used to split texts into words; use the tokenizer's options.
  BasicTokenizerOptions basic;
  // Must match the tokenizer's `continuing_subword_prefix`.
  std::string continuing_subword_prefix = "##";
};

// Builds the token list (id = index). InvalidArgument when options are inconsistent (size too
// small for the special tokens, duplicate special tokens, non-positive limits).
absl::StatusOr<std::vector<std::string>> BuildWordPieceVocab(const std::vector<std::string>& texts,
                                                             const VocabBuilderOptions& options);

// Writes `tokens` one per line (HF `vocab.txt`) atomically (temp file + rename). Fails with
// InvalidArgument when a token contains a newline, Internal naming the path on I/O errors.
absl::Status WriteVocabFile(const std::filesystem::path& path,
                            const std::vector<std::string>& tokens);

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_VOCAB_BUILDER_H_
