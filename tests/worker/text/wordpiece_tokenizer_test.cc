// Tokenizer tests. The expected tokens of the table were produced with Hugging Face's
// `tokenizers` (Rust; BertNormalizer + BertPreTokenizer + WordPiece, the same algorithm as
// `BertTokenizer`) on the vocabulary below, except greek_final_sigma where the slow Python
// `BertTokenizer` (the target) uses str.lower(), which gives the word-final sigma "ς".
#include "worker/text/wordpiece_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/worker/text/test_files.h"

namespace nasq {
namespace {

using namespace std::string_literals;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::vector<std::string> TestVocab() {
  return {"[PAD]",   "[UNK]",  "[CLS]", "[SEP]",  "[MASK]", "the",   "quick",    "brown",  "fox",
          "jump",    "##s",    "##ed",  "##ing",  "over",   "lazy",  "dog",      "hello",  "world",
          "##world", "un",     "##aff", "##able", "cafe",   "naive", "resume",   "straße", "e",
          "mail",    "a",      "b",     "c",      "##a",    "##b",   "##c",      "x",      "##x",
          "i",       "don",    "t",     "que",    "hi",     "##hi",  "istanbul", "uber",   "ελλαδα",
          "οδος",    "привет", ".",     ",",      "!",      "?",     "'",        "\"",     "-",
          "(",       ")",      "$",     "@",      "#",      "&",     ":",        ";",      "/",
          "[",       "]",      "+",     "=",      "<",      ">",     "|",        "^",      "`",
          "~",       "¿",      "«",     "»",      "…",      "、",    "。",       "€",      "##€",
          "5",       "##5",    "中",    "国",     "人",     "日",    "本",       "你",     "好",
          "1",       "##1",    "0",     "##0",    "2",      "##2",   "😀",        "##😀",    "Hello",
          "café"};
}

// Writes the test vocabulary to a temp folder and loads it, as a user's vocab.txt would be.
WordPieceTokenizer LoadTestTokenizer(WordPieceOptions options = {}) {
  const std::filesystem::path path = testing_files::FreshDir("_vocab") / "vocab.txt";
  testing_files::WriteLines(path, TestVocab());
  auto tokenizer = WordPieceTokenizer::FromVocabFile(path, std::move(options));
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  return *std::move(tokenizer);
}

std::vector<std::string> Repeat(const std::string& first, const std::string& rest, int count) {
  std::vector<std::string> out = {first};
  out.insert(out.end(), count - 1, rest);
  return out;
}

struct TokenizeCase {
  std::string name;
  std::string text;
  std::vector<std::string> expected;
};

TEST(WordPieceTokenizer, MatchesHuggingFaceReference) {
  const std::vector<TokenizeCase> cases = {
      {"lower_plain", "the quick brown fox"s, {"the", "quick", "brown", "fox"}},
      {"upper_case", "The QUICK Brown FOX"s, {"the", "quick", "brown", "fox"}},
      {"suffix_split", "jumps jumped jumping"s, {"jump", "##s", "jump", "##ed", "jump", "##ing"}},
      {"multi_piece", "unaffable"s, {"un", "##aff", "##able"}},
      {"unmatchable_word", "xyz"s, {"[UNK]"}},
      {"accent_acute", "café résumé"s, {"cafe", "resume"}},
      {"accent_diaeresis", "Naïve über"s, {"naive", "uber"}},
      {"combining_mark", "cafe\xCC\x81"s, {"cafe"}},
      {"dotted_capital_i", "İstanbul"s, {"istanbul"}},
      {"greek_final_sigma", "ΟΔΟΣ Ελλάδα"s, {"οδος", "ελλαδα"}},
      {"cyrillic", "ПРИВЕТ"s, {"привет"}},
      {"sharp_s", "Straße"s, {"straße"}},
      {"contraction", "don't"s, {"don", "'", "t"}},
      {"ascii_punct", "hello,world!"s, {"hello", ",", "world", "!"}},
      {"punct_run", "(hello)...?!"s, {"(", "hello", ")", ".", ".", ".", "?", "!"}},
      {"ascii_symbols",
       "a+b=c<x>|^`~"s,
       {"a", "+", "b", "=", "c", "<", "x", ">", "|", "^", "`", "~"}},
      {"unicode_punct",
       "¿que? «hello» hello…"s,
       {"¿", "que", "?", "«", "hello", "»", "hello", "…"}},
      {"currency_symbol", "$5 €5 5€"s, {"$", "5", "€", "##5", "5", "##€"}},
      {"numbers", "2020 10"s, {"2", "##0", "##2", "##0", "1", "##0"}},
      {"hyphen", "e-mail"s, {"e", "-", "mail"}},
      {"cjk_ideographs", "你好世界"s, {"你", "好", "[UNK]", "[UNK]"}},
      {"cjk_mixed", "中国人abc日本"s, {"中", "国", "人", "a", "##b", "##c", "日", "本"}},
      {"cjk_punct", "你好、世界。"s, {"你", "好", "、", "[UNK]", "[UNK]", "。"}},
      {"hiragana_not_split", "こんにちは"s, {"[UNK]"}},
      {"control_nul",
       "hello\x00"
       "world"s,
       {"hello", "##world"}},
      {"control_bell",
       "hello\x07"
       "world"s,
       {"hello", "##world"}},
      {"zero_width_space",
       "hello\xE2\x80\x8B"
       "world"s,
       {"hello", "##world"}},
      {"replacement_char", "hello�world"s, {"hello", "##world"}},
      {"next_line_control",
       "hello\xC2\x85"
       "world"s,
       {"hello", "##world"}},
      {"whitespace_tab_newline", "hello\tworld\nfox\r\ndog"s, {"hello", "world", "fox", "dog"}},
      {"whitespace_nbsp",
       "hello\xC2\xA0"
       "world"s,
       {"hello", "world"}},
      {"whitespace_ideographic",
       "hello\xE3\x80\x80"
       "world"s,
       {"hello", "world"}},
      {"whitespace_line_separator",
       "hello\xE2\x80\xA8"
       "world"s,
       {"hello", "world"}},
      {"whitespace_padding", "   hello    world   "s, {"hello", "world"}},
      {"vertical_tab",
       "\x0B"
       "hello\x0C"
       "world"s,
       {"hello", "##world"}},
      {"empty", ""s, {}},
      {"only_spaces", " \t\n "s, {}},
      {"only_controls", "\x00\x01\xE2\x80\x8B"s, {}},
      {"emoji_alone", "😀 hello"s, {"😀", "hello"}},
      {"emoji_attached", "hi😀"s, {"hi", "##😀"}},
      {"emoji_unknown", "👍"s, {"[UNK]"}},
      {"emoji_zwj_family",
       "😀\xE2\x80\x8D"
       "😀"s,
       {"😀", "##😀"}},
      {"emoji_variation_selector", "hi\xEF\xB8\x8F"s, {"hi"}},
      {"special_tokens_kept", "hello [SEP] world[MASK]"s, {"hello", "[SEP]", "world", "[MASK]"}},
      {"special_tokens_lowercase_split", "[cls]"s, {"[", "[UNK]", "]"}},
  };
  const WordPieceTokenizer tokenizer = LoadTestTokenizer();
  for (const TokenizeCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(tokenizer.Tokenize(c.text), ElementsAreArray(c.expected));
  }
}

TEST(WordPieceTokenizer, WordsLongerThanMaxCharsBecomeUnknown) {
  const WordPieceTokenizer tokenizer = LoadTestTokenizer();
  EXPECT_THAT(tokenizer.Tokenize(std::string(100, 'a')), ElementsAreArray(Repeat("a", "##a", 100)));
  EXPECT_THAT(tokenizer.Tokenize(std::string(101, 'a')), ElementsAre("[UNK]"));
  EXPECT_THAT(tokenizer.Tokenize(std::string(101, 'b') + " fox"), ElementsAre("[UNK]", "fox"));
  std::string accented;
  for (int i = 0; i < 101; ++i) accented += "é";
  EXPECT_THAT(tokenizer.Tokenize(accented), ElementsAre("[UNK]"));
}

TEST(WordPieceTokenizer, MaxCharsIsConfigurable) {
  WordPieceOptions options;
  options.max_input_chars_per_word = 3;
  const WordPieceTokenizer tokenizer = LoadTestTokenizer(options);
  EXPECT_THAT(tokenizer.Tokenize("aaa aaaa"), ElementsAre("a", "##a", "##a", "[UNK]"));
}

TEST(WordPieceTokenizer, InvalidUtf8BytesAreDropped) {
  const WordPieceTokenizer tokenizer = LoadTestTokenizer();
  EXPECT_THAT(tokenizer.Tokenize("hello\xFF"
                                 "world \xC3"),
              ElementsAre("hello", "##world"));
}

TEST(WordPieceTokenizer, CasedOptionKeepsCaseAndAccents) {
  WordPieceOptions options;
  options.basic.do_lower_case = false;
  const WordPieceTokenizer tokenizer = LoadTestTokenizer(options);
  EXPECT_THAT(tokenizer.Tokenize("Hello café hello"), ElementsAre("Hello", "café", "hello"));
  EXPECT_THAT(tokenizer.Tokenize("HELLO"), ElementsAre("[UNK]"));
}

TEST(WordPieceTokenizer, ChineseCharsOptionOff) {
  WordPieceOptions options;
  options.basic.tokenize_chinese_chars = false;
  const WordPieceTokenizer tokenizer = LoadTestTokenizer(options);
  EXPECT_THAT(tokenizer.Tokenize("你好"), ElementsAre("[UNK]"));
}

TEST(WordPieceTokenizer, EncodeAddsClsSepAndTruncates) {
  const WordPieceTokenizer tokenizer = LoadTestTokenizer();
  const int32_t cls = tokenizer.TokenToId("[CLS]");
  const int32_t sep = tokenizer.TokenToId("[SEP]");
  const int32_t the = tokenizer.TokenToId("the");
  const int32_t quick = tokenizer.TokenToId("quick");
  const int32_t brown = tokenizer.TokenToId("brown");
  const int32_t fox = tokenizer.TokenToId("fox");

  auto full = tokenizer.Encode("The quick brown fox", 128);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_THAT(full->input_ids, ElementsAre(cls, the, quick, brown, fox, sep));
  EXPECT_THAT(full->attention_mask, ElementsAre(1, 1, 1, 1, 1, 1));

  auto truncated = tokenizer.Encode("The quick brown fox", 4);
  ASSERT_TRUE(truncated.ok());
  EXPECT_THAT(truncated->input_ids, ElementsAre(cls, the, quick, sep));

  auto minimal = tokenizer.Encode("The quick brown fox", 2);
  ASSERT_TRUE(minimal.ok());
  EXPECT_THAT(minimal->input_ids, ElementsAre(cls, sep));

  auto empty = tokenizer.Encode("", 8);
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(empty->input_ids, ElementsAre(cls, sep));

  auto too_short = tokenizer.Encode("fox", 1);
  EXPECT_EQ(too_short.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_short.status().message(), HasSubstr("max_length"));
}

TEST(WordPieceTokenizer, EncodePadsToMaxLengthWithMask) {
  const WordPieceTokenizer tokenizer = LoadTestTokenizer();
  auto encoding = tokenizer.Encode("fox dog", 6, /*pad_to_max_length=*/true);
  ASSERT_TRUE(encoding.ok());
  const int32_t pad = tokenizer.pad_id();
  EXPECT_THAT(encoding->input_ids,
              ElementsAre(tokenizer.cls_id(), tokenizer.TokenToId("fox"),
                          tokenizer.TokenToId("dog"), tokenizer.sep_id(), pad, pad));
  EXPECT_THAT(encoding->attention_mask, ElementsAre(1, 1, 1, 1, 0, 0));
}

TEST(WordPieceTokenizer, IdsAreLineNumbersAndStableAcrossLoads) {
  const WordPieceTokenizer first = LoadTestTokenizer();
  const WordPieceTokenizer second = LoadTestTokenizer();
  const std::vector<std::string> vocab = TestVocab();
  for (size_t i = 0; i < vocab.size(); ++i) {
    EXPECT_EQ(first.TokenToId(vocab[i]), static_cast<int32_t>(i)) << vocab[i];
    auto token = first.IdToToken(static_cast<int32_t>(i));
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(*token, vocab[i]);
  }
  const std::string text = "The quick brown fox jumped over the lazy dog! 你好 café 😀";
  EXPECT_EQ(first.TokenizeToIds(text), second.TokenizeToIds(text));
  EXPECT_EQ(first.Fingerprint(), second.Fingerprint());
  EXPECT_EQ(first.vocab_size(), static_cast<int32_t>(vocab.size()));
  EXPECT_EQ(first.TokenToId("not-in-vocab"), first.unk_id());
  EXPECT_EQ(first.IdToToken(first.vocab_size()).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(first.IdToToken(-1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(WordPieceTokenizer, FingerprintChangesWithVocabAndOptions) {
  const WordPieceTokenizer base = LoadTestTokenizer();
  WordPieceOptions cased;
  cased.basic.do_lower_case = false;
  EXPECT_NE(base.Fingerprint(), LoadTestTokenizer(cased).Fingerprint());
  std::vector<std::string> tokens = TestVocab();
  tokens.push_back("extra");
  auto bigger = WordPieceTokenizer::FromTokens(tokens);
  ASSERT_TRUE(bigger.ok());
  EXPECT_NE(base.Fingerprint(), bigger->Fingerprint());
}

TEST(WordPieceTokenizer, CrlfVocabularyIsAccepted) {
  const std::filesystem::path path = testing_files::FreshDir() / "vocab.txt";
  testing_files::WriteFile(path, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nfox\r\n");
  auto tokenizer = WordPieceTokenizer::FromVocabFile(path);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  EXPECT_THAT(tokenizer->TokenizeToIds("fox"), ElementsAre(4));
}

TEST(WordPieceTokenizer, MissingVocabularyFileIsNamed) {
  const std::filesystem::path path = testing_files::FreshDir() / "absent" / "vocab.txt";
  auto tokenizer = WordPieceTokenizer::FromVocabFile(path);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(tokenizer.status().message(), HasSubstr(path.string()));
}

TEST(WordPieceTokenizer, VocabularyWithoutSpecialTokenIsRefused) {
  const std::filesystem::path path = testing_files::FreshDir() / "vocab.txt";
  testing_files::WriteLines(path, {"[PAD]", "[CLS]", "[SEP]", "fox"});
  auto tokenizer = WordPieceTokenizer::FromVocabFile(path);
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tokenizer.status().message(), HasSubstr("[UNK]"));
  EXPECT_THAT(tokenizer.status().message(), HasSubstr(path.string()));

  testing_files::WriteFile(path, "");
  EXPECT_EQ(WordPieceTokenizer::FromVocabFile(path).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq
