// core/distribution.h: parameter distributions and the internal/external value representation.
//
// Semantics follow Optuna's distributions (docs/tpe.md section 4):
//   * FloatDistribution(low, high, log, step): internal value = the float itself.
//   * IntDistribution(low, high, log, step=1): internal value = the integer as a double.
//   * CategoricalDistribution(choices): internal value = the index into `choices` as a double.
// Samplers and storage work on internal values (double); users see external ParamValues.
// All functions here are pure and thread-safe.
#ifndef NASQ_CORE_DISTRIBUTION_H_
#define NASQ_CORE_DISTRIBUTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nasq {

// A user-visible parameter value. Categorical choices may be any of these; float params are
// double, int params are int64_t.
using ParamValue = std::variant<bool, int64_t, double, std::string>;

// Renders a value for messages, tables and CSV: "true", "16", "0.125", "integer".
std::string ParamValueToString(const ParamValue& v);

// True when `a` and `b` denote the same value. Unlike Optuna, bool and int never compare equal
// (true != 1); int and double compare numerically (16 == 16.0); NaN equals NaN.
bool ParamValueEquals(const ParamValue& a, const ParamValue& b);

// OK unless `v` is a string longer than limits::kMaxValueBytes or not valid UTF-8
// (INVALID_ARGUMENT naming `field`, see ValidateText).
absl::Status ValidateParamValueText(const ParamValue& v, absl::string_view field);

// The numeric value of an int or double; nullopt for bools and strings (bools are not numbers).
std::optional<double> ParamValueAsNumber(const ParamValue& v);

// Hash and equality for hash containers of ParamValues: values that ParamValueEquals calls equal
// hash alike (numbers hash by their double value, so 16 and 16.0 collide).
struct ParamValueHash {
  size_t operator()(const ParamValue& v) const;
};
struct ParamValueEq {
  bool operator()(const ParamValue& a, const ParamValue& b) const { return ParamValueEquals(a, b); }
};

// Value -> position among a categorical's choices, for lookups in constant time.
using ChoiceIndex = absl::flat_hash_map<ParamValue, size_t, ParamValueHash, ParamValueEq>;

// The index of `choices`; a value listed twice keeps its first position. Linear time.
ChoiceIndex IndexChoices(const std::vector<ParamValue>& choices);

struct FloatDistribution {
  double low = 0.0;
  double high = 1.0;
  bool log = false;
  std::optional<double> step;  // grid step; not allowed together with log.

  friend bool operator==(const FloatDistribution&, const FloatDistribution&) = default;
};

struct IntDistribution {
  int64_t low = 0;
  int64_t high = 1;
  bool log = false;
  int64_t step = 1;  // must be 1 when log is true.

  friend bool operator==(const IntDistribution&, const IntDistribution&) = default;
};

struct CategoricalDistribution {
  std::vector<ParamValue> choices;  // non-empty, no duplicates (ParamValueEquals).

  // Element-wise equality with ParamValueEquals (order-sensitive, as in Optuna).
  friend bool operator==(const CategoricalDistribution& a, const CategoricalDistribution& b);
};

using Distribution = std::variant<FloatDistribution, IntDistribution, CategoricalDistribution>;

// Returns OK if `d` is well formed; otherwise INVALID_ARGUMENT whose message starts with
// `field` (e.g. "space.params[2] (lr)") and names the problem: low > high, log with low <= 0,
// step <= 0, log with step, empty choices, duplicate choices, non-finite bounds, more than
// limits::kMaxChoices choices, a choice string that ValidateParamValueText refuses. Linear time.
absl::Status ValidateDistribution(const Distribution& d, const std::string& field);

// Optuna's normalisation: for stepped float/int distributions lowers `high` to the last grid
// point low + k*step. Returns the adjusted copy; `d` must be valid.
Distribution NormalizeDistribution(const Distribution& d);

// True when the distribution admits exactly one value (low == high, or a single choice).
bool IsSingle(const Distribution& d);

// True when `internal` is a legal internal value of `d` (inside bounds, on the step grid within
// 1e-8, an integer index for categoricals).
bool Contains(const Distribution& d, double internal);

// External -> internal. INVALID_ARGUMENT when the value has the wrong type or lies outside `d`
// (for categoricals: not among the choices).
absl::StatusOr<double> ToInternal(const Distribution& d, const ParamValue& v);

// Internal -> external. `internal` must satisfy Contains(d, internal) (categoricals: a valid
// index; ints are rounded to the nearest integer).
ParamValue ToExternal(const Distribution& d, double internal);

// Number of distinct values of a discrete distribution (categorical, int, stepped float, or a
// float with low == high, which has 1); nullopt for continuous floats. Used by the grid sampler.
std::optional<int64_t> DiscreteSize(const Distribution& d);

// The i-th discrete value (internal representation), 0 <= i < *DiscreteSize(d).
double DiscreteValue(const Distribution& d, int64_t i);

// A short kind name: "float", "int" or "categorical".
const char* DistributionKind(const Distribution& d);

// A one-line description for messages: "float [1e-05, 0.1] log", "int [0, 8] step 2",
// "categorical [a, b]".
std::string DistributionToString(const Distribution& d);

}  // namespace nasq

#endif  // NASQ_CORE_DISTRIBUTION_H_
