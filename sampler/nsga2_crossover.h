// sampler/nsga2_crossover.h: NSGA-II's crossovers of numeric params, in Optuna 5's search-space
// transform (docs/tpe.md 8.3).
//
// Numeric params cross over in the space of optuna/_transform.py's _SearchSpaceTransform with
// its defaults: log distributions in log space, stepped and integer ones widened by half a step
// at each end. A crossover maps the parents' transformed vectors (and those bounds) to one child
// vector; Untransform maps a coordinate back to an internal value as Optuna does (rounded to the
// step, clipped, but a plain float below its low end stays outside: the caller then draws a new
// child, as Optuna's perform_crossover does). Categorical params never come here: they take the
// uniform crossover of their choice indices (NSGA-II's _inlined_categorical_uniform_crossover).
// Pure functions of their arguments and the engine's draws; thread-safe for distinct engines.
#ifndef NASQ_SAMPLER_NSGA2_CROSSOVER_H_
#define NASQ_SAMPLER_NSGA2_CROSSOVER_H_

#include <random>
#include <span>
#include <vector>

#include "core/distribution.h"
#include "core/study.h"

namespace nasq {

// How many parents a crossover takes: 3 for spx and undx, else 2.
int CrossoverParents(Nsga2Crossover crossover);

// A numeric internal value in the transformed space (log of it for log distributions).
double TransformNumeric(const Distribution& d, double internal);

// The internal value of transformed coordinate `x` (see the header comment); not necessarily
// contained in `d`.
double UntransformNumeric(const Distribution& d, double x);

// What a crossover needs besides the parents.
struct CrossoverSetting {
  const Nsga2Options* options = nullptr;
  bool multi_objective = false;  // eta's default
  // Per transformed dimension: [low, high].
  std::vector<std::pair<double, double>> bounds;
};

// One child of `parents` (CrossoverParents(options.crossover) vectors, one coordinate per bound)
// by options.crossover with the options' parameters, drawing from `rng`.
std::vector<double> CrossOver(const CrossoverSetting& setting,
                              const std::vector<std::vector<double>>& parents,
                              std::mt19937_64& rng);

}  // namespace nasq

#endif  // NASQ_SAMPLER_NSGA2_CROSSOVER_H_
