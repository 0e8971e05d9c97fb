// sampler/rng.cc: see rng.h.
#include "sampler/rng.h"

#include <cmath>
#include <numbers>

namespace nasq {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t TrialStreamSeed(uint64_t seed, int64_t trial_number, int redraw) {
  uint64_t h = SplitMix64(seed);
  h = SplitMix64(h ^ static_cast<uint64_t>(trial_number));
  return SplitMix64(h ^ static_cast<uint64_t>(static_cast<int64_t>(redraw)));
}

uint64_t PurposeStreamSeed(uint64_t seed, uint64_t purpose) {
  return SplitMix64(SplitMix64(seed) ^ SplitMix64(purpose ^ 0xA5A5A5A5A5A5A5A5ULL));
}

double UniformDouble(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

double UniformOpenDouble(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

double StandardNormal(std::mt19937_64& rng) {
  const double u1 = UniformOpenDouble(rng);
  const double u2 = UniformOpenDouble(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

uint64_t UniformIndex(std::mt19937_64& rng, uint64_t n) {
  // Accept draws below the largest multiple of n that fits in 2^64.
  const uint64_t limit = ~uint64_t{0} - (~uint64_t{0} % n);
  uint64_t x = rng();
  while (x >= limit) x = rng();
  return x % n;
}

}  // namespace nasq
