#include "spec/spec_yaml.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "spec/yaml_scalar.h"
#include "yaml-cpp/yaml.h"

namespace nasq {
namespace {

using Fields = std::map<std::string, YAML::Node>;

// A described field's name in the study file: its YAML spelling, else its name.
template <typename S>
std::string YamlName(const Field<S>& field) {
  return field.yaml_name != nullptr ? field.yaml_name : field.name;
}

// The keys `table` takes in the mapping that holds it, in order and once each: a field whose
// YAML name is "<section>.<key>" puts <section> there.
template <typename S>
std::vector<std::string> YamlKeys(absl::Span<const Field<S>> table) {
  std::vector<std::string> keys;
  for (const Field<S>& field : table) {
    const std::string name = YamlName(field);
    std::string key = name.substr(0, name.find('.'));
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  }
  return keys;
}

// "a mapping", "a list", or the scalar quoted: what a node holds, for "expected X, got Y".
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return absl::StrCat("\"", node.Scalar(), "\"");
    default:
      return "nothing";
  }
}

// Rounds a non-negative, finite number of milliseconds, saturating at INT64_MAX so that a huge
// duration reaches ValidateStudySpec's range check instead of overflowing (llround of a value
// past int64 is undefined).
int64_t RoundMillis(double ms) {
  constexpr double kLimit = 9.2e18;  // just below 2^63
  return ms >= kLimit ? INT64_MAX : static_cast<int64_t>(std::llround(ms));
}

}  // namespace

std::optional<int64_t> ParseDurationMs(const std::string& text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ms", 1.0}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}};
  for (const auto& [suffix, scale] : kUnits) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      auto number = ParseYamlFloat(text.substr(0, text.size() - suffix.size()));
      if (number && std::isfinite(*number) && *number >= 0) return RoundMillis(*number * scale);
    }
  }
  auto seconds = ParseYamlFloat(text);
  if (seconds && std::isfinite(*seconds) && *seconds >= 0) return RoundMillis(*seconds * 1e3);
  return std::nullopt;
}

namespace {

// Bounds on a loaded document: aliases let a few lines denote a huge tree ("billion laughs"),
// and every reader of the tree (this file, YamlToJson) walks it recursively.
constexpr size_t kMaxYamlNodes = 1'000'000;  // nodes after expanding aliases
constexpr int kMaxYamlDepth = 64;            // nesting of mappings and lists

// Walks `node` as its readers will, aliases expanded, counting nodes into `visited`. Stops with
// INVALID_ARGUMENT at the first node past either bound (a cyclic alias is too deep).
absl::Status CheckYamlSize(const YAML::Node& node, int depth, size_t& visited,
                           const std::string& source) {
  const auto error = [&](const std::string& problem) {
    std::string where = source;
    const YAML::Mark mark = node.Mark();
    if (mark.line >= 0) absl::StrAppend(&where, ":", mark.line + 1, ":", mark.column + 1);
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", problem));
  };
  if (depth > kMaxYamlDepth) {
    return error(absl::StrCat("nested more than ", kMaxYamlDepth, " levels deep"));
  }
  if (++visited > kMaxYamlNodes) {
    return error(absl::StrCat("the document has more than ", kMaxYamlNodes,
                              " nodes once its aliases (*name) are expanded"));
  }
  if (node.IsSequence()) {
    for (const YAML::Node& child : node) {
      NASQ_RETURN_IF_ERROR(CheckYamlSize(child, depth + 1, visited, source));
    }
  } else if (node.IsMap()) {
    for (const auto& kv : node) {
      NASQ_RETURN_IF_ERROR(CheckYamlSize(kv.first, depth + 1, visited, source));
      NASQ_RETURN_IF_ERROR(CheckYamlSize(kv.second, depth + 1, visited, source));
    }
  }
  return absl::OkStatus();
}

// Turns one parsed YAML document into a StudySpec, remembering where each field was written so
// that validation errors from core/ can point at the right line.
class SpecParser {
 public:
  explicit SpecParser(std::string source) : source_(std::move(source)) {}

  absl::StatusOr<StudySpec> Parse(const YAML::Node& root) {
    if (!root.IsDefined() || root.IsNull()) {
      return absl::InvalidArgumentError(absl::StrCat(source_, ": empty study spec"));
    }
    std::vector<std::string> allowed = {"name",    "direction",      "directions", "metric",
                                        "metrics", "space",          "sampler",    "pruner",
                                        "budgets", "reference_point"};
    for (std::string& key : YamlKeys<StudySpec>(kStudyLimitFields)) allowed.push_back(key);
    allowed.insert(allowed.end(), {"task", "user_attrs"});
    NASQ_ASSIGN_OR_RETURN(Fields fields, GetFields(root, "", allowed));
    StudySpec spec;
    NASQ_ASSIGN_OR_RETURN(spec.name, Required(root, fields, "", "name", &SpecParser::String));
    NASQ_RETURN_IF_ERROR(ParseObjectives(fields, spec));
    if (fields.contains("reference_point")) {
      NASQ_ASSIGN_OR_RETURN(spec.reference_point,
                            NumberList(fields["reference_point"], "reference_point"));
    }
    NASQ_RETURN_IF_ERROR(ParseSpace(Required(root, fields, "", "space"), spec));
    if (fields.contains("sampler")) NASQ_RETURN_IF_ERROR(ParseSampler(fields["sampler"], spec));
    if (fields.contains("pruner")) NASQ_RETURN_IF_ERROR(ParsePruner(fields["pruner"], spec));
    if (fields.contains("budgets")) NASQ_RETURN_IF_ERROR(ParseBudgets(fields["budgets"], spec));
    NASQ_RETURN_IF_ERROR(ReadFields<StudySpec>(fields, "", kStudyLimitFields, spec));
    if (fields.contains("task")) NASQ_RETURN_IF_ERROR(ParseTask(fields["task"], spec));
    if (fields.contains("user_attrs")) {
      NASQ_RETURN_IF_ERROR(ParseUserAttrs(fields["user_attrs"], spec));
    }
    NASQ_RETURN_IF_ERROR(Relocate(ValidateStudySpec(spec)));
    return spec;
  }

 private:
  // The error for `node` at field `path`: "<source>:<line>:<col>: <path>: <message>".
  absl::Status Error(const YAML::Node& node, const std::string& path,
                     const std::string& message) const {
    return ErrorAt(node.Mark(), path, message);
  }

  absl::Status ErrorAt(const YAML::Mark& mark, const std::string& path,
                       const std::string& message) const {
    std::string where = source_;
    if (mark.line >= 0) absl::StrAppend(&where, ":", mark.line + 1, ":", mark.column + 1);
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", path.empty() ? "" : path + ": ", message));
  }

  static std::string Child(const std::string& path, const std::string& key) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }

  // Checks that `node` is a mapping whose keys are unique and all in `allowed`; returns the
  // fields by name. Records each field's position for Relocate.
  absl::StatusOr<Fields> GetFields(const YAML::Node& node, const std::string& path,
                                   const std::vector<std::string>& allowed) {
    if (!node.IsMap()) return Error(node, path, "expected a mapping, got " + Describe(node));
    Fields fields;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      const std::string child = Child(path, key);
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return Error(
            kv.first, child,
            absl::StrCat("unknown field (expected one of: ", absl::StrJoin(allowed, ", "), ")"));
      }
      if (!fields.emplace(key, kv.second).second) return Error(kv.first, child, "duplicate field");
      marks_[child] = kv.first.Mark();
    }
    return fields;
  }

  // The field `key` of `fields`, or an error at `parent` saying it is missing.
  absl::StatusOr<YAML::Node> Required(const YAML::Node& parent, const Fields& fields,
                                      const std::string& path, const std::string& key) const {
    auto it = fields.find(key);
    if (it == fields.end()) return Error(parent, Child(path, key), "required field is missing");
    return it->second;
  }

  // As above, then converts the field with `convert`.
  template <typename T>
  absl::StatusOr<T> Required(const YAML::Node& parent, const Fields& fields,
                             const std::string& path, const std::string& key,
                             absl::StatusOr<T> (SpecParser::*convert)(const YAML::Node&,
                                                                      const std::string&) const) {
    NASQ_ASSIGN_OR_RETURN(YAML::Node node, Required(parent, fields, path, key));
    return (this->*convert)(node, Child(path, key));
  }

  absl::StatusOr<std::string> String(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) return Error(node, path, "expected a string, got " + Describe(node));
    return node.Scalar();
  }

  absl::StatusOr<double> Number(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) {
      if (auto v = ParseYamlFloat(node.Scalar())) return *v;
    }
    return Error(node, path, "expected a number, got " + Describe(node));
  }

  absl::StatusOr<int64_t> Integer(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) {
      if (auto v = ParseYamlInt(node.Scalar())) return *v;
    }
    return Error(node, path, "expected an integer, got " + Describe(node));
  }

  absl::StatusOr<bool> Bool(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) {
      YamlScalar v = TypeScalar(node);
      if (const bool* b = std::get_if<bool>(&v)) return *b;
    }
    return Error(node, path, "expected true or false, got " + Describe(node));
  }

  absl::StatusOr<int64_t> DurationMs(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) {
      if (auto ms = ParseDurationMs(node.Scalar())) return *ms;
    }
    return Error(
        node, path,
        "expected a duration such as 500ms, 30s, 5m or a number of seconds, got " + Describe(node));
  }

  // Sets the described `field` of `s` from `node` (a duration where the field is `millis`).
  template <typename S>
  absl::Status ReadField(const YAML::Node& node, const std::string& path, const Field<S>& field,
                         S& s) const {
    FieldValue value;
    switch (TypeOf(field)) {
      case FieldType::kBool: {
        NASQ_ASSIGN_OR_RETURN(value, Bool(node, path));
        break;
      }
      case FieldType::kInt: {
        NASQ_ASSIGN_OR_RETURN(value, field.millis ? DurationMs(node, path) : Integer(node, path));
        break;
      }
      case FieldType::kDouble: {
        NASQ_ASSIGN_OR_RETURN(value, Number(node, path));
        break;
      }
    }
    const absl::Status status = SetField(s, field, value, path);
    return status.ok() ? status : ErrorAt(node.Mark(), "", std::string(status.message()));
  }

  // Reads the fields of `table` that the mapping `fields` (at `path`) holds into `s`; a field
  // whose YAML name is "<section>.<key>" is read from the nested mapping <section>, which takes
  // only such keys.
  template <typename S>
  absl::Status ReadFields(Fields& fields, const std::string& path, absl::Span<const Field<S>> table,
                          S& s) {
    for (const std::string& key : YamlKeys(table)) {
      auto it = fields.find(key);
      if (it == fields.end()) continue;
      if (const Field<S>* field = FindField(table, key)) {
        if (field->yaml_name == nullptr) {
          NASQ_RETURN_IF_ERROR(ReadField(it->second, Child(path, key), *field, s));
          continue;
        }
      }
      std::vector<std::pair<std::string, const Field<S>*>> inner;  // key in the section -> field
      for (const Field<S>& field : table) {
        const std::string name = YamlName(field);
        if (name.starts_with(key + ".")) inner.emplace_back(name.substr(key.size() + 1), &field);
      }
      std::vector<std::string> allowed;
      for (const auto& [name, field] : inner) allowed.push_back(name);
      const std::string section = Child(path, key);
      NASQ_ASSIGN_OR_RETURN(Fields section_fields, GetFields(it->second, section, allowed));
      for (const auto& [name, field] : inner) {
        if (auto f = section_fields.find(name); f != section_fields.end()) {
          NASQ_RETURN_IF_ERROR(ReadField(f->second, Child(section, name), *field, s));
        }
      }
    }
    return absl::OkStatus();
  }

  // A categorical choice or condition value: a non-null scalar.
  absl::StatusOr<ParamValue> Value(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) {
      return Error(node, path, "expected a string, number or bool, got " + Describe(node));
    }
    YamlScalar v = TypeScalar(node);
    if (std::holds_alternative<YamlNull>(v)) {
      return Error(node, path, "expected a string, number or bool, got null");
    }
    return std::visit(
        [](const auto& x) -> ParamValue {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, YamlNull>) {
            return false;  // unreachable: handled above
          } else {
            return x;
          }
        },
        v);
  }

  // One value, or a list of values.
  absl::StatusOr<std::vector<ParamValue>> Values(const YAML::Node& node,
                                                 const std::string& path) const {
    std::vector<ParamValue> values;
    if (!node.IsSequence()) {
      NASQ_ASSIGN_OR_RETURN(values.emplace_back(), Value(node, path));
      return values;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(values.emplace_back(), Value(node[i], absl::StrCat(path, "[", i, "]")));
    }
    return values;
  }

  absl::Status ParseObjectives(Fields& fields, StudySpec& spec) {
    if (fields.contains("direction") && fields.contains("directions")) {
      return Error(fields["directions"], "directions", "give either direction or directions");
    }
    if (fields.contains("metric") && fields.contains("metrics")) {
      return Error(fields["metrics"], "metrics", "give either metric or metrics");
    }
    if (fields.contains("directions")) direction_field_ = "directions";
    if (fields.contains("metrics")) metric_field_ = "metrics";
    std::vector<std::string> names;
    if (auto it = fields.find(direction_field_); it != fields.end()) {
      NASQ_ASSIGN_OR_RETURN(names, StringOrList(it->second, direction_field_));
    } else {
      names = {"minimize"};  // Optuna's default
    }
    for (size_t i = 0; i < names.size(); ++i) {
      auto direction = ParseStudyDirection(names[i]);
      if (!direction) {
        const YAML::Node& node = fields[direction_field_];
        return Error(node.IsSequence() ? node[i] : node, direction_field_,
                     absl::StrCat("expected minimize or maximize, got \"", names[i], "\""));
      }
      spec.directions.push_back(*direction);
    }
    if (auto it = fields.find(metric_field_); it != fields.end()) {
      NASQ_ASSIGN_OR_RETURN(spec.metric_names, StringOrList(it->second, metric_field_));
    }
    return absl::OkStatus();
  }

  // A list of numbers (ranges are ValidateStudySpec's).
  absl::StatusOr<std::vector<double>> NumberList(const YAML::Node& node,
                                                 const std::string& path) const {
    if (!node.IsSequence()) return Error(node, path, "expected a list, got " + Describe(node));
    std::vector<double> out;
    for (size_t i = 0; i < node.size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(out.emplace_back(), Number(node[i], absl::StrCat(path, "[", i, "]")));
    }
    return out;
  }

  absl::StatusOr<std::vector<std::string>> StringOrList(const YAML::Node& node,
                                                        const std::string& path) const {
    std::vector<std::string> out;
    if (!node.IsSequence()) {
      NASQ_ASSIGN_OR_RETURN(out.emplace_back(), String(node, path));
      return out;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(out.emplace_back(), String(node[i], absl::StrCat(path, "[", i, "]")));
    }
    return out;
  }

  absl::Status ParseSpace(absl::StatusOr<YAML::Node> space_or, StudySpec& spec) {
    NASQ_ASSIGN_OR_RETURN(YAML::Node space, std::move(space_or));
    NASQ_ASSIGN_OR_RETURN(Fields fields, GetFields(space, "space", {"params", "constraints"}));
    NASQ_ASSIGN_OR_RETURN(YAML::Node params_node, Required(space, fields, "space", "params"));
    if (!params_node.IsMap()) {
      return Error(
          params_node, "space.params",
          "expected a mapping from parameter name to its definition, got " + Describe(params_node));
    }
    std::vector<ParamSpec> params;
    std::set<std::string> seen;
    for (const auto& kv : params_node) {
      if (!kv.first.IsScalar()) {
        return Error(kv.first, "space.params", "parameter names must be strings");
      }
      const std::string path = Child("space.params", kv.first.Scalar());
      if (!seen.insert(kv.first.Scalar()).second) {
        return Error(kv.first, path, "duplicate parameter");
      }
      marks_[path] = kv.first.Mark();
      marks_[absl::StrCat("space.params[", param_names_.size(), "]")] = kv.first.Mark();
      param_names_.push_back(kv.first.Scalar());
      NASQ_ASSIGN_OR_RETURN(params.emplace_back(), ParseParam(kv.first.Scalar(), kv.second, path));
    }
    std::vector<Constraint> constraints;
    if (auto it = fields.find("constraints"); it != fields.end()) {
      if (!it->second.IsSequence()) {
        return Error(it->second, "space.constraints",
                     "expected a list, got " + Describe(it->second));
      }
      for (size_t i = 0; i < it->second.size(); ++i) {
        const std::string path = absl::StrCat("space.constraints[", i, "]");
        marks_[path] = it->second[i].Mark();
        NASQ_ASSIGN_OR_RETURN(constraints.emplace_back(), ParseConstraint(it->second[i], path));
      }
    }
    auto created = SearchSpace::Create(std::move(params), std::move(constraints));
    NASQ_RETURN_IF_ERROR(Relocate(created.status()));
    spec.space = *std::move(created);
    return absl::OkStatus();
  }

  absl::StatusOr<ParamSpec> ParseParam(const std::string& name, const YAML::Node& node,
                                       const std::string& path) {
    ParamSpec param;
    param.name = name;
    if (node.IsSequence()) {  // shorthand: `act: [relu, gelu]` is a categorical
      NASQ_ASSIGN_OR_RETURN(param.distribution, Choices(node, Child(path, "choices")));
      return param;
    }
    if (!node.IsMap()) {
      return Error(node, path,
                   "expected a parameter definition (a mapping), got " + Describe(node));
    }
    std::string type = "categorical";
    if (node["type"]) {
      NASQ_ASSIGN_OR_RETURN(type, String(node["type"], Child(path, "type")));
    } else if (!node["choices"]) {
      return Error(node, Child(path, "type"),
                   "required field is missing (float, int or categorical)");
    }
    std::vector<std::string> allowed = {"type", "when"};
    if (type == "categorical") {
      allowed.push_back("choices");
    } else if (type == "float" || type == "int") {
      allowed.insert(allowed.end(), {"low", "high", "log", "step"});
    } else {
      return Error(node["type"], Child(path, "type"),
                   absl::StrCat("expected float, int or categorical, got \"", type, "\""));
    }
    NASQ_ASSIGN_OR_RETURN(Fields fields, GetFields(node, path, allowed));
    if (auto it = fields.find("when"); it != fields.end()) {
      NASQ_ASSIGN_OR_RETURN(param.conditions, ParseConditions(it->second, Child(path, "when")));
    }
    if (type == "categorical") {
      NASQ_ASSIGN_OR_RETURN(YAML::Node choices, Required(node, fields, path, "choices"));
      NASQ_ASSIGN_OR_RETURN(param.distribution, Choices(choices, Child(path, "choices")));
      return param;
    }
    bool log = false;
    if (fields.contains("log")) {
      NASQ_ASSIGN_OR_RETURN(log, Bool(fields["log"], Child(path, "log")));
    }
    if (type == "float") {
      FloatDistribution d;
      NASQ_ASSIGN_OR_RETURN(d.low, Required(node, fields, path, "low", &SpecParser::Number));
      NASQ_ASSIGN_OR_RETURN(d.high, Required(node, fields, path, "high", &SpecParser::Number));
      d.log = log;
      if (fields.contains("step")) {
        NASQ_ASSIGN_OR_RETURN(d.step, Number(fields["step"], Child(path, "step")));
      }
      param.distribution = d;
    } else {
      IntDistribution d;
      NASQ_ASSIGN_OR_RETURN(d.low, Required(node, fields, path, "low", &SpecParser::Integer));
      NASQ_ASSIGN_OR_RETURN(d.high, Required(node, fields, path, "high", &SpecParser::Integer));
      d.log = log;
      if (fields.contains("step")) {
        NASQ_ASSIGN_OR_RETURN(d.step, Integer(fields["step"], Child(path, "step")));
      }
      param.distribution = d;
    }
    NASQ_RETURN_IF_ERROR(Relocate(ValidateDistribution(param.distribution, path)));
    return param;
  }

  absl::StatusOr<Distribution> Choices(const YAML::Node& node, const std::string& path) const {
    if (!node.IsSequence()) return Error(node, path, "expected a list, got " + Describe(node));
    if (node.size() == 0) return Error(node, path, "needs at least one choice");
    CategoricalDistribution d;
    NASQ_ASSIGN_OR_RETURN(d.choices, Values(node, path));
    return d;
  }

  // `when:` is one condition (a mapping) or a list of them (all must hold).
  absl::StatusOr<std::vector<Condition>> ParseConditions(const YAML::Node& node,
                                                         const std::string& path) {
    std::vector<Condition> conditions;
    if (!node.IsSequence()) {
      NASQ_ASSIGN_OR_RETURN(conditions.emplace_back(), ParseCondition(node, path));
      return conditions;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(conditions.emplace_back(),
                            ParseCondition(node[i], absl::StrCat(path, "[", i, "]")));
    }
    return conditions;
  }

  // {parent: P, op: OP, value: V | [V...]}, {parent: P, in: [V...]} or {parent: P, not_in: [...]}.
  absl::StatusOr<Condition> ParseCondition(const YAML::Node& node, const std::string& path) {
    NASQ_ASSIGN_OR_RETURN(Fields fields,
                          GetFields(node, path, {"parent", "op", "value", "in", "not_in"}));
    Condition condition;
    NASQ_ASSIGN_OR_RETURN(condition.parent,
                          Required(node, fields, path, "parent", &SpecParser::String));
    const int forms = fields.contains("op") + fields.contains("in") + fields.contains("not_in");
    if (forms != 1) {
      return Error(node, path, "give exactly one of `op` (with `value`), `in` or `not_in`");
    }
    if (fields.contains("op")) {
      NASQ_ASSIGN_OR_RETURN(std::string op, String(fields["op"], Child(path, "op")));
      auto parsed = ParseCompareOp(op);
      if (!parsed) {
        return Error(
            fields["op"], Child(path, "op"),
            absl::StrCat("expected one of ==, !=, <, <=, >, >=, in, not_in, got \"", op, "\""));
      }
      condition.op = *parsed;
      NASQ_ASSIGN_OR_RETURN(YAML::Node value, Required(node, fields, path, "value"));
      NASQ_ASSIGN_OR_RETURN(condition.values, Values(value, Child(path, "value")));
      return condition;
    }
    if (fields.contains("value")) {
      return Error(fields["value"], Child(path, "value"), "only allowed together with `op`");
    }
    const std::string key = fields.contains("in") ? "in" : "not_in";
    condition.op = key == "in" ? CompareOp::kIn : CompareOp::kNotIn;
    NASQ_ASSIGN_OR_RETURN(condition.values, Values(fields[key], Child(path, key)));
    return condition;
  }

  // {lhs: A, op: OP, rhs: B | NUMBER, offset: NUMBER}: `A OP B + offset` or `A OP NUMBER`.
  absl::StatusOr<Constraint> ParseConstraint(const YAML::Node& node, const std::string& path) {
    NASQ_ASSIGN_OR_RETURN(Fields fields, GetFields(node, path, {"lhs", "op", "rhs", "offset"}));
    Constraint constraint;
    NASQ_ASSIGN_OR_RETURN(constraint.lhs, Required(node, fields, path, "lhs", &SpecParser::String));
    NASQ_ASSIGN_OR_RETURN(std::string op, Required(node, fields, path, "op", &SpecParser::String));
    auto parsed = ParseCompareOp(op);
    if (!parsed || *parsed == CompareOp::kIn || *parsed == CompareOp::kNotIn) {
      return Error(fields["op"], Child(path, "op"),
                   absl::StrCat("expected one of ==, !=, <, <=, >, >=, got \"", op, "\""));
    }
    constraint.op = *parsed;
    NASQ_ASSIGN_OR_RETURN(YAML::Node rhs, Required(node, fields, path, "rhs"));
    YamlScalar rhs_value = rhs.IsScalar() ? TypeScalar(rhs) : YamlScalar(YamlNull{});
    if (const auto* name = std::get_if<std::string>(&rhs_value)) {
      constraint.rhs = *name;
      if (fields.contains("offset")) {
        NASQ_ASSIGN_OR_RETURN(constraint.offset, Number(fields["offset"], Child(path, "offset")));
      }
    } else {
      NASQ_ASSIGN_OR_RETURN(constraint.offset, Number(rhs, Child(path, "rhs")));
      if (fields.contains("offset")) {
        return Error(fields["offset"], Child(path, "offset"),
                     "only allowed when rhs names a parameter");
      }
    }
    return constraint;
  }

  // `sampler:` takes its kind (`type`), `seed`, the options of every sampler and, directly
  // below it, the TPE options (only with type: tpe) and the NSGA-II options (only with type:
  // nsga2).
  absl::Status ParseSampler(const YAML::Node& node, StudySpec& spec) {
    std::vector<std::string> allowed = {"type", "seed"};
    for (std::string& key : YamlKeys<SamplerConfig>(kSamplerOptionFields)) allowed.push_back(key);
    const std::vector<std::string> tpe_keys = YamlKeys<TpeOptions>(kTpeOptionFields);
    const std::vector<std::string> nsga2_keys = [] {
      std::vector<std::string> keys = YamlKeys<Nsga2Options>(kNsga2OptionFields);
      keys.push_back("crossover");
      return keys;
    }();
    allowed.insert(allowed.end(), tpe_keys.begin(), tpe_keys.end());
    allowed.insert(allowed.end(), nsga2_keys.begin(), nsga2_keys.end());
    NASQ_ASSIGN_OR_RETURN(Fields fields, GetFields(node, "sampler", allowed));
    SamplerConfig& config = spec.sampler;
    if (fields.contains("type")) {
      NASQ_ASSIGN_OR_RETURN(std::string type, String(fields["type"], "sampler.type"));
      auto kind = ParseSamplerKind(type);
      if (!kind) {
        return Error(fields["type"], "sampler.type",
                     absl::StrCat("expected grid, random or tpe, got \"", type,
                                  "\"; nsga2 is also accepted"));
      }
      config.kind = *kind;
    }
    for (const auto& [keys, kind] :
         {std::pair(&tpe_keys, SamplerKind::kTpe), std::pair(&nsga2_keys, SamplerKind::kNsga2)}) {
      if (config.kind == kind) continue;
      for (const std::string& key : *keys) {
        if (auto it = fields.find(key); it != fields.end()) {
          return Error(it->second, Child("sampler", key),
                       absl::StrCat("only valid with type: ", SamplerKindName(kind)));
        }
      }
    }
    if (fields.contains("seed")) {
      NASQ_ASSIGN_OR_RETURN(int64_t seed, Integer(fields["seed"], "sampler.seed"));
      if (seed < 0) return Error(fields["seed"], "sampler.seed", "must be >= 0");
      config.seed = static_cast<uint64_t>(seed);
    }
    if (fields.contains("crossover")) {
      NASQ_ASSIGN_OR_RETURN(std::string name, String(fields["crossover"], "sampler.crossover"));
      const std::optional<Nsga2Crossover> crossover = ParseNsga2Crossover(name);
      if (!crossover) {
        return Error(
            fields["crossover"], "sampler.crossover",
            absl::StrCat("expected uniform, blxalpha, sbx, vsbx, spx or undx, got \"", name, "\""));
      }
      config.nsga2.crossover = *crossover;
    }
    NASQ_RETURN_IF_ERROR(
        ReadFields<SamplerConfig>(fields, "sampler", kSamplerOptionFields, config));
    NASQ_RETURN_IF_ERROR(
        ReadFields<Nsga2Options>(fields, "sampler", kNsga2OptionFields, config.nsga2));
    return ReadFields<TpeOptions>(fields, "sampler", kTpeOptionFields, config.tpe);
  }

  // A pruner kind named by the field `key` of `fields` (at "pruner.<key>").
  absl::StatusOr<PrunerKind> PrunerKindField(Fields& fields, const std::string& key) const {
    const std::string path = Child("pruner", key);
    NASQ_ASSIGN_OR_RETURN(std::string name, String(fields[key], path));
    auto kind = ParsePrunerKind(name);
    if (!kind) {
      return Error(fields[key], path,
                   absl::StrCat("expected none, median, percentile, successive_halving, "
                                "hyperband, threshold or patient, got \"",
                                name, "\""));
    }
    return *kind;
  }

  // `pruner:` takes its kind (`type`), the options of every pruner and, directly below it, the
  // options of its kind; with type: patient also `wrapped` and the wrapped kind's options.
  absl::Status ParsePruner(const YAML::Node& node, StudySpec& spec) {
    PrunerConfig& config = spec.pruner;
    if (!node.IsMap()) return Error(node, "pruner", "expected a mapping, got " + Describe(node));
    if (const YAML::Node type = node["type"]) {
      Fields type_field{{"type", type}};
      NASQ_ASSIGN_OR_RETURN(config.kind, PrunerKindField(type_field, "type"));
    }
    if (const YAML::Node wrapped = node["wrapped"];
        wrapped && config.kind == PrunerKind::kPatient) {
      Fields wrapped_field{{"wrapped", wrapped}};
      NASQ_ASSIGN_OR_RETURN(config.wrapped, PrunerKindField(wrapped_field, "wrapped"));
    }
    std::vector<std::string> allowed = {"type"};
    if (config.kind == PrunerKind::kPatient) allowed.push_back("wrapped");
    for (std::string& key : YamlKeys<PrunerConfig>(kPrunerOptionFields)) allowed.push_back(key);
    for (PrunerKind kind : {config.kind, config.wrapped}) {
      for (const std::string& key : PrunerSectionKeys(kind)) allowed.push_back(key);
    }
    NASQ_ASSIGN_OR_RETURN(Fields fields, GetFields(node, "pruner", allowed));
    NASQ_RETURN_IF_ERROR(ReadFields<PrunerConfig>(fields, "pruner", kPrunerOptionFields, config));
    for (PrunerKind kind : {config.kind, config.wrapped}) {
      NASQ_RETURN_IF_ERROR(ReadPrunerSection(fields, kind, config));
    }
    return absl::OkStatus();
  }

  // The YAML keys of `kind`'s options (the median pruner's: not `percentile`).
  static std::vector<std::string> PrunerSectionKeys(PrunerKind kind) {
    switch (kind) {
      case PrunerKind::kMedian:
        return YamlKeys<PercentilePrunerOptions>(
            absl::MakeConstSpan(kPercentilePrunerFields).subspan(1));
      case PrunerKind::kPercentile:
        return YamlKeys<PercentilePrunerOptions>(kPercentilePrunerFields);
      case PrunerKind::kSuccessiveHalving:
        return YamlKeys<SuccessiveHalvingPrunerOptions>(kSuccessiveHalvingPrunerFields);
      case PrunerKind::kHyperband:
        return YamlKeys<HyperbandPrunerOptions>(kHyperbandPrunerFields);
      case PrunerKind::kThreshold:
        return YamlKeys<ThresholdPrunerOptions>(kThresholdPrunerFields);
      case PrunerKind::kPatient:
        return YamlKeys<PatientPrunerOptions>(kPatientPrunerFields);
      case PrunerKind::kNone:
        break;
    }
    return {};
  }

  absl::Status ReadPrunerSection(Fields& fields, PrunerKind kind, PrunerConfig& config) {
    switch (kind) {
      case PrunerKind::kMedian:
      case PrunerKind::kPercentile:
        return ReadFields<PercentilePrunerOptions>(fields, "pruner", kPercentilePrunerFields,
                                                   config.percentile);
      case PrunerKind::kSuccessiveHalving:
        return ReadFields<SuccessiveHalvingPrunerOptions>(
            fields, "pruner", kSuccessiveHalvingPrunerFields, config.successive_halving);
      case PrunerKind::kHyperband:
        return ReadFields<HyperbandPrunerOptions>(fields, "pruner", kHyperbandPrunerFields,
                                                  config.hyperband);
      case PrunerKind::kThreshold:
        return ReadFields<ThresholdPrunerOptions>(fields, "pruner", kThresholdPrunerFields,
                                                  config.threshold);
      case PrunerKind::kPatient:
        return ReadFields<PatientPrunerOptions>(fields, "pruner", kPatientPrunerFields,
                                                config.patient);
      case PrunerKind::kNone:
        break;
    }
    return absl::OkStatus();
  }

  // `budgets:` maps a metric name to {min, max}, each optional (ValidateBudgets checks the rest).
  absl::Status ParseBudgets(const YAML::Node& node, StudySpec& spec) {
    if (!node.IsMap()) return Error(node, "budgets", "expected a mapping, got " + Describe(node));
    for (const auto& kv : node) {
      const std::string metric = kv.first.IsScalar() ? kv.first.Scalar() : "";
      const std::string path = Child("budgets", metric);
      if (spec.budgets.contains(metric)) return Error(kv.first, path, "duplicate field");
      marks_[path] = kv.first.Mark();
      NASQ_ASSIGN_OR_RETURN(Fields bounds, GetFields(kv.second, path, {"min", "max"}));
      Budget& budget = spec.budgets[metric];
      for (const auto& [key, bound] :
           {std::pair{"min", &budget.min}, std::pair{"max", &budget.max}}) {
        if (auto it = bounds.find(key); it != bounds.end()) {
          NASQ_ASSIGN_OR_RETURN(*bound, Number(it->second, Child(path, key)));
        }
      }
    }
    return absl::OkStatus();
  }

  YamlErrorFn JsonErrorFn() const {
    return [this](const YAML::Node& node, const std::string& path, const std::string& message) {
      return Error(node, path, message);
    };
  }

  absl::Status ParseTask(const YAML::Node& node, StudySpec& spec) {
    if (node.IsNull()) return absl::OkStatus();
    if (!node.IsMap()) return Error(node, "task", "expected a mapping, got " + Describe(node));
    NASQ_ASSIGN_OR_RETURN(nlohmann::ordered_json task, YamlToJson(node, "task", JsonErrorFn()));
    spec.task_json = task.dump();  // YamlToJson refused invalid UTF-8, on which dump throws
    return absl::OkStatus();
  }

  absl::Status ParseUserAttrs(const YAML::Node& node, StudySpec& spec) {
    if (!node.IsMap()) {
      return Error(node, "user_attrs", "expected a mapping, got " + Describe(node));
    }
    NASQ_ASSIGN_OR_RETURN(nlohmann::ordered_json attrs,
                          YamlToJson(node, "user_attrs", JsonErrorFn()));
    for (const auto& [key, value] : attrs.items()) spec.user_attrs[key] = value.dump();
    return absl::OkStatus();
  }

  // Rewrites a core/ validation error ("space.params[2] (lr): ...", "sampler.tpe.group: ...")
  // into this file's field names and prefixes the position of the field it names.
  absl::Status Relocate(const absl::Status& status) const {
    if (status.ok()) return status;
    std::string message = RenameParamField(std::string(status.message()));
    std::vector<std::pair<std::string, std::string>> renames = {{"sampler.tpe.", "sampler."},
                                                                {"sampler.nsga2.", "sampler."},
                                                                {"pruner.kind", "pruner.type"},
                                                                {"sampler.kind", "sampler.type"},
                                                                {"metric_names", metric_field_},
                                                                {"directions", direction_field_},
                                                                {"task_json", "task"}};
    for (const Field<StudySpec>& field : kStudyLimitFields) {
      if (field.yaml_name != nullptr) renames.emplace_back(field.name, field.yaml_name);
    }
    for (PrunerKind kind : {PrunerKind::kPercentile, PrunerKind::kSuccessiveHalving,
                            PrunerKind::kHyperband, PrunerKind::kThreshold, PrunerKind::kPatient}) {
      const std::string section = absl::StrCat("pruner.", PrunerSectionName(kind));
      renames.emplace_back(section + ".", "pruner.");
      renames.emplace_back(section, "pruner");  // a rule of the whole section
    }
    for (const auto& [from, to] : renames) {
      if (message.starts_with(from)) {
        message = to + message.substr(from.size());
        break;
      }
    }
    // The longest recorded field path that prefixes the message locates it.
    YAML::Mark mark = YAML::Mark::null_mark();
    size_t best = 0;
    for (const auto& [path, field_mark] : marks_) {
      if (path.size() > best && message.starts_with(path) &&
          (message.size() == path.size() ||
           std::string_view(".:[ ").find(message[path.size()]) != std::string_view::npos)) {
        best = path.size();
        mark = field_mark;
      }
    }
    return ErrorAt(mark, "", message);
  }

  // core/ names a param "space.params[<i>] (<name>)", i in declaration order; this file calls it
  // "space.params.<name>". Plain string code: the name is unbounded user input.
  std::string RenameParamField(std::string message) const {
    constexpr std::string_view kPrefix = "space.params[";
    if (!message.starts_with(kPrefix)) return message;
    size_t index = 0;
    const char* digits = message.data() + kPrefix.size();
    const char* end = message.data() + message.size();
    const auto [after, error] = std::from_chars(digits, end, index);
    if (error != std::errc() || index >= param_names_.size()) return message;
    const std::string label = absl::StrCat("] (", param_names_[index], ")");
    const size_t rest = static_cast<size_t>(after - message.data());
    if (std::string_view(message).substr(rest, label.size()) != label) return message;
    return absl::StrCat("space.params.", param_names_[index], message.substr(rest + label.size()));
  }

  std::string source_;
  std::vector<std::string> param_names_;     // space.params keys in declaration order
  std::map<std::string, YAML::Mark> marks_;  // field path -> where its key was written
  std::string direction_field_ = "direction";
  std::string metric_field_ = "metric";
};

}  // namespace

absl::StatusOr<StudySpec> ParseStudySpecYaml(const std::string& yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (e.mark.line >= 0) absl::StrAppend(&where, ":", e.mark.line + 1, ":", e.mark.column + 1);
    return absl::InvalidArgumentError(absl::StrCat(where, ": invalid YAML: ", e.msg));
  }
  size_t visited = 0;
  NASQ_RETURN_IF_ERROR(CheckYamlSize(root, 0, visited, source));
  return SpecParser(source).Parse(root);
}

absl::StatusOr<StudySpec> LoadStudySpecFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read file"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseStudySpecYaml(text.str(), path);
}

}  // namespace nasq
