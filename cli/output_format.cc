#include "cli/output_format.h"

#include <algorithm>
#include <functional>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/display_width.h"
#include "core/status_macros.h"
#include "spec/yaml_scalar.h"
#include "yaml-cpp/yaml.h"

namespace nasq {
namespace {

using Json = nlohmann::ordered_json;

// One flattened record: column name -> cell, in first-seen order.
using FlatRecord = std::vector<std::pair<std::string, Json>>;

void Flatten(const Json& value, const std::string& prefix, FlatRecord& out) {
  if (value.is_object() && !prefix.empty() && value.empty()) return;
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      Flatten(child, prefix.empty() ? key : absl::StrCat(prefix, "_", key), out);
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) Flatten(value[i], absl::StrCat(prefix, "_", i), out);
  } else {
    out.emplace_back(prefix, value);
  }
}

std::string CellText(const Json& cell) {
  if (cell.is_null()) return "";
  if (cell.is_string()) return cell.get<std::string>();
  return DumpJson(cell);
}

// Columns in first-seen order and one text row per record; `numeric[c]` when every non-null
// cell of column c is a number.
struct Grid {
  std::vector<std::string> columns;
  std::vector<bool> numeric;
  std::vector<std::vector<std::string>> rows;
};

// The display width of column c: its widest cell or its name.
size_t ColumnWidth(const Grid& grid, size_t c) {
  size_t width = DisplayWidth(grid.columns[c]);
  for (const auto& row : grid.rows) width = std::max(width, DisplayWidth(row[c]));
  return width;
}

Grid ToGrid(const Json& records) {
  Grid grid;
  std::map<std::string, size_t> index;
  std::vector<FlatRecord> flat;
  for (const Json& record : records) {
    flat.push_back(FlattenRecord(record));
    for (const auto& [column, cell] : flat.back()) {
      if (index.emplace(column, grid.columns.size()).second) {
        grid.columns.push_back(column);
        grid.numeric.push_back(true);
      }
    }
  }
  for (const FlatRecord& record : flat) {
    std::vector<std::string>& row = grid.rows.emplace_back(grid.columns.size());
    for (const auto& [column, cell] : record) {
      const size_t c = index[column];
      row[c] = CellText(cell);
      if (!cell.is_null() && !cell.is_number()) grid.numeric[c] = false;
    }
  }
  return grid;
}

// The table of `grid`'s columns `shown`, in that order. Cells are padded by display width.
std::string Table(const Grid& grid, const std::vector<size_t>& shown) {
  if (shown.empty()) return "";
  std::vector<size_t> width(grid.columns.size());
  for (size_t c : shown) width[c] = ColumnWidth(grid, c);
  std::string rule = "+";
  for (size_t c : shown) absl::StrAppend(&rule, std::string(width[c] + 2, '-'), "+");
  rule += "\n";
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string out = "|";
    for (size_t c : shown) {
      const std::string pad(width[c] - DisplayWidth(cells[c]), ' ');
      const bool right = grid.numeric[c] && !header;
      absl::StrAppend(&out, " ", right ? pad + cells[c] : cells[c] + pad, " |");
    }
    return out + "\n";
  };
  std::string out = rule + line(grid.columns, true) + rule;
  for (const auto& row : grid.rows) out += line(row, false);
  return out + rule;
}

std::vector<size_t> AllColumns(const Grid& grid) {
  std::vector<size_t> all(grid.columns.size());
  for (size_t c = 0; c < all.size(); ++c) all[c] = c;
  return all;
}

// The columns named in `selection` ("a,b,c"), in that order; INVALID_ARGUMENT naming the first
// unknown name and listing the available ones.
absl::StatusOr<std::vector<size_t>> SelectedColumns(const Grid& grid,
                                                    const std::string& selection) {
  std::vector<size_t> shown;
  for (absl::string_view name : absl::StrSplit(selection, ',', absl::SkipWhitespace())) {
    name = absl::StripAsciiWhitespace(name);
    const auto it = std::find(grid.columns.begin(), grid.columns.end(), name);
    if (it == grid.columns.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--columns: unknown column '", name,
                                                     "'; available: all, ",
                                                     absl::StrJoin(grid.columns, ", ")));
    }
    shown.push_back(it - grid.columns.begin());
  }
  if (shown.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--columns: expected all or a list such as number,state; available: ",
                     absl::StrJoin(grid.columns, ", ")));
  }
  return shown;
}

// The columns that fit in `width` display columns, taking `priority`'s columns first and then
// the rest in the grid's order until one does not fit; the first is kept even if it does not.
// Returned in the grid's order.
std::vector<size_t> FittingColumns(const Grid& grid, size_t width,
                                   const std::vector<std::string>& priority) {
  std::vector<size_t> order;
  std::vector<bool> queued(grid.columns.size(), false);
  for (const std::string& name : priority) {
    const auto it = std::find(grid.columns.begin(), grid.columns.end(), name);
    if (it == grid.columns.end() || queued[it - grid.columns.begin()]) continue;
    order.push_back(it - grid.columns.begin());
    queued[order.back()] = true;
  }
  for (size_t c = 0; c < grid.columns.size(); ++c) {
    if (!queued[c]) order.push_back(c);
  }
  std::vector<bool> keep(grid.columns.size(), false);
  size_t used = 1;  // the leading '|'
  for (size_t c : order) {
    const size_t needed = ColumnWidth(grid, c) + 3;  // " cell |"
    if (used + needed > width && used > 1) break;
    keep[c] = true;
    used += needed;
  }
  std::vector<size_t> shown;
  for (size_t c = 0; c < keep.size(); ++c) {
    if (keep[c]) shown.push_back(c);
  }
  return shown;
}

std::string CsvCell(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  return out + "\"";
}

std::string Csv(const Json& records) {
  const Grid grid = ToGrid(records);
  if (grid.columns.empty()) return "";
  auto line = [](const std::vector<std::string>& cells) {
    std::vector<std::string> quoted;
    for (const auto& cell : cells) quoted.push_back(CsvCell(cell));
    return absl::StrJoin(quoted, ",") + "\n";
  };
  std::string out = line(grid.columns);
  for (const auto& row : grid.rows) out += line(row);
  return out;
}

std::string Yaml(const Json& value) {
  YAML::Emitter out;
  std::function<void(const Json&)> emit = [&](const Json& v) {
    if (v.is_number()) {
      out << DumpJson(v);
    } else if (v.is_object()) {
      out << YAML::BeginMap;
      for (const auto& [key, child] : v.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(child);
      }
      out << YAML::EndMap;
    } else if (v.is_array()) {
      out << YAML::BeginSeq;
      for (const Json& child : v) emit(child);
      out << YAML::EndSeq;
    } else if (v.is_null()) {
      out << YAML::Null;
    } else if (v.is_boolean()) {
      out << YAML::TrueFalseBool << v.get<bool>();
    } else {
      // Quote strings a reader would otherwise take for a number, bool or null ("8", "true").
      const std::string s = v.get<std::string>();
      if (!std::holds_alternative<std::string>(TypeScalar(YAML::Node(s))))
        out << YAML::DoubleQuoted;
      out << s;
    }
  };
  emit(value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace

std::string DumpJson(const Json& value, int indent) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

FlatRecord FlattenRecord(const Json& record) {
  FlatRecord flat;
  Flatten(record, "", flat);
  return flat;
}

std::optional<OutputFormat> ParseOutputFormat(const std::string& name) {
  if (name == "table") return OutputFormat::kTable;
  if (name == "json") return OutputFormat::kJson;
  if (name == "csv") return OutputFormat::kCsv;
  if (name == "yaml") return OutputFormat::kYaml;
  return std::nullopt;
}

std::string FormatRecords(const Json& records, OutputFormat format, bool single) {
  const Json& shown = single && !records.empty() ? records[0] : records;
  switch (format) {
    case OutputFormat::kTable: {
      const Grid grid = ToGrid(records);
      return Table(grid, AllColumns(grid));
    }
    case OutputFormat::kCsv:
      return Csv(records);
    case OutputFormat::kJson:
      return DumpJson(shown, 2) + "\n";
    case OutputFormat::kYaml:
      return Yaml(shown);
  }
  return "";
}

absl::StatusOr<FittedTable> FitTable(const Json& records, const TableColumns& columns) {
  const Grid grid = ToGrid(records);
  if (grid.columns.empty()) return FittedTable{};
  std::vector<size_t> shown;
  const bool fit = columns.selection.empty() && columns.width > 0;
  if (fit) {
    shown = FittingColumns(grid, columns.width, columns.priority);
  } else if (columns.selection.empty() || columns.selection == "all") {
    shown = AllColumns(grid);
  } else {
    NASQ_ASSIGN_OR_RETURN(shown, SelectedColumns(grid, columns.selection));
  }
  FittedTable table;
  table.text = Table(grid, shown);
  if (fit) {
    std::string cut;
    const std::vector<std::string> lines = absl::StrSplit(table.text, '\n', absl::SkipEmpty());
    for (const std::string& line : lines) {
      absl::StrAppend(&cut, TruncateToWidth(line, columns.width), "\n");
    }
    table.text = std::move(cut);
  }
  for (size_t c = 0; c < grid.columns.size(); ++c) {
    if (std::find(shown.begin(), shown.end(), c) == shown.end()) {
      table.hidden.push_back(grid.columns[c]);
    }
  }
  return table;
}

std::string HiddenColumnsNote(const std::vector<std::string>& hidden, size_t width) {
  if (hidden.empty()) return "";
  const std::string note =
      absl::StrCat(hidden.size(), hidden.size() == 1 ? " column" : " columns",
                   " hidden; --columns all shows them: ", absl::StrJoin(hidden, ", "));
  return (width > 0 ? TruncateToWidth(note, width) : note) + "\n";
}

std::string PythonStyleJson(const Json& value) {
  if (value.is_object()) {
    std::vector<std::string> items;
    for (const auto& [key, child] : value.items()) {
      items.push_back(DumpJson(Json(key)) + ": " + PythonStyleJson(child));
    }
    return absl::StrCat("{", absl::StrJoin(items, ", "), "}");
  }
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const Json& child : value) items.push_back(PythonStyleJson(child));
    return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
  }
  return DumpJson(value);
}

}  // namespace nasq
