// cli/svg_plot.cc: see svg_plot.h.
#include "cli/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "cli/axis_ticks.h"

namespace nasq {
namespace {

// Layout, in pixels: the title, an optional caption and the legend's row sit above the plot
// area; tick labels and axis titles below and left of it.
constexpr double kWidth = 720, kHeight = 470;
constexpr double kLeft = 78, kRight = 24, kTop = 80, kBottom = 52;
constexpr double kLegendRow = 26;   // the legend box's height, ending 6 px above the plot area
constexpr double kCharWidth = 6.6;  // of the 12 px sans-serif text, for sizing boxes and margins

constexpr char kPointColor[] = "#1f77b4", kBestColor[] = "#d62728", kFrontColor[] = "#d62728",
               kDominatedColor[] = "#999999", kInfeasibleColor[] = "#ff7f0e",
               kGridColor[] = "#e6e6e6", kFrameColor[] = "#444444";

std::string Escape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

struct Area {
  double left, top, right, bottom;  // the plot area's edges (top < bottom)
};

// Maps data values onto the pixel range [p0, p1]: linearly from [lo, hi], or their logarithm.
struct Scale {
  double lo, hi, p0, p1;
  bool log = false;
  double operator()(double v) const {
    return p0 + ((log ? std::log10(v) : v) - lo) / (hi - lo) * (p1 - p0);
  }
};

Scale XScale(const AxisTicks& t, const Area& a) { return {t.lo, t.hi, a.left, a.right, t.log}; }
Scale YScale(const AxisTicks& t, const Area& a) { return {t.lo, t.hi, a.bottom, a.top, t.log}; }

// The document's start: size, background, title and the caption under it.
std::string Open(double width, double height, const std::string& title,
                 const std::string& caption = "") {
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
      "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text class=\"title\" x=\"%g\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
      width, height, width, height, width / 2, Escape(title));
  if (!caption.empty()) {
    absl::StrAppendFormat(&svg,
                          "<text class=\"caption\" x=\"%g\" y=\"40\" text-anchor=\"middle\" "
                          "font-size=\"11\">%s</text>\n",
                          width / 2, Escape(caption));
  }
  return svg;
}

std::string PlotAreaFrame(const Area& a) {
  return absl::StrFormat(
      "<rect class=\"plot-area\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
      "stroke=\"%s\"/>\n",
      a.left, a.top, a.right - a.left, a.bottom - a.top, kFrameColor);
}

std::string XTitle(const Area& a, double height, const std::string& title) {
  return absl::StrFormat(
      "<text class=\"axis-title\" x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
      (a.left + a.right) / 2, height - 12, Escape(title));
}

std::string YTitle(const Area& a, const std::string& title) {
  const double cy = (a.top + a.bottom) / 2;
  return absl::StrFormat(
      "<text class=\"axis-title\" x=\"16\" y=\"%g\" text-anchor=\"middle\" "
      "transform=\"rotate(-90 16 %g)\">%s</text>\n",
      cy, cy, Escape(title));
}

// Grid lines, tick marks and labels of a numeric x axis, then its title.
std::string XAxis(const AxisTicks& t, const Area& a, double height, const std::string& title) {
  const Scale x = XScale(t, a);
  std::string svg;
  for (size_t i = 0; i < t.values.size(); ++i) {
    const double px = x(t.values[i]);
    absl::StrAppendFormat(&svg,
                          "<line class=\"grid\" x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\" "
                          "stroke=\"%s\"/>\n<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\" "
                          "stroke=\"%s\"/>\n<text class=\"tick\" x=\"%.2f\" y=\"%g\" "
                          "text-anchor=\"middle\">%s</text>\n",
                          px, a.top, px, a.bottom, kGridColor, px, a.bottom, px, a.bottom + 5,
                          kFrameColor, px, a.bottom + 18, Escape(t.labels[i]));
  }
  return svg + XTitle(a, height, title);
}

// The same for a numeric y axis.
std::string YAxis(const AxisTicks& t, const Area& a, const std::string& title) {
  const Scale y = YScale(t, a);
  std::string svg;
  for (size_t i = 0; i < t.values.size(); ++i) {
    const double py = y(t.values[i]);
    absl::StrAppendFormat(&svg,
                          "<line class=\"grid\" x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" "
                          "stroke=\"%s\"/>\n<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\" "
                          "stroke=\"%s\"/>\n<text class=\"tick\" x=\"%g\" y=\"%.2f\" "
                          "text-anchor=\"end\">%s</text>\n",
                          a.left, py, a.right, py, kGridColor, a.left - 5, py, a.left, py,
                          kFrameColor, a.left - 8, py + 4, Escape(t.labels[i]));
  }
  return svg + YTitle(a, title);
}

std::string Dot(double x, double y, const char* color, const char* mark_class) {
  return absl::StrFormat("<circle class=\"%s\" cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\"/>\n",
                         mark_class, x, y, color);
}

// An "x" mark, for infeasible trials.
std::string Cross(double x, double y, const char* color, const char* mark_class) {
  return absl::StrFormat(
      "<path class=\"%s\" d=\"M%.2f %.2fL%.2f %.2fM%.2f %.2fL%.2f %.2f\" stroke=\"%s\" "
      "stroke-width=\"2\"/>\n",
      mark_class, x - 4, y - 4, x + 4, y + 4, x - 4, y + 4, x + 4, y - 4, color);
}

enum class Mark { kDot, kLine, kCross };
struct LegendEntry {
  Mark mark;
  const char* color;
  std::string label;
};

// The entries in a row, right-aligned in a framed box above the plot area.
std::string Legend(const std::vector<LegendEntry>& entries, const Area& a) {
  auto entry_width = [](const LegendEntry& e) { return 28 + kCharWidth * e.label.size() + 10; };
  double width = 8;
  for (const LegendEntry& e : entries) width += entry_width(e);
  const double top = a.top - 6 - kLegendRow, cy = top + kLegendRow / 2;
  double x = a.right - width;
  std::string svg = absl::StrFormat(
      "<g class=\"legend\">\n<rect class=\"legend-box\" x=\"%g\" y=\"%g\" width=\"%g\" "
      "height=\"%g\" fill=\"white\" stroke=\"#bbbbbb\"/>\n",
      x, top, width, kLegendRow);
  x += 8;
  // Legend marks carry no class: counting a chart's marks by class counts data only.
  for (const LegendEntry& e : entries) {
    switch (e.mark) {
      case Mark::kDot:
        absl::StrAppendFormat(&svg, "<circle cx=\"%g\" cy=\"%g\" r=\"3.5\" fill=\"%s\"/>\n", x + 10,
                              cy, e.color);
        break;
      case Mark::kLine:
        absl::StrAppendFormat(&svg,
                              "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" "
                              "stroke-width=\"2\"/>\n",
                              x, cy, x + 20, cy, e.color);
        break;
      case Mark::kCross:
        absl::StrAppendFormat(&svg,
                              "<path d=\"M%g %gL%g %gM%g %gL%g %g\" stroke=\"%s\" "
                              "stroke-width=\"2\"/>\n",
                              x + 6, cy - 4, x + 14, cy + 4, x + 6, cy + 4, x + 14, cy - 4,
                              e.color);
        break;
    }
    absl::StrAppendFormat(&svg, "<text x=\"%g\" y=\"%g\">%s</text>\n", x + 28, cy + 4,
                          Escape(e.label));
    x += entry_width(e);
  }
  return svg + "</g>\n";
}

constexpr Area kArea{kLeft, kTop, kWidth - kRight, kHeight - kBottom};

// The staircase through the front points (objective space) that bounds the region they
// dominate: points by their first loss, each joined to the next by a step along x, then y.
std::vector<std::pair<double, double>> FrontStaircase(std::vector<ParetoPoint> front,
                                                      const ParetoAxes& axes) {
  auto loss = [&](const ParetoPoint& p) {
    return std::pair(axes.x.maximize ? -p.x : p.x, axes.y.maximize ? -p.y : p.y);
  };
  std::sort(front.begin(), front.end(),
            [&](const ParetoPoint& a, const ParetoPoint& b) { return loss(a) < loss(b); });
  std::vector<std::pair<double, double>> corners;
  for (size_t i = 0; i < front.size(); ++i) {
    if (i > 0) corners.emplace_back(front[i].x, front[i - 1].y);
    corners.emplace_back(front[i].x, front[i].y);
  }
  return corners;
}

}  // namespace

std::string ObjectiveAxisTitle(const ObjectiveAxis& objective) {
  return absl::StrCat(objective.name, objective.maximize ? " (maximize)" : " (minimize)");
}

std::vector<double> BestSoFar(const std::vector<HistoryPoint>& points, bool maximize) {
  std::vector<double> best;
  best.reserve(points.size());
  double current = std::numeric_limits<double>::quiet_NaN();
  for (const HistoryPoint& p : points) {
    if (std::isfinite(p.value) &&
        (std::isnan(current) || (maximize ? p.value > current : p.value < current))) {
      current = p.value;
    }
    best.push_back(current);
  }
  return best;
}

absl::StatusOr<std::string> RenderHistorySvg(const std::string& title,
                                             const ObjectiveAxis& objective,
                                             const std::vector<HistoryPoint>& points) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  int64_t first = 0, last = 0;
  bool any = false;
  for (const HistoryPoint& p : points) {
    if (!std::isfinite(p.value)) continue;
    lo = std::min(lo, p.value);
    hi = std::max(hi, p.value);
    first = any ? std::min(first, p.number) : p.number;
    last = any ? std::max(last, p.number) : p.number;
    any = true;
  }
  if (!any) return absl::InvalidArgumentError("no COMPLETE trial with a finite value to plot");
  const AxisTicks xt = NiceTicks(first, last, /*integers=*/true), yt = NiceTicks(lo, hi);
  const Scale x = XScale(xt, kArea), y = YScale(yt, kArea);
  std::string svg = Open(kWidth, kHeight, title) + XAxis(xt, kArea, kHeight, "trial number") +
                    YAxis(yt, kArea, ObjectiveAxisTitle(objective)) + PlotAreaFrame(kArea);
  const std::vector<double> best = BestSoFar(points, objective.maximize);
  std::string line;  // a step line: the best holds until a trial improves on it
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].value)) continue;
    absl::StrAppend(&svg, Dot(x(points[i].number), y(points[i].value), kPointColor, "trial"));
    if (!line.empty())
      absl::StrAppendFormat(&line, "%.2f,%.2f ", x(points[i].number), y(best[i - 1]));
    absl::StrAppendFormat(&line, "%.2f,%.2f ", x(points[i].number), y(best[i]));
  }
  absl::StrAppendFormat(&svg,
                        "<polyline class=\"best\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                        "points=\"%s\"/>\n",
                        kBestColor, line);
  absl::StrAppend(
      &svg,
      Legend({{Mark::kDot, kPointColor, "trial"}, {Mark::kLine, kBestColor, "best so far"}}, kArea),
      "</svg>\n");
  return svg;
}

absl::StatusOr<std::string> RenderSweepSvg(const std::string& title, const std::string& param,
                                           const ObjectiveAxis& objective,
                                           const std::vector<SweepPoint>& points, bool log_x) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  double x_lo = lo, x_hi = hi;
  bool whole = true;                   // every x a whole number
  std::map<std::string, int> columns;  // label -> column, in first-seen order
  std::vector<std::string> labels;
  bool any = false;
  for (const SweepPoint& p : points) {
    if (p.numeric != points.front().numeric) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", param, "' mixes numeric and categorical values"));
    }
    if (!std::isfinite(p.value) || (p.numeric && !std::isfinite(p.x))) continue;
    if (log_x && p.numeric && !(p.x > 0)) {
      return absl::InvalidArgumentError(absl::StrCat("parameter '", param, "' has the value ",
                                                     p.label, ", not positive: no log axis"));
    }
    any = true;
    lo = std::min(lo, p.value);
    hi = std::max(hi, p.value);
    x_lo = std::min(x_lo, p.x);
    x_hi = std::max(x_hi, p.x);
    whole = whole && p.x == std::floor(p.x);
    if (columns.emplace(p.label, static_cast<int>(labels.size())).second) {
      labels.push_back(p.label);
    }
  }
  if (!any) {
    return absl::InvalidArgumentError(
        absl::StrCat("no COMPLETE trial with parameter '", param, "' and a finite value"));
  }
  const bool numeric = points.front().numeric;
  const AxisTicks yt = NiceTicks(lo, hi);
  const Scale y = YScale(yt, kArea);
  std::string svg = Open(kWidth, kHeight, title) + YAxis(yt, kArea, ObjectiveAxisTitle(objective));
  Scale x{};
  if (numeric) {
    const AxisTicks xt = log_x ? LogTicks(x_lo, x_hi) : NiceTicks(x_lo, x_hi, whole);
    x = XScale(xt, kArea);
    absl::StrAppend(&svg, XAxis(xt, kArea, kHeight, param));
  } else {
    x = {-0.5, labels.size() - 0.5, kArea.left, kArea.right};
    for (size_t c = 0; c < labels.size(); ++c) {
      absl::StrAppendFormat(&svg,
                            "<text class=\"tick\" x=\"%.2f\" y=\"%g\" text-anchor=\"middle\">%s"
                            "</text>\n",
                            x(c), kArea.bottom + 18, Escape(labels[c]));
    }
    absl::StrAppend(&svg, XTitle(kArea, kHeight, param));
  }
  absl::StrAppend(&svg, PlotAreaFrame(kArea));
  for (const SweepPoint& p : points) {
    if (!std::isfinite(p.value) || (numeric && !std::isfinite(p.x))) continue;
    absl::StrAppend(&svg,
                    Dot(x(numeric ? p.x : columns.at(p.label)), y(p.value), kPointColor, "trial"));
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

absl::StatusOr<std::string> RenderParetoSvg(const std::string& title, const ParetoAxes& axes,
                                            const std::vector<ParetoPoint>& points,
                                            const std::string& caption) {
  std::vector<ParetoPoint> shown, front;
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  bool any_dominated = false, any_infeasible = false;
  for (const ParetoPoint& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    shown.push_back(p);
    if (p.role == ParetoRole::kFront) front.push_back(p);
    any_dominated = any_dominated || p.role == ParetoRole::kDominated;
    any_infeasible = any_infeasible || p.role == ParetoRole::kInfeasible;
    x_lo = std::min(x_lo, p.x);
    x_hi = std::max(x_hi, p.x);
    y_lo = std::min(y_lo, p.y);
    y_hi = std::max(y_hi, p.y);
  }
  if (shown.empty()) {
    return absl::InvalidArgumentError("no COMPLETE trial with finite objective values to plot");
  }
  const AxisTicks xt = NiceTicks(x_lo, x_hi), yt = NiceTicks(y_lo, y_hi);
  const Scale x = XScale(xt, kArea), y = YScale(yt, kArea);
  std::string svg = Open(kWidth, kHeight, title, caption) +
                    XAxis(xt, kArea, kHeight, ObjectiveAxisTitle(axes.x)) +
                    YAxis(yt, kArea, ObjectiveAxisTitle(axes.y)) + PlotAreaFrame(kArea);
  for (const ParetoPoint& p : shown) {
    if (p.role == ParetoRole::kDominated) {
      absl::StrAppend(&svg, Dot(x(p.x), y(p.y), kDominatedColor, "dominated"));
    } else if (p.role == ParetoRole::kInfeasible) {
      absl::StrAppend(&svg, Cross(x(p.x), y(p.y), kInfeasibleColor, "infeasible"));
    }
  }
  if (axes.step_line && !front.empty()) {
    std::string line;
    for (const auto& [cx, cy] : FrontStaircase(front, axes)) {
      absl::StrAppendFormat(&line, "%.2f,%.2f ", x(cx), y(cy));
    }
    absl::StrAppendFormat(&svg,
                          "<polyline class=\"front\" fill=\"none\" stroke=\"%s\" "
                          "stroke-width=\"1.5\" points=\"%s\"/>\n",
                          kFrontColor, line);
  }
  for (const ParetoPoint& p : front) {
    absl::StrAppend(&svg, Dot(x(p.x), y(p.y), kFrontColor, "front"));
  }
  std::vector<LegendEntry> legend;
  if (!front.empty()) legend.push_back({Mark::kDot, kFrontColor, "Pareto front"});
  if (any_dominated) legend.push_back({Mark::kDot, kDominatedColor, "dominated"});
  if (any_infeasible) legend.push_back({Mark::kCross, kInfeasibleColor, "infeasible"});
  absl::StrAppend(&svg, Legend(legend, kArea), "</svg>\n");
  return svg;
}

absl::StatusOr<std::string> RenderImportanceSvg(const std::string& title,
                                                const std::string& value_title,
                                                const std::vector<ParamImportance>& importances) {
  if (importances.empty()) {
    return absl::InvalidArgumentError(
        "no parameter importance to plot (it needs 2 COMPLETE trials with a finite value)");
  }
  double largest = 0;
  size_t longest = 0;
  for (const ParamImportance& p : importances) {
    if (!(p.importance >= 0) || !std::isfinite(p.importance)) {
      return absl::InvalidArgumentError(absl::StrCat("importance of '", p.param, "' is ",
                                                     p.importance, ", not a finite value >= 0"));
    }
    largest = std::max(largest, p.importance);
    longest = std::max(longest, p.param.size());
  }
  constexpr double kRow = 26;
  const double left = std::clamp(16 + kCharWidth * longest, kLeft, kWidth / 2);
  const Area area{left, kTop - kLegendRow, kWidth - kRight,
                  kTop - kLegendRow + kRow * importances.size()};
  const double height = area.bottom + kBottom;
  // Room at the right for the longest bar's value.
  const AxisTicks xt = NiceTicks(0, largest > 0 ? largest * 1.15 : 1);
  const Scale x = XScale(xt, area);
  std::string svg =
      Open(kWidth, height, title) + XAxis(xt, area, height, value_title) + PlotAreaFrame(area);
  for (size_t i = 0; i < importances.size(); ++i) {
    const ParamImportance& p = importances[i];
    const double top = area.top + kRow * i, cy = top + kRow / 2;
    absl::StrAppendFormat(&svg,
                          "<text class=\"tick\" x=\"%g\" y=\"%g\" text-anchor=\"end\">%s</text>\n"
                          "<rect class=\"bar\" x=\"%g\" y=\"%g\" width=\"%.2f\" height=\"%g\" "
                          "fill=\"%s\"/>\n<text x=\"%.2f\" y=\"%g\" font-size=\"11\">%s</text>\n",
                          area.left - 8, cy + 4, Escape(p.param), area.left, top + kRow * 0.2,
                          x(p.importance) - area.left, kRow * 0.6, kPointColor, x(p.importance) + 4,
                          cy + 4, absl::StrFormat("%.3g", p.importance));
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace nasq
