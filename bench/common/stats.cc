// bench/common/stats.cc: see stats.h.
#include "bench/common/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"

namespace nasq::bench {

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t lower = static_cast<size_t>(std::floor(position));
  const size_t upper = std::min(lower + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return values[lower] + fraction * (values[upper] - values[lower]);
}

double MannWhitneyLessP(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.empty() || b.empty()) return 1.0;
  // Pool the samples (value, from_a), rank them with average ranks for ties.
  std::vector<std::pair<double, bool>> pooled;
  for (double v : a) pooled.emplace_back(v, true);
  for (double v : b) pooled.emplace_back(v, false);
  std::sort(pooled.begin(), pooled.end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  const double n = static_cast<double>(pooled.size());
  double rank_sum_a = 0.0, tie_term = 0.0;
  for (size_t start = 0; start < pooled.size();) {
    size_t end = start;
    while (end < pooled.size() && pooled[end].first == pooled[start].first) ++end;
    const double ties = static_cast<double>(end - start);
    const double average_rank = (static_cast<double>(start + end) + 1.0) / 2.0;
    for (size_t k = start; k < end; ++k) {
      if (pooled[k].second) rank_sum_a += average_rank;
    }
    tie_term += ties * ties * ties - ties;
    start = end;
  }
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const double u_a = rank_sum_a - na * (na + 1.0) / 2.0;  // pairs with a > b (+ half ties)
  const double mean = na * nb / 2.0;
  const double variance = na * nb / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
  if (variance <= 0.0) return 1.0;
  const double z = (u_a - mean + 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(-z / std::sqrt(2.0));
}

std::string Comparison::Text() const {
  switch (outcome) {
    case kWorse:
      return absl::StrFormat("WORSE (p=%.2g)", p);
    case kBetter:
      return absl::StrFormat("BETTER (p=%.2g)", p);
    case kTie:
      break;
  }
  return absl::StrFormat("TIE (p_worse=%.2g)", p);
}

Comparison CompareLosses(const std::vector<double>& ours, const std::vector<double>& reference,
                         double alpha) {
  const double p_worse = MannWhitneyLessP(reference, ours);
  const double p_better = MannWhitneyLessP(ours, reference);
  if (p_worse < alpha) return {Comparison::kWorse, p_worse};
  if (p_better < alpha) return {Comparison::kBetter, p_better};
  return {Comparison::kTie, p_worse};
}

}  // namespace nasq::bench
