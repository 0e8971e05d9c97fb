#include "worker/text/vocab_builder.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/io/file_io.h"
#include "worker/io/hashing.h"
#include "worker/text/utf8.h"

namespace nasq {
namespace {

absl::Status ValidateOptions(const VocabBuilderOptions& options) {
  if (options.min_frequency < 1 || options.max_piece_chars < 2) {
    return absl::InvalidArgumentError("min_frequency must be >= 1 and max_piece_chars >= 2");
  }
  if (options.vocab_size <= static_cast<int>(options.special_tokens.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("vocab_size ", options.vocab_size, " leaves no room after ",
                     options.special_tokens.size(), " special tokens"));
  }
  std::unordered_set<std::string> seen;
  for (const std::string& token : options.special_tokens) {
    if (token.empty() || !seen.insert(token).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("special tokens must be non-empty and distinct, got \"", token, "\""));
    }
  }
  return absl::OkStatus();
}

using WordCounts = absl::flat_hash_map<std::string, int64_t>;

// Where a piece was first seen and how often it occurs (summed word counts).
struct PieceStats {
  int64_t frequency = 0;
  const std::string* word = nullptr;
  size_t begin = 0;  // byte range of the piece inside *word
  size_t end = 0;
  int chars = 0;
};

struct Candidate {
  std::string piece;
  int64_t frequency = 0;
  int chars = 0;
};

// Word-initial substrings w[0:j] and continuations "##" + w[i:j] of 2..max_piece_chars
// characters, each weighted by the word count, ranked as documented in the header. Pieces are
// counted under a 64-bit FNV-1a hash of (initial/continuation, bytes) to avoid building millions
// of strings; only candidates that pass min_frequency are materialised.
std::vector<Candidate> RankPieces(const WordCounts& words, const VocabBuilderOptions& options) {
  absl::flat_hash_map<uint64_t, PieceStats> pieces;
  for (const auto& [word, count] : words) {
    const std::vector<size_t> offsets = CodePointOffsets(word);
    const size_t n = offsets.size() - 1;
    for (size_t i = 0; i < n; ++i) {
      Fnv1a64 hash;
      hash.AddU64(i == 0 ? 0 : 1);
      for (size_t j = i; j < n && j - i < static_cast<size_t>(options.max_piece_chars); ++j) {
        hash.AddBytes(std::string_view(word).substr(offsets[j], offsets[j + 1] - offsets[j]));
        const int length = static_cast<int>(j - i + 1);
        if (length < 2) continue;
        PieceStats& stats = pieces[hash.value()];
        if (stats.word == nullptr) stats = {0, &word, offsets[i], offsets[j + 1], length};
        stats.frequency += count;
      }
    }
  }
  std::vector<Candidate> ranked;
  for (const auto& [hash, stats] : pieces) {
    if (stats.frequency < options.min_frequency) continue;
    std::string piece = stats.begin == 0 ? "" : options.continuing_subword_prefix;
    piece.append(*stats.word, stats.begin, stats.end - stats.begin);
    ranked.push_back({std::move(piece), stats.frequency, stats.chars});
  }
  std::sort(ranked.begin(), ranked.end(), [](const Candidate& a, const Candidate& b) {
    const int64_t score_a = a.frequency * (a.chars - 1);
    const int64_t score_b = b.frequency * (b.chars - 1);
    if (score_a != score_b) return score_a > score_b;
    if (a.chars != b.chars) return a.chars > b.chars;
    return a.piece < b.piece;
  });
  return ranked;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> BuildWordPieceVocab(const std::vector<std::string>& texts,
                                                             const VocabBuilderOptions& options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) return status;
  WordCounts words;
  for (const std::string& text : texts) {
    for (std::string& word : BasicTokenize(text, options.basic)) ++words[std::move(word)];
  }
  std::map<char32_t, int64_t> char_counts;
  for (const auto& [word, count] : words) {
    for (char32_t cp : DecodeUtf8(word)) char_counts[cp] += count;
  }

  std::vector<std::string> vocab;
  std::unordered_set<std::string> in_vocab;
  const size_t size_limit = static_cast<size_t>(options.vocab_size);
  auto add = [&](std::string token) {
    if (vocab.size() < size_limit && in_vocab.insert(token).second)
      vocab.push_back(std::move(token));
  };
  for (const std::string& token : options.special_tokens) add(token);

  std::vector<std::pair<char32_t, int64_t>> chars(char_counts.begin(), char_counts.end());
  std::stable_sort(chars.begin(), chars.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [cp, count] : chars) {
    if (vocab.size() + 2 > size_limit) break;
    std::string bare;
    AppendUtf8(cp, bare);
    std::string continuation = options.continuing_subword_prefix + bare;
    add(std::move(bare));
    add(std::move(continuation));
  }
  for (Candidate& candidate : RankPieces(words, options)) {
    if (vocab.size() >= size_limit) break;
    add(std::move(candidate.piece));
  }
  return vocab;
}

absl::Status WriteVocabFile(const std::filesystem::path& path,
                            const std::vector<std::string>& tokens) {
  std::string contents;
  for (const std::string& token : tokens) {
    if (token.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("vocabulary token contains a line break; cannot write ", path.string()));
    }
    absl::StrAppend(&contents, token, "\n");
  }
  return WriteFileAtomically(path, contents);
}

}  // namespace nasq
