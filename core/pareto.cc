// core/pareto.cc: see pareto.h.
#include "core/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace nasq {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Indices of `losses` sorted lexicographically by their vectors (ties by index): a vector can
// only be dominated by one before it.
std::vector<size_t> LexOrder(const std::vector<std::vector<double>>& losses,
                             const std::vector<size_t>& indices) {
  std::vector<size_t> order = indices;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return losses[a] < losses[b]; });
  return order;
}

// Ranks of `indices` into `losses`, written into `ranks` from `first_rank` on.
void RankInto(const std::vector<std::vector<double>>& losses, const std::vector<size_t>& indices,
              int first_rank, std::vector<int>& ranks) {
  std::vector<size_t> remaining = LexOrder(losses, indices);
  for (int rank = first_rank; !remaining.empty(); ++rank) {
    std::vector<size_t> front, rest;
    for (size_t i : remaining) {
      const bool dominated = std::any_of(front.begin(), front.end(),
                                         [&](size_t f) { return Dominates(losses[f], losses[i]); });
      (dominated ? rest : front).push_back(i);
      if (!dominated) ranks[i] = rank;
    }
    remaining = std::move(rest);
  }
}

// One JSON number (or Python's Infinity), NaN refused.
std::optional<double> ParseConstraintValue(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  double value = 0.0;
  if (text == "Infinity") return kInf;
  if (text == "-Infinity") return -kInf;
  if (!absl::SimpleAtod(text, &value) || std::isnan(value)) return std::nullopt;
  return value;
}

absl::Status BadConstraint(absl::string_view key, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat("system_attrs.", key,
                                                 ": a constraint must be a number that is not "
                                                 "NaN (or, for \"constraints\", an array of them), "
                                                 "got ",
                                                 text));
}

// Two-objective hypervolume of `points` (each dominating `reference`), by one sweep along the
// first objective.
double Hypervolume2d(std::vector<std::vector<double>> points, std::span<const double> reference) {
  std::sort(points.begin(), points.end());
  double volume = 0.0;
  double ceiling = reference[1];  // the lowest second objective seen so far
  for (const std::vector<double>& p : points) {
    if (p[1] >= ceiling) continue;
    volume += (reference[0] - p[0]) * (ceiling - p[1]);
    ceiling = p[1];
  }
  return volume;
}

// Hypervolume of `points` (each dominating `reference`) in d >= 1 objectives: slices along the
// last objective, each slab the (d-1)-objective hypervolume of the points below it.
double HypervolumeOf(std::vector<std::vector<double>> points, std::span<const double> reference) {
  const size_t d = reference.size();
  if (points.empty()) return 0.0;
  if (d == 1) {
    double best = points[0][0];
    for (const auto& p : points) best = std::min(best, p[0]);
    return reference[0] - best;
  }
  if (d == 2) return Hypervolume2d(std::move(points), reference);
  std::sort(points.begin(), points.end(),
            [d](const auto& a, const auto& b) { return a[d - 1] < b[d - 1]; });
  const std::span<const double> lower = reference.first(d - 1);
  std::vector<std::vector<double>> slab;
  double volume = 0.0;
  for (size_t i = 0; i < points.size(); ++i) {
    slab.emplace_back(points[i].begin(), points[i].end() - 1);
    const double top = i + 1 < points.size() ? points[i + 1][d - 1] : reference[d - 1];
    const double depth = top - points[i][d - 1];
    if (depth > 0.0) volume += HypervolumeOf(slab, lower) * depth;
  }
  return volume;
}

// Optuna's _calc_crowding_distance, which also leaves `order` as its in-place sorts leave the
// population list (stable sorts by each objective in turn).
std::vector<double> CrowdingDistancesInOrder(const std::vector<std::vector<double>>& points,
                                             std::vector<size_t>& order) {
  const size_t n = points.size();
  std::vector<double> distance(n, 0.0);
  order.resize(n);
  std::iota(order.begin(), order.end(), size_t{0});
  if (n == 0) return distance;
  for (size_t m = 0; m < points[0].size(); ++m) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return points[a][m] < points[b][m]; });
    if (points[order.front()][m] == points[order.back()][m]) continue;
    // vs = [-inf, sorted values..., inf]
    auto vs = [&](size_t j) {
      if (j == 0) return -kInf;
      if (j == n + 1) return kInf;
      return points[order[j - 1]][m];
    };
    double v_min = kInf, v_max = -kInf;
    for (size_t j = 0; j < n + 2; ++j) {
      if (vs(j) != -kInf) {
        v_min = vs(j);
        break;
      }
    }
    for (size_t j = n + 2; j-- > 0;) {
      if (vs(j) != kInf) {
        v_max = vs(j);
        break;
      }
    }
    double width = v_max - v_min;
    if (!(width > 0.0)) width = 1.0;
    for (size_t j = 0; j < n; ++j) {
      const double gap = vs(j) == vs(j + 2) ? 0.0 : vs(j + 2) - vs(j);
      distance[order[j]] += gap / width;
    }
  }
  return distance;
}

}  // namespace

std::vector<double> LossVector(std::span<const double> values,
                               const std::vector<StudyDirection>& directions) {
  std::vector<double> loss(values.begin(), values.end());
  for (size_t i = 0; i < loss.size() && i < directions.size(); ++i) {
    if (directions[i] == StudyDirection::kMaximize) loss[i] = -loss[i];
  }
  return loss;
}

bool Dominates(std::span<const double> a, std::span<const double> b) {
  if (a.size() != b.size()) return false;
  bool differ = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] <= b[i])) return false;
    differ = differ || a[i] != b[i];
  }
  return differ;
}

std::vector<int> NonDominationRanks(const std::vector<std::vector<double>>& losses) {
  std::vector<int> ranks(losses.size(), 0);
  std::vector<size_t> all(losses.size());
  std::iota(all.begin(), all.end(), size_t{0});
  RankInto(losses, all, 0, ranks);
  return ranks;
}

std::vector<int> ConstrainedNonDominationRanks(const std::vector<std::vector<double>>& losses,
                                               const std::vector<double>& penalties) {
  std::vector<int> ranks(losses.size(), 0);
  std::vector<size_t> feasible, infeasible;
  for (size_t i = 0; i < losses.size(); ++i) {
    (penalties[i] <= 0.0 ? feasible : infeasible).push_back(i);
  }
  RankInto(losses, feasible, 0, ranks);
  int first_infeasible = 0;
  for (size_t i : feasible) first_infeasible = std::max(first_infeasible, ranks[i] + 1);
  std::vector<std::vector<double>> penalty_vectors(losses.size());
  for (size_t i : infeasible) penalty_vectors[i] = {penalties[i]};
  RankInto(penalty_vectors, infeasible, first_infeasible, ranks);
  return ranks;
}

// Only the first front, in O(n log n + n * |front|) rather than NonDominationRanks' full sort (a
// 10,000-trial study's summary on the dashboard). In lexicographic order a point's dominators all
// come before it, and a dominated dominator is itself dominated by a front member, so checking
// each point against the front found so far suffices. A point with NaN or another length neither
// dominates nor is dominated (Dominates), so it is on the front and kept out of the sort (NaN has
// no order).
std::vector<size_t> ParetoFront(const std::vector<std::vector<double>>& losses) {
  std::vector<size_t> front, ordered;
  for (size_t i = 0; i < losses.size(); ++i) {
    const bool comparable =
        losses[i].size() == losses[0].size() &&
        std::none_of(losses[i].begin(), losses[i].end(), [](double v) { return std::isnan(v); });
    (comparable ? ordered : front).push_back(i);
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [&](size_t a, size_t b) { return losses[a] < losses[b]; });
  const size_t incomparable = front.size();
  for (size_t i : ordered) {
    const bool dominated = std::any_of(front.begin() + incomparable, front.end(),
                                       [&](size_t f) { return Dominates(losses[f], losses[i]); });
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end());
  return front;
}

std::vector<double> CrowdingDistances(const std::vector<std::vector<double>>& points) {
  std::vector<size_t> order;
  return CrowdingDistancesInOrder(points, order);
}

std::vector<size_t> CrowdingDistanceOrder(const std::vector<std::vector<double>>& points) {
  std::vector<size_t> order;
  const std::vector<double> distance = CrowdingDistancesInOrder(points, order);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return distance[a] < distance[b]; });
  std::reverse(order.begin(), order.end());
  return order;
}

absl::StatusOr<std::vector<double>> TrialConstraints(const Trial& trial) {
  constexpr absl::string_view kKey = "constraints";
  std::vector<double> constraints;
  for (const auto& [key, text] : trial.system_attrs) {
    if (key == kKey) {
      absl::string_view array = absl::StripAsciiWhitespace(text);
      if (array == "null") continue;
      if (!absl::ConsumePrefix(&array, "[") || !absl::ConsumeSuffix(&array, "]")) {
        return BadConstraint(key, text);
      }
      if (absl::StripAsciiWhitespace(array).empty()) continue;
      for (absl::string_view item : absl::StrSplit(array, ',')) {
        const std::optional<double> value = ParseConstraintValue(item);
        if (!value) return BadConstraint(key, text);
        constraints.push_back(*value);
      }
    } else if (absl::StartsWith(key, "constraints:")) {
      const std::optional<double> value = ParseConstraintValue(text);
      if (!value) return BadConstraint(key, text);
      constraints.push_back(*value);
    }
  }
  return constraints;
}

double ConstraintPenalty(std::span<const double> constraints) {
  double penalty = 0.0;
  for (double c : constraints) {
    if (c > 0.0) penalty += c;
  }
  return penalty;
}

std::vector<ParetoRole> ParetoRoles(std::span<const Trial> trials,
                                    const std::vector<StudyDirection>& directions) {
  std::vector<ParetoRole> roles(trials.size(), ParetoRole::kNone);
  std::vector<size_t> feasible;
  std::vector<std::vector<double>> losses;
  for (size_t i = 0; i < trials.size(); ++i) {
    const Trial& t = trials[i];
    if (t.state != TrialState::kComplete || t.values.size() != directions.size()) continue;
    const absl::StatusOr<std::vector<double>> constraints = TrialConstraints(t);
    if (!constraints.ok() || ConstraintPenalty(*constraints) > 0.0) {
      roles[i] = ParetoRole::kInfeasible;
      continue;
    }
    roles[i] = ParetoRole::kDominated;
    feasible.push_back(i);
    losses.push_back(LossVector(t.values, directions));
  }
  for (size_t k : ParetoFront(losses)) roles[feasible[k]] = ParetoRole::kFront;
  return roles;
}

absl::StatusOr<double> Hypervolume(const std::vector<std::vector<double>>& losses,
                                   std::span<const double> reference) {
  if (reference.empty()) {
    return absl::InvalidArgumentError("hypervolume: the reference point has no objectives");
  }
  for (double r : reference) {
    if (std::isnan(r)) return absl::InvalidArgumentError("hypervolume: the reference point is NaN");
  }
  std::vector<std::vector<double>> points;
  for (size_t i = 0; i < losses.size(); ++i) {
    const std::vector<double>& p = losses[i];
    if (p.size() != reference.size()) {
      return absl::InvalidArgumentError(absl::StrCat("hypervolume: point ", i, " has ", p.size(),
                                                     " objectives, the reference point ",
                                                     reference.size()));
    }
    bool inside = true;
    for (size_t m = 0; m < p.size(); ++m) {
      if (std::isnan(p[m])) {
        return absl::InvalidArgumentError(absl::StrCat("hypervolume: point ", i, " is NaN"));
      }
      inside = inside && p[m] < reference[m];
    }
    if (inside) points.push_back(p);
  }
  if (points.empty()) return 0.0;
  for (double r : reference) {
    if (std::isinf(r)) return kInf;
  }
  // Only the front counts; dropping the rest keeps the slicing small.
  std::vector<std::vector<double>> front;
  for (size_t i : ParetoFront(points)) front.push_back(points[i]);
  const double volume = HypervolumeOf(std::move(front), reference);
  return std::isnan(volume) ? kInf : volume;
}

std::vector<double> DefaultReferencePoint(const std::vector<std::vector<double>>& losses) {
  std::vector<double> reference = losses.at(0);
  for (const std::vector<double>& p : losses) {
    for (size_t m = 0; m < reference.size(); ++m) reference[m] = std::max(reference[m], p[m]);
  }
  for (double& r : reference) {
    r = std::max(1.1 * r, 0.9 * r);
    if (r == 0.0) r = 1e-12;
  }
  return reference;
}

}  // namespace nasq
