#include "worker/text/vocab_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/worker/text/test_files.h"
#include "worker/text/wordpiece_tokenizer.h"

namespace nasq {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string>& Corpus() {
  static const auto* corpus = new std::vector<std::string>{
      "The quick brown fox jumps over the lazy dog.",
      "Jumping foxes are quicker than lazy dogs!",
      "the dog jumped; the fox jumped too",
      "Café crème, naïve résumé — 你好世界",
      "quickly quicker quickest jumps jumping jumped",
  };
  return *corpus;
}

TEST(VocabBuilder, SpecialTokensComeFirstInOrder) {
  VocabBuilderOptions options;
  options.vocab_size = 200;
  auto vocab = BuildWordPieceVocab(Corpus(), options);
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  ASSERT_GE(vocab->size(), 5u);
  EXPECT_THAT(std::vector<std::string>(vocab->begin(), vocab->begin() + 5),
              ElementsAre("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
}

TEST(VocabBuilder, DeterministicAndIndependentOfTextOrder) {
  VocabBuilderOptions options;
  options.vocab_size = 120;
  std::vector<std::string> reversed(Corpus().rbegin(), Corpus().rend());
  auto first = BuildWordPieceVocab(Corpus(), options);
  auto second = BuildWordPieceVocab(Corpus(), options);
  auto third = BuildWordPieceVocab(reversed, options);
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(*first, *third);
}

TEST(VocabBuilder, RespectsSizeAndHasNoDuplicates) {
  for (int size : {10, 40, 120, 5000}) {
    SCOPED_TRACE(size);
    VocabBuilderOptions options;
    options.vocab_size = size;
    auto vocab = BuildWordPieceVocab(Corpus(), options);
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    EXPECT_LE(vocab->size(), static_cast<size_t>(size));
    EXPECT_EQ(std::set<std::string>(vocab->begin(), vocab->end()).size(), vocab->size());
  }
}

TEST(VocabBuilder, CoversEveryCharacterSoNoWordIsUnknown) {
  VocabBuilderOptions options;
  options.vocab_size = 300;
  auto vocab = BuildWordPieceVocab(Corpus(), options);
  ASSERT_TRUE(vocab.ok());
  EXPECT_THAT(*vocab, Contains("c"));
  EXPECT_THAT(*vocab, Contains("##c"));
  EXPECT_THAT(*vocab, Contains("你"));
  EXPECT_THAT(*vocab, Not(Contains("É")));  // lower-cased and accent-stripped first

  auto tokenizer = WordPieceTokenizer::FromTokens(*vocab);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  for (const std::string& text : Corpus()) {
    EXPECT_THAT(tokenizer->Tokenize(text), Not(Contains("[UNK]"))) << text;
  }
  // Frequent words become single pieces.
  EXPECT_THAT(tokenizer->Tokenize("the jumped"), ElementsAre("the", "jumped"));
}

TEST(VocabBuilder, MinFrequencyExcludesRarePieces) {
  VocabBuilderOptions options;
  options.vocab_size = 1000;
  options.min_frequency = 3;
  auto vocab = BuildWordPieceVocab(Corpus(), options);
  ASSERT_TRUE(vocab.ok());
  EXPECT_THAT(*vocab, Contains("the"));        // 4 occurrences
  EXPECT_THAT(*vocab, Not(Contains("lazy")));  // 2 occurrences
}

TEST(VocabBuilder, InvalidOptionsAreRefused) {
  VocabBuilderOptions too_small;
  too_small.vocab_size = 5;
  EXPECT_THAT(BuildWordPieceVocab(Corpus(), too_small).status().message(), HasSubstr("vocab_size"));
  VocabBuilderOptions duplicate;
  duplicate.special_tokens = {"[PAD]", "[PAD]"};
  EXPECT_EQ(BuildWordPieceVocab(Corpus(), duplicate).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(VocabBuilder, WrittenFileLoadsAsTheSameVocabulary) {
  VocabBuilderOptions options;
  options.vocab_size = 100;
  auto vocab = BuildWordPieceVocab(Corpus(), options);
  ASSERT_TRUE(vocab.ok());
  const std::filesystem::path path = testing_files::FreshDir() / "out" / "vocab.txt";
  ASSERT_TRUE(WriteVocabFile(path, *vocab).ok());
  auto from_file = WordPieceTokenizer::FromVocabFile(path);
  auto from_memory = WordPieceTokenizer::FromTokens(*vocab);
  ASSERT_TRUE(from_file.ok() && from_memory.ok()) << from_file.status();
  EXPECT_EQ(from_file->Fingerprint(), from_memory->Fingerprint());
  EXPECT_EQ(WriteVocabFile(path, {"a\nb"}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq
