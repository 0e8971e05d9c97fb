// Tests of cli/front_hypervolume.h against hand-computed hypervolumes.
#include "cli/front_hypervolume.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::StudySpec AccuracyBitsSpec() {
  v1::StudySpec spec;
  spec.add_directions(v1::STUDY_DIRECTION_MAXIMIZE);
  spec.add_directions(v1::STUDY_DIRECTION_MINIMIZE);
  spec.add_metric_names("accuracy");
  spec.add_metric_names("bits");
  return spec;
}

v1::Trial TrialWith(std::vector<double> values) {
  v1::Trial t;
  for (double v : values) t.add_values(v);
  return t;
}

TEST(HypervolumeOfFront, MeasuresFromTheGivenPointInTheObjectivesOwnUnits) {
  // Loss boxes up to (-0.5, 10): 0.4 x 2 + 0.3 x 6 - their overlap 0.3 x 2 = 2.
  const std::vector<v1::Trial> front = {TrialWith({0.9, 8}), TrialWith({0.8, 4})};
  absl::StatusOr<FrontHypervolume> hv =
      HypervolumeOfFront(AccuracyBitsSpec(), front, std::vector<double>{0.5, 10});
  ASSERT_TRUE(hv.ok()) << hv.status();
  EXPECT_NEAR(hv->value, 2.0, 1e-12);
  EXPECT_THAT(hv->reference, ElementsAre(0.5, 10));
  EXPECT_EQ(hv->source, ReferenceSource::kGiven);
  EXPECT_EQ(HypervolumeText(*hv, AccuracyBitsSpec()),
            "hypervolume 2 (reference point accuracy=0.5, bits=10, given)");

  // The given point wins over the spec's.
  v1::StudySpec with_point = AccuracyBitsSpec();
  with_point.add_reference_point(0.0);
  with_point.add_reference_point(100);
  hv = HypervolumeOfFront(with_point, front, std::vector<double>{0.5, 10});
  ASSERT_TRUE(hv.ok()) << hv.status();
  EXPECT_NEAR(hv->value, 2.0, 1e-12);
  EXPECT_EQ(hv->source, ReferenceSource::kGiven);
}

TEST(HypervolumeOfFront, MeasuresFromTheSpecsReferencePointWhenNoneIsGiven) {
  // Loss boxes up to (0, 20): 0.9 x 12 + 0.8 x 16 - overlap 0.8 x 12 = 14.
  v1::StudySpec spec = AccuracyBitsSpec();
  spec.add_reference_point(0.0);
  spec.add_reference_point(20);
  const std::vector<v1::Trial> front = {TrialWith({0.9, 8}), TrialWith({0.8, 4})};
  absl::StatusOr<FrontHypervolume> hv = HypervolumeOfFront(spec, front, {});
  ASSERT_TRUE(hv.ok()) << hv.status();
  EXPECT_NEAR(hv->value, 14.0, 1e-12);
  EXPECT_THAT(hv->reference, ElementsAre(0.0, 20));
  EXPECT_EQ(hv->source, ReferenceSource::kStudySpec);
  EXPECT_STREQ(ReferenceSourceName(hv->source), "spec");
  EXPECT_EQ(HypervolumeText(*hv, spec),
            "hypervolume 14 (reference point accuracy=0, bits=20, from the study spec)");
}

TEST(HypervolumeOfFront, DerivesOptunasReferencePointFromTheFront) {
  // Worst losses -0.8 and 8 give the reference (max(-0.88, -0.72), max(8.8, 7.2)) = accuracy
  // 0.72, bits 8.8; boxes 0.18 x 0.8 + 0.08 x 4.8 - overlap 0.08 x 0.8 = 0.464.
  const std::vector<v1::Trial> front = {TrialWith({0.9, 8}), TrialWith({0.8, 4})};
  absl::StatusOr<FrontHypervolume> hv = HypervolumeOfFront(AccuracyBitsSpec(), front, {});
  ASSERT_TRUE(hv.ok()) << hv.status();
  EXPECT_NEAR(hv->value, 0.464, 1e-12);
  ASSERT_EQ(hv->reference.size(), 2u);
  EXPECT_NEAR(hv->reference[0], 0.72, 1e-12);
  EXPECT_NEAR(hv->reference[1], 8.8, 1e-12);
  EXPECT_EQ(hv->source, ReferenceSource::kDerived);
  EXPECT_THAT(HypervolumeText(*hv, AccuracyBitsSpec()), HasSubstr("derived from the front"));
}

TEST(HypervolumeOfFront, IsExactForThreeObjectives) {
  // (1,2,3) and (2,1,3) up to (4,4,4): 3x2x1 + 2x3x1 - overlap 2x2x1 = 8.
  v1::StudySpec spec;
  for (int i = 0; i < 3; ++i) spec.add_directions(v1::STUDY_DIRECTION_MINIMIZE);
  absl::StatusOr<FrontHypervolume> hv = HypervolumeOfFront(
      spec, {TrialWith({1, 2, 3}), TrialWith({2, 1, 3})}, std::vector<double>{4, 4, 4});
  ASSERT_TRUE(hv.ok()) << hv.status();
  EXPECT_DOUBLE_EQ(hv->value, 8.0);
  EXPECT_THAT(HypervolumeText(*hv, spec), HasSubstr("values_0=4, values_1=4, values_2=4"));
}

TEST(HypervolumeOfFront, RefusesAnEmptyFrontAndMissingValues) {
  EXPECT_EQ(HypervolumeOfFront(AccuracyBitsSpec(), {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HypervolumeOfFront(AccuracyBitsSpec(), {TrialWith({0.9})}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseReferencePoint, NeedsOneNumberPerObjective) {
  EXPECT_THAT(*ParseReferencePoint("0.5,10", AccuracyBitsSpec()), ElementsAre(0.5, 10));
  EXPECT_THAT(*ParseReferencePoint("0, 1e3", AccuracyBitsSpec()), ElementsAre(0, 1000));
  const struct {
    const char* text;
    const char* message;
  } bad[] = {
      {"0.5",
       "--reference: expected 2 comma-separated numbers (one per objective: accuracy, "
       "bits), got 1"},
      {"0.5,10,1", "got 3"},
      {"0.5,x", "--reference: \"x\" is not a number"},
      {"nan,1", "--reference: \"nan\" is not a number"},
      {"", "--reference: \"\" is not a number"},
  };
  for (const auto& b : bad) {
    absl::StatusOr<std::vector<double>> point = ParseReferencePoint(b.text, AccuracyBitsSpec());
    EXPECT_EQ(point.status().code(), absl::StatusCode::kInvalidArgument) << b.text;
    EXPECT_THAT(std::string(point.status().message()), HasSubstr(b.message)) << b.text;
  }
}

}  // namespace
}  // namespace nasq
