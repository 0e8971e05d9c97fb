// fuzz/fuzz_check.h: the property check the fuzz targets share. A failed check aborts, which
// libFuzzer reports as a crash and saves the input that caused it.
// Thread-safety: stateless.
#ifndef NASQ_FUZZ_FUZZ_CHECK_H_
#define NASQ_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

namespace nasq::fuzz {

// Does nothing when `condition` holds; otherwise prints `what` to stderr and aborts.
inline void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

}  // namespace nasq::fuzz

#endif  // NASQ_FUZZ_FUZZ_CHECK_H_
