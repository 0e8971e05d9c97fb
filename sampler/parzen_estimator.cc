// sampler/parzen_estimator.cc: see parzen_estimator.h.
#include "sampler/parzen_estimator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <variant>

#include "sampler/math_constants.h"
#include "sampler/rng.h"
#include "sampler/truncnorm.h"

namespace nasq {
namespace {

struct NumericShape {
  double low, high, step;  // untransformed; step 0 when continuous
  bool log;
};

NumericShape ShapeOf(const Distribution& d) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    return {f->low, f->high, f->step.value_or(0.0), f->log};
  }
  const auto& i = std::get<IntDistribution>(d);
  return {static_cast<double>(i.low), static_cast<double>(i.high), static_cast<double>(i.step),
          i.log};
}

double LogSumExp(std::span<const double> v) {
  double m = -kInf;
  for (double x : v) m = std::max(m, x);
  if (m == -kInf) return -kInf;
  double s = 0.0;
  for (double x : v) s += std::exp(x - m);
  return m + std::log(s);
}

}  // namespace

TransformedBounds TransformBounds(const Distribution& d) {
  const NumericShape s = ShapeOf(d);
  TransformedBounds b{s.low - s.step / 2, s.high + s.step / 2};
  if (s.log) b = {std::log(b.low), std::log(b.high)};
  return b;
}

std::vector<double> HyperoptSigmas(std::span<const double> mus, double low, double high,
                                   bool consider_endpoints) {
  const size_t n = mus.size();
  std::vector<double> sigmas(n);
  if (n == 0) return sigmas;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return mus[a] < mus[b]; });
  std::vector<double> s(n + 2);  // sorted mus with the bounds as sentinels
  s[0] = low;
  for (size_t i = 0; i < n; ++i) s[i + 1] = mus[order[i]];
  s[n + 1] = high;
  std::vector<double> sorted_sigmas(n);
  for (size_t i = 0; i < n; ++i) {
    sorted_sigmas[i] = std::max(s[i + 1] - s[i], s[i + 2] - s[i + 1]);
  }
  if (!consider_endpoints && n >= 2) {
    sorted_sigmas[0] = s[2] - s[1];
    sorted_sigmas[n - 1] = s[n] - s[n - 1];
  }
  for (size_t i = 0; i < n; ++i) sigmas[order[i]] = sorted_sigmas[i];
  return sigmas;
}

void ClipSigmas(std::span<double> sigmas, size_t n_obs, double low, double high,
                bool consider_magic_clip) {
  const double max_sigma = high - low;
  const double min_sigma = consider_magic_clip
                               ? (high - low) / std::min(100.0, static_cast<double>(n_obs) + 2.0)
                               : kTpeEps;
  for (double& s : sigmas) s = std::clamp(s, min_sigma, max_sigma);
}

std::vector<double> MixtureWeights(std::span<const double> obs_weights, double prior_weight) {
  if (obs_weights.empty()) return {1.0};
  std::vector<double> w(obs_weights.begin(), obs_weights.end());
  w.push_back(prior_weight);
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x /= total;
  return w;
}

void CategoricalMixtureProbabilities(std::span<const double> choices,
                                     std::span<const double> obs_weights, int k,
                                     double prior_weight, std::vector<double>& probs) {
  probs.assign(k, 0.0);
  double obs_total = 0.0;
  for (size_t i = 0; i < choices.size(); ++i) {
    probs[static_cast<int>(choices[i])] += obs_weights[i];
    obs_total += obs_weights[i];
  }
  const double total = obs_total + (choices.empty() ? 1.0 : prior_weight);
  if (!(total > 0.0)) {
    probs.assign(k, 1.0 / k);
    return;
  }
  // Observation kernel rows are (eps + [c == x_i]) / (1 + k eps); the prior row is uniform.
  const double eps = prior_weight / (static_cast<double>(choices.size()) + 1.0);
  const double denom = 1.0 + k * eps;
  const double prior_share = (choices.empty() ? 1.0 : prior_weight) / total / k;
  const double eps_share = eps * obs_total / total / denom;
  for (double& p : probs) p = prior_share + eps_share + p / total / denom;
}

ParzenEstimator::ParzenEstimator(std::span<const Distribution* const> dists,
                                 std::span<const double> observations,
                                 std::span<const double> obs_weights, const ParzenOptions& options)
    : weights_(MixtureWeights(obs_weights, options.prior_weight)) {
  const size_t n_obs = obs_weights.size();
  const size_t n_dims = dists.size();
  log_weights_.resize(weights_.size());
  cumulative_.resize(weights_.size());
  double running = 0.0;
  for (size_t k = 0; k < weights_.size(); ++k) {
    log_weights_[k] = std::log(weights_[k]);
    running += weights_[k];
    cumulative_[k] = running;
  }
  std::vector<double> column(n_obs);
  dims_.resize(n_dims);
  for (size_t j = 0; j < n_dims; ++j) {
    for (size_t i = 0; i < n_obs; ++i) column[i] = observations[i * n_dims + j];
    Dim& dim = dims_[j];
    if (const auto* c = std::get_if<CategoricalDistribution>(dists[j])) {
      dim.categorical = true;
      dim.n_choices = static_cast<int>(c->choices.size());
      BuildCategorical(dim, column, options);
    } else {
      const NumericShape s = ShapeOf(*dists[j]);
      dim.log = s.log;
      dim.step = s.step;
      dim.dist_low = s.low;
      dim.dist_high = s.high;
      const TransformedBounds b = TransformBounds(*dists[j]);
      dim.low = b.low;
      dim.high = b.high;
      BuildNumeric(dim, column, options);
    }
  }
  scratch_.resize(weights_.size());
}

void ParzenEstimator::BuildNumeric(Dim& dim, std::span<const double> column,
                                   const ParzenOptions& options) {
  const size_t n = column.size();
  dim.mus.resize(n);
  for (size_t i = 0; i < n; ++i) dim.mus[i] = dim.log ? std::log(column[i]) : column[i];
  if (options.observation_sigma) {
    dim.sigmas.assign(n, *options.observation_sigma);
  } else {
    dim.sigmas = HyperoptSigmas(dim.mus, dim.low, dim.high, options.consider_endpoints);
    ClipSigmas(dim.sigmas, n, dim.low, dim.high, options.consider_magic_clip);
  }
  dim.mus.push_back(0.5 * (dim.low + dim.high));
  dim.sigmas.push_back(dim.high - dim.low);
  dim.log_sigmas.resize(n + 1);
  dim.log_norms.resize(n + 1);
  for (size_t k = 0; k <= n; ++k) {
    const double mu = dim.mus[k], sigma = dim.sigmas[k];
    dim.log_sigmas[k] = std::log(sigma);
    dim.log_norms[k] = truncnorm::LogGaussMass((dim.low - mu) / sigma, (dim.high - mu) / sigma);
  }
}

void ParzenEstimator::BuildCategorical(Dim& dim, std::span<const double> column,
                                       const ParzenOptions& options) {
  const size_t n = column.size();
  dim.kernel_choice.resize(n + 1);
  for (size_t i = 0; i < n; ++i) dim.kernel_choice[i] = static_cast<int>(column[i]);
  dim.kernel_choice[n] = -1;
  const double eps = options.prior_weight / (static_cast<double>(n) + 1.0);
  const double denom = 1.0 + dim.n_choices * eps;
  dim.hit = (1.0 + eps) / denom;
  dim.miss = eps / denom;
  dim.log_hit = std::log(dim.hit);
  dim.log_miss = std::log(dim.miss);
}

void ParzenEstimator::Sample(std::mt19937_64& rng, std::span<double> out) const {
  const double u = UniformDouble(rng) * cumulative_.back();
  size_t kernel = std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin();
  kernel = std::min(kernel, cumulative_.size() - 1);
  for (size_t j = 0; j < dims_.size(); ++j) out[j] = SampleDim(dims_[j], kernel, rng);
}

double ParzenEstimator::SampleDim(const Dim& dim, size_t kernel, std::mt19937_64& rng) const {
  if (dim.categorical) {
    const int own = dim.kernel_choice[kernel];
    if (own < 0) return static_cast<double>(UniformIndex(rng, dim.n_choices));
    const double u = UniformDouble(rng);
    double acc = 0.0;
    for (int c = 0; c < dim.n_choices; ++c) {
      acc += c == own ? dim.hit : dim.miss;
      if (u < acc) return c;
    }
    return dim.n_choices - 1;
  }
  const double mu = dim.mus[kernel], sigma = dim.sigmas[kernel];
  const double z =
      truncnorm::Ppf(UniformOpenDouble(rng), (dim.low - mu) / sigma, (dim.high - mu) / sigma);
  double x = mu + sigma * z;
  if (dim.log) x = std::exp(x);
  if (dim.step > 0.0) {
    x = dim.dist_low + std::round((x - dim.dist_low) / dim.step) * dim.step;
  }
  return std::clamp(x, dim.dist_low, dim.dist_high);
}

double ParzenEstimator::LogPdf(std::span<const double> x) const {
  std::copy(log_weights_.begin(), log_weights_.end(), scratch_.begin());
  const size_t n_kernels = scratch_.size();
  for (size_t j = 0; j < dims_.size(); ++j) {
    const Dim& dim = dims_[j];
    if (dim.categorical) {
      const int choice = static_cast<int>(x[j]);
      const double log_uniform = -std::log(static_cast<double>(dim.n_choices));
      for (size_t k = 0; k < n_kernels; ++k) {
        const int own = dim.kernel_choice[k];
        scratch_[k] += own < 0 ? log_uniform : own == choice ? dim.log_hit : dim.log_miss;
      }
    } else if (dim.step > 0.0) {
      // Mass of [x - step/2, x + step/2] (in log space for log params), renormalised.
      const double lo = dim.log ? std::log(x[j] - dim.step / 2) : x[j] - dim.step / 2;
      const double hi = dim.log ? std::log(x[j] + dim.step / 2) : x[j] + dim.step / 2;
      for (size_t k = 0; k < n_kernels; ++k) {
        const double mu = dim.mus[k], sigma = dim.sigmas[k];
        scratch_[k] +=
            truncnorm::LogGaussMass((lo - mu) / sigma, (hi - mu) / sigma) - dim.log_norms[k];
      }
    } else {
      // Truncated-normal density; the log-space Jacobian cancels in l/g and is omitted.
      const double t = dim.log ? std::log(x[j]) : x[j];
      for (size_t k = 0; k < n_kernels; ++k) {
        const double z = (t - dim.mus[k]) / dim.sigmas[k];
        scratch_[k] += truncnorm::NormLogPdf(z) - dim.log_sigmas[k] - dim.log_norms[k];
      }
    }
  }
  return LogSumExp(scratch_);
}

void CandidateSelector::Offer(int index, double score, bool feasible) {
  if (std::isnan(score)) score = -kInf;
  const bool better = best_ < 0 || (feasible && !best_feasible_) ||
                      (feasible == best_feasible_ && score > best_score_);
  if (!better) return;
  best_ = index;
  best_score_ = score;
  best_feasible_ = feasible;
}

void SelectBestCandidate(const ParzenEstimator& below, const ParzenEstimator& above,
                         int n_candidates, const CandidateFilter& filter, std::mt19937_64& rng,
                         std::vector<double>& best) {
  const size_t d = below.num_dims();
  std::vector<double> candidates(static_cast<size_t>(n_candidates) * d);
  std::vector<double> scores(n_candidates);
  for (int i = 0; i < n_candidates; ++i) {
    below.Sample(rng, std::span<double>(candidates.data() + i * d, d));
  }
  CandidateSelector selector;
  for (int i = 0; i < n_candidates; ++i) {
    std::span<const double> row(candidates.data() + i * d, d);
    int same = -1;
    for (int j = 0; j < i && same < 0; ++j) {
      if (std::equal(row.begin(), row.end(), candidates.begin() + j * d)) same = j;
    }
    scores[i] = same >= 0 ? scores[same] : below.LogPdf(row) - above.LogPdf(row);
    selector.Offer(i, scores[i], !filter || filter(row));
  }
  const int b = selector.best();
  best.assign(candidates.begin() + b * d, candidates.begin() + (b + 1) * d);
}

}  // namespace nasq
