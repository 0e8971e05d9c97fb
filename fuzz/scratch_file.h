// fuzz/scratch_file.h: a per-process file that targets whose parser reads from a path (the
// tabular and torch.save readers) rewrite with each input.
// Thread-safety: one scratch file per process; libFuzzer calls the target from one thread.
#ifndef NASQ_FUZZ_SCRATCH_FILE_H_
#define NASQ_FUZZ_SCRATCH_FILE_H_

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/fuzz_check.h"

namespace nasq::fuzz {

// Writes `size` bytes at `data` to <temp dir>/nasq-fuzz-<pid><extension> (replacing it) and
// returns that path. Aborts when the file cannot be written: a broken harness must not pass
// for a clean run. Prefers /dev/shm (no disk I/O per input) over the system temp folder.
inline std::filesystem::path WriteScratchFile(const uint8_t* data, size_t size,
                                              const std::string& extension) {
  const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm")
                                        ? std::filesystem::path("/dev/shm")
                                        : std::filesystem::temp_directory_path();
  const std::filesystem::path path = dir / ("nasq-fuzz-" + std::to_string(getpid()) + extension);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  Check(out.good(), "cannot write the scratch file");
  return path;
}

}  // namespace nasq::fuzz

#endif  // NASQ_FUZZ_SCRATCH_FILE_H_
