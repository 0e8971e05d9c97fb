// analysis/param_importance.cc: see param_importance.h. Follows Optuna 5.0's
// optuna/importance/_ped_anova/evaluator.py step by step (names in the comments are Optuna's).
#include "analysis/param_importance.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "analysis/ped_anova_grid.h"

namespace nasq {
namespace {

constexpr double kPriorWeight = 1.0;      // _prior_weight
constexpr size_t kMinTrialsInRegime = 2;  // _min_n_trials_in_regime
constexpr double kPdfFloor = 1e-12;       // added to both densities before dividing

struct Scored {
  const Trial* trial;
  double loss;  // the objective, negated when maximised: lower is better
};

absl::Status ValidateOptions(const StudySpec& spec, const ImportanceOptions& options) {
  const int n_objectives = static_cast<int>(spec.directions.size());
  if (options.objective < 0 || options.objective >= n_objectives) {
    return absl::InvalidArgumentError(absl::StrCat(
        "objective: must be between 0 and ", n_objectives - 1, " (got ", options.objective, ")"));
  }
  if (!(options.region_quantile > 0 && options.region_quantile <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("region_quantile: must be in (0, 1] (got ", options.region_quantile, ")"));
  }
  if (!(options.target_quantile > 0 && options.target_quantile < options.region_quantile)) {
    return absl::InvalidArgumentError(
        absl::StrCat("target_quantile: must be in (0, region_quantile = ", options.region_quantile,
                     ") (got ", options.target_quantile, ")"));
  }
  return absl::OkStatus();
}

// The trials whose loss is at most the ceil(quantile n)-th smallest (ties kept), in input
// order; all of them when quantile is 1 (_QuantileFilter).
std::vector<Scored> TopQuantile(const std::vector<Scored>& trials, double quantile) {
  if (quantile == 1.0) return trials;
  std::vector<double> losses;
  for (const Scored& s : trials) losses.push_back(s.loss);
  const auto cutoff_index = static_cast<ptrdiff_t>(std::ceil(quantile * losses.size())) - 1;
  std::nth_element(losses.begin(), losses.begin() + cutoff_index, losses.end());
  const double cutoff = losses[cutoff_index];
  std::vector<Scored> top;
  for (const Scored& s : trials) {
    if (s.loss <= cutoff) top.push_back(s);
  }
  return top;
}

// Pearson divergence of the target trials' grid density from the region trials'
// (_compute_pearson_divergence with evaluate_on_local).
double PearsonDivergence(const std::string& param, const Distribution& d,
                         const std::vector<const Trial*>& target,
                         const std::vector<const Trial*>& region) {
  auto probabilities = [&](const std::vector<const Trial*>& trials) {
    std::vector<double> values;
    for (const Trial* t : trials) values.push_back(t->params.at(param));
    return GridProbabilities(d, CountOnGrid(d, values), kPriorWeight);
  };
  const std::vector<double> top = probabilities(target), local = probabilities(region);
  double divergence = 0;
  for (size_t i = 0; i < top.size(); ++i) {
    const double p = top[i] + kPdfFloor, q = local[i] + kPdfFloor;
    divergence += q * (p / q - 1) * (p / q - 1);
  }
  return divergence;
}

// The importance of one param: the region trials split by the param's distribution (regimes;
// trials without the param and regimes of fewer than 2 trials are left out), each regime's
// divergence weighted by alpha^2 / beta (evaluate; _partition_by_regime).
double ParamImportanceOf(const std::string& param, const std::vector<Scored>& target,
                         const std::vector<Scored>& region) {
  std::vector<std::pair<Distribution, std::vector<const Trial*>>> regimes;
  for (const Scored& s : region) {
    const auto it = s.trial->distributions.find(param);
    if (it == s.trial->distributions.end()) continue;
    auto regime = std::find_if(regimes.begin(), regimes.end(),
                               [&](const auto& r) { return r.first == it->second; });
    if (regime == regimes.end()) regime = regimes.insert(regimes.end(), {it->second, {}});
    regime->second.push_back(s.trial);
  }
  absl::flat_hash_set<const Trial*> in_target;
  for (const Scored& s : target) in_target.insert(s.trial);
  double importance = 0;
  for (const auto& [dist, region_trials] : regimes) {
    if (region_trials.size() < kMinTrialsInRegime || IsSingle(dist)) continue;
    std::vector<const Trial*> target_trials;
    for (const Trial* t : region_trials) {
      if (in_target.contains(t)) target_trials.push_back(t);
    }
    if (target_trials.empty()) continue;
    const double alpha = static_cast<double>(target_trials.size()) / target.size();
    const double beta = static_cast<double>(region_trials.size()) / region.size();
    importance +=
        alpha * alpha / beta * PearsonDivergence(param, dist, target_trials, region_trials);
  }
  return importance;
}

}  // namespace

absl::StatusOr<std::vector<ParamImportance>> ComputeParamImportances(
    const StudySpec& spec, std::span<const Trial> trials, const ImportanceOptions& options) {
  if (absl::Status s = ValidateOptions(spec, options); !s.ok()) return s;
  const size_t k = static_cast<size_t>(options.objective);
  const double sign = spec.directions[k] == StudyDirection::kMaximize ? -1.0 : 1.0;
  std::vector<Scored> scored;  // COMPLETE trials with a finite objective (_get_filtered_trials)
  for (const Trial& t : trials) {
    if (t.state == TrialState::kComplete && t.values.size() > k && std::isfinite(t.values[k])) {
      scored.push_back({&t, sign * t.values[k]});
    }
  }
  if (scored.size() < 2) return std::vector<ParamImportance>{};
  const std::vector<Scored> target = TopQuantile(scored, options.target_quantile);
  const std::vector<Scored> region = TopQuantile(scored, options.region_quantile);
  const double quantile = static_cast<double>(target.size()) / region.size();

  std::vector<ParamImportance> importances;
  for (const ParamSpec& p : spec.space.params()) {
    const bool held = std::any_of(trials.begin(), trials.end(), [&](const Trial& t) {
      return t.state == TrialState::kComplete && t.distributions.contains(p.name);
    });
    if (!held) continue;
    importances.push_back(
        {p.name, quantile * quantile * ParamImportanceOf(p.name, target, region)});
  }
  std::sort(importances.begin(), importances.end(),
            [](const ParamImportance& a, const ParamImportance& b) {
              return a.importance != b.importance ? a.importance > b.importance : a.param < b.param;
            });
  return importances;
}

}  // namespace nasq
