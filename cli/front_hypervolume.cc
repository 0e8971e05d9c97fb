#include "cli/front_hypervolume.h"

#include <cmath>
#include <span>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/records.h"
#include "core/pareto.h"

namespace nasq {

const char* ReferenceSourceName(ReferenceSource source) {
  switch (source) {
    case ReferenceSource::kGiven:
      return "given";
    case ReferenceSource::kStudySpec:
      return "spec";
    case ReferenceSource::kDerived:
      break;
  }
  return "derived";
}

std::vector<StudyDirection> DirectionsOf(const v1::StudySpec& spec) {
  std::vector<StudyDirection> directions;
  for (int d : spec.directions()) {
    directions.push_back(d == v1::STUDY_DIRECTION_MAXIMIZE ? StudyDirection::kMaximize
                                                           : StudyDirection::kMinimize);
  }
  return directions;
}

absl::StatusOr<std::vector<double>> ParseReferencePoint(const std::string& text,
                                                        const v1::StudySpec& spec) {
  std::vector<double> point;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    double v = 0;
    if (!absl::SimpleAtod(item, &v) || std::isnan(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--reference: \"", item, "\" is not a number"));
    }
    point.push_back(v);
  }
  if (static_cast<int>(point.size()) != spec.directions_size()) {
    return absl::InvalidArgumentError(absl::StrCat("--reference: expected ", spec.directions_size(),
                                                   " comma-separated numbers (one per objective: ",
                                                   absl::StrJoin(ObjectiveColumns(spec), ", "),
                                                   "), got ", point.size()));
  }
  return point;
}

absl::StatusOr<FrontHypervolume> HypervolumeOfFront(
    const v1::StudySpec& spec, const std::vector<v1::Trial>& front,
    const std::optional<std::vector<double>>& reference) {
  if (front.empty()) return absl::InvalidArgumentError("hypervolume: the front is empty");
  const std::vector<StudyDirection> directions = DirectionsOf(spec);
  std::vector<std::vector<double>> losses;
  for (const v1::Trial& t : front) {
    if (t.values_size() != spec.directions_size()) {
      return absl::InvalidArgumentError(absl::StrCat("hypervolume: trial ", t.number(), " has ",
                                                     t.values_size(), " values, expected ",
                                                     spec.directions_size()));
    }
    losses.push_back(
        LossVector(std::span<const double>(t.values().data(), t.values_size()), directions));
  }
  FrontHypervolume hv;
  // LossVector only negates maximised objectives, so it also maps losses back.
  std::vector<double> loss_reference;
  if (reference) {
    hv.source = ReferenceSource::kGiven;
    loss_reference = LossVector(*reference, directions);
  } else if (!spec.reference_point().empty()) {  // one per direction: the server validated it
    hv.source = ReferenceSource::kStudySpec;
    loss_reference = LossVector(
        std::span<const double>(spec.reference_point().data(), spec.reference_point_size()),
        directions);
  } else {
    loss_reference = DefaultReferencePoint(losses);
  }
  hv.reference = LossVector(loss_reference, directions);
  absl::StatusOr<double> value = Hypervolume(losses, loss_reference);
  if (!value.ok()) return value.status();
  hv.value = *value;
  return hv;
}

std::string HypervolumeText(const FrontHypervolume& hv, const v1::StudySpec& spec) {
  const std::vector<std::string> names = ObjectiveColumns(spec);
  std::vector<std::string> coordinates;
  for (size_t i = 0; i < hv.reference.size() && i < names.size(); ++i) {
    coordinates.push_back(absl::StrFormat("%s=%.6g", names[i], hv.reference[i]));
  }
  const char* source = hv.source == ReferenceSource::kGiven       ? "given"
                       : hv.source == ReferenceSource::kStudySpec ? "from the study spec"
                                                                  : "derived from the front";
  return absl::StrFormat("hypervolume %.6g (reference point %s, %s)", hv.value,
                         absl::StrJoin(coordinates, ", "), source);
}

}  // namespace nasq
