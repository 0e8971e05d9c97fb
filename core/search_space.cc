#include "core/search_space.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/field_error.h"
#include "core/limits.h"
#include "core/name_table.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

constexpr internal::NameEntry<CompareOp> kCompareOpNames[] = {
    {CompareOp::kEq, "=="}, {CompareOp::kNe, "!="},        {CompareOp::kLt, "<"},
    {CompareOp::kLe, "<="}, {CompareOp::kGt, ">"},         {CompareOp::kGe, ">="},
    {CompareOp::kIn, "in"}, {CompareOp::kNotIn, "not_in"},
};

using NameIndex = std::map<std::string, size_t>;

std::string ParamField(size_t i, const std::string& name) {
  return absl::StrCat("space.params[", i, "] (", name, ")");
}

bool IsOrderingOp(CompareOp op) {
  return op == CompareOp::kLt || op == CompareOp::kLe || op == CompareOp::kGt ||
         op == CompareOp::kGe;
}

bool IsSetOp(CompareOp op) { return op == CompareOp::kIn || op == CompareOp::kNotIn; }

// Int and float params, and categoricals whose choices are all numbers (bools are not).
bool IsNumeric(const Distribution& d) {
  const auto* c = std::get_if<CategoricalDistribution>(&d);
  if (c == nullptr) return true;
  return std::all_of(c->choices.begin(), c->choices.end(),
                     [](const ParamValue& v) { return ParamValueAsNumber(v).has_value(); });
}

// `a op b` for the equality and ordering ops; set ops never hold here.
bool CompareNumbers(double a, CompareOp op, double b) {
  switch (op) {
    case CompareOp::kEq:
      return a == b;
    case CompareOp::kNe:
      return a != b;
    case CompareOp::kLt:
      return a < b;
    case CompareOp::kLe:
      return a <= b;
    case CompareOp::kGt:
      return a > b;
    case CompareOp::kGe:
      return a >= b;
    case CompareOp::kIn:
    case CompareOp::kNotIn:
      return false;
  }
  return false;
}

bool ConditionHolds(const Condition& c, const ParamValue& parent_value) {
  const auto equals_parent = [&](const ParamValue& v) { return ParamValueEquals(parent_value, v); };
  switch (c.op) {
    case CompareOp::kEq:
      return equals_parent(c.values.front());
    case CompareOp::kNe:
      return !equals_parent(c.values.front());
    case CompareOp::kIn:
      return std::any_of(c.values.begin(), c.values.end(), equals_parent);
    case CompareOp::kNotIn:
      return std::none_of(c.values.begin(), c.values.end(), equals_parent);
    default: {
      const std::optional<double> a = ParamValueAsNumber(parent_value);
      const std::optional<double> b = ParamValueAsNumber(c.values.front());
      return a.has_value() && b.has_value() && CompareNumbers(*a, c.op, *b);
    }
  }
}

std::string ValuesToString(const std::vector<ParamValue>& values) {
  return absl::StrJoin(values, ", ", [](std::string* out, const ParamValue& v) {
    out->append(ParamValueToString(v));
  });
}

std::string ConditionToString(const Condition& c) {
  if (IsSetOp(c.op)) {
    return absl::StrCat(c.parent, " ", CompareOpName(c.op), " [", ValuesToString(c.values), "]");
  }
  return absl::StrCat(c.parent, " ", CompareOpName(c.op), " ", ValuesToString(c.values));
}

std::string ConstraintToString(const Constraint& c) {
  const std::string offset = ParamValueToString(c.offset);
  if (c.rhs.empty()) return absl::StrCat(c.lhs, " ", CompareOpName(c.op), " ", offset);
  if (c.offset == 0) return absl::StrCat(c.lhs, " ", CompareOpName(c.op), " ", c.rhs);
  return absl::StrCat(c.lhs, " ", CompareOpName(c.op), " ", c.rhs, " + ", offset);
}

absl::Status ValidateNames(const std::vector<ParamSpec>& params, NameIndex& index) {
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string& name = params[i].name;
    if (name.empty())
      return InvalidFieldError(absl::StrCat("space.params[", i, "]"), "name is empty");
    NASQ_RETURN_IF_ERROR(
        ValidateText(name, absl::StrCat("space.params[", i, "] name"), limits::kMaxParamNameBytes));
    const auto [it, inserted] = index.emplace(name, i);
    if (!inserted) {
      return InvalidFieldError(
          ParamField(i, name),
          absl::StrCat("duplicate name (also space.params[", it->second, "])"));
    }
  }
  return absl::OkStatus();
}

// The choice index of each categorical param, built on first use.
class ChoiceIndexes {
 public:
  explicit ChoiceIndexes(const std::vector<ParamSpec>& params) : params_(params) {}

  // The index of params[i]'s choices; params[i] must be categorical.
  const ChoiceIndex& Of(size_t i) {
    auto [it, inserted] = built_.try_emplace(i);
    if (inserted) {
      it->second = IndexChoices(std::get<CategoricalDistribution>(params_[i].distribution).choices);
    }
    return it->second;
  }

 private:
  const std::vector<ParamSpec>& params_;
  std::map<size_t, ChoiceIndex> built_;
};

// Checks that `c` can be evaluated against its parent: known parent, right number of values,
// values the parent can take (categorical choices, numbers for numeric parents and ops).
// Linear in the number of values: choices are looked up in `choices`.
absl::Status ValidateCondition(const std::string& field, const std::string& self,
                               const Condition& c, const std::vector<ParamSpec>& params,
                               const NameIndex& index, ChoiceIndexes& choices) {
  if (c.parent.empty()) return InvalidFieldError(field, "parent is empty");
  if (c.parent == self) return InvalidFieldError(field, "parent is the param itself");
  const auto parent_it = index.find(c.parent);
  if (parent_it == index.end()) {
    return InvalidFieldError(field, absl::StrCat("unknown parent '", c.parent, "'"));
  }
  if (!internal::Lists(kCompareOpNames, c.op)) {
    return InvalidFieldError(field, absl::StrCat("unknown op ", static_cast<int>(c.op)));
  }
  if (IsSetOp(c.op) && c.values.empty()) {
    return InvalidFieldError(
        field, absl::StrCat("op '", CompareOpName(c.op), "' needs at least one value"));
  }
  NASQ_RETURN_IF_ERROR(
      ValidateCount(c.values.size(), limits::kMaxConditionValues, field, "values"));
  for (size_t k = 0; k < c.values.size(); ++k) {
    NASQ_RETURN_IF_ERROR(
        ValidateParamValueText(c.values[k], absl::StrCat(field, ".values[", k, "]")));
  }
  if (!IsSetOp(c.op) && c.values.size() != 1) {
    return InvalidFieldError(
        field, absl::StrCat("op '", CompareOpName(c.op), "' needs exactly one value, got ",
                            c.values.size()));
  }
  const Distribution& parent = params[parent_it->second].distribution;
  if (IsOrderingOp(c.op) && !IsNumeric(parent)) {
    return InvalidFieldError(
        field, absl::StrCat("op '", CompareOpName(c.op), "' needs a numeric parent, but '",
                            c.parent, "' is ", DistributionToString(parent)));
  }
  const bool categorical = std::holds_alternative<CategoricalDistribution>(parent);
  for (const ParamValue& v : c.values) {
    if (categorical && !IsOrderingOp(c.op)) {
      if (!choices.Of(parent_it->second).contains(v)) {
        return InvalidFieldError(
            field,
            absl::StrCat("value '", ParamValueToString(v), "' is not among the choices of parent '",
                         c.parent, "' (", DistributionToString(parent), ")"));
      }
    } else if (!ParamValueAsNumber(v).has_value()) {
      return InvalidFieldError(
          field, absl::StrCat("value '", ParamValueToString(v), "' is not a number (op '",
                              CompareOpName(c.op), "', parent '", c.parent, "' is ",
                              DistributionToString(parent), ")"));
    }
  }
  return absl::OkStatus();
}

// Orders params parents-first, preferring declaration order among those ready (Kahn's algorithm
// with the ready params in a min-heap: O((n + edges) log n)). Reports a cycle of conditions as
// INVALID_ARGUMENT naming the params on it.
absl::StatusOr<std::vector<size_t>> TopologicalOrder(const std::vector<ParamSpec>& params,
                                                     const NameIndex& index) {
  const size_t n = params.size();
  std::vector<std::vector<size_t>> parents(n);
  std::vector<std::vector<size_t>> children(n);
  std::vector<size_t> unplaced_parents(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (const Condition& c : params[i].conditions) {
      const size_t p = index.at(c.parent);
      parents[i].push_back(p);
      children[p].push_back(i);
      ++unplaced_parents[i];
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < n; ++i) {
    if (unplaced_parents[i] == 0) ready.push(i);
  }
  std::vector<bool> placed(n, false);
  std::vector<size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    const size_t next = ready.top();
    ready.pop();
    placed[next] = true;
    order.push_back(next);
    for (size_t child : children[next]) {
      if (--unplaced_parents[child] == 0) ready.push(child);
    }
  }
  if (order.size() == n) return order;

  // Every unplaced param has an unplaced parent: walk parent links until one repeats.
  constexpr size_t kNotOnPath = static_cast<size_t>(-1);
  std::vector<size_t> position(n, kNotOnPath);  // param -> its index in `path`
  size_t node = std::find(placed.begin(), placed.end(), false) - placed.begin();
  std::vector<size_t> path;
  while (position[node] == kNotOnPath) {
    position[node] = path.size();
    path.push_back(node);
    node = *std::find_if(parents[node].begin(), parents[node].end(),
                         [&](size_t p) { return !placed[p]; });
  }
  std::vector<std::string> names;
  for (size_t k = position[node]; k < path.size(); ++k) names.push_back(params[path[k]].name);
  names.push_back(params[node].name);
  return InvalidFieldError(ParamField(node, params[node].name),
                           absl::StrCat("conditions form a cycle: ", absl::StrJoin(names, " -> "),
                                        " (each depends on the next)"));
}

absl::Status ValidateConstraint(size_t i, const Constraint& c, const std::vector<ParamSpec>& params,
                                const NameIndex& index) {
  const std::string field = absl::StrCat("space.constraints[", i, "]");
  if (!internal::Lists(kCompareOpNames, c.op) || IsSetOp(c.op)) {
    return InvalidFieldError(
        field, absl::StrCat("op '", CompareOpName(c.op),
                            "' is not allowed in constraints (use ==, !=, <, <=, >, >=)"));
  }
  if (!std::isfinite(c.offset)) {
    return InvalidFieldError(
        field, absl::StrCat("offset must be finite (offset=", ParamValueToString(c.offset), ")"));
  }
  if (c.lhs.empty()) return InvalidFieldError(field, "lhs is empty");
  for (const auto& [side, name] : {std::pair<const char*, const std::string&>{"lhs", c.lhs},
                                   std::pair<const char*, const std::string&>{"rhs", c.rhs}}) {
    if (name.empty()) continue;  // only rhs may be empty: compare lhs with offset
    const auto it = index.find(name);
    if (it == index.end()) {
      return InvalidFieldError(field, absl::StrCat("unknown param '", name, "' (", side, ")"));
    }
    const Distribution& d = params[it->second].distribution;
    if (!IsNumeric(d)) {
      return InvalidFieldError(field, absl::StrCat(side, " '", name, "' is not numeric (",
                                                   DistributionToString(d), ")"));
    }
  }
  return absl::OkStatus();
}

// The numeric external value of `name` in `params`; nullopt when absent.
std::optional<double> NumericParam(const SearchSpace& space, const std::string& name,
                                   const InternalParams& params) {
  const ParamSpec* spec = space.Find(name);
  const auto it = params.find(name);
  if (spec == nullptr || it == params.end()) return std::nullopt;
  return ParamValueAsNumber(ToExternal(spec->distribution, it->second));
}

// Whether `c` holds on `params`; nullopt when a side is absent (the constraint is vacuous).
std::optional<bool> EvaluateConstraint(const SearchSpace& space, const Constraint& c,
                                       const InternalParams& params) {
  const std::optional<double> lhs = NumericParam(space, c.lhs, params);
  if (!lhs.has_value()) return std::nullopt;
  double rhs = c.offset;
  if (!c.rhs.empty()) {
    const std::optional<double> rhs_param = NumericParam(space, c.rhs, params);
    if (!rhs_param.has_value()) return std::nullopt;
    rhs += *rhs_param;
  }
  return CompareNumbers(*lhs, c.op, rhs);
}

// Why `spec` is inactive given `partial`; nullopt when it is active.
std::optional<std::string> InactiveReason(const SearchSpace& space, const ParamSpec& spec,
                                          const InternalParams& partial) {
  for (const Condition& c : spec.conditions) {
    const ParamSpec* parent = space.Find(c.parent);
    const auto it = partial.find(c.parent);
    if (parent == nullptr || it == partial.end()) {
      return absl::StrCat("parent '", c.parent, "' is not assigned");
    }
    if (!ConditionHolds(c, ToExternal(parent->distribution, it->second))) {
      return absl::StrCat("condition '", ConditionToString(c), "' does not hold");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<CompareOp> ParseCompareOp(const std::string& s) {
  return internal::ParseName(kCompareOpNames, s);
}

const char* CompareOpName(CompareOp op) { return internal::NameOf(kCompareOpNames, op); }

absl::StatusOr<SearchSpace> SearchSpace::Create(std::vector<ParamSpec> params,
                                                std::vector<Constraint> constraints) {
  if (params.empty()) return InvalidFieldError("space.params", "the search space is empty");
  NASQ_RETURN_IF_ERROR(ValidateCount(params.size(), limits::kMaxParams, "space.params", "params"));
  NASQ_RETURN_IF_ERROR(ValidateCount(constraints.size(), limits::kMaxConstraints,
                                     "space.constraints", "constraints"));
  NameIndex declared;
  NASQ_RETURN_IF_ERROR(ValidateNames(params, declared));
  for (size_t i = 0; i < params.size(); ++i) {
    ParamSpec& p = params[i];
    const std::string field = ParamField(i, p.name);
    NASQ_RETURN_IF_ERROR(ValidateDistribution(p.distribution, field));
    p.distribution = NormalizeDistribution(p.distribution);
  }
  ChoiceIndexes choices(params);
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string field = ParamField(i, params[i].name);
    NASQ_RETURN_IF_ERROR(ValidateCount(params[i].conditions.size(), limits::kMaxConditions,
                                       field + ".conditions", "conditions"));
    for (size_t j = 0; j < params[i].conditions.size(); ++j) {
      NASQ_RETURN_IF_ERROR(ValidateCondition(absl::StrCat(field, ".conditions[", j, "]"),
                                             params[i].name, params[i].conditions[j], params,
                                             declared, choices));
    }
  }
  NASQ_ASSIGN_OR_RETURN(const std::vector<size_t> order, TopologicalOrder(params, declared));
  for (size_t i = 0; i < constraints.size(); ++i) {
    NASQ_RETURN_IF_ERROR(ValidateConstraint(i, constraints[i], params, declared));
  }

  SearchSpace space;
  space.params_.reserve(params.size());
  for (size_t i : order) {
    space.index_.emplace(params[i].name, space.params_.size());
    space.params_.push_back(std::move(params[i]));
  }
  space.constraints_ = std::move(constraints);
  return space;
}

const ParamSpec* SearchSpace::Find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &params_[it->second];
}

bool SearchSpace::IsActive(const ParamSpec& spec, const InternalParams& partial) const {
  return !InactiveReason(*this, spec, partial).has_value();
}

bool SearchSpace::SatisfiesConstraints(const InternalParams& params) const {
  return std::all_of(constraints_.begin(), constraints_.end(), [&](const Constraint& c) {
    return EvaluateConstraint(*this, c, params).value_or(true);
  });
}

absl::Status SearchSpace::CheckAssignment(const InternalParams& params) const {
  for (const auto& [name, value] : params) {
    if (Find(name) == nullptr) {
      return InvalidFieldError(absl::StrCat("param '", name, "'"), "not in the search space");
    }
  }
  for (const ParamSpec& spec : params_) {
    const std::string field = absl::StrCat("param '", spec.name, "'");
    const auto it = params.find(spec.name);
    const std::optional<std::string> inactive = InactiveReason(*this, spec, params);
    if (!inactive.has_value() && it == params.end()) {
      return InvalidFieldError(field, "active but missing from the assignment");
    }
    if (it == params.end()) continue;
    if (inactive.has_value()) {
      return InvalidFieldError(field, absl::StrCat("present but inactive (", *inactive, ")"));
    }
    if (!Contains(spec.distribution, it->second)) {
      return InvalidFieldError(
          field, absl::StrCat("internal value ", ParamValueToString(it->second),
                              " is not contained in ", DistributionToString(spec.distribution)));
    }
  }
  for (size_t i = 0; i < constraints_.size(); ++i) {
    const Constraint& c = constraints_[i];
    if (EvaluateConstraint(*this, c, params).value_or(true)) continue;
    std::string values =
        absl::StrCat(c.lhs, "=", ParamValueToString(*NumericParam(*this, c.lhs, params)));
    if (!c.rhs.empty()) {
      absl::StrAppend(&values, ", ", c.rhs, "=",
                      ParamValueToString(*NumericParam(*this, c.rhs, params)));
    }
    return InvalidFieldError(absl::StrCat("param '", c.lhs, "'"),
                             absl::StrCat("violates space.constraints[", i, "] (",
                                          ConstraintToString(c), "): ", values));
  }
  return absl::OkStatus();
}

}  // namespace nasq
