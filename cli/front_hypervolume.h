// cli/front_hypervolume.h: the hypervolume of a study's Pareto front, as `nasq pareto` and
// `nasq watch` state it, with the reference point it is measured from.
//
// The reference point is, first found, the one given (--reference), the study spec's
// `reference_point` (both in the objectives' own units), or the one Optuna's TPE derives from the
// front itself (core/pareto.h DefaultReferencePoint: per objective 10% beyond the front's worst
// value). The volume is exact (core/pareto.h Hypervolume). Pure functions; thread-safe.
#ifndef NASQ_CLI_FRONT_HYPERVOLUME_H_
#define NASQ_CLI_FRONT_HYPERVOLUME_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "nasq/v1/study.pb.h"
#include "nasq/v1/trial.pb.h"

namespace nasq {

// Where a reference point came from, in the order of precedence.
enum class ReferenceSource { kGiven, kStudySpec, kDerived };
// "given", "spec", "derived": the `reference_point_source` of `nasq pareto -f json`.
const char* ReferenceSourceName(ReferenceSource source);

struct FrontHypervolume {
  double value = 0.0;
  std::vector<double> reference;  // one per objective, in its own units (maximised: not negated)
  ReferenceSource source = ReferenceSource::kDerived;
};

// The directions of `spec` as core values.
std::vector<StudyDirection> DirectionsOf(const v1::StudySpec& spec);

// Parses --reference "r1,r2,...": one number per objective of `spec`. INVALID_ARGUMENT naming
// --reference for another count, a text that is not a number, or NaN.
absl::StatusOr<std::vector<double>> ParseReferencePoint(const std::string& text,
                                                        const v1::StudySpec& spec);

// The hypervolume of `front` (trials with one value per objective of `spec`, at least one)
// bounded by `reference` (from ParseReferencePoint) or, when nullopt, the spec's reference_point,
// else the derived point. INVALID_ARGUMENT for an empty front or a trial with another number of
// values.
absl::StatusOr<FrontHypervolume> HypervolumeOfFront(
    const v1::StudySpec& spec, const std::vector<v1::Trial>& front,
    const std::optional<std::vector<double>>& reference);

// "hypervolume 0.42 (reference point accuracy=0.5, avg_bitwidth=8, derived from the front)",
// the objectives named by ObjectiveColumns; "given" (--reference) or "from the study spec"
// instead of "derived from the front".
std::string HypervolumeText(const FrontHypervolume& hv, const v1::StudySpec& spec);

}  // namespace nasq

#endif  // NASQ_CLI_FRONT_HYPERVOLUME_H_
