// bench/common/stats.h: the small statistics the benchmarks print (quantiles, Mann-Whitney U,
// verdicts against a reference).
//
// Thread-safety: pure functions.
#ifndef NASQ_BENCH_COMMON_STATS_H_
#define NASQ_BENCH_COMMON_STATS_H_

#include <string>
#include <vector>

namespace nasq::bench {

// The q-quantile (0 <= q <= 1) of `values` with linear interpolation between order statistics
// (numpy's default); NaN when `values` is empty.
double Quantile(std::vector<double> values, double q);

inline double Median(const std::vector<double>& values) { return Quantile(values, 0.5); }

// One-sided Mann-Whitney U test: the p-value of the null hypothesis "a is not stochastically
// smaller than b" against "values of a tend to be smaller than values of b". Uses the normal
// approximation with tie correction and continuity correction (scipy.stats.mannwhitneyu with
// method="asymptotic", alternative="less"); accurate enough for 20 vs 20 samples. Returns 1
// when either sample is empty or all values are equal (no evidence either way).
double MannWhitneyLessP(const std::vector<double>& a, const std::vector<double>& b);

// The verdict of a sampler ("ours") against a reference sampler from per-seed losses (smaller
// is better): WORSE when p(ours stochastically larger) < alpha, BETTER when p(ours
// stochastically smaller) < alpha, otherwise TIE (within noise).
struct Comparison {
  enum Outcome { kBetter, kTie, kWorse };
  Outcome outcome = kTie;
  double p = 1.0;  // p of the verdict's test; for TIE, p(worse)

  // "WORSE (p=...)", "BETTER (p=...)" or "TIE (p_worse=...)".
  std::string Text() const;
};
Comparison CompareLosses(const std::vector<double>& ours, const std::vector<double>& reference,
                         double alpha);

}  // namespace nasq::bench

#endif  // NASQ_BENCH_COMMON_STATS_H_
