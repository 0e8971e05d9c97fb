// LoadTabular: CSV / TSV (RFC 4180 quoting) and JSONL readers with label mapping.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "worker/io/file_io.h"
#include "worker/text/datasets.h"

namespace nasq {
namespace {

// One parsed record (a CSV row or a JSONL line) with the 1-based line it starts on.
struct RawRecord {
  int line = 0;
  std::string text;
  std::string label;
};

std::string Where(const std::filesystem::path& path, int line) {
  return absl::StrCat(path.string(), ":", line);
}

// Maps raw label strings to label indices: through the declared set, or as integers 0..K-1.
class LabelMapper {
 public:
  explicit LabelMapper(const std::vector<std::string>& label_set) : label_set_(label_set) {
    for (size_t i = 0; i < label_set.size(); ++i) index_.emplace(label_set[i], i);
  }

  absl::StatusOr<int> Map(const std::filesystem::path& path, const RawRecord& record) {
    if (!label_set_.empty()) {
      auto it = index_.find(record.label);
      if (it == index_.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(path, record.line), ": label \"", record.label,
            "\" is not in the declared label set {", absl::StrJoin(label_set_, ", "), "}"));
      }
      return static_cast<int>(it->second);
    }
    int label = 0;
    if (!absl::SimpleAtoi(record.label, &label) || label < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(path, record.line), ": label \"", record.label,
                       "\" is not a non-negative integer (declare a label set for named labels)"));
    }
    if (label > kMaxIntegerLabel) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(path, record.line), ": label ", label, " is above the largest integer label ",
          kMaxIntegerLabel, " (declare a label set for more classes)"));
    }
    max_label_ = std::max(max_label_, label);
    return label;
  }

  std::vector<std::string> Names() const {
    if (!label_set_.empty()) return label_set_;
    std::vector<std::string> names;
    for (int i = 0; i <= max_label_; ++i) names.push_back(absl::StrCat(i));
    return names;
  }

 private:
  const std::vector<std::string>& label_set_;
  std::map<std::string, size_t> index_;
  int max_label_ = -1;
};

// Splits delimited text into rows of fields (RFC 4180: quoted fields may hold delimiters,
// newlines and "" escapes; CRLF or LF line ends). Each row carries its starting line.
absl::StatusOr<std::vector<std::pair<int, std::vector<std::string>>>> ParseDelimited(
    const std::filesystem::path& path, std::string_view data, char delimiter) {
  if (data.starts_with("\xEF\xBB\xBF")) data.remove_prefix(3);  // UTF-8 byte-order mark
  std::vector<std::pair<int, std::vector<std::string>>> rows;
  std::vector<std::string> fields;
  std::string field;
  int line = 1;
  int row_line = 1;
  size_t i = 0;
  auto end_row = [&] {
    fields.push_back(std::move(field));
    field.clear();
    const bool blank = fields.size() == 1 && fields[0].empty();
    if (!blank) rows.emplace_back(row_line, std::move(fields));
    fields.clear();
  };
  while (i < data.size()) {
    const char c = data[i];
    if (c == '"' && field.empty()) {
      // Quoted field: runs to the next lone quote.
      const int quote_line = line;
      ++i;
      bool closed = false;
      while (i < data.size()) {
        if (data[i] == '"') {
          if (i + 1 < data.size() && data[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        if (data[i] == '\n') ++line;
        field.push_back(data[i++]);
      }
      if (!closed) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(path, quote_line), ": unterminated quoted field"));
      }
      const bool at_boundary = i == data.size() || data[i] == delimiter || data[i] == '\n' ||
                               (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n');
      if (!at_boundary) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(path, line), ": unexpected character after a closing quote"));
      }
      continue;
    }
    if (c == delimiter) {
      fields.push_back(std::move(field));
      field.clear();
      ++i;
    } else if (c == '\n' || (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n')) {
      end_row();
      i += c == '\r' ? 2 : 1;
      ++line;
      row_line = line;
    } else {
      field.push_back(c);
      ++i;
    }
  }
  if (!field.empty() || !fields.empty()) end_row();
  return rows;
}

absl::StatusOr<std::vector<RawRecord>> ReadDelimited(const std::filesystem::path& path,
                                                     std::string_view data, char delimiter,
                                                     const TabularOptions& options) {
  NASQ_ASSIGN_OR_RETURN(auto rows, ParseDelimited(path, data, delimiter));
  if (rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": no header row"));
  }
  const std::vector<std::string>& header = rows[0].second;
  auto column = [&](const std::string& name) -> absl::StatusOr<size_t> {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path.string(), ": no column \"", name,
                                                     "\" in header {", absl::StrJoin(header, ", "),
                                                     "}"));
    }
    return static_cast<size_t>(it - header.begin());
  };
  NASQ_ASSIGN_OR_RETURN(const size_t text_column, column(options.text_field));
  NASQ_ASSIGN_OR_RETURN(const size_t label_column, column(options.label_field));
  std::vector<RawRecord> records;
  for (size_t r = 1; r < rows.size(); ++r) {
    auto& [line, fields] = rows[r];
    if (fields.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrCat(Where(path, line), ": ", fields.size(),
                                                     " fields, the header has ", header.size()));
    }
    records.push_back({line, std::move(fields[text_column]), std::move(fields[label_column])});
  }
  return records;
}

absl::StatusOr<std::vector<RawRecord>> ReadJsonl(const std::filesystem::path& path,
                                                 std::string_view data,
                                                 const TabularOptions& options) {
  std::vector<RawRecord> records;
  int line_number = 0;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string_view::npos) end = data.size();
    std::string_view line = data.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) {
      return absl::DataLossError(
          absl::StrCat(Where(path, line_number), ": not a valid JSON object"));
    }
    auto text = record.find(options.text_field);
    if (text == record.end() || !text->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(path, line_number), ": missing string field \"", options.text_field, "\""));
    }
    auto label = record.find(options.label_field);
    std::string label_text;
    if (label != record.end() && label->is_string()) {
      label_text = label->get<std::string>();
    } else if (label != record.end() && label->is_number_integer()) {
      label_text = label->dump();
    } else {
      return absl::InvalidArgumentError(absl::StrCat(Where(path, line_number),
                                                     ": missing string or integer field \"",
                                                     options.label_field, "\""));
    }
    records.push_back({line_number, text->get<std::string>(), std::move(label_text)});
  }
  return records;
}

absl::StatusOr<TabularFormat> ResolveFormat(const std::filesystem::path& path,
                                            TabularFormat format) {
  if (format != TabularFormat::kAuto) return format;
  const std::string extension = path.extension().string();
  if (extension == ".csv") return TabularFormat::kCsv;
  if (extension == ".tsv" || extension == ".tab") return TabularFormat::kTsv;
  if (extension == ".jsonl" || extension == ".ndjson") return TabularFormat::kJsonl;
  return absl::InvalidArgumentError(absl::StrCat(
      path.string(), ": cannot tell the format from the extension (use .csv, .tsv, .jsonl)"));
}

}  // namespace

absl::StatusOr<TextDataset> LoadTabular(const std::filesystem::path& path,
                                        const TabularOptions& options) {
  NASQ_ASSIGN_OR_RETURN(const TabularFormat format, ResolveFormat(path, options.format));
  NASQ_ASSIGN_OR_RETURN(const std::string data, ReadWholeFile(path));
  std::vector<RawRecord> records;
  if (format == TabularFormat::kJsonl) {
    NASQ_ASSIGN_OR_RETURN(records, ReadJsonl(path, data, options));
  } else {
    NASQ_ASSIGN_OR_RETURN(
        records, ReadDelimited(path, data, format == TabularFormat::kCsv ? ',' : '\t', options));
  }
  LabelMapper labels(options.label_set);
  TextDataset dataset;
  const std::string file_name = path.filename().string();
  for (RawRecord& record : records) {
    NASQ_ASSIGN_OR_RETURN(const int label, labels.Map(path, record));
    dataset.examples.push_back(
        {absl::StrCat(file_name, ":", record.line), std::move(record.text), label});
  }
  dataset.label_names = labels.Names();
  return dataset;
}

}  // namespace nasq
