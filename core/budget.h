// core/budget.h: cost budgets, bounds on cost metrics that a study's sampler respects before a
// trial is dispatched (docs/study-spec.md "Budgets").
//
// core knows a budget's metric name and bounds only; which metrics a task can estimate before
// training, and how, is the task's cost model's business (server/trial_cost.h). Plain value
// types and pure functions.
#ifndef NASQ_CORE_BUDGET_H_
#define NASQ_CORE_BUDGET_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace nasq {

// Inclusive bounds on one cost metric: a trial is within the budget when min <= value <= max
// (an unset bound does not bind). A valid budget has at least one bound, both finite, min <= max.
struct Budget {
  std::optional<double> min;
  std::optional<double> max;

  friend bool operator==(const Budget&, const Budget&) = default;
};

// Metric name -> its budget.
using Budgets = std::map<std::string, Budget>;

// Prefix of the trial system attrs that hold the cost its study's task model estimated when the
// trial was dispatched: "cost:<metric>", a JSON number each (server/trial_cost.h).
inline constexpr char kCostAttrPrefix[] = "cost:";

// The study system attr that reports why no trial could be sampled (a JSON string), e.g. when
// every redraw broke a budget; erased once a trial is sampled again.
inline constexpr char kSamplingErrorAttr[] = "sampling_error";

// "avg_bitwidth <= 6", "sparsity >= 0.3", "bitops in [1e+06, 2e+09]".
std::string BudgetText(const std::string& metric, const Budget& budget);

// OK when every budget is valid and every name is a metric name ([A-Za-z0-9._-], 1 to
// limits::kMaxParamNameBytes bytes), at most limits::kMaxAttrs budgets. INVALID_ARGUMENT naming
// the field: "budgets.avg_bitwidth.max: must be finite (got inf)", "budgets.sparsity: needs min
// or max", "budgets.bitops: min (5) > max (2)".
absl::Status ValidateBudgets(const Budgets& budgets);

// OK when `value` of `metric` is within `budget`; otherwise OUT_OF_RANGE naming the broken
// bound: "budgets.avg_bitwidth: 7.25 > max 6" (a NaN value breaks every bound).
absl::Status CheckBudget(const std::string& metric, const Budget& budget, double value);

}  // namespace nasq

#endif  // NASQ_CORE_BUDGET_H_
