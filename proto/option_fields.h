// proto/option_fields.h: described option fields (core/fields.h) <-> protobuf messages.
//
// The option fields of a StudySpec part travel in its message's field of the same name, found
// by reflection, so existing fields keep their numbers. An option the message has no field for
// travels in the message's `options` map (map<string, google.protobuf.Value>) under its name: a
// bool, or a number (integral for integer options). Adding an option to a description therefore
// needs no change to the .proto files. Internal to proto/ (convert.cc); pure functions;
// thread-safe.
#ifndef NASQ_PROTO_OPTION_FIELDS_H_
#define NASQ_PROTO_OPTION_FIELDS_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/fields.h"
#include "core/status_macros.h"
#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"

namespace nasq {

using OptionsMap = google::protobuf::Map<std::string, google::protobuf::Value>;

// Writes the described fields of `s` into `message`: each into the field of the same name, or,
// for an option the message has no field for, into `options`.
template <typename S>
void OptionsToProto(const S& s, absl::Span<const Field<S>> table,
                    google::protobuf::Message& message, OptionsMap& options) {
  const google::protobuf::Reflection& r = *message.GetReflection();
  for (const Field<S>& field : table) {
    const FieldValue value = GetField(s, field);
    const google::protobuf::FieldDescriptor* f =
        message.GetDescriptor()->FindFieldByName(field.name);
    if (f == nullptr) {
      google::protobuf::Value& entry = options[field.name];
      if (const bool* b = std::get_if<bool>(&value)) {
        entry.set_bool_value(*b);
      } else {
        entry.set_number_value(std::visit([](auto v) { return static_cast<double>(v); }, value));
      }
      continue;
    }
    switch (f->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_BOOL:
        r.SetBool(&message, f, std::get<bool>(value));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_INT32:
        r.SetInt32(&message, f, static_cast<int32_t>(std::get<int64_t>(value)));
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
        r.SetInt64(&message, f, std::get<int64_t>(value));
        break;
      default:  // the descriptions hold bool, integer and double options only
        r.SetDouble(&message, f, std::get<double>(value));
        break;
    }
  }
}

// A value of the `options` map as a FieldValue of `type`; nullopt when it is not one (an
// integer must be integral and within int64).
inline std::optional<FieldValue> OptionValue(const google::protobuf::Value& v, FieldType type) {
  if (type == FieldType::kBool) {
    if (v.kind_case() != google::protobuf::Value::kBoolValue) return std::nullopt;
    return FieldValue(v.bool_value());
  }
  if (v.kind_case() != google::protobuf::Value::kNumberValue) return std::nullopt;
  const double d = v.number_value();
  if (type == FieldType::kDouble) return FieldValue(d);
  constexpr double kLimit = 9.2e18;  // just below 2^63
  if (d != std::floor(d) || std::abs(d) >= kLimit) return std::nullopt;
  return FieldValue(static_cast<int64_t>(d));
}

// Reads the described fields of `s` from `message` (`path` names it in errors, e.g.
// "spec.sampler.tpe"). A field the message has with presence keeps the default when unset; one
// without presence (proto3 implicit) is always read. `options` may only name described fields
// that the message has no field for.
template <typename S>
absl::Status OptionsFromProto(const google::protobuf::Message& message, const OptionsMap& options,
                              absl::Span<const Field<S>> table, absl::string_view path, S& s) {
  const google::protobuf::Reflection& r = *message.GetReflection();
  const google::protobuf::Descriptor& d = *message.GetDescriptor();
  std::vector<std::string> mapped;  // the options `options` may hold
  for (const Field<S>& field : table) {
    const std::string field_path = FieldPath(path, field.name);
    const google::protobuf::FieldDescriptor* f = d.FindFieldByName(field.name);
    if (f == nullptr) {
      mapped.push_back(field.name);
      continue;
    }
    if (f->has_presence() && !r.HasField(message, f)) continue;
    FieldValue value;
    switch (f->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_BOOL:
        value = r.GetBool(message, f);
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_INT32:
        value = int64_t{r.GetInt32(message, f)};
        break;
      case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
        value = int64_t{r.GetInt64(message, f)};
        break;
      default:
        value = r.GetDouble(message, f);
        break;
    }
    NASQ_RETURN_IF_ERROR(SetField(s, field, value, field_path));
  }
  // Sorted, so that the first bad key does not depend on the map's order.
  std::map<std::string, const google::protobuf::Value*> sorted;
  for (const auto& [key, value] : options) sorted[key] = &value;
  const std::string options_path = FieldPath(path, "options");
  for (const auto& [key, value] : sorted) {
    const std::string key_path = absl::StrCat(options_path, ".", key);
    const Field<S>* field = FindField(table, key);
    if (field == nullptr || std::find(mapped.begin(), mapped.end(), key) == mapped.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          key_path, ": unknown option (expected one of: ", absl::StrJoin(mapped, ", "), ")"));
    }
    std::optional<FieldValue> option = OptionValue(*value, TypeOf(*field));
    if (!option) {
      return absl::InvalidArgumentError(
          absl::StrCat(key_path, ": expected ", FieldTypeNoun(TypeOf(*field))));
    }
    NASQ_RETURN_IF_ERROR(SetField(s, *field, *option, key_path));
  }
  return absl::OkStatus();
}

}  // namespace nasq

#endif  // NASQ_PROTO_OPTION_FIELDS_H_
