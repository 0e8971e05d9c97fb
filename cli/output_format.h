// cli/output_format.h: renders records (JSON objects) as the `nasq` CLI's output formats.
//
// Formats follow Optuna's CLI (docs/tpe.md section 7): `table` is an ASCII box (`+---+`, `|`) with
// numeric columns right-aligned and the rest left-aligned, null printing as blank; `json` is a
// list of objects (or one object for single-record commands); `yaml` the same as a YAML
// document (tables pad by display width, so UTF-8 cells line up); `csv` one header row and one row
// per record. Table and CSV flatten nested values into columns like Optuna's --flatten: params.x ->
// params_x, values[1] -> values_1. Pure functions; thread-safe.
#ifndef NASQ_CLI_OUTPUT_FORMAT_H_
#define NASQ_CLI_OUTPUT_FORMAT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace nasq {

enum class OutputFormat { kTable, kJson, kCsv, kYaml };

// Which columns a table shows: the CLI's --columns and --width (or the terminal's width).
struct TableColumns {
  // "" = choose by `width`; "all" = every column; else names separated by commas ("number,
  // state,params_lr"), shown in that order.
  std::string selection;
  // With an empty selection: the most display columns the table may take (0 = no limit).
  size_t width = 0;
  // With `width`: the columns to keep first, most useful first; the rest follow in the records'
  // order. Names the records lack are skipped.
  std::vector<std::string> priority;
};

struct FittedTable {
  std::string text;                 // as FormatRecords(kTable) prints it, with the chosen columns
  std::vector<std::string> hidden;  // the columns not shown, in the records' order
};

// The table of `records` with the columns `columns` chooses. With a width and no selection it
// keeps columns in priority order (then the records' order) while they fit, shows the kept ones
// in the records' order, always keeps the first, and cuts every line to the width (display
// columns, cli/display_width.h), so no line exceeds it. INVALID_ARGUMENT naming --columns for
// an unknown column name or an empty list, listing the available columns. Every table the CLI
// prints to a terminal goes through this.
absl::StatusOr<FittedTable> FitTable(const nlohmann::ordered_json& records,
                                     const TableColumns& columns);

// "N columns hidden; --columns all shows them: a, b" and a newline, cut to `width` display
// columns (0 = no limit); "" when `hidden` is empty.
std::string HiddenColumnsNote(const std::vector<std::string>& hidden, size_t width);

// Parses "table", "json", "csv", "yaml"; nullopt otherwise.
std::optional<OutputFormat> ParseOutputFormat(const std::string& name);

// Renders `records` (an array of objects). With `single`, json and yaml print the first
// record as one object instead of a list (table and csv are unaffected). The result ends with
// a newline unless it is empty.
std::string FormatRecords(const nlohmann::ordered_json& records, OutputFormat format,
                          bool single = false);

// The columns of `record` as table and csv show them, in order: (column name, cell) with nested
// values flattened ("params_x", "values_1"); an empty nested object gives no column.
std::vector<std::pair<std::string, nlohmann::ordered_json>> FlattenRecord(
    const nlohmann::ordered_json& record);

// `value` as JSON text (on one line, or indented by `indent` spaces). Never throws: strings that
// are not valid UTF-8 (which nlohmann's dump() refuses with an exception) are written with
// each invalid byte replaced by U+FFFD. Every JSON text the CLI prints goes through this.
std::string DumpJson(const nlohmann::ordered_json& value, int indent = -1);

// JSON on one line with Python's separators (", " and ": "), as `json.dumps` prints it:
// {"number": 0, "params": {"x": 1.5}}.
std::string PythonStyleJson(const nlohmann::ordered_json& value);

}  // namespace nasq

#endif  // NASQ_CLI_OUTPUT_FORMAT_H_
