// Tests of cli/svg_plot: the best-so-far line, the content of every chart kind, axis titles,
// nice tick labels and legends outside the plot area.
#include "cli/svg_plot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The number in attribute `name` of the first element that starts with `element`.
double Attribute(const std::string& svg, const std::string& element, const std::string& name) {
  const size_t at = svg.find(element);
  EXPECT_NE(at, std::string::npos) << element;
  const size_t value = svg.find(" " + name + "=\"", at) + name.size() + 3;
  return std::stod(svg.substr(value, svg.find('"', value) - value));
}

struct Box {
  double x, y, width, height;
};

Box BoxOf(const std::string& svg, const std::string& element) {
  return {Attribute(svg, element, "x"), Attribute(svg, element, "y"),
          Attribute(svg, element, "width"), Attribute(svg, element, "height")};
}

// The texts of every <text class="tick"> element, in document order.
std::vector<std::string> TickLabels(const std::string& svg) {
  std::vector<std::string> labels;
  const std::string open = "<text class=\"tick\"";
  for (size_t at = svg.find(open); at != std::string::npos; at = svg.find(open, at + 1)) {
    const size_t start = svg.find('>', at) + 1;
    labels.push_back(svg.substr(start, svg.find('<', start) - start));
  }
  return labels;
}

// The legend box lies wholly outside the plot area, so no data mark sits under it.
void ExpectLegendOutsidePlotArea(const std::string& svg) {
  const Box legend = BoxOf(svg, "<rect class=\"legend-box\"");
  const Box area = BoxOf(svg, "<rect class=\"plot-area\"");
  const bool apart = legend.y + legend.height <= area.y || legend.y >= area.y + area.height ||
                     legend.x + legend.width <= area.x || legend.x >= area.x + area.width;
  EXPECT_TRUE(apart) << "legend " << legend.x << "," << legend.y << " " << legend.width << "x"
                     << legend.height << " overlaps the plot area " << area.x << "," << area.y
                     << " " << area.width << "x" << area.height;
  EXPECT_GE(legend.y, 0);
}

TEST(BestSoFar, TracksTheRunningBestInTheStudyDirection) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<HistoryPoint> points = {{0, 3}, {1, 5}, {2, nan}, {3, 1}, {4, 4}};
  EXPECT_EQ(BestSoFar(points, /*maximize=*/false), (std::vector<double>{3, 3, 3, 1, 1}));
  EXPECT_EQ(BestSoFar(points, /*maximize=*/true), (std::vector<double>{3, 5, 5, 5, 5}));
  EXPECT_TRUE(std::isnan(BestSoFar({{0, nan}}, false)[0]));
}

TEST(RenderHistorySvg, DrawsOneDotPerFiniteValueAndTheBestLine) {
  const std::vector<HistoryPoint> points = {
      {0, 0.7}, {1, 0.9}, {2, std::numeric_limits<double>::infinity()}, {3, 0.8}};
  absl::StatusOr<std::string> svg = RenderHistorySvg("demo <study>", {.maximize = true}, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(*svg, HasSubstr("demo &lt;study&gt;"));
  EXPECT_EQ(Count(*svg, "<circle class=\"trial\""), 3);
  EXPECT_EQ(Count(*svg, "<polyline class=\"best\""), 1);
  EXPECT_THAT(*svg, HasSubstr(">best so far</text>"));
  EXPECT_THAT(*svg, HasSubstr("</svg>"));
}

TEST(RenderHistorySvg, RefusesAHistoryWithoutFiniteValues) {
  EXPECT_EQ(RenderHistorySvg("t", {}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderHistorySvg("t", {}, {{0, std::nan("")}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RenderSweepSvg, LabelsCategoricalColumnsInFirstSeenOrder) {
  const std::vector<SweepPoint> points = {{.label = "random", .value = 0.8},
                                          {.label = "l1", .value = 0.85},
                                          {.label = "random", .value = 0.7}};
  absl::StatusOr<std::string> svg = RenderSweepSvg("sweep", "prune.method", {}, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "<circle"), 3);
  EXPECT_LT(svg->find(">random</text>"), svg->find(">l1</text>"));
  EXPECT_THAT(*svg, HasSubstr(">prune.method</text>"));
}

TEST(RenderSweepSvg, PlacesNumericValuesOnALinearAxis) {
  const std::vector<SweepPoint> points = {{.label = "4", .x = 4, .numeric = true, .value = 0.5},
                                          {.label = "32", .x = 32, .numeric = true, .value = 0.9}};
  absl::StatusOr<std::string> svg = RenderSweepSvg("sweep", "width", {}, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "<circle"), 2);
  EXPECT_THAT(*svg, ::testing::Not(HasSubstr(">32</text>")));  // numeric axes get ticks, not labels
}

TEST(RenderSweepSvg, RefusesMixedKindsAndEmptyInput) {
  const std::vector<SweepPoint> mixed = {{.label = "a", .value = 1},
                                         {.label = "2", .x = 2, .numeric = true, .value = 1}};
  EXPECT_EQ(RenderSweepSvg("t", "p", {}, mixed).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderSweepSvg("t", "p", {}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RenderParetoSvg, GreysDominatedPointsCrossesInfeasibleOnesAndStepsAlongTheFront) {
  // Maximise x (accuracy), minimise y (bits): the front is (0.9, 8) and (0.8, 4).
  const std::vector<ParetoPoint> points = {
      {.number = 0, .x = 0.9, .y = 8, .role = ParetoRole::kFront},
      {.number = 1, .x = 0.8, .y = 4, .role = ParetoRole::kFront},
      {.number = 2, .x = 0.7, .y = 6, .role = ParetoRole::kDominated},
      {.number = 3, .x = 0.95, .y = 2, .role = ParetoRole::kInfeasible},
      {.number = 4, .x = std::nan(""), .y = 1, .role = ParetoRole::kDominated}};
  const ParetoAxes axes{.x = {"accuracy", true}, .y = {"avg_bitwidth", false}};
  absl::StatusOr<std::string> svg = RenderParetoSvg("mo <study>", axes, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr(">accuracy (maximize)</text>"));
  EXPECT_THAT(*svg, HasSubstr(">avg_bitwidth (minimize)</text>"));
  EXPECT_THAT(*svg, HasSubstr("mo &lt;study&gt;"));
  EXPECT_EQ(Count(*svg, "<circle class=\"front\""), 2);
  EXPECT_EQ(Count(*svg, "<circle class=\"dominated\""), 1);  // the NaN point is left out
  EXPECT_THAT(*svg, HasSubstr("fill=\"#999999\""));          // grey
  EXPECT_EQ(Count(*svg, "<path class=\"infeasible\""), 1);
  EXPECT_EQ(Count(*svg, "<polyline class=\"front\""), 1);
  EXPECT_EQ(Count(*svg, "class=\"caption\""), 0);  // none given
  // The staircase from the best accuracy (0.9, 8) to (0.8, 8) then down to (0.8, 4): three
  // corners, the middle one sharing its x with the last point and its y with the first.
  const size_t start = svg->find("points=\"", svg->find("<polyline")) + 8;
  const std::string line = svg->substr(start, svg->find('"', start) - start);
  const std::vector<std::string> corners = absl::StrSplit(line, ' ', absl::SkipEmpty());
  ASSERT_EQ(corners.size(), 3u) << line;
  const std::vector<std::string> first = absl::StrSplit(corners[0], ',');
  const std::vector<std::string> middle = absl::StrSplit(corners[1], ',');
  const std::vector<std::string> last = absl::StrSplit(corners[2], ',');
  EXPECT_EQ(middle[0], last[0]);
  EXPECT_EQ(middle[1], first[1]);
  EXPECT_GT(std::stod(first[0]), std::stod(last[0]));  // higher accuracy further right
  EXPECT_LT(std::stod(first[1]), std::stod(last[1]));  // more bits higher up (smaller pixel y)
}

TEST(RenderParetoSvg, LeavesTheStepLineOutWhenAskedWritesACaptionAndRefusesNothingToPlot) {
  const std::vector<ParetoPoint> points = {{.x = 1, .y = 2, .role = ParetoRole::kFront},
                                           {.x = 2, .y = 1, .role = ParetoRole::kFront}};
  absl::StatusOr<std::string> svg =
      RenderParetoSvg("t", {.x = {"a"}, .y = {"b"}, .step_line = false}, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "<polyline"), 0);
  EXPECT_EQ(Count(*svg, "<circle class=\"front\""), 2);
  svg = RenderParetoSvg("t", {.x = {"a"}, .y = {"b"}}, points, "hypervolume 1 (a<b)");
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("<text class=\"caption\""));
  EXPECT_THAT(*svg, HasSubstr(">hypervolume 1 (a&lt;b)</text>"));
  EXPECT_EQ(RenderParetoSvg("t", {}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderParetoSvg("t", {}, {{.x = std::nan(""), .y = 1}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RenderHistorySvg, NamesTheMetricAndItsDirectionAndTicksOnNiceValues) {
  const std::vector<HistoryPoint> points = {{0, 0.9012}, {1, 0.9534}, {2, 0.93}, {3, 0.91},
                                            {4, 0.95},   {5, 0.92},   {6, 0.94}, {7, 0.925},
                                            {8, 0.935},  {9, 0.915}};
  absl::StatusOr<std::string> svg = RenderHistorySvg("s", {"accuracy", true}, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("class=\"axis-title\""));
  EXPECT_THAT(*svg, HasSubstr(">accuracy (maximize)</text>"));
  EXPECT_THAT(*svg, HasSubstr(">trial number</text>"));
  // Trial numbers 0..9 on whole even numbers, scores on hundredths.
  EXPECT_THAT(TickLabels(*svg), ::testing::ElementsAre("0", "2", "4", "6", "8", "0.90", "0.91",
                                                       "0.92", "0.93", "0.94", "0.95"));
  ExpectLegendOutsidePlotArea(*svg);
  // A study without metric names: "value".
  svg = RenderHistorySvg("s", {}, points);
  ASSERT_TRUE(svg.ok());
  EXPECT_THAT(*svg, HasSubstr(">value (minimize)</text>"));
}

TEST(RenderHistorySvg, TheBestLineStepsAtEachImprovement) {
  // Minimise: best 3, 3, 1 -> corners (0,3) (1,3) (1,3) (2,3) (2,1).
  absl::StatusOr<std::string> svg = RenderHistorySvg("s", {}, {{0, 3}, {1, 5}, {2, 1}});
  ASSERT_TRUE(svg.ok());
  const size_t start = svg->find("points=\"", svg->find("<polyline class=\"best\"")) + 8;
  const std::string line = svg->substr(start, svg->find('"', start) - start);
  const std::vector<std::string> corners = absl::StrSplit(line, ' ', absl::SkipEmpty());
  ASSERT_EQ(corners.size(), 5u) << line;
  const std::vector<std::string> before = absl::StrSplit(corners[3], ',');
  const std::vector<std::string> after = absl::StrSplit(corners[4], ',');
  EXPECT_EQ(before[0], after[0]);                        // a vertical step at trial 2
  EXPECT_LT(std::stod(before[1]), std::stod(after[1]));  // down to the lower value
}

TEST(RenderSweepSvg, NamesTheParamAndTheObjective) {
  const std::vector<SweepPoint> points = {{.label = "4", .x = 4, .numeric = true, .value = 12},
                                          {.label = "8", .x = 8, .numeric = true, .value = 3},
                                          {.label = "16", .x = 16, .numeric = true, .value = 7}};
  absl::StatusOr<std::string> svg = RenderSweepSvg("s", "bits", {"loss", false}, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr(">bits</text>"));
  EXPECT_THAT(*svg, HasSubstr(">loss (minimize)</text>"));
  for (const std::string& label : TickLabels(*svg)) {
    EXPECT_EQ(label.find('.'), std::string::npos) << label;  // whole-number params and values
  }
}

TEST(RenderSweepSvg, PutsALogScaleParamOnALogAxis) {
  const std::vector<SweepPoint> points = {
      {.label = "1e-05", .x = 1e-5, .numeric = true, .value = 0.5},
      {.label = "0.001", .x = 1e-3, .numeric = true, .value = 0.9},
      {.label = "0.1", .x = 0.1, .numeric = true, .value = 0.6}};
  absl::StatusOr<std::string> svg = RenderSweepSvg("s", "lr", {}, points, /*log_x=*/true);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(TickLabels(*svg), ::testing::IsSupersetOf({"1e-05", "0.001", "0.1"}));
  // 1e-3 is halfway between 1e-5 and 1e-1 on a log axis.
  std::vector<double> cx;
  const std::string open = "<circle class=\"trial\"";
  for (size_t at = svg->find(open); at != std::string::npos; at = svg->find(open, at + 1)) {
    cx.push_back(Attribute(svg->substr(at), open, "cx"));
  }
  ASSERT_EQ(cx.size(), 3u);
  EXPECT_NEAR(cx[1], (cx[0] + cx[2]) / 2, 0.02);
  const std::vector<SweepPoint> zero = {{.label = "0", .x = 0, .numeric = true, .value = 1}};
  const absl::Status status = RenderSweepSvg("s", "lr", {}, zero, true).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not positive"));
}

TEST(RenderParetoSvg, TheLegendListsTheRolesPresentOutsideThePlotArea) {
  const std::vector<ParetoPoint> points = {
      {.number = 0, .x = 0.9, .y = 8, .role = ParetoRole::kFront},
      {.number = 1, .x = 0.7, .y = 9, .role = ParetoRole::kDominated}};
  absl::StatusOr<std::string> svg =
      RenderParetoSvg("s", {.x = {"accuracy", true}, .y = {"bits", false}}, points, "caption");
  ASSERT_TRUE(svg.ok()) << svg.status();
  ExpectLegendOutsidePlotArea(*svg);
  EXPECT_THAT(*svg, HasSubstr(">Pareto front</text>"));
  EXPECT_THAT(*svg, HasSubstr(">dominated</text>"));
  EXPECT_THAT(*svg, ::testing::Not(HasSubstr(">infeasible</text>")));
  // The caption sits above the legend box.
  EXPECT_LT(Attribute(*svg, "<text class=\"caption\"", "y"),
            Attribute(*svg, "<rect class=\"legend-box\"", "y"));
}

TEST(RenderImportanceSvg, ListsTheParamsInOrderWithBarsFromZero) {
  const std::vector<ParamImportance> importances = {
      {"lr", 0.42}, {"num_layers", 0.17}, {"dropout", 0.03}, {"bits", 0.0}};
  absl::StatusOr<std::string> svg = RenderImportanceSvg("s: importance for accuracy (maximize)",
                                                        "importance (PED-ANOVA)", importances);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr(">importance (PED-ANOVA)</text>"));
  size_t previous = 0;
  for (const ParamImportance& p : importances) {
    const size_t at = svg->find(">" + p.param + "</text>");
    ASSERT_NE(at, std::string::npos) << p.param;
    EXPECT_GT(at, previous) << p.param;  // top to bottom in the given order
    previous = at;
  }
  EXPECT_EQ(Count(*svg, "<rect class=\"bar\""), 4);
  // Bars start at the axis' 0 and their widths follow the importances.
  const Box area = BoxOf(*svg, "<rect class=\"plot-area\"");
  const Box lr = BoxOf(*svg, "<rect class=\"bar\"");
  EXPECT_EQ(lr.x, area.x);
  EXPECT_GT(lr.width, 0.8 * area.width);
  EXPECT_LT(lr.width, area.width);
  EXPECT_THAT(TickLabels(*svg), ::testing::Contains("0.0"));
}

TEST(RenderImportanceSvg, RefusesNothingToPlotAndNegativeImportances) {
  EXPECT_EQ(RenderImportanceSvg("t", "i", {}).status().code(), absl::StatusCode::kInvalidArgument);
  const absl::Status status = RenderImportanceSvg("t", "i", {{"x", -1}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("'x'"));
  EXPECT_EQ(RenderImportanceSvg("t", "i", {{"x", std::nan("")}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq
