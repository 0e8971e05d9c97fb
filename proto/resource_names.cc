#include "proto/resource_names.h"

#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/limits.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

constexpr absl::string_view kStudiesPrefix = "studies/";
constexpr absl::string_view kTrialsInfix = "/trials/";

absl::Status Malformed(absl::string_view field, absl::string_view name, absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": '", name, "' is not a resource name of the form ", want));
}

}  // namespace

std::string StudyResourceName(absl::string_view study) {
  return absl::StrCat(kStudiesPrefix, study);
}

std::string TrialResourceName(absl::string_view study, int64_t number) {
  return absl::StrCat(kStudiesPrefix, study, kTrialsInfix, number);
}

absl::StatusOr<std::string> ParseStudyName(absl::string_view name, absl::string_view field) {
  NASQ_RETURN_IF_ERROR(ValidateText(name, field, limits::kMaxTokenBytes));
  if (!absl::StartsWith(name, kStudiesPrefix)) return Malformed(field, name, "studies/{study}");
  absl::string_view study = name.substr(kStudiesPrefix.size());
  if (study.empty() || absl::StrContains(study, '/')) {
    return Malformed(field, name, "studies/{study}");
  }
  return std::string(study);
}

absl::StatusOr<TrialName> ParseTrialName(absl::string_view name, absl::string_view field) {
  constexpr absl::string_view kForm = "studies/{study}/trials/{number}";
  NASQ_RETURN_IF_ERROR(ValidateText(name, field, limits::kMaxTokenBytes));
  if (!absl::StartsWith(name, kStudiesPrefix)) return Malformed(field, name, kForm);
  absl::string_view rest = name.substr(kStudiesPrefix.size());
  size_t infix = rest.find(kTrialsInfix);
  if (infix == absl::string_view::npos || infix == 0) return Malformed(field, name, kForm);
  absl::string_view study = rest.substr(0, infix);
  absl::string_view number_text = rest.substr(infix + kTrialsInfix.size());
  if (absl::StrContains(study, '/')) return Malformed(field, name, kForm);
  TrialName parsed{std::string(study), 0};
  auto [end, error] =
      std::from_chars(number_text.data(), number_text.data() + number_text.size(), parsed.number);
  if (number_text.empty() || error != std::errc() ||
      end != number_text.data() + number_text.size() || parsed.number < 0) {
    return Malformed(field, name, kForm);
  }
  return parsed;
}

}  // namespace nasq
