#include "cli/output_format.h"

#include <algorithm>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

std::string Table(const Json& records) {
  const Grid grid = ToGrid(records);
  if (grid.columns.empty()) return "";
  std::vector<size_t> width(grid.columns.size());
  for (size_t c = 0; c < grid.columns.size(); ++c) {
    width[c] = grid.columns[c].size();
    for (const auto& row : grid.rows) width[c] = std::max(width[c], row[c].size());
  }
  std::string rule = "+";
  for (size_t w : width) absl::StrAppend(&rule, std::string(w + 2, '-'), "+");
  rule += "\n";
  auto line = [&](const std::vector<std::string>& cells, bool header) {
    std::string out = "|";
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(width[c] - cells[c].size(), ' ');
      const bool right = grid.numeric[c] && !header;
      absl::StrAppend(&out, " ", right ? pad + cells[c] : cells[c] + pad, " |");
    }
    return out + "\n";
  };
  std::string out = rule + line(grid.columns, true) + rule;
  for (const auto& row : grid.rows) out += line(row, false);
  return out + rule;
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
    case OutputFormat::kTable:
      return Table(records);
    case OutputFormat::kCsv:
      return Csv(records);
    case OutputFormat::kJson:
      return DumpJson(shown, 2) + "\n";
    case OutputFormat::kYaml:
      return Yaml(shown);
  }
  return "";
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
