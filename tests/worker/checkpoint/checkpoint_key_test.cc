// Tests of worker/checkpoint/checkpoint_key: the cache key follows the folder and its files.
#include "worker/checkpoint/checkpoint_key.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "testing/scratch_dir.h"

namespace nasq {
namespace {

void Write(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}

TEST(CheckpointCacheKey, ChangesWithTheFolderAndItsFilesOnly) {
  const std::filesystem::path a = testing_scratch::ScratchDir("checkpoint_key_a");
  const std::filesystem::path b = testing_scratch::ScratchDir("checkpoint_key_b");
  for (const auto& folder : {a, b}) {
    Write(folder / "config.json", "{}");
    Write(folder / "vocab.txt", "[PAD]\n");
  }
  const auto first = CheckpointCacheKey(a);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*CheckpointCacheKey(a), *first);
  EXPECT_NE(*CheckpointCacheKey(b), *first) << "another folder with the same files";

  Write(a / "vocab.txt", "[PAD]\n[UNK]\n");
  EXPECT_NE(*CheckpointCacheKey(a), *first) << "a rewritten file";

  const auto missing = CheckpointCacheKey(a / "absent");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace nasq
