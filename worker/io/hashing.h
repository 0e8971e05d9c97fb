// worker/io/hashing.h: FNV-1a 64-bit hashing, the stable hash behind split assignment,
// tokenizer fingerprints, file fingerprints and cache keys (stable across runs, platforms and
// compilers).
//
// Thread-safety: Fnv1a64 is a small value type; use one per thread.
#ifndef NASQ_WORKER_IO_HASHING_H_
#define NASQ_WORKER_IO_HASHING_H_

#include <cstdint>
#include <string_view>

namespace nasq {

class Fnv1a64 {
 public:
  // Hashes raw bytes.
  Fnv1a64& AddBytes(std::string_view bytes) {
    for (unsigned char c : bytes) {
      state_ ^= c;
      state_ *= kPrime;
    }
    return *this;
  }
  // Hashes a length-prefixed string, so ("ab","c") and ("a","bc") differ.
  Fnv1a64& AddString(std::string_view s) {
    AddU64(s.size());
    return AddBytes(s);
  }
  // Hashes the 8 little-endian bytes of `v`.
  Fnv1a64& AddU64(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      state_ ^= (v >> (8 * i)) & 0xff;
      state_ *= kPrime;
    }
    return *this;
  }
  uint64_t value() const { return state_; }

 private:
  static constexpr uint64_t kOffsetBasis = 14695981039346656037ull;
  static constexpr uint64_t kPrime = 1099511628211ull;
  uint64_t state_ = kOffsetBasis;
};

}  // namespace nasq

#endif  // NASQ_WORKER_IO_HASHING_H_
