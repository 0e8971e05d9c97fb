// sampler/random_sampler.cc: see random_sampler.h.
#include "sampler/random_sampler.h"

#include <algorithm>
#include <cmath>
#include <variant>

#include "sampler/rng.h"

namespace nasq {
namespace {

double UniformIn(double low, double high, std::mt19937_64& rng) {
  return low + (high - low) * UniformDouble(rng);
}

// low + round((x - low) / step) * step, clipped to [low, high].
double SnapToStep(double x, double low, double high, double step) {
  return std::clamp(low + std::round((x - low) / step) * step, low, high);
}

double SampleFloat(const FloatDistribution& d, std::mt19937_64& rng) {
  if (d.step.has_value()) {
    const double x = UniformIn(d.low - *d.step / 2, d.high + *d.step / 2, rng);
    return SnapToStep(x, d.low, d.high, *d.step);
  }
  if (d.low == d.high) return d.low;
  const double x = d.log ? std::exp(UniformIn(std::log(d.low), std::log(d.high), rng))
                         : UniformIn(d.low, d.high, rng);
  // Optuna keeps continuous draws strictly below high.
  return std::clamp(x, d.low, std::nextafter(d.high, d.low));
}

double SampleInt(const IntDistribution& d, std::mt19937_64& rng) {
  const double low = static_cast<double>(d.low);
  const double high = static_cast<double>(d.high);
  const double step = static_cast<double>(d.step);
  if (d.log) {
    const double x = std::exp(UniformIn(std::log(low - 0.5), std::log(high + 0.5), rng));
    return std::clamp(std::round(x), low, high);
  }
  return SnapToStep(UniformIn(low - step / 2, high + step / 2, rng), low, high, step);
}

}  // namespace

double SampleUniformInternal(const Distribution& d, std::mt19937_64& rng) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) return SampleFloat(*f, rng);
  if (const auto* i = std::get_if<IntDistribution>(&d)) return SampleInt(*i, rng);
  const auto& c = std::get<CategoricalDistribution>(d);
  return static_cast<double>(UniformIndex(rng, c.choices.size()));
}

absl::StatusOr<double> RandomSampler::SampleIndependent(const SamplingContext& ctx,
                                                        const ParamSpec& param,
                                                        const InternalParams& partial) {
  return SampleUniformInternal(param.distribution, *ctx.rng);
}

}  // namespace nasq
