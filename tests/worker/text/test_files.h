// tests/worker/text/test_files.h: temp-folder and file helpers shared by the worker/text tests.
#ifndef NASQ_TESTS_WORKER_TEXT_TEST_FILES_H_
#define NASQ_TESTS_WORKER_TEXT_TEST_FILES_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "testing/scratch_dir.h"

namespace nasq::testing_files {

// A fresh, empty folder unique per test (suite + name + tag), removed when the test program
// exits.
inline std::filesystem::path FreshDir(std::string_view tag = "") {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return testing_scratch::ScratchDir(std::string(info->test_suite_name()) + "_" + info->name() +
                                     std::string(tag));
}

// Writes `contents` to `path` (creating parent folders), binary-exact.
inline void WriteFile(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// Writes one token per line (HF vocab.txt).
inline void WriteLines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::string contents;
  for (const std::string& line : lines) contents += line + "\n";
  WriteFile(path, contents);
}

}  // namespace nasq::testing_files

#endif  // NASQ_TESTS_WORKER_TEXT_TEST_FILES_H_
