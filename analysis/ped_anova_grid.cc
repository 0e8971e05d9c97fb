// analysis/ped_anova_grid.cc: see ped_anova_grid.h.
#include "analysis/ped_anova_grid.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <variant>

#include "sampler/parzen_estimator.h"

namespace nasq {
namespace {

struct NumericGrid {
  double low = 0, high = 0;  // of the (log) range
  bool log = false;
  int64_t size = 0;
};

NumericGrid NumericGridOf(const Distribution& d) {
  NumericGrid g;
  int64_t discrete_size = kPedAnovaSteps;
  if (const auto* i = std::get_if<IntDistribution>(&d)) {
    g = {static_cast<double>(i->low), static_cast<double>(i->high), i->log, 0};
    discrete_size =
        i->log ? static_cast<int64_t>(std::ceil(
                     std::log(static_cast<double>(i->high - i->low + 1)) / std::log(2.0))) +
                     1
               : static_cast<int64_t>(
                     std::nearbyint(static_cast<double>(i->high - i->low) / i->step)) +
                     1;
  } else {
    const auto& f = std::get<FloatDistribution>(d);
    g = {f.low, f.high, f.log, 0};
    if (f.step)
      discrete_size = static_cast<int64_t>(std::nearbyint((f.high - f.low) / *f.step)) + 1;
  }
  g.size = std::min<int64_t>(discrete_size, kPedAnovaSteps);
  if (g.log) {
    g.low = std::log(g.low);
    g.high = std::log(g.high);
  }
  return g;
}

}  // namespace

std::vector<double> CountOnGrid(const Distribution& d, std::span<const double> values) {
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    std::vector<double> counts(c->choices.size(), 0.0);
    for (double v : values) {
      if (v >= 0 && v < static_cast<double>(counts.size())) counts[static_cast<size_t>(v)] += 1;
    }
    return counts;
  }
  const NumericGrid g = NumericGridOf(d);
  std::vector<double> counts(g.size, 0.0);
  const double step = (g.high - g.low) / static_cast<double>(g.size - 1);
  for (double v : values) {
    const double x = g.log ? std::log(v) : v;
    // Midpoint ties go to the lower point, as in Optuna.
    const double index = std::ceil((x - g.low) / step - 0.5);
    counts[static_cast<size_t>(std::clamp(index, 0.0, static_cast<double>(g.size - 1)))] += 1;
  }
  return counts;
}

double ScottSigma(std::span<const double> points, std::span<const double> counts) {
  const size_t n = points.size();
  std::vector<double> cumulative(n);
  double total = 0, weighted_sum = 0;
  for (size_t i = 0; i < n; ++i) {
    total += counts[i];
    cumulative[i] = total;
    weighted_sum += points[i] * counts[i];
  }
  const double mean = weighted_sum / total;
  double squares = 0;
  for (size_t i = 0; i < n; ++i) squares += (points[i] - mean) * (points[i] - mean) * counts[i];
  const double sd = std::sqrt(squares / std::max(1.0, total - 1));
  // Quartile positions with numpy's searchsorted on the integer-divided totals.
  const size_t q1 = std::lower_bound(cumulative.begin(), cumulative.end(), std::floor(total / 4)) -
                    cumulative.begin();
  const size_t q3 =
      std::upper_bound(cumulative.begin(), cumulative.end(), std::floor(total * 3 / 4)) -
      cumulative.begin();
  const double iqr = points[std::min(n - 1, q3)] - points[q1];
  const double sigma = 1.059 * std::min(iqr / 1.34, sd) * std::pow(total, -0.2);
  return std::max(sigma, 0.5 / 1.64);
}

std::vector<double> GridProbabilities(const Distribution& d, std::span<const double> counts,
                                      double prior_weight) {
  std::vector<double> points, weights;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    points.push_back(static_cast<double>(i));
    weights.push_back(counts[i]);
  }
  const bool categorical = std::holds_alternative<CategoricalDistribution>(d);
  const Distribution grid =
      categorical ? d : IntDistribution{0, static_cast<int64_t>(counts.size()) - 1, false, 1};
  ParzenOptions options;
  options.prior_weight = prior_weight;
  if (!categorical && !points.empty()) options.observation_sigma = ScottSigma(points, weights);
  const Distribution* dims[] = {&grid};
  const ParzenEstimator estimator(dims, points, weights, options);
  std::vector<double> probabilities(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    const double x[] = {static_cast<double>(i)};
    probabilities[i] = std::exp(estimator.LogPdf(x));
  }
  return probabilities;
}

}  // namespace nasq
