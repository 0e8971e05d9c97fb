// Tests of cli/svg_plot: the best-so-far line and the content of both chart kinds.
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
  absl::StatusOr<std::string> svg = RenderHistorySvg("demo <study>", points, true);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(*svg, HasSubstr("demo &lt;study&gt;"));
  EXPECT_EQ(Count(*svg, "<circle"), 3);
  EXPECT_EQ(Count(*svg, "<polyline"), 1);
  EXPECT_THAT(*svg, HasSubstr("best so far"));
  EXPECT_THAT(*svg, HasSubstr("</svg>"));
}

TEST(RenderHistorySvg, RefusesAHistoryWithoutFiniteValues) {
  EXPECT_EQ(RenderHistorySvg("t", {}, false).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderHistorySvg("t", {{0, std::nan("")}}, false).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RenderSweepSvg, LabelsCategoricalColumnsInFirstSeenOrder) {
  const std::vector<SweepPoint> points = {{.label = "random", .value = 0.8},
                                          {.label = "l1", .value = 0.85},
                                          {.label = "random", .value = 0.7}};
  absl::StatusOr<std::string> svg = RenderSweepSvg("sweep", "prune.method", points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "<circle"), 3);
  EXPECT_LT(svg->find(">random</text>"), svg->find(">l1</text>"));
  EXPECT_THAT(*svg, HasSubstr(">prune.method</text>"));
}

TEST(RenderSweepSvg, PlacesNumericValuesOnALinearAxis) {
  const std::vector<SweepPoint> points = {{.label = "4", .x = 4, .numeric = true, .value = 0.5},
                                          {.label = "32", .x = 32, .numeric = true, .value = 0.9}};
  absl::StatusOr<std::string> svg = RenderSweepSvg("sweep", "width", points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "<circle"), 2);
  EXPECT_THAT(*svg, ::testing::Not(HasSubstr(">32</text>")));  // numeric axes get ticks, not labels
}

TEST(RenderSweepSvg, RefusesMixedKindsAndEmptyInput) {
  const std::vector<SweepPoint> mixed = {{.label = "a", .value = 1},
                                         {.label = "2", .x = 2, .numeric = true, .value = 1}};
  EXPECT_EQ(RenderSweepSvg("t", "p", mixed).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderSweepSvg("t", "p", {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RenderParetoSvg, GreysDominatedPointsCrossesInfeasibleOnesAndStepsAlongTheFront) {
  // Maximise x (accuracy), minimise y (bits): the front is (0.9, 8) and (0.8, 4).
  const std::vector<ParetoPoint> points = {
      {.number = 0, .x = 0.9, .y = 8, .role = ParetoRole::kFront},
      {.number = 1, .x = 0.8, .y = 4, .role = ParetoRole::kFront},
      {.number = 2, .x = 0.7, .y = 6, .role = ParetoRole::kDominated},
      {.number = 3, .x = 0.95, .y = 2, .role = ParetoRole::kInfeasible},
      {.number = 4, .x = std::nan(""), .y = 1, .role = ParetoRole::kDominated}};
  const ParetoAxes axes{
      .x_label = "accuracy", .y_label = "avg_bitwidth", .maximize_x = true, .maximize_y = false};
  absl::StatusOr<std::string> svg = RenderParetoSvg("mo <study>", axes, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr(">accuracy</text>"));
  EXPECT_THAT(*svg, HasSubstr(">avg_bitwidth</text>"));
  EXPECT_THAT(*svg, HasSubstr("mo &lt;study&gt;"));
  EXPECT_EQ(Count(*svg, "<circle class=\"front\""), 2);
  EXPECT_EQ(Count(*svg, "<circle class=\"dominated\""), 1);  // the NaN point is left out
  EXPECT_EQ(Count(*svg, "<circle"), 3);
  EXPECT_THAT(*svg, HasSubstr("fill=\"#999999\""));  // grey
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
      RenderParetoSvg("t", {.x_label = "a", .y_label = "b", .step_line = false}, points);
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_EQ(Count(*svg, "<polyline"), 0);
  EXPECT_EQ(Count(*svg, "<circle class=\"front\""), 2);
  svg = RenderParetoSvg("t", {.x_label = "a", .y_label = "b"}, points, "hypervolume 1 (a<b)");
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("<text class=\"caption\""));
  EXPECT_THAT(*svg, HasSubstr(">hypervolume 1 (a&lt;b)</text>"));
  EXPECT_EQ(RenderParetoSvg("t", {}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderParetoSvg("t", {}, {{.x = std::nan(""), .y = 1}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nasq
