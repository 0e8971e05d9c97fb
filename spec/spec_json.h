// spec/spec_json.h: JSON encodings of a StudySpec and of distributions.
//
// * Distributions use Optuna's format (docs/tpe.md section 4), the one stored in
//   `trial_params.distribution_json`:
//     {"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0, "high": 1.0,
//      "log": false}}
//     {"name": "IntDistribution", "attributes": {"log": false, "step": 1, "low": 0, "high": 8}}
//     {"name": "CategoricalDistribution", "attributes": {"choices": ["a", 16, 0.5, true]}}
// * A StudySpec is one JSON object holding every field (the search space with its
//   distributions, conditions and constraints; sampler; limits; task and user attributes as
//   JSON text). The server restarts from it, so StudySpecFromJson(StudySpecToJson(s)) equals `s`
//   exactly: doubles are written with shortest round-trip precision and external values keep
//   their type (bool / int / float / string; 16 and 16.0 stay distinct).
//
// Decoding is strict (spec/strict_json.h): a missing field or a field of the wrong type is
// INVALID_ARGUMENT naming its path (e.g. "space.params[2].distribution.attributes.low: expected
// a number, got \"0\""), and the space is re-validated with SearchSpace::Create. The option
// fields (core/study.h kTpeOptionFields, kSamplerOptionFields, kStudyLimitFields) are written
// from their descriptions; one that is absent, as in specs stored before it existed, takes its
// default. Unknown members are ignored, so that a spec stored by a newer server still loads.
//
// Non-finite floats have no JSON form: encoding a categorical choice, condition value or
// constraint offset that is NaN or infinite is INVALID_ARGUMENT.
//
// All functions are pure and thread-safe.
#ifndef NASQ_SPEC_SPEC_JSON_H_
#define NASQ_SPEC_SPEC_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/distribution.h"
#include "core/study.h"

namespace nasq {

// `d` in Optuna's JSON format (compact, no whitespace).
absl::StatusOr<std::string> DistributionToJson(const Distribution& d);

// Parses Optuna's JSON format and validates the result (ValidateDistribution).
absl::StatusOr<Distribution> DistributionFromJson(absl::string_view json_text);

// Every field of `spec` as one compact JSON object.
absl::StatusOr<std::string> StudySpecToJson(const StudySpec& spec);

// Inverse of StudySpecToJson; the search space is rebuilt with SearchSpace::Create.
absl::StatusOr<StudySpec> StudySpecFromJson(absl::string_view json_text);

}  // namespace nasq

#endif  // NASQ_SPEC_SPEC_JSON_H_
