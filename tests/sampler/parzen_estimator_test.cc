// Parzen estimator: bandwidths, clipping, categorical kernels, discrete masses.
#include "sampler/parzen_estimator.h"

#include <cmath>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "sampler/rng.h"
#include "sampler/tpe_split.h"

namespace nasq {
namespace {

void ExpectAllNear(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-14) << i;
}

// Hand computation for mus {0.6, 0.1, 0.5} on [0, 1]: sorted with the bounds as sentinels
// [0, .1, .5, .6, 1]; neighbour gaps .1/.4, .4/.1, .1/.4.
TEST(ParzenEstimator, HyperoptBandwidthWithAndWithoutEndpoints) {
  const std::vector<double> mus = {0.6, 0.1, 0.5};
  std::vector<double> sigmas = HyperoptSigmas(mus, 0.0, 1.0, /*consider_endpoints=*/false);
  // Outermost kernels look only inward: 0.1 -> .4 (to 0.5), 0.6 -> .1 (to 0.5).
  EXPECT_NEAR(sigmas[0], 0.1, 1e-15);
  EXPECT_NEAR(sigmas[1], 0.4, 1e-15);
  EXPECT_NEAR(sigmas[2], 0.4, 1e-15);
  sigmas = HyperoptSigmas(mus, 0.0, 1.0, /*consider_endpoints=*/true);
  EXPECT_NEAR(sigmas[0], 0.4, 1e-15);  // max(.1, 1 - .6)
  // A single observation uses its distance to the farther bound.
  EXPECT_NEAR(HyperoptSigmas(std::vector<double>{0.3}, 0.0, 1.0, false)[0], 0.7, 1e-15);
}

TEST(ParzenEstimator, MagicClipFloorsAtRangeOverKernels) {
  std::vector<double> sigmas = {0.1, 0.4, 5.0};
  ClipSigmas(sigmas, 3, 0.0, 1.0, /*consider_magic_clip=*/true);
  // min sigma = 1 / min(100, 3 + 2) = 0.2; max sigma = range.
  ExpectAllNear(sigmas, {0.2, 0.4, 1.0});
  sigmas = {0.1, 1e-20};
  ClipSigmas(sigmas, 2, 0.0, 1.0, /*consider_magic_clip=*/false);
  EXPECT_EQ(sigmas, (std::vector<double>{0.1, kTpeEps}));
}

TEST(ParzenEstimator, UnivariateKernelsIncludeThePrior) {
  const FloatDistribution d{0.0, 1.0, false, std::nullopt};
  const Distribution dist = d;
  const Distribution* dists[] = {&dist};
  const std::vector<double> obs = {0.6, 0.1, 0.5};
  const ParzenEstimator pe(dists, obs, DefaultWeights(3), ParzenOptions{});
  ExpectAllNear(pe.mus(0), {0.6, 0.1, 0.5, 0.5});
  ExpectAllNear(pe.sigmas(0), {0.2, 0.4, 0.4, 1.0});
  ExpectAllNear(pe.weights(), {0.25, 0.25, 0.25, 0.25});
}

// A fixed observation bandwidth (PED-ANOVA's Scott rule) replaces the hyperopt rule and the
// magic clip for the observations only; the prior kernel keeps the bounds' centre and width.
TEST(ParzenEstimator, ObservationSigmaReplacesHyperoptForObservationsOnly) {
  const Distribution dist = IntDistribution{0, 9, false, 1};  // transformed [-0.5, 9.5]
  const Distribution* dists[] = {&dist};
  const std::vector<double> obs = {2, 7, 3};
  ParzenOptions options;
  options.observation_sigma = 0.05;  // far below the magic clip's floor of 10 / 5
  const ParzenEstimator pe(dists, obs, DefaultWeights(3), options);
  ExpectAllNear(pe.mus(0), {2, 7, 3, 4.5});
  ExpectAllNear(pe.sigmas(0), {0.05, 0.05, 0.05, 10.0});
  // Nearly all of a narrow kernel's mass lies on its own integer.
  const double at_two[] = {2.0};
  EXPECT_GT(std::exp(pe.LogPdf(at_two)), 0.25);
}

TEST(ParzenEstimator, JointEstimatorUsesPerDimensionHyperoptBandwidths) {
  // Optuna 5.0: a joint (multivariate) estimator gives every dimension the hyperopt bandwidths
  // of its own observations, exactly those of a one-dimensional estimator.
  // Int [1, 8] log: transformed bounds [log 0.5, log 8.5].
  const Distribution a = IntDistribution{1, 8, true, 1};
  const Distribution b = FloatDistribution{-2.0, 2.0, false, std::nullopt};
  const Distribution* dists[] = {&a, &b};
  const std::vector<double> obs = {1, 0.0, 2, 0.5, 4, 1.0, 8, -1.0, 3, 1.5};
  const ParzenEstimator joint(dists, obs, DefaultWeights(5), ParzenOptions{});
  for (int j = 0; j < 2; ++j) {
    std::vector<double> column;
    for (int i = 0; i < 5; ++i) column.push_back(obs[2 * i + j]);
    const Distribution* one[] = {dists[j]};
    const ParzenEstimator single(one, column, DefaultWeights(5), ParzenOptions{});
    EXPECT_EQ(joint.sigmas(j), single.sigmas(0)) << "dimension " << j;
    EXPECT_EQ(joint.mus(j), single.mus(0)) << "dimension " << j;
  }
  // Dimension b by hand: sorted centres -1, 0, 0.5, 1, 1.5; neighbour distances 1, 1, 0.5, 0.5,
  // 0.5 (outermost kernels ignore the bounds), floored at 4 / min(100, 5 + 2); the prior kernel
  // keeps the whole range.
  const std::vector<double> expected = {1.0, 4.0 / 7, 4.0 / 7, 1.0, 4.0 / 7, 4.0};
  ASSERT_EQ(joint.sigmas(1).size(), expected.size());
  for (size_t k = 0; k < expected.size(); ++k) {
    EXPECT_NEAR(joint.sigmas(1)[k], expected[k], 1e-12) << "kernel " << k;
  }
  EXPECT_NEAR(joint.mus(0)[5], 0.5 * (std::log(0.5) + std::log(8.5)), 1e-12);
}

TEST(ParzenEstimator, CategoricalProbabilitiesMatchOptuna) {
  // Optuna 3.1 (same categorical kernel as 4.9): exp(_ParzenEstimator(...).log_pdf) with
  // default weights and prior_weight 1.
  std::vector<double> probs;
  const std::vector<double> obs = {0, 0, 2};
  CategoricalMixtureProbabilities(obs, DefaultWeights(3), 3, 1.0, probs);
  const std::vector<double> expected = {0.47619047619047616, 0.19047619047619047,
                                        0.33333333333333337};
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(probs[c], expected[c], 1e-14);

  std::vector<double> obs30(30);
  for (int i = 0; i < 30; ++i) obs30[i] = i % 4;
  CategoricalMixtureProbabilities(obs30, DefaultWeights(30), 5, 1.0, probs);
  const std::vector<double> expected30 = {0.24569160997732428, 0.2529721412374474,
                                          0.23012633624878526, 0.23740686750890827,
                                          0.033803045027534846};
  for (int c = 0; c < 5; ++c) EXPECT_NEAR(probs[c], expected30[c], 1e-14);

  CategoricalMixtureProbabilities({}, {}, 4, 1.0, probs);
  EXPECT_EQ(probs, std::vector<double>(4, 0.25));
}

TEST(ParzenEstimator, CategoricalMixtureCollapsesExactly) {
  const Distribution d = CategoricalDistribution{
      {std::string("a"), std::string("b"), std::string("c"), std::string("d")}};
  const Distribution* dists[] = {&d};
  std::vector<double> obs(40);
  for (int i = 0; i < 40; ++i) obs[i] = (i * 7) % 4 == 3 ? 1 : (i % 3);
  for (double prior_weight : {0.5, 1.0, 3.0}) {
    ParzenOptions options;
    options.prior_weight = prior_weight;
    const ParzenEstimator pe(dists, obs, DefaultWeights(40), options);
    std::vector<double> probs;
    CategoricalMixtureProbabilities(obs, DefaultWeights(40), 4, prior_weight, probs);
    for (int c = 0; c < 4; ++c) {
      const double x[] = {static_cast<double>(c)};
      EXPECT_NEAR(std::exp(pe.LogPdf(x)), probs[c], 1e-12) << prior_weight;
    }
  }
}

// Discrete kernels are interval masses that partition the extended domain, so they sum to 1.
TEST(ParzenEstimator, DiscreteMassesSumToOne) {
  const std::vector<Distribution> cases = {IntDistribution{1, 40, true, 1},
                                           IntDistribution{-5, 25, false, 3},
                                           FloatDistribution{0.0, 2.0, false, 0.25}};
  for (const Distribution& d : cases) {
    const Distribution* dists[] = {&d};
    const int64_t size = *DiscreteSize(d);
    const std::vector<double> obs = {DiscreteValue(d, 0), DiscreteValue(d, size / 2),
                                     DiscreteValue(d, size / 2 + 1), DiscreteValue(d, size - 1)};
    const ParzenEstimator pe(dists, obs, DefaultWeights(4), ParzenOptions{});
    double total = 0.0;
    for (int64_t i = 0; i < size; ++i) {
      const double x[] = {DiscreteValue(d, i)};
      total += std::exp(pe.LogPdf(x));
    }
    EXPECT_NEAR(total, 1.0, 1e-9) << DistributionKind(d) << " size " << size;
    std::mt19937_64 rng(1);
    for (int i = 0; i < 200; ++i) {
      double x[1];
      pe.Sample(rng, x);
      EXPECT_TRUE(Contains(d, x[0])) << x[0];
    }
  }
}

TEST(ParzenEstimator, ContinuousDensityIntegratesToOne) {
  const Distribution d = FloatDistribution{-3.0, 5.0, false, std::nullopt};
  const Distribution* dists[] = {&d};
  const std::vector<double> obs = {-2.9, 0.0, 0.1, 4.5};
  const ParzenEstimator pe(dists, obs, DefaultWeights(4), ParzenOptions{});
  const int steps = 20000;
  double integral = 0.0;
  for (int i = 0; i < steps; ++i) {
    const double x[] = {-3.0 + 8.0 * (i + 0.5) / steps};
    integral += std::exp(pe.LogPdf(x)) * 8.0 / steps;
  }
  EXPECT_NEAR(integral, 1.0, 1e-6);
}

}  // namespace
}  // namespace nasq
