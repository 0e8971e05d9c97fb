// task/task_field.cc: see task_field.h.
#include "task/task_field.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nasq {

std::string DescribeNumberRange(const NumberRange& range) {
  if (std::isinf(range.max)) return absl::StrCat(range.min_open ? "> " : ">= ", range.min);
  return absl::StrCat("in ", range.min_open ? "(" : "[", range.min, ", ", range.max,
                      range.max_open ? ")" : "]");
}

std::string ShowJsonValue(const Json& value) {
  if (value.is_null()) return "";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_float()) return absl::StrCat(value.get<double>());
  if (value.is_number()) return value.dump();
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    return text.empty() ? "" : absl::StrCat("`", text, "`");
  }
  std::vector<std::string> items;
  for (const Json& item : value) {
    items.push_back(item.is_string() ? item.get<std::string>() : item.dump());
  }
  return absl::StrCat("`[", absl::StrJoin(items, ", "), "]`");
}

absl::StatusOr<double> JsonNumberInRange(const Json& v, const std::string& path,
                                         const NumberRange& range, const char* noun) {
  if (v.is_number()) {
    const double x = v.get<double>();
    const bool above_min = range.min_open ? x > range.min : x >= range.min;
    const bool below_max = range.max_open ? x < range.max : x <= range.max;
    if (std::isfinite(x) && above_min && below_max) return x;
  }
  return JsonTypeError(
      path, absl::StrCat(noun != nullptr ? noun : "a number", " ", DescribeNumberRange(range)), v);
}

absl::StatusOr<int64_t> JsonIntInTaskRange(const Json& v, const std::string& path, IntRange range) {
  absl::StatusOr<int64_t> x = JsonIntInRange(v, path, range.min, range.max);
  if (!x.ok() && range.max == kMaxTaskInt) {
    return JsonTypeError(path, absl::StrCat("an integer >= ", range.min), v);
  }
  return x;
}

absl::StatusOr<std::vector<std::string>> JsonStringList(const Json& v, const std::string& path) {
  if (!v.is_array()) return JsonTypeError(path, "a list of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(out.emplace_back(),
                          JsonAs<std::string>(v[i], absl::StrCat(path, "[", i, "]")));
  }
  return out;
}

absl::Status UnknownTaskField(const std::string& path, const std::vector<std::string>& names) {
  return JsonFieldError(
      path, absl::StrCat("unknown field (expected one of: ", absl::StrJoin(names, ", "), ")"));
}

}  // namespace nasq
