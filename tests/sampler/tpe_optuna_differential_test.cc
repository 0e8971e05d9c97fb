// Differential check of TPE against Optuna 5.0 on two fixed histories.
//
// Multivariate history: 40 COMPLETE trials of 5-D Rosenbrock (minimise) on [-2.048, 2.048]^5 (the
// bench/tpe domain), trial i at x_j = low + range * frac((i + 1) sqrt(p_j)), p = 2,3,5,7,11
// (no RNG, so Python and C++ build it identically). The reference numbers are printed by
// tpe_optuna_differential_reference.py (next to this file) run with Optuna 5.0.0 from the venv
// of bench/common/make_venv.sh: Optuna's _split_trials with default_gamma(40), then two
// _ParzenEstimator (below, above) with the sampler's parameters, their kernel sigmas and
// weights, and below.log_pdf - above.log_pdf at the points of kProbes. (Until 4.x the joint
// estimator used one Scott-like sigma per dimension; 5.0 uses the per-dimension hyperopt rule.)
//
// Multi-objective history: 80 COMPLETE trials of 3-objective DTLZ2 on [0, 1]^5 at the same
// quasi-random points, reported as (f1, -f2, f3) with directions (minimize, maximize, minimize).
// Its first front holds 39 trials and gamma(80) = 8, so the below set is decided by the
// hypervolume subset selection (tpe_hssp.h). Reference: Optuna's _split_trials with
// default_gamma_multiobjective(80), then per param (5.0's multi-objective TPE is univariate by
// default) _ParzenEstimator(below, weights = ones) and _ParzenEstimator(above), their weights,
// below's sigmas of x0 and below.log_pdf - above.log_pdf at five points per param.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sampler/parzen_estimator.h"
#include "sampler/tpe_split.h"
#include "sampler/truncnorm.h"
#include "sampler_test_util.h"

namespace nasq {
namespace {

constexpr double kLow = -2.048;
constexpr double kHigh = 2.048;
constexpr int kDims = 5;
constexpr int kTrials = 40;

std::string ParamName(int j) { return absl::StrCat("x", j); }

std::vector<double> WeylPoint(int i, double low = kLow, double high = kHigh) {
  const double primes[kDims] = {2, 3, 5, 7, 11};
  std::vector<double> x(kDims);
  for (int j = 0; j < kDims; ++j) {
    x[j] = low + (high - low) * std::fmod((i + 1) * std::sqrt(primes[j]), 1.0);
  }
  return x;
}

double Rosenbrock(const std::vector<double>& x) {
  double f = 0.0;
  for (int i = 0; i + 1 < kDims; ++i) {
    f += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  }
  return f;
}

struct Probe {
  std::vector<double> x;
  double score;  // log l - log g, Optuna 5.0
};

const std::vector<Probe>& Probes() {
  static const std::vector<Probe> probes = {
      {{0.0, 0.0, 0.0, 0.0, 0.0}, 4.018386017363797},
      {{1.0, 1.0, 1.0, 1.0, 1.0}, 2.9366518509290245},
      {{0.5, -0.3, 1.2, 0.9, -1.5}, 1.8716200133453018},
      {WeylPoint(100), 1.9097899302777943},
      {WeylPoint(101), 2.910758837240518},
      {{2.0, -2.0, 2.0, -2.0, 2.0}, 1.8463885716418833},
  };
  return probes;
}

class MultivariateTpeVersusOptuna : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<ParamSpec> params;
    for (int j = 0; j < kDims; ++j) {
      params.push_back(testing::Param(ParamName(j), FloatDistribution{kLow, kHigh, false, {}}));
    }
    spec_ = testing::MakeSpec(std::move(params), {}, SamplerKind::kTpe);
    for (int i = 0; i < kTrials; ++i) {
      const std::vector<double> x = WeylPoint(i);
      InternalParams p;
      for (int j = 0; j < kDims; ++j) p[ParamName(j)] = x[j];
      history_.push_back(
          testing::MakeTrial(spec_, i, std::move(p), TrialState::kComplete, {Rosenbrock(x)}));
    }
    split_ = SplitTrials(history_, kTrials, spec_.directions, /*constant_liar=*/false);
    for (int j = 0; j < kDims; ++j) dists_.push_back(&spec_.space.params()[j].distribution);
  }

  ParzenEstimator Build(const std::vector<int>& indices) const {
    std::vector<double> rows;
    for (int i : indices) {
      for (int j = 0; j < kDims; ++j) rows.push_back(history_[i].params.at(ParamName(j)));
    }
    return ParzenEstimator(dists_, rows, DefaultWeights(static_cast<int>(indices.size())),
                           ParzenOptions{});
  }

  StudySpec spec_;
  std::vector<Trial> history_;
  TrialSplit split_;
  std::vector<const Distribution*> dists_;
};

TEST_F(MultivariateTpeVersusOptuna, SplitMatches) {
  EXPECT_EQ(split_.below, (std::vector<int>{1, 5, 8, 26}));  // Optuna: indices_below
  EXPECT_EQ(split_.above.size(), 36u);
}

TEST_F(MultivariateTpeVersusOptuna, KernelsAndWeightsMatch) {
  const ParzenEstimator below = Build(split_.below);
  const ParzenEstimator above = Build(split_.above);
  // Optuna 5.0's sigmas per dimension and kernel (the last kernel is the prior at mid-range,
  // 0, with sigma = range, 4.096): all of below's, and kernels 0, 11 and 35 of above's.
  const double below_sigmas[kDims][4] = {
      {0.6826666666666666, 1.235006218915849, 0.9938562544405942, 1.235006218915849},
      {0.6826666666666666, 0.6826666666666666, 0.724641940438167, 0.724641940438167},
      {0.6826666666666666, 0.6826666666666666, 1.0208198451045174, 1.0208198451045174},
      {0.6826666666666666, 0.6826666666666666, 1.5420473378298776, 1.5420473378298776},
      {0.886265989070016, 0.6826666666666666, 0.886265989070016, 0.6826666666666666}};
  const double above_sigmas[kDims][3] = {
      {0.1205749822376212, 0.2411499644752475, 0.12057498223762364},
      {0.21528118582333766, 0.10778947368421053, 0.13648280285512726},
      {0.12049143811270202, 0.1743768473780949, 0.17437684737809467},
      {0.10778947368421053, 0.16596318168789725, 0.16596318168786794},
      {0.14030689149423425, 0.1403068914942267, 0.14030689149425601}};
  for (const auto* pe : {&below, &above}) {
    const std::vector<int>& indices = pe == &below ? split_.below : split_.above;
    for (int j = 0; j < kDims; ++j) {
      ASSERT_EQ(pe->mus(j).size(), indices.size() + 1);
      for (size_t k = 0; k < indices.size(); ++k) {
        EXPECT_EQ(pe->mus(j)[k], history_[indices[k]].params.at(ParamName(j)));
      }
      EXPECT_NEAR(pe->mus(j).back(), 0.0, 1e-15);
      EXPECT_NEAR(pe->sigmas(j).back(), 4.096, 1e-15);
    }
  }
  for (int j = 0; j < kDims; ++j) {
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(below.sigmas(j)[k], below_sigmas[j][k], 1e-12);
    const int above_kernels[3] = {0, 11, 35};
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(above.sigmas(j)[above_kernels[k]], above_sigmas[j][k], 1e-12);
    }
  }
  for (double w : below.weights()) EXPECT_NEAR(w, 0.2, 1e-15);
  // Optuna's above weights: ramp of 11 then 26 equal (25 ones + the prior), normalised.
  const std::vector<double>& w = above.weights();
  ASSERT_EQ(w.size(), 37u);
  EXPECT_NEAR(w[0], 0.000877577885037297, 1e-15);
  EXPECT_NEAR(w[5], 0.016235190873189993, 1e-15);
  EXPECT_NEAR(w[10], 0.031592803861342694, 1e-15);
  EXPECT_NEAR(w[36], 0.031592803861342694, 1e-15);
}

TEST_F(MultivariateTpeVersusOptuna, LogDensityRatioMatchesOptuna) {
  const ParzenEstimator below = Build(split_.below);
  const ParzenEstimator above = Build(split_.above);
  for (const Probe& p : Probes()) {
    EXPECT_NEAR(below.LogPdf(p.x) - above.LogPdf(p.x), p.score, 1e-10);
  }
}

TEST_F(MultivariateTpeVersusOptuna, CandidatesFollowTheMixture) {
  // The estimators hold Optuna's kernels and weights (KernelsAndWeightsMatch); candidates must
  // be drawn from exactly that mixture of products: per dimension and jointly, the fraction of
  // draws below a threshold equals the mixture's CDF, sum_k w_k prod_j F_kj(t_j), where F_kj is
  // kernel k's normal truncated to [low, high] in dimension j (Optuna's
  // _MixtureOfProductDistribution.sample: one kernel index per candidate drawn by weight, then
  // a truncated normal per dimension). Checked on l(x) (5 equal weights) and on g(x) (37
  // kernels with the ramped weights).
  const double thresholds[3][kDims] = {
      {-1.0, -0.5, 0.0, 0.5, 1.0}, {0.0, 0.0, 0.0, 0.0, 0.0}, {1.2, 0.7, -0.3, 1.5, -1.1}};
  constexpr int kDraws = 40000;
  for (const std::vector<int>* indices : {&split_.below, &split_.above}) {
    const ParzenEstimator pe = Build(*indices);
    auto kernel_cdf = [&](int j, size_t k, double t) {
      const double mu = pe.mus(j)[k], sigma = pe.sigmas(j)[k];
      const double a = (kLow - mu) / sigma, b = (kHigh - mu) / sigma;
      return std::exp(truncnorm::LogGaussMass(a, (t - mu) / sigma) - truncnorm::LogGaussMass(a, b));
    };
    std::vector<std::vector<double>> draws(kDraws, std::vector<double>(kDims));
    std::mt19937_64 rng(11);
    for (std::vector<double>& x : draws) pe.Sample(rng, x);
    for (const auto& t : thresholds) {
      // j >= 0: dimension j alone; j = -1: x0 < t0 and x1 < t1 and x2 < t2 jointly.
      auto counted = [](int d, int dim) { return d == dim || (dim < 0 && d < 3); };
      for (int j = -1; j < kDims; ++j) {
        double expected = 0.0;
        for (size_t k = 0; k < pe.weights().size(); ++k) {
          double p = 1.0;
          for (int d = 0; d < kDims; ++d) {
            if (counted(d, j)) p *= kernel_cdf(d, k, t[d]);
          }
          expected += pe.weights()[k] * p;
        }
        int hits = 0;
        for (const std::vector<double>& x : draws) {
          bool in = true;
          for (int d = 0; d < kDims; ++d) {
            if (counted(d, j)) in = in && x[d] < t[d];
          }
          hits += in;
        }
        // Five standard errors of a binomial fraction.
        const double tolerance = 5 * std::sqrt(expected * (1 - expected) / kDraws) + 1e-9;
        EXPECT_NEAR(static_cast<double>(hits) / kDraws, expected, tolerance)
            << (indices == &split_.below ? "l(x)" : "g(x)") << ", dimension " << j;
      }
    }
  }
}

TEST_F(MultivariateTpeVersusOptuna, CandidatesShareOneKernelAcrossDimensions) {
  // Two far-apart clusters of observations on the diagonal (tight, so their hyperopt
  // bandwidths are small): with one kernel index per candidate (a mixture of products) the
  // coordinates are strongly correlated; independent per-dimension kernels would give ~0.
  const Distribution d = FloatDistribution{kLow, kHigh, false, {}};
  const Distribution* dists[] = {&d, &d};
  std::vector<double> obs;
  for (int i = 0; i < 10; ++i) {
    for (double x : {-1.5 + 0.02 * i, 1.5 - 0.02 * i}) obs.insert(obs.end(), {x, x});
  }
  ParzenOptions options;
  options.prior_weight = 0.0;
  const ParzenEstimator pe(dists, obs, DefaultWeights(20), options);
  std::mt19937_64 rng(3);
  double sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    double x[2];
    pe.Sample(rng, x);
    sx += x[0];
    sy += x[1];
    sxy += x[0] * x[1];
    sxx += x[0] * x[0];
    syy += x[1] * x[1];
  }
  const double cov = sxy / n - sx / n * sy / n;
  const double corr = cov / std::sqrt((sxx / n - sx * sx / n / n) * (syy / n - sy * sy / n / n));
  EXPECT_GT(corr, 0.5);
}

// (f1, -f2, f3) of DTLZ2 with 3 objectives and 3 distance variables.
std::vector<double> Dtlz2MinMaxMin(const std::vector<double>& x) {
  double g = 0.0;
  for (int j = 2; j < kDims; ++j) g += (x[j] - 0.5) * (x[j] - 0.5);
  const double a = x[0] * M_PI / 2, b = x[1] * M_PI / 2;
  return {(1 + g) * std::cos(a) * std::cos(b), -(1 + g) * std::cos(a) * std::sin(b),
          (1 + g) * std::sin(a)};
}

class MultiObjectiveTpeVersusOptuna : public ::testing::Test {
 protected:
  static constexpr int kMoTrials = 80;

  void SetUp() override {
    std::vector<ParamSpec> params;
    for (int j = 0; j < kDims; ++j) {
      params.push_back(testing::Param(ParamName(j), FloatDistribution{0.0, 1.0, false, {}}));
    }
    spec_ = testing::MakeSpec(std::move(params), {}, SamplerKind::kTpe);
    spec_.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize,
                        StudyDirection::kMinimize};
    for (int i = 0; i < kMoTrials; ++i) {
      const std::vector<double> x = WeylPoint(i, 0.0, 1.0);
      InternalParams p;
      for (int j = 0; j < kDims; ++j) p[ParamName(j)] = x[j];
      history_.push_back(
          testing::MakeTrial(spec_, i, std::move(p), TrialState::kComplete, Dtlz2MinMaxMin(x)));
    }
    split_ = SplitTrials(history_, kMoTrials, spec_.directions, /*constant_liar=*/false);
  }

  // The univariate estimator of param j over the trials `indices` (l(x) when `below`).
  ParzenEstimator Build(int j, const std::vector<int>& indices, bool below) const {
    std::vector<double> rows;
    for (int i : indices) rows.push_back(history_[i].params.at(ParamName(j)));
    const int n = static_cast<int>(indices.size());
    const Distribution* dist[] = {&spec_.space.params()[j].distribution};
    return ParzenEstimator(dist, rows,
                           below ? BelowWeights(n, spec_.directions.size()) : DefaultWeights(n),
                           ParzenOptions{});
  }

  StudySpec spec_;
  std::vector<Trial> history_;
  TrialSplit split_;
};

TEST_F(MultiObjectiveTpeVersusOptuna, SplitMatches) {
  // Optuna: [t.number for t in below]; crowding distance would keep the front's extremes.
  EXPECT_EQ(split_.below, (std::vector<int>{23, 28, 48, 51, 57, 69, 74, 77}));
  EXPECT_EQ(split_.above.size(), 72u);
  EXPECT_EQ(split_.n_finished, kMoTrials);
}

TEST_F(MultiObjectiveTpeVersusOptuna, BelowWeightsAndKernelsMatch) {
  const ParzenEstimator below = Build(0, split_.below, /*below=*/true);
  ASSERT_EQ(below.weights().size(), 9u);
  for (double w : below.weights()) EXPECT_NEAR(w, 1.0 / 9, 1e-15);  // 8 ones and the prior
  const double sigmas[9] = {0.4020202535533315,
                            0.1,
                            0.23044737829953021,
                            0.4020202535533315,
                            0.1,
                            0.1,
                            0.23044737829953021,
                            0.23044737829953021,
                            1.0};
  ASSERT_EQ(below.sigmas(0).size(), 9u);
  for (int k = 0; k < 9; ++k) EXPECT_NEAR(below.sigmas(0)[k], sigmas[k], 1e-12) << k;
  // g(x) keeps the default ramp: 72 observations, 47 ramped, then 25 ones and the prior.
  const ParzenEstimator above = Build(0, split_.above, /*below=*/false);
  ASSERT_EQ(above.weights().size(), 73u);
  EXPECT_LT(above.weights()[0], above.weights()[72] / 50);
  EXPECT_EQ(above.weights()[47], above.weights()[72]);
}

TEST_F(MultiObjectiveTpeVersusOptuna, LogDensityRatioMatchesOptuna) {
  const double probes[5] = {0.05, 0.3, 0.5, 0.77, 0.98};
  const double scores[kDims][5] = {{1.1863301595765585, 0.9828643975784472, -0.5252074464462986,
                                    -0.6044487270401365, 0.3187932284943432},
                                   {0.4085311114897143, 0.12803179407747733, -0.35456686256841996,
                                    -0.3754244358138943, -0.6500950064351244},
                                   {-1.7277113105613924, 0.0351757325617339, 0.4863146196864414,
                                    0.4140404665601126, -1.3769794060986362},
                                   {-1.19750294966057, 0.0671354934931172, 0.8547234214456448,
                                    -0.37060486316437524, -2.3419121137775782},
                                   {-0.7042990362838613, -0.18257761797575345, 0.8726363853928081,
                                    0.022202876105472003, -2.1441595335995296}};
  for (int j = 0; j < kDims; ++j) {
    const ParzenEstimator below = Build(j, split_.below, /*below=*/true);
    const ParzenEstimator above = Build(j, split_.above, /*below=*/false);
    for (int k = 0; k < 5; ++k) {
      const double x[1] = {probes[k]};
      EXPECT_NEAR(below.LogPdf(x) - above.LogPdf(x), scores[j][k], 1e-10) << j << " " << k;
    }
  }
}

}  // namespace
}  // namespace nasq
