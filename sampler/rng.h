// sampler/rng.h: deterministic random streams for samplers.
//
// Every random number a sampler uses comes from a std::mt19937_64 whose output bits are fully
// specified by the C++ standard; the transforms below (uniform doubles, normal draws, unbiased
// indices) are our own so that results do not depend on the standard library's
// implementation-defined distributions. Pure functions; thread-safe (the engine passed in is not
// shared).
#ifndef NASQ_SAMPLER_RNG_H_
#define NASQ_SAMPLER_RNG_H_

#include <cstdint>
#include <random>

namespace nasq {

// The splitmix64 finaliser: a bijective 64-bit mixing function with good avalanche.
uint64_t SplitMix64(uint64_t x);

// Seed of the random stream for (study seed, trial number, redraw). Distinct inputs give
// well-separated streams; the same inputs always give the same seed.
uint64_t TrialStreamSeed(uint64_t seed, int64_t trial_number, int redraw);

// Seed of a stream for a purpose that is not tied to a trial (e.g. the grid permutation).
// `purpose` is any fixed tag chosen by the caller.
uint64_t PurposeStreamSeed(uint64_t seed, uint64_t purpose);

// Uniform double in [0, 1) with 53 random bits (one engine call).
double UniformDouble(std::mt19937_64& rng);

// Uniform double in the open interval (0, 1) (one engine call); safe for log() and inverse
// CDFs.
double UniformOpenDouble(std::mt19937_64& rng);

// Standard normal draw (Box-Muller on two UniformOpenDouble draws; two engine calls).
double StandardNormal(std::mt19937_64& rng);

// Uniform integer in [0, n) without modulo bias (rejection sampling); n must be > 0.
uint64_t UniformIndex(std::mt19937_64& rng, uint64_t n);

}  // namespace nasq

#endif  // NASQ_SAMPLER_RNG_H_
