#include "server/trial_query.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/field_error.h"
#include "nlohmann/json.hpp"

namespace nasq {
namespace {

constexpr char kColumnList[] =
    "number, state, value, values.<k>, duration, datetime_start, datetime_complete, "
    "params.<name>, user_attrs.<key>, worker";

constexpr std::pair<absl::string_view, TrialColumnKind> kPlainColumns[] = {
    {"number", TrialColumnKind::kNumber},
    {"state", TrialColumnKind::kState},
    {"value", TrialColumnKind::kValue},
    {"duration", TrialColumnKind::kDuration},
    {"datetime_start", TrialColumnKind::kDatetimeStart},
    {"datetime_complete", TrialColumnKind::kDatetimeComplete},
    {"worker", TrialColumnKind::kWorker},
};

constexpr std::pair<absl::string_view, FilterOp> kOps[] = {
    {"=", FilterOp::kEq}, {"!=", FilterOp::kNe}, {"<", FilterOp::kLt},       {"<=", FilterOp::kLe},
    {">", FilterOp::kGt}, {">=", FilterOp::kGe}, {"~", FilterOp::kContains},
};

bool HasParam(const StudySpec& spec, const std::string& name) {
  for (const ParamSpec& p : spec.space.params()) {
    if (p.name == name) return true;
  }
  return false;
}

CellValue Micros(int64_t us) { return us == 0 ? CellValue() : CellValue(static_cast<double>(us)); }

// The text a cell compares as: its text, or a number's shortest decimal form.
std::string CellText(const CellValue& cell) {
  if (const double* number = std::get_if<double>(&cell)) return absl::StrCat(*number);
  return std::get<std::string>(cell);
}

// -1, 0, 1 as `cell` compares with the filter's literal.
int CompareWithLiteral(const CellValue& cell, const TrialFilter& filter) {
  const double* number = std::get_if<double>(&cell);
  if (number != nullptr && filter.number) {
    return *number < *filter.number ? -1 : (*number > *filter.number ? 1 : 0);
  }
  const int order = CellText(cell).compare(filter.literal);
  return order < 0 ? -1 : (order > 0 ? 1 : 0);
}

// Numbers before texts; callers put missing values last themselves.
bool PresentLess(const CellValue& a, const CellValue& b) {
  if (a.index() != b.index()) return a.index() < b.index();
  if (const double* x = std::get_if<double>(&a)) return *x < std::get<double>(b);
  return std::get<std::string>(a) < std::get<std::string>(b);
}

absl::StatusOr<int64_t> ParseInteger(const std::map<std::string, std::string>& params,
                                     const std::string& name, int64_t fallback, int64_t low,
                                     int64_t high) {
  auto it = params.find(name);
  if (it == params.end()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value)) {
    return InvalidFieldError(name, absl::StrCat("'", it->second, "' is not an integer"));
  }
  if (value < low || value > high) {
    return InvalidFieldError(name,
                             absl::StrCat("must be between ", low, " and ", high, ", got ", value));
  }
  return value;
}

absl::StatusOr<std::vector<TrialState>> ParseStates(absl::string_view text) {
  std::vector<TrialState> states;
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    std::optional<TrialState> state =
        ParseTrialState(std::string(absl::StripAsciiWhitespace(name)));
    if (!state) {
      return InvalidFieldError(
          "state", absl::StrCat("unknown state '", name,
                                "' (states: WAITING, RUNNING, COMPLETE, PRUNED, FAIL)"));
    }
    states.push_back(*state);
  }
  return states;
}

// The clauses of `text` split at " and " outside quotes.
std::vector<std::string> SplitClauses(absl::string_view text) {
  std::vector<std::string> clauses(1);
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == 0 && absl::StartsWith(text.substr(i), " and ")) {
      clauses.emplace_back();
      i += 4;
      continue;
    }
    if (quote == 0 && (c == '"' || c == '\'')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
    clauses.back().push_back(c);
  }
  return clauses;
}

bool IsOpChar(char c) { return c == '=' || c == '!' || c == '<' || c == '>' || c == '~'; }

absl::StatusOr<TrialFilter> ParseClause(absl::string_view clause, const StudySpec& spec) {
  const std::string where = absl::StrCat("clause '", clause, "': ");
  absl::string_view rest = absl::StripAsciiWhitespace(clause);
  size_t end = 0;
  while (end < rest.size() && !IsOpChar(rest[end]) && !absl::ascii_isspace(rest[end])) ++end;
  absl::StatusOr<TrialColumn> column =
      ParseTrialColumn(rest.substr(0, end), spec, absl::StrCat("filter: clause '", clause, "'"));
  if (!column.ok()) return column.status();
  rest = absl::StripLeadingAsciiWhitespace(rest.substr(end));
  end = 0;
  while (end < rest.size() && IsOpChar(rest[end])) ++end;
  const absl::string_view op_text = rest.substr(0, end);
  TrialFilter filter;
  filter.column = *std::move(column);
  const auto* op = std::find_if(std::begin(kOps), std::end(kOps),
                                [&](const auto& entry) { return entry.first == op_text; });
  if (op == std::end(kOps)) {
    return InvalidFieldError("filter", absl::StrCat(where, "unknown operator '", op_text,
                                                    "' (operators: = != < <= > >= ~)"));
  }
  filter.op = op->second;
  absl::string_view literal = absl::StripAsciiWhitespace(rest.substr(end));
  if (literal.empty())
    return InvalidFieldError("filter", absl::StrCat(where, "no value after '", op_text, "'"));
  const bool quoted = literal.size() >= 2 && (literal.front() == '"' || literal.front() == '\'') &&
                      literal.back() == literal.front();
  if (quoted) literal = literal.substr(1, literal.size() - 2);
  filter.literal = std::string(literal);
  double number = 0;
  if (!quoted && absl::SimpleAtod(literal, &number) && !std::isnan(number)) filter.number = number;
  return filter;
}

}  // namespace

absl::StatusOr<TrialColumn> ParseTrialColumn(absl::string_view text, const StudySpec& spec,
                                             absl::string_view parameter) {
  TrialColumn column;
  for (const auto& [name, kind] : kPlainColumns) {
    if (text == name) {
      column.kind = kind;
      return column;
    }
  }
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "values.")) {
    int objective = 0;
    if (absl::SimpleAtoi(rest, &objective) && objective >= 0 &&
        objective < static_cast<int>(spec.directions.size())) {
      column.kind = TrialColumnKind::kValue;
      column.objective = objective;
      return column;
    }
    return InvalidFieldError(
        parameter,
        absl::StrCat("unknown column ", text, " (the study has ", spec.directions.size(),
                     " objective(s): values.0 to values.", spec.directions.size() - 1, ")"));
  }
  if (absl::ConsumePrefix(&rest, "params.") && HasParam(spec, std::string(rest))) {
    column.kind = TrialColumnKind::kParam;
    column.key = std::string(rest);
    return column;
  }
  rest = text;
  if (absl::ConsumePrefix(&rest, "user_attrs.") && !rest.empty()) {
    column.kind = TrialColumnKind::kUserAttr;
    column.key = std::string(rest);
    return column;
  }
  return InvalidFieldError(parameter, absl::StrCat("unknown column ", text.empty() ? "''" : text,
                                                   " (columns: ", kColumnList, ")"));
}

std::span<const double> ShownValues(const Trial& trial) {
  if (trial.state != TrialState::kComplete && trial.state != TrialState::kPruned) return {};
  return trial.values;
}

std::string TrialWorkerId(const Trial& trial) {
  if (trial.lease) return trial.lease->worker_id;
  auto it = trial.system_attrs.find("worker");
  if (it == trial.system_attrs.end()) return "";
  const nlohmann::json worker = nlohmann::json::parse(it->second, nullptr, false);
  if (!worker.is_object() || !worker.contains("id") || !worker["id"].is_string()) return "";
  return worker["id"].get<std::string>();
}

CellValue ColumnValue(const Trial& trial, const TrialColumn& column) {
  switch (column.kind) {
    case TrialColumnKind::kNumber:
      return static_cast<double>(trial.number);
    case TrialColumnKind::kState:
      return std::string(TrialStateName(trial.state));
    case TrialColumnKind::kValue: {
      const std::span<const double> values = ShownValues(trial);
      if (static_cast<size_t>(column.objective) >= values.size() ||
          std::isnan(values[column.objective])) {
        return {};
      }
      return values[column.objective];
    }
    case TrialColumnKind::kDuration:
      if (trial.datetime_start_us == 0 || trial.datetime_complete_us == 0) return {};
      return static_cast<double>(trial.datetime_complete_us - trial.datetime_start_us) / 1000.0;
    case TrialColumnKind::kDatetimeStart:
      return Micros(trial.datetime_start_us);
    case TrialColumnKind::kDatetimeComplete:
      return Micros(trial.datetime_complete_us);
    case TrialColumnKind::kParam: {
      const std::optional<ParamValue> value = trial.ExternalParam(column.key);
      if (!value) return {};
      if (const std::optional<double> number = ParamValueAsNumber(*value)) {
        if (std::isnan(*number)) return {};
        return *number;
      }
      return ParamValueToString(*value);
    }
    case TrialColumnKind::kUserAttr: {
      auto it = trial.user_attrs.find(column.key);
      if (it == trial.user_attrs.end()) return {};
      const nlohmann::json value = nlohmann::json::parse(it->second, nullptr, false);
      if (value.is_number()) return value.get<double>();
      if (value.is_string()) return value.get<std::string>();
      return it->second;
    }
    case TrialColumnKind::kWorker: {
      std::string worker = TrialWorkerId(trial);
      if (worker.empty()) return {};
      return worker;
    }
  }
  return {};
}

bool Matches(const Trial& trial, const TrialFilter& filter) {
  const CellValue cell = ColumnValue(trial, filter.column);
  if (std::holds_alternative<std::monostate>(cell)) return false;
  if (filter.op == FilterOp::kContains) return absl::StrContains(CellText(cell), filter.literal);
  const int order = CompareWithLiteral(cell, filter);
  switch (filter.op) {
    case FilterOp::kEq:
      return order == 0;
    case FilterOp::kNe:
      return order != 0;
    case FilterOp::kLt:
      return order < 0;
    case FilterOp::kLe:
      return order <= 0;
    case FilterOp::kGt:
      return order > 0;
    case FilterOp::kGe:
      return order >= 0;
    case FilterOp::kContains:
      break;
  }
  return false;
}

absl::StatusOr<TrialQuery> ParseTrialQuery(const std::map<std::string, std::string>& params,
                                           const StudySpec& spec) {
  static constexpr absl::string_view kKnown[] = {"offset", "limit", "sort",
                                                 "order",  "state", "filter"};
  for (const auto& [name, value] : params) {
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
      return InvalidFieldError(name,
                               "unknown query parameter (parameters: offset, limit, sort, order, "
                               "state, filter)");
    }
  }
  TrialQuery query;
  auto offset = ParseInteger(params, "offset", query.offset, 0, INT64_MAX);
  if (!offset.ok()) return offset.status();
  query.offset = *offset;
  auto limit = ParseInteger(params, "limit", query.limit, 1, kMaxTrialPageLimit);
  if (!limit.ok()) return limit.status();
  query.limit = *limit;
  if (auto it = params.find("sort"); it != params.end()) {
    absl::StatusOr<TrialColumn> sort = ParseTrialColumn(it->second, spec, "sort");
    if (!sort.ok()) return sort.status();
    query.sort = *std::move(sort);
  }
  if (auto it = params.find("order"); it != params.end()) {
    if (it->second != "asc" && it->second != "desc") {
      return InvalidFieldError("order", absl::StrCat("'", it->second, "' is neither asc nor desc"));
    }
    query.descending = it->second == "desc";
  }
  if (auto it = params.find("state"); it != params.end()) {
    absl::StatusOr<std::vector<TrialState>> states = ParseStates(it->second);
    if (!states.ok()) return states.status();
    query.states = *std::move(states);
  }
  if (auto it = params.find("filter"); it != params.end()) {
    for (const std::string& clause : SplitClauses(it->second)) {
      absl::StatusOr<TrialFilter> filter = ParseClause(clause, spec);
      if (!filter.ok()) return filter.status();
      query.filters.push_back(*std::move(filter));
    }
  }
  return query;
}

TrialPage SelectTrials(std::span<const Trial> trials, const TrialQuery& query) {
  struct Row {
    CellValue key;
    const Trial* trial;
  };
  std::vector<Row> rows;
  for (const Trial& trial : trials) {
    if (!query.states.empty() &&
        std::find(query.states.begin(), query.states.end(), trial.state) == query.states.end()) {
      continue;
    }
    if (!std::all_of(query.filters.begin(), query.filters.end(),
                     [&](const TrialFilter& f) { return Matches(trial, f); })) {
      continue;
    }
    rows.push_back(Row{ColumnValue(trial, query.sort), &trial});
  }
  // Row a before row b: present before missing, then the key in the asked order, then number.
  const auto before = [&](const Row& a, const Row& b) {
    const bool a_missing = std::holds_alternative<std::monostate>(a.key);
    const bool b_missing = std::holds_alternative<std::monostate>(b.key);
    if (a_missing != b_missing) return b_missing;
    if (!a_missing) {
      if (PresentLess(a.key, b.key)) return !query.descending;
      if (PresentLess(b.key, a.key)) return query.descending;
    }
    return a.trial->number < b.trial->number;
  };
  TrialPage page;
  page.total = static_cast<int64_t>(rows.size());
  if (query.offset >= page.total) return page;
  const size_t end = static_cast<size_t>(std::min(page.total, query.offset + query.limit));
  std::partial_sort(rows.begin(), rows.begin() + end, rows.end(), before);
  for (size_t i = static_cast<size_t>(query.offset); i < end; ++i) {
    page.trials.push_back(rows[i].trial);
  }
  return page;
}

}  // namespace nasq
