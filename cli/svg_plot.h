// cli/svg_plot.h: SVG charts of a study's history, for `nasq plot`.
//
// Two kinds, both over COMPLETE trials of the first objective:
//  * history: each trial's value against its number, plus the best-so-far step line (what
//    Optuna's plot_optimization_history shows);
//  * sweep: each trial's value against one parameter; numeric params on a linear axis,
//    categorical ones as evenly spaced labelled columns (a bit-width or pruning sweep).
// Pure functions that return a self-contained SVG document; thread-safe.
#ifndef NASQ_CLI_SVG_PLOT_H_
#define NASQ_CLI_SVG_PLOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace nasq {

struct HistoryPoint {
  int64_t number = 0;
  double value = 0.0;
};

// The running best of `points` in order: element i is the best value among points[0..i]
// (largest when `maximize`). Non-finite values never become the best.
std::vector<double> BestSoFar(const std::vector<HistoryPoint>& points, bool maximize);

// INVALID_ARGUMENT when no point has a finite value.
absl::StatusOr<std::string> RenderHistorySvg(const std::string& title,
                                             const std::vector<HistoryPoint>& points,
                                             bool maximize);

struct SweepPoint {
  std::string label;  // the parameter's value as text (categorical columns)
  double x = 0.0;     // its numeric value when `numeric`
  bool numeric = false;
  double value = 0.0;
};

// All points must agree on `numeric`; categorical columns keep first-seen order.
// INVALID_ARGUMENT when no point has a finite value or the points mix kinds.
absl::StatusOr<std::string> RenderSweepSvg(const std::string& title, const std::string& param,
                                           const std::vector<SweepPoint>& points);

}  // namespace nasq

#endif  // NASQ_CLI_SVG_PLOT_H_
