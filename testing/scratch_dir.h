// testing/scratch_dir.h: scratch folders for tests that are removed when the test program exits.
//
// Every folder lies under one root per process (<tmp>/nasq_test_<pid>_XXXXXX), created on first
// use and removed with everything in it when the program ends normally, so a passing (or failing)
// test run leaves nothing in the temp dir; a crashed run leaves only its root.
//
// Thread-safety: ScratchRootPath and ScratchDir may be called from several threads, the latter
// with distinct names.
#ifndef NASQ_TESTING_SCRATCH_DIR_H_
#define NASQ_TESTING_SCRATCH_DIR_H_

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace nasq::testing_scratch {

// The per-process root: made on construction, removed with its contents on destruction by the
// process that made it (a forked child that exits leaves its parent's folders alone).
class ScratchRoot {
 public:
  ScratchRoot() : owner_(::getpid()) {
    std::string pattern = (std::filesystem::temp_directory_path() /
                           ("nasq_test_" + std::to_string(::getpid()) + "_XXXXXX"))
                              .string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a scratch folder from " + pattern);
    }
    path_ = pattern;
  }
  ~ScratchRoot() {
    if (::getpid() != owner_) return;
    std::error_code ignored;  // best effort: nothing to report to at exit
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchRoot(const ScratchRoot&) = delete;
  ScratchRoot& operator=(const ScratchRoot&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  pid_t owner_;
  std::filesystem::path path_;
};

// This process's root, made on first use. Throws std::runtime_error when it cannot be made.
inline const std::filesystem::path& ScratchRootPath() {
  static const ScratchRoot root;
  return root.path();
}

// A fresh, empty folder root/`name` (any previous contents removed). `name` must be a single
// path component, unique per use within the process.
inline std::filesystem::path ScratchDir(std::string_view name) {
  std::filesystem::path dir = ScratchRootPath() / std::string(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace nasq::testing_scratch

#endif  // NASQ_TESTING_SCRATCH_DIR_H_
