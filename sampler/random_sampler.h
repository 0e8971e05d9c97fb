// sampler/random_sampler.h: independent uniform sampling (Optuna's RandomSampler).
//
// Each parameter is drawn uniformly from its distribution with Optuna's transforms (docs/tpe.md
// section 3): floats uniform in [low, high] (in log space when log), stepped floats and ints
// uniform on [low - step/2, high + step/2] then snapped to the step grid and clipped, log-ints
// on [log(low - 0.5), log(high + 0.5)] then rounded, categoricals a uniform index. Draws come
// from the trial's stream (SamplingContext::rng), so the same (seed, trial number) replays
// exactly. Thread-safety: stateless; safe to share.
#ifndef NASQ_SAMPLER_RANDOM_SAMPLER_H_
#define NASQ_SAMPLER_RANDOM_SAMPLER_H_

#include <random>

#include "core/distribution.h"
#include "sampler/sampler.h"

namespace nasq {

// One uniform draw of an internal value contained in `d` (which must be valid and
// normalised, as SearchSpace::Create leaves it).
double SampleUniformInternal(const Distribution& d, std::mt19937_64& rng);

class RandomSampler : public Sampler {
 public:
  absl::StatusOr<double> SampleIndependent(const SamplingContext& ctx, const ParamSpec& param,
                                           const InternalParams& partial) override;
};

}  // namespace nasq

#endif  // NASQ_SAMPLER_RANDOM_SAMPLER_H_
