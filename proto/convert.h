// proto/convert.h: conversion between the nasq.v1 wire messages and the core value types.
//
// *FromProto functions validate: a spec is rebuilt with SearchSpace::Create and checked with
// ValidateStudySpec, so the server never trusts what a client sends. Errors are
// INVALID_ARGUMENT whose message starts with the offending field, e.g.
// "spec.space.params[1].distribution: no distribution set" or
// "spec.directions[0]: STUDY_DIRECTION_UNSPECIFIED". *ToProto functions cannot fail.
// Trial params travel in external form (ToExternal/ToInternal with the trial's distributions).
// Times are microseconds since the Unix epoch in core and google.protobuf.Timestamp on the wire
// (0 <-> unset). Pure functions; thread-safe.
#ifndef NASQ_PROTO_CONVERT_H_
#define NASQ_PROTO_CONVERT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/distribution.h"
#include "core/search_space.h"
#include "core/study.h"
#include "core/trial.h"
#include "core/trial_distributions.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "nasq/v1/study.pb.h"
#include "nasq/v1/trial.pb.h"

namespace nasq {

v1::ParamValue ParamValueToProto(const ParamValue& value);
// INVALID_ARGUMENT "<field>: no value set" when the oneof is empty.
absl::StatusOr<ParamValue> ParamValueFromProto(const v1::ParamValue& value,
                                               absl::string_view field);

v1::Distribution DistributionToProto(const Distribution& distribution);
// Converts and validates (ValidateDistribution) the distribution.
absl::StatusOr<Distribution> DistributionFromProto(const v1::Distribution& distribution,
                                                   absl::string_view field);

v1::CompareOp CompareOpToProto(CompareOp op);
absl::StatusOr<CompareOp> CompareOpFromProto(v1::CompareOp op, absl::string_view field);

v1::SearchSpace SearchSpaceToProto(const SearchSpace& space);
// Converts and builds the space with SearchSpace::Create; its errors are prefixed with `field`
// (e.g. "spec.space.params[2] (lr): ...").
absl::StatusOr<SearchSpace> SearchSpaceFromProto(const v1::SearchSpace& space,
                                                 absl::string_view field);

v1::StudyDirection StudyDirectionToProto(StudyDirection direction);
v1::SamplerKind SamplerKindToProto(SamplerKind kind);

// The spec with task_json set (never task_struct); unset optionals are written explicitly.
v1::StudySpec StudySpecToProto(const StudySpec& spec);
// Converts and fully validates a spec (unset optional fields take core defaults; the task may
// come as task_struct or task_json; absent = "{}"). Field names in errors start with "spec.".
absl::StatusOr<StudySpec> StudySpecFromProto(const v1::StudySpec& spec);

v1::StudyState StudyStateToProto(StudyState state);
// INVALID_ARGUMENT naming `field` for STUDY_STATE_UNSPECIFIED or unknown values.
absl::StatusOr<StudyState> StudyStateFromProto(v1::StudyState state, absl::string_view field);

// name = "studies/{spec.name}"; trial_counts is left empty (the server fills it).
v1::Study StudyToProto(const Study& study);
absl::StatusOr<Study> StudyFromProto(const v1::Study& study);

v1::TrialState TrialStateToProto(TrialState state);
// INVALID_ARGUMENT naming `field` for TRIAL_STATE_UNSPECIFIED or unknown values.
absl::StatusOr<TrialState> TrialStateFromProto(v1::TrialState state, absl::string_view field);

// With the token: for the lease's holder only. The proto has no kind: LeaseFromProto gives
// LeaseKind::kWorker.
v1::Lease LeaseToProto(const Lease& lease);
Lease LeaseFromProto(const v1::Lease& lease);

// name = "studies/{study}/trials/{number}"; params converted to external values; the lease
// without its token (anyone may read trials).
v1::Trial TrialToProto(const Trial& trial, absl::string_view study);
// Inverse of TrialToProto (study_id is left -1). INVALID_ARGUMENT when a param has no
// distribution or its value does not fit it. With `interner`, the trial shares its distributions
// map with the equal ones interned there (convert a study's trials through one interner).
absl::StatusOr<Trial> TrialFromProto(const v1::Trial& trial,
                                     DistributionsInterner* interner = nullptr);

// Never fail: instants outside Timestamp's range (years 1 to 9999), such as a saturated
// deadline, are clamped to its ends, in both directions.
google::protobuf::Timestamp MicrosToTimestamp(int64_t micros);
int64_t TimestampToMicros(const google::protobuf::Timestamp& timestamp);

// JSON object text <-> google.protobuf.Struct. INVALID_ARGUMENT naming `field` when the text
// is not a JSON object.
absl::StatusOr<google::protobuf::Struct> JsonToStruct(const std::string& json,
                                                      absl::string_view field);
std::string StructToJson(const google::protobuf::Struct& value);

}  // namespace nasq

#endif  // NASQ_PROTO_CONVERT_H_
