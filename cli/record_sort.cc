#include "cli/record_sort.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/output_format.h"
#include "cli/records.h"

namespace nasq {
namespace {

using Json = nlohmann::ordered_json;

// The cell of `column` in `record`; nullopt when the record lacks it.
std::optional<Json> CellOf(const Json& record, const std::string& column) {
  for (auto& [name, cell] : FlattenRecord(record)) {
    if (name == column) return std::move(cell);
  }
  return std::nullopt;
}

bool AnyRecordHas(const Json& records, const std::string& column) {
  return std::any_of(records.begin(), records.end(),
                     [&](const Json& r) { return CellOf(r, column).has_value(); });
}

// 0 for a number, 1 for other values, 2 for what sorts last (missing, null, NaN).
int CellClass(const std::optional<Json>& cell) {
  if (!cell || cell->is_null()) return 2;
  if (cell->is_number()) return std::isnan(cell->get<double>()) ? 2 : 0;
  return 1;
}

std::string SortText(const Json& cell) {
  return cell.is_string() ? cell.get<std::string>() : DumpJson(cell);
}

}  // namespace

absl::Status SortTrialRecords(const std::string& key, const v1::StudySpec& spec, Json& records) {
  std::string column = key;
  std::optional<bool> descending;
  for (const auto& [suffix, desc] : {std::pair{":asc", false}, std::pair{":desc", true}}) {
    if (absl::EndsWith(column, suffix)) {
      column.resize(column.size() - std::string(suffix).size());
      descending = desc;
      break;
    }
  }
  const std::vector<std::string> objectives = ObjectiveColumns(spec);
  std::optional<int> objective;
  if (column == "value") objective = 0;
  for (int i = 0; i < static_cast<int>(objectives.size()); ++i) {
    if (column == objectives[i] ||
        (i < spec.metric_names_size() && column == spec.metric_names(i))) {
      objective = i;
    }
  }
  if (objective) {
    column = objectives[*objective];
    if (!descending) {
      descending = *objective < spec.directions_size() &&
                   spec.directions(*objective) == v1::STUDY_DIRECTION_MAXIMIZE;
    }
  } else if (!records.empty() && !AnyRecordHas(records, column)) {
    const std::string metric = absl::StrCat("user_attrs_metrics_", column);
    if (!AnyRecordHas(records, metric)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--sort: '", column, "' is neither an objective (", absl::StrJoin(objectives, ", "),
          ") nor a column of the trials nor a reported metric"));
    }
    column = metric;
  }
  const bool desc = descending.value_or(false);
  std::vector<std::pair<std::optional<Json>, Json>> keyed;
  for (Json& record : records) keyed.emplace_back(CellOf(record, column), std::move(record));
  std::stable_sort(keyed.begin(), keyed.end(), [desc](const auto& a, const auto& b) {
    const int ca = CellClass(a.first), cb = CellClass(b.first);
    if (ca != cb) return ca < cb;
    if (ca == 2) return false;
    if (ca == 0) {
      const double x = a.first->template get<double>(), y = b.first->template get<double>();
      return desc ? x > y : x < y;
    }
    const std::string x = SortText(*a.first), y = SortText(*b.first);
    return desc ? x > y : x < y;
  });
  records = Json::array();
  for (auto& [cell, record] : keyed) records.push_back(std::move(record));
  return absl::OkStatus();
}

}  // namespace nasq
