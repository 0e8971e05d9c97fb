// cli/svg_plot.h: SVG charts of a study's history, for `nasq plot`.
//
// Three kinds: two over COMPLETE trials of the first objective,
//  * history: each trial's value against its number, plus the best-so-far step line (what
//    Optuna's plot_optimization_history shows);
//  * sweep: each trial's value against one parameter; numeric params on a linear axis,
//    categorical ones as evenly spaced labelled columns (a bit-width or pruning sweep);
// and one over the first two objectives of a multi-objective study,
//  * pareto: every COMPLETE trial as a point (Optuna's plot_pareto_front): the Pareto front in
//    red joined by the staircase that bounds the region it dominates, dominated trials in grey,
//    infeasible ones (outcome constraints violated) as orange crosses. Each mark carries
//    class="front", "dominated" or "infeasible".
// Pure functions that return a self-contained SVG document; thread-safe.
#ifndef NASQ_CLI_SVG_PLOT_H_
#define NASQ_CLI_SVG_PLOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/pareto.h"

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

struct ParetoPoint {
  int64_t number = 0;
  double x = 0.0;                            // the first objective
  double y = 0.0;                            // the second objective
  ParetoRole role = ParetoRole::kDominated;  // kFront, kDominated or kInfeasible
};

struct ParetoAxes {
  std::string x_label, y_label;  // the objectives' names
  bool maximize_x = false, maximize_y = false;
  bool step_line = true;  // join the front (meaningful when the study has exactly two objectives)
};

// Points with a non-finite coordinate are left out. A non-empty `caption` (the front's
// hypervolume) is written under the title. INVALID_ARGUMENT when no point is left.
absl::StatusOr<std::string> RenderParetoSvg(const std::string& title, const ParetoAxes& axes,
                                            const std::vector<ParetoPoint>& points,
                                            const std::string& caption = "");

}  // namespace nasq

#endif  // NASQ_CLI_SVG_PLOT_H_
