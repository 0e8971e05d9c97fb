#include "core/budget.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/field_error.h"
#include "core/limits.h"

namespace nasq {
namespace {

bool IsMetricNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// OK when `name` matches [A-Za-z0-9._-] and has 1 to limits::kMaxParamNameBytes bytes. The
// error does not quote the name, which may be unprintable.
absl::Status ValidateMetricName(const std::string& name) {
  const bool valid = !name.empty() && name.size() <= limits::kMaxParamNameBytes &&
                     std::all_of(name.begin(), name.end(), IsMetricNameChar);
  if (valid) return absl::OkStatus();
  return InvalidFieldError("budgets", absl::StrCat("a metric name must match [A-Za-z0-9._-]{1,",
                                                   limits::kMaxParamNameBytes, "} (got one of ",
                                                   name.size(), " bytes that does not)"));
}

absl::Status ValidateBound(const std::optional<double>& bound, const std::string& field) {
  if (bound && !std::isfinite(*bound)) {
    return InvalidFieldError(field, absl::StrCat("must be finite (got ", *bound, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateBudgets(const Budgets& budgets) {
  if (absl::Status s = ValidateCount(budgets.size(), limits::kMaxAttrs, "budgets", "budgets");
      !s.ok()) {
    return s;
  }
  for (const auto& [metric, budget] : budgets) {
    if (absl::Status s = ValidateMetricName(metric); !s.ok()) return s;
    const std::string field = absl::StrCat("budgets.", metric);
    if (!budget.min && !budget.max) return InvalidFieldError(field, "needs min or max (or both)");
    if (absl::Status s = ValidateBound(budget.min, field + ".min"); !s.ok()) return s;
    if (absl::Status s = ValidateBound(budget.max, field + ".max"); !s.ok()) return s;
    if (budget.min && budget.max && *budget.min > *budget.max) {
      return InvalidFieldError(field,
                               absl::StrCat("min (", *budget.min, ") > max (", *budget.max, ")"));
    }
  }
  return absl::OkStatus();
}

std::string BudgetText(const std::string& metric, const Budget& budget) {
  if (budget.min && budget.max) {
    return absl::StrCat(metric, " in [", *budget.min, ", ", *budget.max, "]");
  }
  if (budget.max) return absl::StrCat(metric, " <= ", *budget.max);
  return absl::StrCat(metric, " >= ", budget.min.value_or(0));
}

absl::Status CheckBudget(const std::string& metric, const Budget& budget, double value) {
  const std::string field = absl::StrCat("budgets.", metric);
  if (std::isnan(value)) {
    return absl::OutOfRangeError(absl::StrCat(field, ": the estimate is NaN"));
  }
  if (budget.max && value > *budget.max) {
    return absl::OutOfRangeError(absl::StrCat(field, ": ", value, " > max ", *budget.max));
  }
  if (budget.min && value < *budget.min) {
    return absl::OutOfRangeError(absl::StrCat(field, ": ", value, " < min ", *budget.min));
  }
  return absl::OkStatus();
}

}  // namespace nasq
