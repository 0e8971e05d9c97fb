// sampler/parzen_estimator.h: TPE's Parzen estimator (Optuna 5.0, docs/tpe.md 1.4 and 1.5).
//
// A mixture of n_obs + 1 product kernels (one per observation plus the prior kernel); every
// dimension shares the kernel index. Numeric dimensions work in a transformed space (bounds
// extended by step/2 when stepped, logarithm when log) with Gaussian kernels truncated to the
// domain: densities for continuous params, interval masses for int / stepped float (in log
// space for log-int, as Optuna 4.7+). Every numeric dimension's bandwidths follow the hyperopt
// rule on that dimension's observations (the prior centre is not a neighbour), then magic clip;
// as in Optuna 5.0 this holds for joint (multivariate) estimators too, which until 4.x used a
// Scott-like rule.
// Categorical kernels put (1 + eps) / (1 + k eps) on their own choice, eps = prior_weight /
// (n_obs + 1); the prior kernel is uniform. For a single categorical dimension the whole
// mixture collapses to one probability per choice (CategoricalMixtureProbabilities), which TPE
// uses to sample and score in O(k).
// Thread-safety: an estimator is immutable after construction except for an internal scratch
// buffer used by LogPdf, so one instance must not be used by two threads at once.
#ifndef NASQ_SAMPLER_PARZEN_ESTIMATOR_H_
#define NASQ_SAMPLER_PARZEN_ESTIMATOR_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "core/distribution.h"

namespace nasq {

inline constexpr double kTpeEps = 1e-12;  // Optuna's EPS

struct ParzenOptions {
  double prior_weight = 1.0;        // weight of the prior kernel (>= 0)
  bool consider_magic_clip = true;  // floor sigmas at range / min(100, n_obs + 2)
  bool consider_endpoints = false;  // let the domain bounds widen the outermost kernels
  // When set (> 0), every observation kernel of every numeric dimension has this bandwidth (in
  // the transformed space) instead of the hyperopt rule and magic clip; the prior kernel keeps
  // its own (centre of the bounds, width of the bounds). PED-ANOVA's Scott-rule estimator
  // (analysis/param_importance.h) sets it; TPE leaves it unset.
  std::optional<double> observation_sigma;
};

// Transformed bounds of a numeric distribution: [low - step/2, high + step/2] when stepped
// (ints always), then log when log.
struct TransformedBounds {
  double low = 0.0;
  double high = 0.0;
};
TransformedBounds TransformBounds(const Distribution& d);

// Univariate (hyperopt) bandwidths of kernels centred at `mus` (transformed observations),
// before clipping; one sigma per mu, in the input order.
std::vector<double> HyperoptSigmas(std::span<const double> mus, double low, double high,
                                   bool consider_endpoints);

// Clips sigmas to [min_sigma, high - low], min_sigma = (high - low) / min(100, n_obs + 2) with
// magic clip and kTpeEps without.
void ClipSigmas(std::span<double> sigmas, size_t n_obs, double low, double high,
                bool consider_magic_clip);

// Mixture weights: `obs_weights` followed by prior_weight, normalised; just {1} when there are
// no observations.
std::vector<double> MixtureWeights(std::span<const double> obs_weights, double prior_weight);

// Per-choice probabilities of the mixture of categorical kernels over `k` choices with
// observations `choices` (internal indices in [0, k)) weighted by `obs_weights` (unnormalised,
// same length). Writes k probabilities that sum to 1 into `probs`.
void CategoricalMixtureProbabilities(std::span<const double> choices,
                                     std::span<const double> obs_weights, int k,
                                     double prior_weight, std::vector<double>& probs);

class ParzenEstimator {
 public:
  // `dists[j]` is dimension j's distribution (valid, normalised, not single-valued).
  // `observations` is n_obs x dists.size() internal values, row-major, each contained in its
  // distribution; `obs_weights` has n_obs unnormalised non-negative weights.
  ParzenEstimator(std::span<const Distribution* const> dists, std::span<const double> observations,
                  std::span<const double> obs_weights, const ParzenOptions& options);

  size_t num_dims() const { return dims_.size(); }
  size_t num_kernels() const { return log_weights_.size(); }

  // Draws one point (internal values contained in the distributions) into out[0..num_dims).
  void Sample(std::mt19937_64& rng, std::span<double> out) const;

  // log density (log mass for discrete dimensions) of the mixture at internal point x.
  double LogPdf(std::span<const double> x) const;

  // Kernel parameters of numeric dimension `dim` (transformed space), for tests.
  const std::vector<double>& mus(size_t dim) const { return dims_[dim].mus; }
  const std::vector<double>& sigmas(size_t dim) const { return dims_[dim].sigmas; }
  const std::vector<double>& weights() const { return weights_; }

 private:
  struct Dim {
    bool categorical = false;
    // Numeric.
    bool log = false;
    double step = 0.0;  // 0 for continuous
    double dist_low = 0.0, dist_high = 0.0;
    double low = 0.0, high = 0.0;                            // transformed bounds
    std::vector<double> mus, sigmas, log_sigmas, log_norms;  // per kernel
    // Categorical.
    int n_choices = 0;
    std::vector<int> kernel_choice;  // per kernel; -1 for the uniform prior kernel
    double log_hit = 0.0, log_miss = 0.0, hit = 0.0, miss = 0.0;
  };

  void BuildNumeric(Dim& dim, std::span<const double> column, const ParzenOptions& options);
  void BuildCategorical(Dim& dim, std::span<const double> column, const ParzenOptions& options);
  double LogKernel(const Dim& dim, size_t kernel, double x) const;
  double SampleDim(const Dim& dim, size_t kernel, std::mt19937_64& rng) const;

  std::vector<Dim> dims_;
  std::vector<double> weights_;  // normalised mixture weights
  std::vector<double> log_weights_;
  std::vector<double> cumulative_;  // running sums of weights_
  mutable std::vector<double> scratch_;
};

// Keeps the best of a stream of scored candidates: feasible candidates beat infeasible ones,
// then the higher score wins, then the earlier candidate (numpy's argmax). NaN scores count as
// -inf.
class CandidateSelector {
 public:
  void Offer(int index, double score, bool feasible);
  int best() const { return best_; }  // -1 before the first Offer

 private:
  int best_ = -1;
  double best_score_ = 0.0;
  bool best_feasible_ = false;
};

// Tells whether a candidate (internal values, one per dimension) is acceptable; empty means
// every candidate is.
using CandidateFilter = std::function<bool(std::span<const double>)>;

// Draws `n_candidates` points from `below` and writes into `best` the one CandidateSelector
// picks with score below.LogPdf - above.LogPdf and feasibility `filter` (identical candidates
// are scored once).
void SelectBestCandidate(const ParzenEstimator& below, const ParzenEstimator& above,
                         int n_candidates, const CandidateFilter& filter, std::mt19937_64& rng,
                         std::vector<double>& best);

}  // namespace nasq

#endif  // NASQ_SAMPLER_PARZEN_ESTIMATOR_H_
