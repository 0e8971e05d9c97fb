// proto/resource_names.h: AIP resource names of the nasq.v1 API.
//
// Studies are `studies/{study}` where {study} is the study's name (StudySpec.name); trials are
// `studies/{study}/trials/{number}`. Pure functions; thread-safe.
#ifndef NASQ_PROTO_RESOURCE_NAMES_H_
#define NASQ_PROTO_RESOURCE_NAMES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nasq {

struct TrialName {
  std::string study;  // the study id ({study})
  int64_t number = 0;
};

// "studies/" + study.
std::string StudyResourceName(absl::string_view study);
// "studies/{study}/trials/{number}".
std::string TrialResourceName(absl::string_view study, int64_t number);

// Parses "studies/{study}" into {study}. INVALID_ARGUMENT naming `field` when malformed.
absl::StatusOr<std::string> ParseStudyName(absl::string_view name, absl::string_view field);
// Parses "studies/{study}/trials/{number}" (number a non-negative integer). INVALID_ARGUMENT
// naming `field` when malformed.
absl::StatusOr<TrialName> ParseTrialName(absl::string_view name, absl::string_view field);

}  // namespace nasq

#endif  // NASQ_PROTO_RESOURCE_NAMES_H_
