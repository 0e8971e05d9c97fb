// server/trial_query.h: the trials page of the dashboard's API (docs/dashboard.md, "GET
// /api/v1/studies/{name}/trials"): its query parameters parsed against the study, and the
// state filter, the filter clauses, the sort and the page applied to the cached trials without
// copying them.
//
// Columns: number, state, value (= values.0), values.<k>, duration, datetime_start,
// datetime_complete, params.<name>, user_attrs.<key>, worker. A column's value in a trial is a
// number, a text or missing (ColumnValue). Pure functions; thread-safe.
#ifndef NASQ_SERVER_TRIAL_QUERY_H_
#define NASQ_SERVER_TRIAL_QUERY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/study.h"
#include "core/trial.h"

namespace nasq {

enum class TrialColumnKind {
  kNumber,
  kState,
  kValue,  // objective `objective`
  kDuration,
  kDatetimeStart,
  kDatetimeComplete,
  kParam,     // param `key`
  kUserAttr,  // user attr `key`
  kWorker,
};

struct TrialColumn {
  TrialColumnKind kind = TrialColumnKind::kNumber;
  int objective = 0;  // kValue
  std::string key;    // kParam, kUserAttr
};

// The column named `text` in a study of `spec`. INVALID_ARGUMENT naming `parameter` and the
// columns for an unknown column, a param the space lacks or an objective index out of range
// ("sort: unknown column params.dpth (columns: number, state, ...)").
absl::StatusOr<TrialColumn> ParseTrialColumn(absl::string_view text, const StudySpec& spec,
                                             absl::string_view parameter);

// A column's value in one trial: missing (std::monostate), a number or a text.
using CellValue = std::variant<std::monostate, double, std::string>;

// The values a trial shows: its values when COMPLETE or PRUNED (a PRUNED single-objective trial
// holds its last intermediate value), else none.
std::span<const double> ShownValues(const Trial& trial);
// The worker that runs or ran `trial`: its lease's worker_id, else the "id" of system attr
// "worker"; "" when neither.
std::string TrialWorkerId(const Trial& trial);

// `trial`'s value in `column`: number, state (text), objective values (missing when not shown or
// NaN), duration in ms (missing unless started and finished), datetimes in us (missing when 0),
// params (numbers for ints and floats, text for bools and strings; missing when inactive), user
// attrs (JSON numbers as numbers, strings as their text, anything else as its JSON text) and the
// worker id (missing when "").
CellValue ColumnValue(const Trial& trial, const TrialColumn& column);

enum class FilterOp { kEq, kNe, kLt, kLe, kGt, kGe, kContains };

// One clause `<column> <op> <literal>`. A trial whose cell is missing never matches. A numeric
// cell and a numeric literal compare as numbers; anything else compares as text (numbers in
// their shortest decimal form); kContains is "the text contains the literal".
struct TrialFilter {
  TrialColumn column;
  FilterOp op = FilterOp::kEq;
  std::string literal;           // unquoted
  std::optional<double> number;  // the literal as a number, unless it was quoted or is no number
};

// Whether `trial` satisfies `filter`.
bool Matches(const Trial& trial, const TrialFilter& filter);

// The page's parameters, with docs/dashboard.md's defaults.
struct TrialQuery {
  int64_t offset = 0;
  int64_t limit = 100;
  TrialColumn sort;  // number
  bool descending = false;
  std::vector<TrialState> states;    // empty = all
  std::vector<TrialFilter> filters;  // all must hold
};

inline constexpr int64_t kMaxTrialPageLimit = 1000;

// Parses the query parameters (decoded names and values) of the trials route: offset (>= 0),
// limit (1 to kMaxTrialPageLimit), sort (ParseTrialColumn), order (asc, desc), state
// (comma-separated state names, any case), filter (clauses joined by " and "; a literal may be
// quoted with "" or ''). INVALID_ARGUMENT naming the parameter and the problem (an unknown
// parameter, a number that is not one or is out of range, an unknown column, state or operator,
// a clause without a literal).
absl::StatusOr<TrialQuery> ParseTrialQuery(const std::map<std::string, std::string>& params,
                                           const StudySpec& spec);

struct TrialPage {
  int64_t total = 0;                 // trials that pass the states and filters
  std::vector<const Trial*> trials;  // the page, sorted
};

// The page of `trials` that `query` selects: filtered, sorted by query.sort (missing values last
// in either order, ties by number ascending), then offset and limit. Points into `trials`.
// O(n log n) in the trials that pass the filters; no trial is copied.
TrialPage SelectTrials(std::span<const Trial> trials, const TrialQuery& query);

}  // namespace nasq

#endif  // NASQ_SERVER_TRIAL_QUERY_H_
