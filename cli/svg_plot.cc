#include "cli/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace nasq {
namespace {

constexpr double kWidth = 720, kHeight = 440;
constexpr double kLeft = 70, kRight = 20, kTop = 40, kBottom = 60;

std::string Escape(const std::string& s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}});
}

// A linear map from [lo, hi] onto the plot's pixel range [p0, p1]; degenerate ranges are widened.
struct Axis {
  double lo, hi, p0, p1;
  double operator()(double v) const { return p0 + (v - lo) / (hi - lo) * (p1 - p0); }
};

Axis MakeAxis(double lo, double hi, double p0, double p1) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const double margin = (hi - lo) * 0.05;
  return {lo - margin, hi + margin, p0, p1};
}

// The frame, title, axis labels and five ticks per axis. `x_ticks` false leaves the x ticks to
// the caller (categorical columns).
std::string Frame(const std::string& title, const std::string& x_label, const std::string& y_label,
                  const Axis& x, const Axis& y, bool x_ticks) {
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%g\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n"
      "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n"
      "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n"
      "<text x=\"16\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 16 %g)\">%s</text>\n",
      kWidth, kHeight, kWidth / 2, Escape(title), kLeft, kTop, kWidth - kLeft - kRight,
      kHeight - kTop - kBottom, (kLeft + kWidth - kRight) / 2, kHeight - 16, Escape(x_label),
      (kTop + kHeight - kBottom) / 2, (kTop + kHeight - kBottom) / 2, Escape(y_label));
  for (int i = 0; i <= 4; ++i) {
    const double v = y.lo + (y.hi - y.lo) * i / 4;
    absl::StrAppendFormat(&svg, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text>\n",
                          kLeft - 6, y(v) + 4, v);
    if (!x_ticks) continue;
    const double u = x.lo + (x.hi - x.lo) * i / 4;
    absl::StrAppendFormat(&svg, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.4g</text>\n",
                          x(u), kHeight - kBottom + 18, u);
  }
  return svg;
}

std::string Dot(double x, double y, const char* color, const char* mark_class = nullptr) {
  const std::string attr =
      mark_class == nullptr ? "" : absl::StrFormat(" class=\"%s\"", mark_class);
  return absl::StrFormat("<circle%s cx=\"%.2f\" cy=\"%.2f\" r=\"3.5\" fill=\"%s\"/>\n", attr, x, y,
                         color);
}

// An "x" mark, for infeasible trials.
std::string Cross(double x, double y, const char* color) {
  return absl::StrFormat(
      "<path class=\"infeasible\" d=\"M%.2f %.2fL%.2f %.2fM%.2f %.2fL%.2f %.2f\" stroke=\"%s\" "
      "stroke-width=\"2\"/>\n",
      x - 4, y - 4, x + 4, y + 4, x - 4, y + 4, x + 4, y - 4, color);
}

constexpr char kFrontColor[] = "#d62728", kDominatedColor[] = "#999999",
               kInfeasibleColor[] = "#ff7f0e";

// The staircase through the front points (objective space) that bounds the region they
// dominate: points by their first loss, each joined to the next by a step along x, then y.
std::vector<std::pair<double, double>> FrontStaircase(std::vector<ParetoPoint> front,
                                                      const ParetoAxes& axes) {
  auto loss = [&](const ParetoPoint& p) {
    return std::pair(axes.maximize_x ? -p.x : p.x, axes.maximize_y ? -p.y : p.y);
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
                                             const std::vector<HistoryPoint>& points,
                                             bool maximize) {
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
  const Axis x = MakeAxis(first, last, kLeft, kWidth - kRight);
  const Axis y = MakeAxis(lo, hi, kHeight - kBottom, kTop);
  std::string svg = Frame(title, "trial number", "objective value", x, y, /*x_ticks=*/true);
  const std::vector<double> best = BestSoFar(points, maximize);
  std::string line;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].value)) continue;
    absl::StrAppend(&svg, Dot(x(points[i].number), y(points[i].value), "#1f77b4"));
    absl::StrAppendFormat(&line, "%.2f,%.2f ", x(points[i].number), y(best[i]));
  }
  absl::StrAppendFormat(&svg,
                        "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" "
                        "points=\"%s\"/>\n<text x=\"%g\" y=\"%g\" fill=\"#d62728\">best so far"
                        "</text>\n</svg>\n",
                        line, kWidth - kRight - 90, kTop + 16);
  return svg;
}

absl::StatusOr<std::string> RenderSweepSvg(const std::string& title, const std::string& param,
                                           const std::vector<SweepPoint>& points) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  double x_lo = lo, x_hi = hi;
  std::map<std::string, int> columns;  // label -> column, in first-seen order
  std::vector<std::string> labels;
  bool any = false;
  for (const SweepPoint& p : points) {
    if (p.numeric != points.front().numeric) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", param, "' mixes numeric and categorical values"));
    }
    if (!std::isfinite(p.value)) continue;
    any = true;
    lo = std::min(lo, p.value);
    hi = std::max(hi, p.value);
    x_lo = std::min(x_lo, p.x);
    x_hi = std::max(x_hi, p.x);
    if (columns.emplace(p.label, static_cast<int>(labels.size())).second) {
      labels.push_back(p.label);
    }
  }
  if (!any) {
    return absl::InvalidArgumentError(
        absl::StrCat("no COMPLETE trial with parameter '", param, "' and a finite value"));
  }
  const bool numeric = points.front().numeric;
  const Axis x = numeric ? MakeAxis(x_lo, x_hi, kLeft, kWidth - kRight)
                         : Axis{-0.5, labels.size() - 0.5, kLeft, kWidth - kRight};
  const Axis y = MakeAxis(lo, hi, kHeight - kBottom, kTop);
  std::string svg = Frame(title, param, "objective value", x, y, /*x_ticks=*/numeric);
  for (size_t c = 0; !numeric && c < labels.size(); ++c) {
    absl::StrAppendFormat(&svg, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n", x(c),
                          kHeight - kBottom + 18, Escape(labels[c]));
  }
  for (const SweepPoint& p : points) {
    if (!std::isfinite(p.value)) continue;
    absl::StrAppend(&svg, Dot(x(numeric ? p.x : columns.at(p.label)), y(p.value), "#1f77b4"));
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

absl::StatusOr<std::string> RenderParetoSvg(const std::string& title, const ParetoAxes& axes,
                                            const std::vector<ParetoPoint>& points,
                                            const std::string& caption) {
  std::vector<ParetoPoint> shown, front;
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  for (const ParetoPoint& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    shown.push_back(p);
    if (p.role == ParetoRole::kFront) front.push_back(p);
    x_lo = std::min(x_lo, p.x);
    x_hi = std::max(x_hi, p.x);
    y_lo = std::min(y_lo, p.y);
    y_hi = std::max(y_hi, p.y);
  }
  if (shown.empty()) {
    return absl::InvalidArgumentError("no COMPLETE trial with finite objective values to plot");
  }
  const Axis x = MakeAxis(x_lo, x_hi, kLeft, kWidth - kRight);
  const Axis y = MakeAxis(y_lo, y_hi, kHeight - kBottom, kTop);
  std::string svg = Frame(title, axes.x_label, axes.y_label, x, y, /*x_ticks=*/true);
  if (!caption.empty()) {
    absl::StrAppendFormat(&svg,
                          "<text class=\"caption\" x=\"%g\" y=\"%g\" text-anchor=\"middle\" "
                          "font-size=\"11\">%s</text>\n",
                          kWidth / 2, kTop - 4, Escape(caption));
  }
  for (const ParetoPoint& p : shown) {
    if (p.role == ParetoRole::kDominated) {
      absl::StrAppend(&svg, Dot(x(p.x), y(p.y), kDominatedColor, "dominated"));
    } else if (p.role == ParetoRole::kInfeasible) {
      absl::StrAppend(&svg, Cross(x(p.x), y(p.y), kInfeasibleColor));
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
  const std::pair<const char*, const char*> legend[] = {{kFrontColor, "Pareto front"},
                                                        {kDominatedColor, "dominated"},
                                                        {kInfeasibleColor, "infeasible"}};
  // In a row below the x axis label, clear of the points.
  for (size_t i = 0; i < std::size(legend); ++i) {
    absl::StrAppendFormat(&svg, "<text x=\"%g\" y=\"%g\" fill=\"%s\">%s</text>\n", kLeft + 90.0 * i,
                          kHeight - 2, legend[i].first, legend[i].second);
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace nasq
