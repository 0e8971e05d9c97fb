// spec/strict_json.h: the one strict reader of JSON fields, for every JSON document nasq
// accepts (stored study specs, task specs, quantisation and model configs).
//
// A JsonObjectReader wraps one JSON object and the path that leads to it ("sampler.tpe",
// "task.stages[2]"). Its getters check the member's type and name the full field path in every
// error, e.g.
//   sampler.tpe.n_startup_trials: expected an integer, got "x"
//   space.params[0].distribution.attributes.low: missing
//   task.train.epochs: unknown field (expected one of: batch_size, epochs, learning_rate)
// Every error is INVALID_ARGUMENT "<path>: <problem>". Values quoted in messages are cut to a
// short excerpt (JsonExcerpt), so that input of any size gives a one-line message.
//
// A reader refers to the JSON value it wraps, which must outlive it. Pure functions; a reader is
// not thread-safe (it records which members were read), distinct readers are.
#ifndef NASQ_SPEC_STRICT_JSON_H_
#define NASQ_SPEC_STRICT_JSON_H_

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/fields.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace nasq {

// Ordered, so that objects keep the order their fields were written in.
using Json = nlohmann::ordered_json;

// Parses `text`; INVALID_ARGUMENT "<what>: not valid JSON" when it is not.
absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view what);

// "<path>.<key>" ("<key>" when path is empty) and "<path>[<i>]". Keys are cut with JsonExcerpt.
std::string JsonChild(absl::string_view path, absl::string_view key);
std::string JsonElement(absl::string_view path, size_t i);

// `text` unchanged up to 64 bytes, otherwise its first 64 bytes (never splitting a UTF-8
// sequence) followed by "... (<size> bytes)".
std::string JsonExcerpt(absl::string_view text);

// What `v` is, for "got ...": a string quoted and cut with JsonExcerpt, "an object", "a list",
// or any other scalar as JSON ("3", "true", "null").
std::string DescribeJson(const Json& v);

// INVALID_ARGUMENT "<path>: <problem>".
absl::Status JsonFieldError(absl::string_view path, absl::string_view problem);

// INVALID_ARGUMENT "<path>: expected <expected>, got <DescribeJson(got)>".
absl::Status JsonTypeError(absl::string_view path, absl::string_view expected, const Json& got);

// Typed conversions of one JSON value at `path`; each fails with JsonTypeError.
//   bool: true/false. double: any number. std::string: a string. uint64_t: a non-negative
//   integer. Signed integers: an integer (not 2.0) within the type's range.
template <typename T>
absl::StatusOr<T> JsonAs(const Json& v, absl::string_view path);

// An integer in [min, max]; integral floats (8.0) count, since YAML and JSON clients may write
// them so. Fails with JsonTypeError(path, "an integer in [min, max]", v).
absl::StatusOr<int64_t> JsonIntInRange(const Json& v, absl::string_view path, int64_t min,
                                       int64_t max);

// A FieldValue of `type` (core/fields.h): JsonAs<bool>, JsonAs<int64_t> or JsonAs<double>.
absl::StatusOr<FieldValue> JsonFieldValue(const Json& v, FieldType type, absl::string_view path);

// The JSON form of a field value (a double stays a double: 1.0, not 1).
Json FieldValueToJson(const FieldValue& value);

class JsonObjectReader {
 public:
  // INVALID_ARGUMENT "<path>: expected a JSON object, got ..." when `value` is not an object.
  static absl::StatusOr<JsonObjectReader> Of(const Json& value, std::string path);

  const std::string& path() const { return path_; }
  const Json& value() const { return *object_; }

  // The member `key`: "<path>.<key>: missing" when absent. Find: nullptr when absent. Both mark
  // `key` as known to CheckNoUnknownFields.
  absl::StatusOr<const Json*> Member(absl::string_view key) const;
  const Json* Find(absl::string_view key) const;

  // The member converted with JsonAs<T>; required.
  template <typename T>
  absl::StatusOr<T> Get(absl::string_view key) const {
    NASQ_ASSIGN_OR_RETURN(const Json* v, Member(key));
    return JsonAs<T>(*v, JsonChild(path_, key));
  }

  // Optional: leaves `*out` (its default) unchanged when `key` is absent.
  template <typename T>
  absl::Status Read(absl::string_view key, T* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    NASQ_ASSIGN_OR_RETURN(*out, JsonAs<T>(*v, JsonChild(path_, key)));
    return absl::OkStatus();
  }

  // The member as a nested reader / as an array; required.
  absl::StatusOr<JsonObjectReader> Object(absl::string_view key) const;
  absl::StatusOr<const Json*> Array(absl::string_view key) const;

  // Reads each of `fields` (core/fields.h) present in the object into `s`; absent fields keep
  // their values (the defaults of a default-constructed S).
  template <typename S>
  absl::Status ReadFields(std::type_identity_t<absl::Span<const Field<S>>> fields, S& s) const {
    for (const Field<S>& field : fields) {
      const Json* v = Find(field.name);
      if (v == nullptr) continue;
      const std::string path = JsonChild(path_, field.name);
      NASQ_ASSIGN_OR_RETURN(FieldValue value, JsonFieldValue(*v, TypeOf(field), path));
      NASQ_RETURN_IF_ERROR(SetField(s, field, value, path));
    }
    return absl::OkStatus();
  }

  // Call after reading: "<path>.<key>: unknown field (expected one of: <known keys>)" for the
  // first member that no getter above asked for.
  absl::Status CheckNoUnknownFields() const;

 private:
  JsonObjectReader(const Json& object, std::string path)
      : object_(&object), path_(std::move(path)) {}

  const Json* object_;
  std::string path_;
  mutable std::vector<std::string> known_;  // keys asked for, in order
};

// Writes each of `fields` of `s` into the JSON object `out`.
template <typename S>
void WriteFields(const S& s, std::type_identity_t<absl::Span<const Field<S>>> fields, Json& out) {
  for (const Field<S>& field : fields) out[field.name] = FieldValueToJson(GetField(s, field));
}

// ---- implementation details -------------------------------------------------------------------

template <typename T>
absl::StatusOr<T> JsonAs(const Json& v, absl::string_view path) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) return JsonTypeError(path, "true or false", v);
    return v.get<bool>();
  } else if constexpr (std::is_same_v<T, double>) {
    if (!v.is_number()) return JsonTypeError(path, "a number", v);
    return v.get<double>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return JsonTypeError(path, "a string", v);
    return v.get<std::string>();
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    if (!v.is_number_unsigned()) return JsonTypeError(path, "a non-negative integer", v);
    return v.get<uint64_t>();
  } else {
    static_assert(std::is_integral_v<T> && std::is_signed_v<T>);
    constexpr int64_t kMin = std::numeric_limits<T>::min();
    constexpr int64_t kMax = std::numeric_limits<T>::max();
    if (!v.is_number_integer()) return JsonTypeError(path, "an integer", v);
    const bool in_range = v.is_number_unsigned()
                              ? v.get<uint64_t>() <= static_cast<uint64_t>(kMax)
                              : v.get<int64_t>() >= kMin && v.get<int64_t>() <= kMax;
    if (!in_range) {
      return JsonTypeError(path, absl::StrCat("an integer in [", kMin, ", ", kMax, "]"), v);
    }
    return static_cast<T>(v.get<int64_t>());
  }
}

}  // namespace nasq

#endif  // NASQ_SPEC_STRICT_JSON_H_
