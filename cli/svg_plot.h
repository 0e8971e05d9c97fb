// cli/svg_plot.h: SVG charts of a study's history, for `nasq plot`.
//
// Four kinds: two over COMPLETE trials of one objective,
//  * history: each trial's value against its number, plus the best-so-far step line (what
//    Optuna's plot_optimization_history shows);
//  * sweep: each trial's value against one parameter; numeric params on a linear axis (a
//    logarithmic one for log-scale params),
//    categorical ones as evenly spaced labelled columns (a bit-width or pruning sweep);
// one over the first two objectives of a multi-objective study,
//  * pareto: every COMPLETE trial as a point (Optuna's plot_pareto_front): the Pareto front in
//    red joined by the staircase that bounds the region it dominates, dominated trials in grey,
//    infeasible ones (outcome constraints violated) as orange crosses. Each mark carries
//    class="front", "dominated" or "infeasible";
// and one of the params,
//  * importance: a horizontal bar per param (analysis/param_importance.h), in the given order
//    from the top, each bar class="bar" with its value written at its end.
//
// Every chart is drawn for print: numeric axes on cli/axis_ticks.h's nice ticks (integers on
// trial numbers) with light grid lines, axis titles that name the metric and its direction
// ("accuracy (maximize)"), the data inside <rect class="plot-area">, and a legend (when the
// chart has more than one kind of mark) in <g class="legend"> whose <rect class="legend-box">
// lies above the plot area, never over the data.
// Pure functions that return a self-contained SVG document; thread-safe.
#ifndef NASQ_CLI_SVG_PLOT_H_
#define NASQ_CLI_SVG_PLOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/param_importance.h"
#include "core/pareto.h"

namespace nasq {

// An objective as an axis shows it.
struct ObjectiveAxis {
  std::string name = "value";  // the metric's name
  bool maximize = false;
};

// The axis title of an objective: "accuracy (maximize)".
std::string ObjectiveAxisTitle(const ObjectiveAxis& objective);

struct HistoryPoint {
  int64_t number = 0;
  double value = 0.0;
};

// The running best of `points` in order: element i is the best value among points[0..i]
// (largest when `maximize`). Non-finite values never become the best.
std::vector<double> BestSoFar(const std::vector<HistoryPoint>& points, bool maximize);

// INVALID_ARGUMENT when no point has a finite value.
absl::StatusOr<std::string> RenderHistorySvg(const std::string& title,
                                             const ObjectiveAxis& objective,
                                             const std::vector<HistoryPoint>& points);

struct SweepPoint {
  std::string label;  // the parameter's value as text (categorical columns)
  double x = 0.0;     // its numeric value when `numeric`
  bool numeric = false;
  double value = 0.0;
};

// All points must agree on `numeric`; categorical columns keep first-seen order; a numeric
// axis whose values are all whole numbers gets whole-number ticks; `log_x` (a log-scale param)
// puts numeric values on a logarithmic axis (LogTicks).
// INVALID_ARGUMENT when no point has a finite value, the points mix kinds or `log_x` meets a
// value that is not positive.
absl::StatusOr<std::string> RenderSweepSvg(const std::string& title, const std::string& param,
                                           const ObjectiveAxis& objective,
                                           const std::vector<SweepPoint>& points,
                                           bool log_x = false);

struct ParetoPoint {
  int64_t number = 0;
  double x = 0.0;                            // the first objective
  double y = 0.0;                            // the second objective
  ParetoRole role = ParetoRole::kDominated;  // kFront, kDominated or kInfeasible
};

struct ParetoAxes {
  ObjectiveAxis x, y;
  bool step_line = true;  // join the front (meaningful when the study has exactly two objectives)
};

// Points with a non-finite coordinate are left out. A non-empty `caption` (the front's
// hypervolume) is written under the title. The legend lists the roles present.
// INVALID_ARGUMENT when no point is left.
absl::StatusOr<std::string> RenderParetoSvg(const std::string& title, const ParetoAxes& axes,
                                            const std::vector<ParetoPoint>& points,
                                            const std::string& caption = "");

// One bar per entry of `importances`, top to bottom, on an axis from 0 titled `value_title`.
// INVALID_ARGUMENT when `importances` is empty or holds a negative or non-finite importance.
absl::StatusOr<std::string> RenderImportanceSvg(const std::string& title,
                                                const std::string& value_title,
                                                const std::vector<ParamImportance>& importances);

}  // namespace nasq

#endif  // NASQ_CLI_SVG_PLOT_H_
