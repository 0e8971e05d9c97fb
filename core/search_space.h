// core/search_space.h: a declared search space of named parameters, with conditional
// parameters and cross-parameter constraints.
//
// A parameter may carry conditions on other ("parent") parameters; it is active only when all
// its conditions hold and every parent is itself active. Example: `layer3.query.width` active
// when `num_layers >= 4` and `layer3.query.type in [integer]`. Constraints relate two active
// parameters (e.g. `frac_width < width`); samplers enforce them (see sampler/sampler.h,
// SampleTrial, for the strategy). A validated space stores its params in a topological order
// (parents before children), so a sampler can walk `params()` front to back.
//
// Values of SearchSpace are immutable after Create(); all const methods are thread-safe.
#ifndef NASQ_CORE_SEARCH_SPACE_H_
#define NASQ_CORE_SEARCH_SPACE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/distribution.h"

namespace nasq {

// Internal values (doubles; a categorical is its choice index) of a (partial) parameter
// assignment, by name.
using InternalParams = std::map<std::string, double>;

// External values (as users see them: ParamValue) of a parameter assignment, by name.
using ExternalParams = std::map<std::string, ParamValue>;

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

// Parses "==", "!=", "<", "<=", ">", ">=", "in", "not_in"; nullopt otherwise.
std::optional<CompareOp> ParseCompareOp(const std::string& s);
const char* CompareOpName(CompareOp op);

// `parent <op> values`: kIn/kNotIn take one or more values; the other ops exactly one.
// Ordering ops (<, <=, >, >=) need a numeric parent (int/float, or categorical with numeric
// choices) and numeric values. Values are external (as written in the spec).
struct Condition {
  std::string parent;
  CompareOp op = CompareOp::kEq;
  std::vector<ParamValue> values;
};

// `lhs <op> rhs + offset` where rhs is a parameter name, or `lhs <op> offset` when rhs is
// empty. Only ordering/equality ops (not kIn/kNotIn). Compared on external numeric values;
// both sides must be numeric. Holds vacuously when lhs or rhs is inactive.
struct Constraint {
  std::string lhs;
  CompareOp op = CompareOp::kLt;
  std::string rhs;
  double offset = 0.0;
};

struct ParamSpec {
  std::string name;
  Distribution distribution;
  std::vector<Condition> conditions;  // all must hold (AND); empty = always active.
};

class SearchSpace {
 public:
  // Validates and builds a space. Returns INVALID_ARGUMENT naming the offending field
  // ("space.params[i] (name): ..." / "space.constraints[i]: ...") for: empty or duplicate
  // names, invalid distributions, unknown or self parents, condition values that the parent
  // cannot take, wrong value counts for an op, ordering ops on non-numeric parents, cycles of
  // conditions, constraints on unknown or non-numeric params, or an empty space; and for
  // anything past core/limits.h (more than kMaxParams params, kMaxConstraints constraints,
  // kMaxConditions conditions per param, kMaxConditionValues values per condition, names over
  // kMaxParamNameBytes, strings that ValidateParamValueText refuses). Time O(n log n) in the
  // size of the input. Distributions are normalised (NormalizeDistribution).
  static absl::StatusOr<SearchSpace> Create(std::vector<ParamSpec> params,
                                            std::vector<Constraint> constraints = {});

  SearchSpace() = default;

  // Params in topological order (parents first; otherwise declaration order).
  const std::vector<ParamSpec>& params() const { return params_; }
  const std::vector<Constraint>& constraints() const { return constraints_; }

  // Null if there is no such parameter.
  const ParamSpec* Find(const std::string& name) const;

  // True when `spec` is active given the already-assigned `partial` (its parents must be in
  // `partial` and satisfy every condition). Params without conditions are always active.
  bool IsActive(const ParamSpec& spec, const InternalParams& partial) const;

  // True when every constraint whose two sides are present in `params` holds.
  bool SatisfiesConstraints(const InternalParams& params) const;

  // OK when `params` is a complete, consistent assignment: exactly the active params are
  // present, each value is contained in its distribution, constraints hold. Otherwise
  // INVALID_ARGUMENT naming the first offending param.
  absl::Status CheckAssignment(const InternalParams& params) const;

  // Number of params.
  size_t size() const { return params_.size(); }

 private:
  std::vector<ParamSpec> params_;
  std::vector<Constraint> constraints_;
  std::map<std::string, size_t> index_;  // name -> position in params_
};

}  // namespace nasq

#endif  // NASQ_CORE_SEARCH_SPACE_H_
