#include "worker/text/dataset_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/worker/text/test_files.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

TokenizedDataset SampleDataset() {
  TokenizedDataset dataset;
  dataset.label_names = {"ham", "spam"};
  dataset.pad_id = 0;
  dataset.max_length = 8;
  dataset.examples = {{{2, 10, 11, 3}, 0}, {{2, 3}, 1}, {{2, 12, 13, 14, 15, 16, 17, 3}, 1}};
  return dataset;
}

DatasetCacheKey SampleKey() {
  return {.name = "spam-assassin/train",
          .data_fingerprint = 123,
          .tokenizer_fingerprint = 456,
          .max_length = 8,
          .variant = "test_fraction=0.2 seed=0"};
}

// A build function that counts its calls.
struct CountingBuilder {
  int calls = 0;
  std::function<absl::StatusOr<TokenizedDataset>()> Fn() {
    return [this]() -> absl::StatusOr<TokenizedDataset> {
      ++calls;
      return SampleDataset();
    };
  }
};

TEST(DatasetCache, MissThenHitReturnsEqualDataset) {
  const DatasetCache cache(testing_files::FreshDir() / "cache");
  EXPECT_EQ(cache.Lookup(SampleKey()).status().code(), absl::StatusCode::kNotFound);
  CountingBuilder builder;
  auto first = cache.GetOrBuild(SampleKey(), builder.Fn());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->hit);
  auto second = cache.GetOrBuild(SampleKey(), builder.Fn());
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->hit);
  EXPECT_EQ(builder.calls, 1);
  EXPECT_EQ(second->dataset, SampleDataset());
}

TEST(DatasetCache, EveryKeyFieldInvalidates) {
  const DatasetCache cache(testing_files::FreshDir() / "cache");
  ASSERT_TRUE(cache.Store(SampleKey(), SampleDataset()).ok());
  std::vector<DatasetCacheKey> changed(5, SampleKey());
  changed[0].name = "imdb/train";
  changed[1].data_fingerprint = 124;
  changed[2].tokenizer_fingerprint = 457;
  changed[3].max_length = 16;
  changed[4].variant = "test_fraction=0.3 seed=0";
  for (size_t i = 0; i < changed.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_NE(changed[i].Hash(), SampleKey().Hash());
    EXPECT_EQ(cache.Lookup(changed[i]).status().code(), absl::StatusCode::kNotFound);
  }
  EXPECT_TRUE(cache.Lookup(SampleKey()).ok());
}

// Rewrites the entry file through `mutate`.
void MutateFile(const std::filesystem::path& path,
                const std::function<void(std::string&)>& mutate) {
  std::ifstream in(path, std::ios::binary);
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  mutate(contents);
  testing_files::WriteFile(path, contents);
}

TEST(DatasetCache, CorruptEntriesAreDetectedAndRebuilt) {
  const std::vector<std::pair<std::string, std::function<void(std::string&)>>> corruptions = {
      {"flipped_payload_byte", [](std::string& s) { s[s.size() - 3] ^= 0x5A; }},
      {"truncated", [](std::string& s) { s.resize(s.size() / 2); }},
      {"bad_magic", [](std::string& s) { s[0] = 'X'; }},
      {"empty", [](std::string& s) { s.clear(); }},
      {"trailing_garbage", [](std::string& s) { s += "junk"; }},
  };
  for (const auto& [name, corrupt] : corruptions) {
    SCOPED_TRACE(name);
    const DatasetCache cache(testing_files::FreshDir("_" + name) / "cache");
    ASSERT_TRUE(cache.Store(SampleKey(), SampleDataset()).ok());
    const std::filesystem::path path = cache.EntryPath(SampleKey());
    MutateFile(path, corrupt);
    auto lookup = cache.Lookup(SampleKey());
    EXPECT_EQ(lookup.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(lookup.status().message(), HasSubstr(path.string()));

    CountingBuilder builder;
    auto rebuilt = cache.GetOrBuild(SampleKey(), builder.Fn());
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_FALSE(rebuilt->hit);
    EXPECT_EQ(builder.calls, 1);
    auto healed = cache.Lookup(SampleKey());
    ASSERT_TRUE(healed.ok()) << healed.status();
    EXPECT_EQ(*healed, SampleDataset());
  }
}

TEST(DatasetCache, EntryOfAnotherKeyIsCorrupt) {
  const DatasetCache cache(testing_files::FreshDir() / "cache");
  DatasetCacheKey other = SampleKey();
  other.name = "other";
  ASSERT_TRUE(cache.Store(other, SampleDataset()).ok());
  std::filesystem::copy_file(cache.EntryPath(other), cache.EntryPath(SampleKey()));
  EXPECT_EQ(cache.Lookup(SampleKey()).status().code(), absl::StatusCode::kDataLoss);
}

TEST(DatasetCache, WritesLeaveNoTempFilesAndBuildErrorsPropagate) {
  const std::filesystem::path dir = testing_files::FreshDir() / "cache";
  const DatasetCache cache(dir);
  ASSERT_TRUE(cache.Store(SampleKey(), SampleDataset()).ok());
  ASSERT_TRUE(cache.Store(SampleKey(), SampleDataset()).ok());
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().extension(), ".tok");
  }
  EXPECT_EQ(files, 1);

  DatasetCacheKey fresh = SampleKey();
  fresh.name = "never-built";
  auto failed = cache.GetOrBuild(fresh, []() -> absl::StatusOr<TokenizedDataset> {
    return absl::NotFoundError("data/missing.json");
  });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(cache.EntryPath(fresh)));
}

}  // namespace
}  // namespace nasq
