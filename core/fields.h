// core/fields.h: describing the option fields of a plain struct once, so that every codec, the
// range checks and the docs are driven by that one description.
//
// A struct S lists its option fields as an array of Field<S>: the name (JSON, proto and error
// paths use it; YAML too unless `yaml_name` says otherwise), a pointer to the member, a
// one-line doc, the allowed range of an integer and what 0 means where it is special. The
// default is the member's initialiser in S itself (S{}), written nowhere else. Generic code
// reads a field as a FieldValue, writes one back with the member's own type checks, checks the
// ranges and formats values for display:
//
//   inline constexpr Field<TpeOptions> kTpeOptionFields[] = {
//       {.name = "n_ei_candidates", .member = &TpeOptions::n_ei_candidates,
//        .doc = "candidates scored per parameter", .range = {{1, limits::kMaxEiCandidates}}},
//       ...};
//
// Fields are bool, int, int64_t or double: what a study's options are. Pure functions and
// constant data; thread-safe.
#ifndef NASQ_CORE_FIELDS_H_
#define NASQ_CORE_FIELDS_H_

#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace nasq {

// A field's value, whatever its member type: bool, an integer (int and int64_t), or a double.
using FieldValue = std::variant<bool, int64_t, double>;

enum class FieldType { kBool, kInt, kDouble };

struct IntRange {
  int64_t min;
  int64_t max;
};

// One option field of struct S.
template <typename S>
struct Field {
  const char* name;
  std::variant<bool S::*, int S::*, int64_t S::*, double S::*> member;
  const char* doc;
  // Integer fields: the inclusive range CheckFieldRanges enforces (limits::kMax... for the
  // upper bounds). Unset for bool and double fields and for rules that need code (`rule`).
  std::optional<IntRange> range;
  // The rule in words where it is checked by code instead of `range` ("> 0 and finite").
  const char* rule = nullptr;
  // Integer fields where 0 disables the limit: what it means ("unlimited", "never").
  const char* zero_means = nullptr;
  // The YAML spelling where the study file names the field differently ("lease.duration").
  const char* yaml_name = nullptr;
  // The value is a duration in milliseconds (YAML writes it as "30s", "500ms", ...).
  bool millis = false;
};

template <typename S>
FieldType TypeOf(const Field<S>& field) {
  return std::visit(
      [](auto member) {
        using T = std::remove_cvref_t<decltype(std::declval<S&>().*member)>;
        if constexpr (std::is_same_v<T, bool>) {
          return FieldType::kBool;
        } else if constexpr (std::is_same_v<T, double>) {
          return FieldType::kDouble;
        } else {
          return FieldType::kInt;
        }
      },
      field.member);
}

// What a value of `type` is, for "expected <noun>, got ..." messages.
inline const char* FieldTypeNoun(FieldType type) {
  switch (type) {
    case FieldType::kBool:
      return "true or false";
    case FieldType::kInt:
      return "an integer";
    case FieldType::kDouble:
      return "a number";
  }
  return "a value";
}

// The field's current value in `s`.
//
// GCC 12 at -O3 follows every alternative of `member` after inlining and warns that an `int`
// read at a bool member's offset may be uninitialised (padding); the read always matches the
// member's type.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
template <typename S>
FieldValue GetField(const S& s, const Field<S>& field) {
  return std::visit(
      [&s](auto member) -> FieldValue {
        using T = std::remove_cvref_t<decltype(s.*member)>;
        if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, double>) {
          return s.*member;
        } else {
          return static_cast<int64_t>(s.*member);
        }
      },
      field.member);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Sets the field in `s` to `value`, which must be of the field's type, except that an integer
// may be given for a double. INVALID_ARGUMENT "<path>: ..." (path: the field's full name) when
// the value is of another type or an integer does not fit the member (an `int`); `s` is then
// unchanged. Ranges are not checked here: see CheckFieldRanges.
template <typename S>
absl::Status SetField(S& s, const Field<S>& field, const FieldValue& value,
                      absl::string_view path) {
  return std::visit(
      [&](auto member) -> absl::Status {
        using T = std::remove_cvref_t<decltype(s.*member)>;
        if constexpr (std::is_same_v<T, bool>) {
          if (const bool* b = std::get_if<bool>(&value)) {
            s.*member = *b;
            return absl::OkStatus();
          }
        } else if constexpr (std::is_same_v<T, double>) {
          if (const double* d = std::get_if<double>(&value)) {
            s.*member = *d;
            return absl::OkStatus();
          }
          if (const int64_t* i = std::get_if<int64_t>(&value)) {
            s.*member = static_cast<double>(*i);
            return absl::OkStatus();
          }
        } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
          constexpr int64_t kMin = std::numeric_limits<T>::min();
          constexpr int64_t kMax = std::numeric_limits<T>::max();
          if (*i < kMin || *i > kMax) {
            return absl::InvalidArgumentError(
                absl::StrCat(path, ": expected an integer in [", kMin, ", ", kMax, "], got ", *i));
          }
          s.*member = static_cast<T>(*i);
          return absl::OkStatus();
        }
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": expected ", FieldTypeNoun(TypeOf(field))));
      },
      field.member);
}

// `value` as text: "true"/"false", the integer, or the double in shortest form ("0.5").
inline std::string FormatFieldValue(const FieldValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return std::visit([](auto v) { return absl::StrCat(v); }, value);
}

// "<prefix>.<name>", or the name alone when `prefix` is empty.
inline std::string FieldPath(absl::string_view prefix, absl::string_view name) {
  return prefix.empty() ? std::string(name) : absl::StrCat(prefix, ".", name);
}

// OK when every integer field of `s` that has a range lies in it; otherwise INVALID_ARGUMENT
// "<prefix>.<name>: must be between <min> and <max> (got <value>)" for the first that does not.
template <typename S>
absl::Status CheckFieldRanges(const S& s, std::type_identity_t<absl::Span<const Field<S>>> fields,
                              absl::string_view prefix) {
  for (const Field<S>& field : fields) {
    if (!field.range.has_value()) continue;
    const int64_t value = std::get<int64_t>(GetField(s, field));
    if (value >= field.range->min && value <= field.range->max) continue;
    return absl::InvalidArgumentError(absl::StrCat(FieldPath(prefix, field.name),
                                                   ": must be between ", field.range->min, " and ",
                                                   field.range->max, " (got ", value, ")"));
  }
  return absl::OkStatus();
}

// The field of `fields` (an array or span of Field<S>) named `name`, or nullptr.
template <typename Fields>
auto FindField(const Fields& fields, absl::string_view name) -> decltype(&*std::begin(fields)) {
  for (const auto& field : fields) {
    if (name == field.name) return &field;
  }
  return nullptr;
}

}  // namespace nasq

#endif  // NASQ_CORE_FIELDS_H_
