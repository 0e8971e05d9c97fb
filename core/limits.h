// core/limits.h: the bounds on everything a client may send, and the one check for strings.
//
// Every count, size and duration of a study spec and every string that crosses the RPC edge
// has a documented range (docs/study-spec.md, "Limits"); the constants below are those ranges,
// written once. SearchSpace::Create checks the space's sizes and strings against them and
// ValidateStudySpec (core/study.h) the rest of a spec; the RPC adapters check request strings
// with ValidateText / ValidateTextMap; FitText makes a text pass them. Pure functions;
// thread-safe.
#ifndef NASQ_CORE_LIMITS_H_
#define NASQ_CORE_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace nasq::limits {

// Study spec counts and durations (inclusive ranges; the lower bounds live with the checks).
inline constexpr int64_t kMaxObjectives = 16;
inline constexpr int64_t kMaxParams = 10'000;
inline constexpr int64_t kMaxChoices = 100'000;          // per categorical param
inline constexpr int64_t kMaxConditions = 100;           // per param
inline constexpr int64_t kMaxConditionValues = 100'000;  // per condition
inline constexpr int64_t kMaxConstraints = 10'000;
inline constexpr int64_t kMaxTrials = 1'000'000'000;                    // max_trials
inline constexpr int64_t kMaxRetries = 1'000;                           // max_retries
inline constexpr int64_t kMaxLeaseDurationMs = 7LL * 24 * 3600 * 1000;  // one week
inline constexpr int64_t kMaxStartupTrials = 1'000'000;    // sampler.tpe.n_startup_trials
inline constexpr int64_t kMaxEiCandidates = 10'000;        // sampler.tpe.n_ei_candidates
inline constexpr int64_t kMaxConstraintRetries = 10'000;   // sampler.max_constraint_retries
inline constexpr int64_t kMaxPopulationSize = 100'000;     // sampler.nsga2.population_size
inline constexpr int64_t kMaxPrunerSteps = 1'000'000'000;  // pruner step counts and resources
inline constexpr int64_t kMaxReductionFactor = 1'000;      // pruner reduction_factor
inline constexpr int64_t kMaxEarlyStoppingRate = 100;      // pruner min_early_stopping_rate

// String sizes in bytes; every string must also be valid UTF-8.
inline constexpr size_t kMaxParamNameBytes = 256;     // param names, metric names, attr keys
inline constexpr size_t kMaxValueBytes = 1024;        // choice strings, condition values, labels
inline constexpr size_t kMaxAttrValueBytes = 65'536;  // one attribute's JSON text
inline constexpr size_t kMaxAttrs = 1'000;            // entries of one attribute map
inline constexpr size_t kMaxTaskBytes = 1 << 20;      // task_json
inline constexpr size_t kMaxIdBytes = 256;            // worker ids, client ids
inline constexpr size_t kMaxReasonBytes = 16'384;     // fail reasons
inline constexpr size_t kMaxTokenBytes = 1024;        // page tokens, filters, order_by

}  // namespace nasq::limits

namespace nasq {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// OK when `value` is valid UTF-8 of at most `max_bytes` bytes. Otherwise INVALID_ARGUMENT
// "<field>: ..." that says which rule failed; the message never quotes `value`.
absl::Status ValidateText(absl::string_view value, absl::string_view field, size_t max_bytes);

// `text` made to pass ValidateText(text, ..., max_bytes), for what must be sent whatever it
// holds (a failure reason, an error message): each byte that is not part of well-formed UTF-8
// becomes '?', and a text still longer than `max_bytes` is cut at a character boundary and
// ends with "...". Requires max_bytes >= 3.
std::string FitText(absl::string_view text, size_t max_bytes);

// OK when `count` <= `max`; otherwise INVALID_ARGUMENT "<field>: at most <max> <what> (got N)".
absl::Status ValidateCount(size_t count, int64_t max, absl::string_view field,
                           absl::string_view what);

// Checks a map keyed by strings (attributes, labels, metrics): at most limits::kMaxAttrs
// entries, keys of 1 to limits::kMaxParamNameBytes bytes and, when the values are strings,
// values up to `max_value_bytes`; all valid UTF-8. A bad key is reported as
// "<field>: key of entry <i>: ...", a bad value as "<field>.<key>: ...".
template <typename Map>
absl::Status ValidateTextMap(const Map& map, absl::string_view field, size_t max_value_bytes) {
  if (map.size() > limits::kMaxAttrs) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most ", limits::kMaxAttrs, " entries (got ", map.size(), ")"));
  }
  size_t i = 0;
  for (const auto& [key, value] : map) {
    const std::string key_field = absl::StrCat(field, ": key of entry ", i++);
    if (key.empty()) return absl::InvalidArgumentError(key_field + ": must not be empty");
    absl::Status status = ValidateText(key, key_field, limits::kMaxParamNameBytes);
    if constexpr (std::is_convertible_v<decltype(value), absl::string_view>) {
      if (status.ok()) status = ValidateText(value, absl::StrCat(field, ".", key), max_value_bytes);
    }
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace nasq

#endif  // NASQ_CORE_LIMITS_H_
