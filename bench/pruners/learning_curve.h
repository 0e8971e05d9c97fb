// bench/pruners/learning_curve.h: a deterministic learning-curve surrogate for the pruner
// benchmark: a "validation loss" (minimise) of a configuration after each training step.
//
// Three params: lr (float, log, 1e-4..1), width (int, log, 16..512), dropout (float, 0..0.5).
// Each configuration has an asymptote a, an initial loss s = 1 + a and a learning rate r; its
// loss after step t (1-based) is
//     loss(t) = a + (s - a) * exp(-r * t) + noise * z(seed, t),
// with z a standard normal variate derived from (seed, t) only (splitmix64 + Box-Muller), so the
// same (params, seed, t) always give the same loss. With u = log10(lr):
//     a = 0.05 + 0.06 (u + 2.5)^2 + 0.15 (1 - log2(width / 16) / 5)^2 + 0.4 (dropout - 0.15)^2
// and the rate by family:
//   * crossing: r = min(1, 0.1 * 10^(0.6 (u + 2))). The larger the learning rate the faster a
//     curve falls, but above lr ~ 10^-2.5 it levels off higher, so early leaders are often not
//     the final best (the best lr is among the slow starters): hard for pruners.
//   * ordered: r = 0.15 * 10^(-0.5 |u + 2.5|). The best lr also learns fastest; curves of
//     different widths and dropouts still cross, but early rank mostly predicts final rank.
//
// Thread-safety: immutable after construction; every method is const and thread-safe.
#ifndef NASQ_BENCH_PRUNERS_LEARNING_CURVE_H_
#define NASQ_BENCH_PRUNERS_LEARNING_CURVE_H_

#include <cstdint>

#include "core/search_space.h"

namespace nasq::bench {

enum class CurveFamily { kCrossing, kOrdered };

// "crossing", "ordered".
const char* CurveFamilyName(CurveFamily family);

// The noise-free shape of one configuration's curve.
struct CurveShape {
  double asymptote = 0.0;
  double initial = 0.0;
  double rate = 0.0;
};

class LearningCurveSurrogate {
 public:
  // `noise` is the standard deviation of the per-step noise (>= 0).
  LearningCurveSurrogate(CurveFamily family, double noise);

  const SearchSpace& space() const { return space_; }

  // The curve of `params` (internal values of every param of space()).
  CurveShape Shape(const InternalParams& params) const;

  // The loss of `params` after `step` (>= 1) steps; `seed` picks the noise sequence (the
  // benchmark uses one per trial).
  double Loss(const InternalParams& params, uint64_t seed, int64_t step) const;

 private:
  SearchSpace space_;
  CurveFamily family_;
  double noise_;
};

// A standard normal variate that depends only on (seed, index).
double StandardNormal(uint64_t seed, int64_t index);

}  // namespace nasq::bench

#endif  // NASQ_BENCH_PRUNERS_LEARNING_CURVE_H_
