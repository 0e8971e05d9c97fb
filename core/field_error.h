// core/field_error.h: the one shape of a bad-input error, InvalidArgument "<field>: <problem>",
// where `field` is the path of the offending input ("space.params[2] (lr)", "budget.max_trials",
// a request parameter) and `problem` says what is wrong with it.
// Thread-safety: a pure function.
#ifndef NASQ_CORE_FIELD_ERROR_H_
#define NASQ_CORE_FIELD_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace nasq {

inline absl::Status InvalidFieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

}  // namespace nasq

#endif  // NASQ_CORE_FIELD_ERROR_H_
