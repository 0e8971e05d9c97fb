// sampler/tpe_hssp.cc: see tpe_hssp.h.
#include "sampler/tpe_hssp.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <span>

#include "core/pareto.h"
#include "sampler/math_constants.h"

namespace nasq {
namespace {

// Volume of the box between `p` and `reference` (every p[m] < reference[m]).
double BoxVolume(std::span<const double> p, std::span<const double> reference) {
  double volume = 1.0;
  for (size_t m = 0; m < p.size(); ++m) volume *= reference[m] - p[m];
  return volume;
}

// max(a, b) per objective.
std::vector<double> Join(std::span<const double> a, std::span<const double> b) {
  std::vector<double> joined(a.size());
  for (size_t m = 0; m < a.size(); ++m) joined[m] = std::max(a[m], b[m]);
  return joined;
}

// The exact hypervolume that `p` adds to `taken`: its box less the part of it that `taken`
// covers, which is the hypervolume of the vectors max(s, p) for s in `taken`.
double Contribution(std::span<const double> p, const std::vector<std::vector<double>>& taken,
                    std::span<const double> reference) {
  const double box = BoxVolume(p, reference);
  if (std::isinf(box)) return kInf;
  std::vector<std::vector<double>> covered;
  covered.reserve(taken.size());
  for (const std::vector<double>& s : taken) covered.push_back(Join(s, p));
  // Cannot fail: the vectors have the reference's size and no NaN.
  return box - Hypervolume(covered, reference).value();
}

}  // namespace

std::vector<size_t> SelectHypervolumeSubset(const std::vector<std::vector<double>>& front,
                                            size_t k) {
  const size_t n = front.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  if (k >= n) return order;
  if (k == 0) return {};
  // First occurrences of the distinct vectors, in lexicographic order.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return front[a] < front[b]; });
  std::vector<size_t> distinct;
  for (size_t i : order) {
    if (distinct.empty() || front[distinct.back()] != front[i]) distinct.push_back(i);
  }
  if (distinct.size() <= k) {
    std::vector<bool> chosen(n, false);
    for (size_t i : distinct) chosen[i] = true;
    size_t repeats = k - distinct.size();
    for (size_t i = 0; i < n && repeats > 0; ++i) {
      if (!chosen[i]) {
        chosen[i] = true;
        --repeats;
      }
    }
    std::vector<size_t> result;
    for (size_t i = 0; i < n; ++i) {
      if (chosen[i]) result.push_back(i);
    }
    return result;
  }
  const std::vector<double> reference = DefaultReferencePoint(front);
  if (!std::all_of(reference.begin(), reference.end(), [](double r) { return std::isfinite(r); })) {
    distinct.resize(k);
    return distinct;
  }

  std::vector<size_t> remaining = std::move(distinct);
  std::vector<double> bound(remaining.size());  // upper bound on each contribution, or exact
  for (size_t i = 0; i < remaining.size(); ++i)
    bound[i] = BoxVolume(front[remaining[i]], reference);
  std::vector<std::vector<double>> taken;
  std::vector<size_t> result;
  bool infinite = false;  // the hypervolume of `taken` is infinite
  while (true) {
    const size_t best =
        static_cast<size_t>(std::max_element(bound.begin(), bound.end()) - bound.begin());
    infinite = infinite || std::isinf(bound[best]);
    result.push_back(remaining[best]);
    taken.push_back(front[remaining[best]]);
    remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(best));
    bound.erase(bound.begin() + static_cast<std::ptrdiff_t>(best));
    if (result.size() == k) return result;
    if (infinite) {
      std::fill(bound.begin(), bound.end(), kInf);
      continue;
    }
    // The contribution to `taken` is at most the previous one and at most the one to the vector
    // just taken alone (submodularity); exact values are needed only where the bound can win.
    const std::vector<double>& last = taken.back();
    for (size_t i = 0; i < remaining.size(); ++i) {
      const std::vector<double>& p = front[remaining[i]];
      const double box = BoxVolume(p, reference);
      bound[i] =
          std::isinf(box) ? kInf : std::min(bound[i], box - BoxVolume(Join(p, last), reference));
    }
    std::vector<size_t> by_bound(remaining.size());
    std::iota(by_bound.begin(), by_bound.end(), size_t{0});
    std::stable_sort(by_bound.begin(), by_bound.end(),
                     [&](size_t a, size_t b) { return bound[a] > bound[b]; });
    double best_exact = 0.0;
    for (size_t i : by_bound) {
      if (bound[i] < best_exact) continue;
      bound[i] = Contribution(front[remaining[i]], taken, reference);
      best_exact = std::max(best_exact, bound[i]);
    }
  }
}

}  // namespace nasq
