// task/task_field.h: the fields of a task spec object, each described once (name, member,
// range, doc, default), so that the task JSON reader, the trial-param binder and the field tables
// of docs/task-spec.md are all driven by that one description.
//
// Study options (core/fields.h) are scalars because they travel through three codecs (YAML,
// stored JSON, proto). Task sections travel as JSON only, so a task field may be any member the
// task needs: bool, int, int64_t, uint64_t (seeds), double, std::string, a list of strings or an
// optional scalar (unset: code picks the default, which `default_doc` then states). Fields whose
// value needs more than a type and a range (an enum's names, layer names, nested objects) give a
// `read` function instead of a member. The default of a member field is its initialiser in S
// itself (S{}), written nowhere else:
//
//   {.name = "max_length", .member = &DatasetSpec::max_length,
//    .doc = "tokens per sequence including [CLS]/[SEP]", .int_range = IntRange{2, kMaxInt}},
//
// Errors are INVALID_ARGUMENT "<path>: <problem>" with the field's full path, e.g.
// "task.dataset.max_length: expected an integer >= 2, got 1". Pure functions and constant data;
// thread-safe.
#ifndef NASQ_TASK_TASK_FIELD_H_
#define NASQ_TASK_TASK_FIELD_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/fields.h"
#include "core/status_macros.h"
#include "spec/strict_json.h"

namespace nasq {

// The upper bound of a range that has none of its own: integers that are `int` in the structs.
inline constexpr int64_t kMaxTaskInt = std::numeric_limits<int32_t>::max();

// An interval of finite doubles; an open end excludes its bound.
struct NumberRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;
};

template <typename S>
using TaskFieldMember =
    std::variant<std::monostate, bool S::*, int S::*, int64_t S::*, uint64_t S::*, double S::*,
                 std::string S::*, std::vector<std::string> S::*, std::optional<bool> S::*,
                 std::optional<int> S::*, std::optional<int64_t> S::*, std::optional<double> S::*>;

// T for std::optional<T>, else T itself.
template <typename T>
struct OptionalValue {
  using type = T;
};
template <typename T>
struct OptionalValue<std::optional<T>> {
  using type = T;
};

// One field of the task spec object S.
template <typename S>
struct TaskField {
  const char* name;
  // The member the field sets; std::monostate when `read` does.
  TaskFieldMember<S> member;
  // What the field means, for the docs table.
  const char* doc;
  // Another accepted spelling (HF's name, the seeds' name), or nullptr.
  const char* alias = nullptr;
  // Integer members: the inclusive range (kMaxTaskInt as max reads "an integer >= min").
  // Without it an integer may take any value of its type (seeds: any value >= 0).
  std::optional<IntRange> int_range;
  // Number members: the allowed interval (always finite).
  std::optional<NumberRange> number_range;
  // Number members: what a value is called in errors ("a learning rate"); "a number" otherwise.
  const char* number_noun = nullptr;
  // Reads `value` into `s` where a type and a range do not say enough; `path` is the field's.
  absl::Status (*read)(S& s, const Json& value, const std::string& path) = nullptr;
  // `read` fields: the value as the docs write it (show(S{}) is the default), and its type.
  std::string (*show)(const S& s) = nullptr;
  const char* type_doc = nullptr;
  // The default in words where S{}'s value does not say it (an unset optional, a default that
  // depends on other fields).
  const char* default_doc = nullptr;
};

// A member's value as JSON; null for an unset optional.
template <typename T>
Json TaskFieldJson(const T& value) {
  return Json(value);
}
template <typename T>
Json TaskFieldJson(const std::optional<T>& value) {
  return value.has_value() ? Json(*value) : Json();
}

// `value` as the docs write it: true/false, a number ("0.5", "1e-06"), `text` in backquotes,
// `[a, b]`; "" for null and the empty string.
std::string ShowJsonValue(const Json& value);

// The type of `field`'s value in words: "bool", "integer", "number", "string", "list of
// strings", or type_doc.
template <typename S>
const char* TaskFieldTypeName(const TaskField<S>& field) {
  if (field.type_doc != nullptr) return field.type_doc;
  return std::visit(
      [](auto member) -> const char* {
        if constexpr (std::is_same_v<decltype(member), std::monostate>) {
          return "";
        } else {
          using T = typename OptionalValue<
              std::remove_cvref_t<decltype(std::declval<S&>().*member)>>::type;
          if constexpr (std::is_same_v<T, bool>) return "bool";
          if constexpr (std::is_same_v<T, double>) return "number";
          if constexpr (std::is_integral_v<T>) return "integer";
          if constexpr (std::is_same_v<T, std::string>) return "string";
          return "list of strings";
        }
      },
      field.member);
}

// "in [0, 1]", "in (0, 10]", ">= 0".
std::string DescribeNumberRange(const NumberRange& range);

// A finite number in `range` (integers count); JsonTypeError "expected <noun> <range>, got ..."
// otherwise.
absl::StatusOr<double> JsonNumberInRange(const Json& v, const std::string& path,
                                         const NumberRange& range, const char* noun);

// An integer in `range`; JsonTypeError "expected an integer in [min, max]" (or ">= min" when max
// is kMaxTaskInt) otherwise.
absl::StatusOr<int64_t> JsonIntInTaskRange(const Json& v, const std::string& path, IntRange range);

// A list of strings; each element's path is "<path>[i]".
absl::StatusOr<std::vector<std::string>> JsonStringList(const Json& v, const std::string& path);

// INVALID_ARGUMENT "<path>: unknown field (expected one of: <names>)".
absl::Status UnknownTaskField(const std::string& path, const std::vector<std::string>& names);

// Sets `field` of `s` from the JSON `value` with the field's checks; `path` is the field's.
template <typename S>
absl::Status ReadTaskFieldValue(S& s, const TaskField<S>& field, const Json& value,
                                const std::string& path) {
  if (field.read != nullptr) return field.read(s, value, path);
  return std::visit(
      [&](auto member) -> absl::Status {
        if constexpr (std::is_same_v<decltype(member), std::monostate>) {
          return JsonFieldError(path, "field has no reader");  // a table without member or read
        } else {
          using Member = std::remove_cvref_t<decltype(s.*member)>;
          using T = typename OptionalValue<Member>::type;
          if constexpr (std::is_same_v<T, double>) {
            NASQ_ASSIGN_OR_RETURN(
                s.*member,
                JsonNumberInRange(value, path, field.number_range.value_or(NumberRange{}),
                                  field.number_noun));
          } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            constexpr int64_t kMax =
                std::is_same_v<T, int> ? kMaxTaskInt : std::numeric_limits<int64_t>::max();
            constexpr int64_t kMin = std::is_signed_v<T> ? -kMax - 1 : 0;
            NASQ_ASSIGN_OR_RETURN(
                int64_t x,
                JsonIntInTaskRange(value, path, field.int_range.value_or(IntRange{kMin, kMax})));
            s.*member = static_cast<T>(x);
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            NASQ_ASSIGN_OR_RETURN(s.*member, JsonStringList(value, path));
          } else {
            NASQ_ASSIGN_OR_RETURN(s.*member, JsonAs<T>(value, path));
          }
          return absl::OkStatus();
        }
      },
      field.member);
}

// The value of `field` in `s` as the docs write it: show(s) for `read` fields; true/false, the
// number, a `string` or `[list]` for members; "" for an empty string or an unset optional.
template <typename S>
std::string ShowTaskFieldValue(const S& s, const TaskField<S>& field) {
  if (field.show != nullptr) return field.show(s);
  return std::visit(
      [&](auto member) -> std::string {
        if constexpr (std::is_same_v<decltype(member), std::monostate>) {
          return "";
        } else {
          return ShowJsonValue(TaskFieldJson(s.*member));
        }
      },
      field.member);
}

// The field of `fields` named `key` (or spelt as its alias), or nullptr.
template <typename S>
const TaskField<S>* FindTaskField(absl::Span<const TaskField<S>> fields, const std::string& key) {
  for (const TaskField<S>& field : fields) {
    if (key == field.name || (field.alias != nullptr && key == field.alias)) return &field;
  }
  return nullptr;
}

// Sets the field `key` of `s` from `value`; `parent_path` is the object's path. Unknown keys are
// refused listing the names of `fields`.
template <typename S>
absl::Status ReadTaskField(S& s, std::type_identity_t<absl::Span<const TaskField<S>>> fields,
                           const std::string& key, const Json& value,
                           const std::string& parent_path) {
  const std::string path = JsonChild(parent_path, key);
  const TaskField<S>* field = FindTaskField(fields, key);
  if (field == nullptr) {
    std::vector<std::string> names;
    for (const TaskField<S>& f : fields) names.push_back(f.name);
    return UnknownTaskField(path, names);
  }
  return ReadTaskFieldValue(s, *field, value, path);
}

// Sets every field of the JSON object `value` (at `path`) in `s`, in the order written.
template <typename S>
absl::Status ReadTaskObject(S& s, std::type_identity_t<absl::Span<const TaskField<S>>> fields,
                            const Json& value, const std::string& path) {
  if (!value.is_object()) return JsonTypeError(path, "an object", value);
  for (const auto& [key, v] : value.items()) {
    NASQ_RETURN_IF_ERROR(ReadTaskField<S>(s, fields, key, v, path));
  }
  return absl::OkStatus();
}

}  // namespace nasq

#endif  // NASQ_TASK_TASK_FIELD_H_
