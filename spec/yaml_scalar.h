// spec/yaml_scalar.h: typing of YAML scalars (YAML 1.2 core schema) and YAML -> JSON.
//
// yaml-cpp hands every scalar over as text. These helpers decide what a scalar means the way a
// YAML 1.2 reader would: quoted scalars are always strings; plain scalars are null (`~`, `null`,
// empty), bool (`true`/`false` in any of the three spellings YAML allows), integer, float
// (including `.inf`, `-.inf`, `.nan`) or else string. Pure functions; thread-safe.
#ifndef NASQ_SPEC_YAML_SCALAR_H_
#define NASQ_SPEC_YAML_SCALAR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace nasq {

struct YamlNull {
  friend bool operator==(const YamlNull&, const YamlNull&) = default;
};

// The meaning of one scalar node.
using YamlScalar = std::variant<YamlNull, bool, int64_t, double, std::string>;

// Types `node`, which must be a scalar (or null) node.
YamlScalar TypeScalar(const YAML::Node& node);

// Number parsing used for typing and for numeric fields: decimal integers (optional sign),
// decimal/exponent floats and the YAML special floats. nullopt when `text` is not a number.
std::optional<int64_t> ParseYamlInt(const std::string& text);
std::optional<double> ParseYamlFloat(const std::string& text);

// Builds the error for `node` at field `path` (e.g. "task.data[2]") saying `message`.
using YamlErrorFn = std::function<absl::Status(const YAML::Node& node, const std::string& path,
                                               const std::string& message)>;

// Converts a YAML tree to JSON, preserving mapping order and typing scalars with TypeScalar.
// Mapping keys must be scalars and unique, and every string valid UTF-8; otherwise returns
// `error(...)` for the offending node.
absl::StatusOr<nlohmann::ordered_json> YamlToJson(const YAML::Node& node, const std::string& path,
                                                  const YamlErrorFn& error);

}  // namespace nasq

#endif  // NASQ_SPEC_YAML_SCALAR_H_
