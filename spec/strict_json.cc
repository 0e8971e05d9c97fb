// spec/strict_json.cc: see strict_json.h.
#include "spec/strict_json.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_join.h"

namespace nasq {

absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view what) {
  Json j = Json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return JsonFieldError(what, "not valid JSON");
  return j;
}

std::string JsonChild(absl::string_view path, absl::string_view key) {
  return path.empty() ? JsonExcerpt(key) : absl::StrCat(path, ".", JsonExcerpt(key));
}

std::string JsonElement(absl::string_view path, size_t i) {
  return absl::StrCat(path, "[", i, "]");
}

std::string JsonExcerpt(absl::string_view text) {
  constexpr size_t kMaxExcerpt = 64;
  if (text.size() <= kMaxExcerpt) return std::string(text);
  size_t cut = kMaxExcerpt;
  // Never split a UTF-8 sequence: back up to the start of the code point.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat(text.substr(0, cut), "... (", text.size(), " bytes)");
}

std::string DescribeJson(const Json& v) {
  if (v.is_string()) return absl::StrCat("\"", JsonExcerpt(v.get_ref<const std::string&>()), "\"");
  if (v.is_object()) return "an object";
  if (v.is_array()) return "a list";
  return v.dump();
}

absl::Status JsonFieldError(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

absl::Status JsonTypeError(absl::string_view path, absl::string_view expected, const Json& got) {
  return JsonFieldError(path, absl::StrCat("expected ", expected, ", got ", DescribeJson(got)));
}

absl::StatusOr<int64_t> JsonIntInRange(const Json& v, absl::string_view path, int64_t min,
                                       int64_t max) {
  const auto error = [&] {
    return JsonTypeError(path, absl::StrCat("an integer in [", min, ", ", max, "]"), v);
  };
  if (v.is_number_unsigned()) {
    // max >= 0 first, so that the value fits int64_t for the comparison with min.
    if (max < 0 || v.get<uint64_t>() > static_cast<uint64_t>(max)) return error();
    if (static_cast<int64_t>(v.get<uint64_t>()) < min) return error();
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer()) {
    if (v.get<int64_t>() < min || v.get<int64_t>() > max) return error();
    return v.get<int64_t>();
  }
  if (!v.is_number_float()) return error();
  const double d = v.get<double>();
  // Compared as doubles: min and max round to the nearest double, which is exact for the bounds
  // specs use (well below 2^53).
  if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(min) ||
      d > static_cast<double>(max)) {
    return error();
  }
  return static_cast<int64_t>(d);
}

absl::StatusOr<FieldValue> JsonFieldValue(const Json& v, FieldType type, absl::string_view path) {
  switch (type) {
    case FieldType::kBool: {
      NASQ_ASSIGN_OR_RETURN(bool b, JsonAs<bool>(v, path));
      return FieldValue(b);
    }
    case FieldType::kInt: {
      NASQ_ASSIGN_OR_RETURN(int64_t i, JsonAs<int64_t>(v, path));
      return FieldValue(i);
    }
    case FieldType::kDouble: {
      NASQ_ASSIGN_OR_RETURN(double d, JsonAs<double>(v, path));
      return FieldValue(d);
    }
  }
  return JsonFieldError(path, "unknown field type");
}

Json FieldValueToJson(const FieldValue& value) {
  return std::visit([](auto v) { return Json(v); }, value);
}

absl::StatusOr<JsonObjectReader> JsonObjectReader::Of(const Json& value, std::string path) {
  if (!value.is_object()) return JsonTypeError(path, "a JSON object", value);
  return JsonObjectReader(value, std::move(path));
}

const Json* JsonObjectReader::Find(absl::string_view key) const {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

absl::StatusOr<const Json*> JsonObjectReader::Member(absl::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return JsonFieldError(JsonChild(path_, key), "missing");
  return v;
}

absl::StatusOr<JsonObjectReader> JsonObjectReader::Object(absl::string_view key) const {
  NASQ_ASSIGN_OR_RETURN(const Json* v, Member(key));
  return Of(*v, JsonChild(path_, key));
}

absl::StatusOr<const Json*> JsonObjectReader::Array(absl::string_view key) const {
  NASQ_ASSIGN_OR_RETURN(const Json* v, Member(key));
  if (!v->is_array()) return JsonTypeError(JsonChild(path_, key), "a JSON array", *v);
  return v;
}

absl::Status JsonObjectReader::CheckNoUnknownFields() const {
  for (const auto& [key, value] : object_->items()) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    return JsonFieldError(
        JsonChild(path_, key),
        absl::StrCat("unknown field (expected one of: ", absl::StrJoin(known_, ", "), ")"));
  }
  return absl::OkStatus();
}

}  // namespace nasq
