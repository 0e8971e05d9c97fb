// analysis/ped_anova_grid.h: the one-dimensional Parzen density on a grid that PED-ANOVA compares
// (Optuna 5.0's optuna/importance/_ped_anova/scott_parzen_estimator.py).
//
// A numeric param is discretised onto at most kPedAnovaSteps evenly spaced points of its
// (log, when log) range, fewer for an int or stepped float with fewer values (log ints: about
// log2 of the range); a categorical keeps its choices. The trials' values are counted per grid
// point and the distinct points become the kernels of a sampler/parzen_estimator.h mixture
// weighted by their counts plus the prior kernel: on the numeric grid (an int distribution
// 0..n-1) with one Scott-rule bandwidth for every observation kernel, on a categorical with the
// estimator's categorical kernels.
// Thread-safety: pure functions.
#ifndef NASQ_ANALYSIS_PED_ANOVA_GRID_H_
#define NASQ_ANALYSIS_PED_ANOVA_GRID_H_

#include <span>
#include <vector>

#include "core/distribution.h"

namespace nasq {

inline constexpr int kPedAnovaSteps = 50;  // Optuna's _n_steps

// How many trials fall on each grid point of `d` (valid, normalised, not single-valued), given
// their internal values (each contained in `d`; a categorical index outside it is not counted).
// The grid has at least 2 points.
std::vector<double> CountOnGrid(const Distribution& d, std::span<const double> values);

// Scott's rule (1992) on weighted observations as Optuna computes it: 1.059 min(IQR / 1.34,
// weighted standard deviation) W^-0.2 with W the total weight, then floored at 0.5 / 1.64 (1.64
// sigma fit in a grid cell). `points` ascending, `counts` positive whole numbers, same length,
// not empty.
double ScottSigma(std::span<const double> points, std::span<const double> counts);

// The Parzen estimator's probability of each grid point of `d` for the trials whose grid
// `counts` (CountOnGrid) are given: one probability per grid point, summing to 1.
std::vector<double> GridProbabilities(const Distribution& d, std::span<const double> counts,
                                      double prior_weight);

}  // namespace nasq

#endif  // NASQ_ANALYSIS_PED_ANOVA_GRID_H_
