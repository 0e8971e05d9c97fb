#include "worker/text/wordpiece_tokenizer.h"

#include <algorithm>
#include <fstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "worker/io/hashing.h"
#include "worker/text/utf8.h"

namespace nasq {

struct WordPieceTokenizer::Impl {
  WordPieceOptions options;
  std::vector<std::string> tokens;
  absl::flat_hash_map<std::string, int32_t> ids;
  // Special tokens present in the vocabulary, longest first (kept whole when found in text).
  std::vector<std::string> no_split_tokens;
  int32_t unk_id = 0;
  int32_t cls_id = 0;
  int32_t sep_id = 0;
  int32_t pad_id = 0;
  // Longest piece any token can match, in code points (bounds the greedy search; longer
  // candidates cannot be in the vocabulary).
  size_t max_piece_chars = 0;
  uint64_t fingerprint = 0;

  // Appends the WordPiece ids of one basic-tokenised word (HF WordpieceTokenizer.tokenize).
  void WordPieceIds(const std::string& word, std::vector<int32_t>& out) const;
  // Ids of `text` without [CLS]/[SEP].
  std::vector<int32_t> Ids(std::string_view text) const;
};

namespace {

uint64_t ComputeFingerprint(const std::vector<std::string>& tokens,
                            const WordPieceOptions& options) {
  Fnv1a64 hash;
  hash.AddString("nasq-wordpiece-v1");
  hash.AddU64(tokens.size());
  for (const std::string& token : tokens) hash.AddString(token);
  hash.AddU64(options.basic.do_lower_case);
  hash.AddU64(options.basic.tokenize_chinese_chars);
  hash.AddU64(static_cast<uint64_t>(options.max_input_chars_per_word));
  for (const std::string* s :
       {&options.continuing_subword_prefix, &options.unk_token, &options.cls_token,
        &options.sep_token, &options.pad_token, &options.mask_token}) {
    hash.AddString(*s);
  }
  return hash.value();
}

}  // namespace

void WordPieceTokenizer::Impl::WordPieceIds(const std::string& word,
                                            std::vector<int32_t>& out) const {
  const std::vector<size_t> offsets = CodePointOffsets(word);
  const size_t num_chars = offsets.size() - 1;
  if (num_chars > static_cast<size_t>(options.max_input_chars_per_word)) {
    out.push_back(unk_id);
    return;
  }
  const size_t first_piece = out.size();
  std::string candidate;
  size_t start = 0;
  while (start < num_chars) {
    int32_t match = -1;
    size_t end = std::min(num_chars, start + max_piece_chars);
    for (; end > start; --end) {
      const std::string_view piece(word.data() + offsets[start], offsets[end] - offsets[start]);
      absl::flat_hash_map<std::string, int32_t>::const_iterator it;
      if (start == 0) {
        it = ids.find(absl::string_view(piece.data(), piece.size()));
      } else {
        candidate.assign(options.continuing_subword_prefix);
        candidate.append(piece);
        it = ids.find(candidate);
      }
      if (it != ids.end()) {
        match = it->second;
        break;
      }
    }
    if (match < 0) {
      out.resize(first_piece);
      out.push_back(unk_id);
      return;
    }
    out.push_back(match);
    start = end;
  }
}

std::vector<int32_t> WordPieceTokenizer::Impl::Ids(std::string_view text) const {
  std::vector<int32_t> out;
  auto tokenize_segment = [&](std::string_view segment) {
    for (const std::string& word : BasicTokenize(segment, options.basic)) WordPieceIds(word, out);
  };
  // HF splits the text on special tokens first and keeps those whole.
  size_t segment_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const std::string* special = nullptr;
    for (const std::string& token : no_split_tokens) {
      if (text.substr(pos).starts_with(token)) {
        special = &token;
        break;
      }
    }
    if (special == nullptr) {
      ++pos;
      continue;
    }
    tokenize_segment(text.substr(segment_start, pos - segment_start));
    out.push_back(ids.at(*special));
    pos += special->size();
    segment_start = pos;
  }
  tokenize_segment(text.substr(segment_start));
  return out;
}

absl::StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromVocabFile(
    const std::filesystem::path& vocab_path, WordPieceOptions options) {
  std::ifstream in(vocab_path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open vocabulary file ", vocab_path.string()));
  }
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    tokens.push_back(std::move(line));
  }
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("error reading vocabulary file ", vocab_path.string()));
  }
  auto tokenizer = FromTokens(std::move(tokens), std::move(options));
  if (!tokenizer.ok()) {
    return absl::Status(tokenizer.status().code(),
                        absl::StrCat(vocab_path.string(), ": ", tokenizer.status().message()));
  }
  return tokenizer;
}

absl::StatusOr<WordPieceTokenizer> WordPieceTokenizer::FromTokens(std::vector<std::string> tokens,
                                                                  WordPieceOptions options) {
  if (tokens.empty()) return absl::InvalidArgumentError("vocabulary is empty");
  if (options.max_input_chars_per_word < 1) {
    return absl::InvalidArgumentError("max_input_chars_per_word must be >= 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->ids.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    impl->ids.insert_or_assign(tokens[i], static_cast<int32_t>(i));
    impl->max_piece_chars = std::max(impl->max_piece_chars, CodePointOffsets(tokens[i]).size() - 1);
  }
  auto required_id = [&](const std::string& token, int32_t& id) -> absl::Status {
    auto it = impl->ids.find(token);
    if (it == impl->ids.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("vocabulary lacks the special token \"", token, "\""));
    }
    id = it->second;
    return absl::OkStatus();
  };
  for (auto [token, id] :
       {std::pair{&options.unk_token, &impl->unk_id}, std::pair{&options.cls_token, &impl->cls_id},
        std::pair{&options.sep_token, &impl->sep_id},
        std::pair{&options.pad_token, &impl->pad_id}}) {
    if (absl::Status status = required_id(*token, *id); !status.ok()) return status;
  }
  for (const std::string* token : {&options.unk_token, &options.cls_token, &options.sep_token,
                                   &options.pad_token, &options.mask_token}) {
    if (!token->empty() && impl->ids.contains(*token)) impl->no_split_tokens.push_back(*token);
  }
  std::stable_sort(impl->no_split_tokens.begin(), impl->no_split_tokens.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  impl->fingerprint = ComputeFingerprint(tokens, options);
  impl->tokens = std::move(tokens);
  impl->options = std::move(options);
  return WordPieceTokenizer(std::move(impl));
}

WordPieceTokenizer::WordPieceTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WordPieceTokenizer::WordPieceTokenizer(WordPieceTokenizer&&) noexcept = default;
WordPieceTokenizer& WordPieceTokenizer::operator=(WordPieceTokenizer&&) noexcept = default;
WordPieceTokenizer::~WordPieceTokenizer() = default;

std::vector<std::string> WordPieceTokenizer::Tokenize(std::string_view text) const {
  std::vector<std::string> out;
  for (int32_t id : impl_->Ids(text)) out.push_back(impl_->tokens[id]);
  return out;
}

std::vector<int32_t> WordPieceTokenizer::TokenizeToIds(std::string_view text) const {
  return impl_->Ids(text);
}

absl::StatusOr<Encoding> WordPieceTokenizer::Encode(std::string_view text, int max_length,
                                                    bool pad_to_max_length) const {
  if (max_length < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_length must be >= 2 (room for [CLS] and [SEP]), got ", max_length));
  }
  std::vector<int32_t> ids = impl_->Ids(text);
  ids.resize(std::min(ids.size(), static_cast<size_t>(max_length - 2)));
  Encoding encoding;
  // Only as much as is kept: the examples of a dataset hold their encodings, and a generous
  // max_length must not reserve its full size for every short text.
  encoding.input_ids.reserve(pad_to_max_length ? max_length : ids.size() + 2);
  encoding.input_ids.push_back(impl_->cls_id);
  encoding.input_ids.insert(encoding.input_ids.end(), ids.begin(), ids.end());
  encoding.input_ids.push_back(impl_->sep_id);
  encoding.attention_mask.assign(encoding.input_ids.size(), 1);
  if (pad_to_max_length) {
    encoding.input_ids.resize(max_length, impl_->pad_id);
    encoding.attention_mask.resize(max_length, 0);
  }
  return encoding;
}

int32_t WordPieceTokenizer::TokenToId(std::string_view token) const {
  auto it = impl_->ids.find(absl::string_view(token.data(), token.size()));
  return it == impl_->ids.end() ? impl_->unk_id : it->second;
}

absl::StatusOr<std::string> WordPieceTokenizer::IdToToken(int32_t id) const {
  if (id < 0 || id >= vocab_size()) {
    return absl::OutOfRangeError(
        absl::StrCat("token id ", id, " outside the vocabulary [0, ", vocab_size(), ")"));
  }
  return impl_->tokens[id];
}

int32_t WordPieceTokenizer::vocab_size() const {
  return static_cast<int32_t>(impl_->tokens.size());
}
int32_t WordPieceTokenizer::unk_id() const { return impl_->unk_id; }
int32_t WordPieceTokenizer::cls_id() const { return impl_->cls_id; }
int32_t WordPieceTokenizer::sep_id() const { return impl_->sep_id; }
int32_t WordPieceTokenizer::pad_id() const { return impl_->pad_id; }
const WordPieceOptions& WordPieceTokenizer::options() const { return impl_->options; }
uint64_t WordPieceTokenizer::Fingerprint() const { return impl_->fingerprint; }

}  // namespace nasq
