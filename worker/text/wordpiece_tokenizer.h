// worker/text/wordpiece_tokenizer.h: BERT WordPiece tokenizer compatible with Hugging Face's
// `BertTokenizer` (slow, Python) given a `vocab.txt`.
//
// Pipeline, in HF's order: special tokens found verbatim in the text are kept whole; text
// cleaning (drop NUL, U+FFFD and control characters, map whitespace to ' '); spaces around CJK
// ideographs; NFC; split on whitespace; per word lower-casing plus accent stripping (NFD, drop Mn
// marks) when `do_lower_case`; punctuation splitting (ASCII 33-47, 58-64, 91-96, 123-126 and
// Unicode P*); greedy longest-match-first WordPiece with "##" continuations, "[UNK]" for words
// longer than `max_input_chars_per_word` code points or that cannot be matched.
//
// Thread-safety: a constructed tokenizer is immutable; all const methods may be called
// concurrently from any number of threads.
#ifndef NASQ_WORKER_TEXT_WORDPIECE_TOKENIZER_H_
#define NASQ_WORKER_TEXT_WORDPIECE_TOKENIZER_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace nasq {

// Options of the text normalisation shared by the tokenizer and the vocabulary builder.
struct BasicTokenizerOptions {
  // Lower-case words and strip accents (HF `do_lower_case=True`, `strip_accents=None`).
  bool do_lower_case = true;
  // Put spaces around CJK ideographs so each becomes its own word (HF default true).
  bool tokenize_chinese_chars = true;
};

struct WordPieceOptions {
  BasicTokenizerOptions basic;
  // Words with more code points than this become `unk_token` (HF default 100).
  int max_input_chars_per_word = 100;
  // Prefix of word-internal pieces (HF default "##").
  std::string continuing_subword_prefix = "##";
  // Special tokens; each must be in the vocabulary. Occurrences of these exact strings in the
  // input text are kept as single tokens (HF's no-split special tokens); [MASK] is optional in
  // the vocabulary and only kept whole when present.
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string mask_token = "[MASK]";
};

// One encoded sequence: [CLS] tokens... [SEP], optionally padded.
struct Encoding {
  std::vector<int32_t> input_ids;
  // 1 for real tokens (including [CLS]/[SEP]), 0 for padding.
  std::vector<int32_t> attention_mask;
};

// Splits text into words the way HF's `BasicTokenizer` does (cleaning, CJK, NFC, lower-casing,
// accent stripping, punctuation). Special-token handling is not part of this step.
// Invalid UTF-8 bytes are treated as U+FFFD (and therefore dropped).
std::vector<std::string> BasicTokenize(std::string_view text, const BasicTokenizerOptions& options);

class WordPieceTokenizer {
 public:
  // Reads a HF `vocab.txt` (one token per line, id = line number, a trailing '\r' ignored; for
  // a duplicated token the last line wins, as in HF). Fails with NotFound / InvalidArgument
  // naming the file when it is missing, empty or lacks [UNK], [CLS], [SEP] or [PAD].
  static absl::StatusOr<WordPieceTokenizer> FromVocabFile(const std::filesystem::path& vocab_path,
                                                          WordPieceOptions options = {});
  // Same from an in-memory token list (id = index).
  static absl::StatusOr<WordPieceTokenizer> FromTokens(std::vector<std::string> tokens,
                                                       WordPieceOptions options = {});

  WordPieceTokenizer(WordPieceTokenizer&&) noexcept;
  WordPieceTokenizer& operator=(WordPieceTokenizer&&) noexcept;
  ~WordPieceTokenizer();

  // WordPiece token strings for `text`, without [CLS]/[SEP] (HF `tokenizer.tokenize`).
  std::vector<std::string> Tokenize(std::string_view text) const;
  // Token ids for `text`, without [CLS]/[SEP]; unknown pieces map to the [UNK] id.
  std::vector<int32_t> TokenizeToIds(std::string_view text) const;

  // [CLS] ids... [SEP], truncating the text's tokens so the result has at most `max_length`
  // ids (HF `truncation=True`). With `pad_to_max_length` the ids are padded with [PAD] to
  // exactly `max_length`. Fails with InvalidArgument when `max_length` < 2.
  absl::StatusOr<Encoding> Encode(std::string_view text, int max_length,
                                  bool pad_to_max_length = false) const;

  // Id of `token`, or the [UNK] id when absent.
  int32_t TokenToId(std::string_view token) const;
  // Token of `id`; OutOfRange when id is not in [0, vocab_size()).
  absl::StatusOr<std::string> IdToToken(int32_t id) const;

  int32_t vocab_size() const;
  int32_t unk_id() const;
  int32_t cls_id() const;
  int32_t sep_id() const;
  int32_t pad_id() const;
  const WordPieceOptions& options() const;
  // Stable 64-bit hash of the vocabulary (tokens in id order) and every option that changes the
  // output; used in cache keys.
  uint64_t Fingerprint() const;

 private:
  struct Impl;
  explicit WordPieceTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nasq

#endif  // NASQ_WORKER_TEXT_WORDPIECE_TOKENIZER_H_
