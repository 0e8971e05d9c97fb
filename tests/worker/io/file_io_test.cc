// Tests of worker/io/file_io: whole-file reads and the atomic-write contract (the parent folder
// is created, an existing file is replaced whole, no temp file is left behind).
#include "worker/io/file_io.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "testing/scratch_dir.h"

namespace nasq {
namespace {

// The names of the entries directly in `dir`, sorted.
std::vector<std::string> Entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(FileIo, WriteFileAtomicallyCreatesTheFolderAndReplacesTheFileWhole) {
  const std::filesystem::path dir = testing_scratch::ScratchDir("file_io_write");
  const std::filesystem::path path = dir / "sub" / "data.bin";
  const std::string bytes("a\0b\nlonger first version", 24);
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  auto read = ReadWholeFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);

  ASSERT_TRUE(WriteFileAtomically(path, "short").ok());
  read = ReadWholeFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "short");
  EXPECT_EQ(Entries(dir / "sub"), std::vector<std::string>{"data.bin"}) << "a temp file was left";
}

TEST(FileIo, WriteFileAtomicallyKeepsTheOldFileWhenItCannotWrite) {
  const std::filesystem::path dir = testing_scratch::ScratchDir("file_io_refused");
  const std::filesystem::path path = dir / "data.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  // A folder where the file should go: the rename fails and the temp file is removed.
  const std::filesystem::path blocked = dir / "folder";
  std::filesystem::create_directories(blocked / "inside");
  const absl::Status status = WriteFileAtomically(blocked, "new");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_NE(status.message().find(blocked.string()), std::string::npos) << status;
  EXPECT_EQ(Entries(dir), (std::vector<std::string>{"data.txt", "folder"}));
  EXPECT_EQ(*ReadWholeFile(path), "old");
}

TEST(FileIo, ReadWholeFileNamesAMissingFile) {
  const std::filesystem::path dir = testing_scratch::ScratchDir("file_io_read");
  const auto missing = ReadWholeFile(dir / "absent.txt");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("absent.txt"), std::string::npos);
  EXPECT_EQ(ReadWholeFile(dir).status().code(), absl::StatusCode::kNotFound) << "a folder";
}

}  // namespace
}  // namespace nasq
