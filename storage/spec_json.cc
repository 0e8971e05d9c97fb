// storage/spec_json.cc: see spec_json.h.
#include "storage/spec_json.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace nasq {
namespace {

// Ordered so that distribution attributes come out in Optuna's order.
using Json = nlohmann::ordered_json;

absl::Status Invalid(const std::string& path, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

std::string Child(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string Element(const std::string& path, size_t i) { return absl::StrCat(path, "[", i, "]"); }

// ---- encoding -------------------------------------------------------------------------------

absl::StatusOr<Json> FiniteDouble(double v, const std::string& path) {
  if (!std::isfinite(v)) return Invalid(path, "non-finite float has no JSON form");
  return Json(v);
}

absl::StatusOr<Json> ParamValueToJson(const ParamValue& v, const std::string& path) {
  if (const double* d = std::get_if<double>(&v)) return FiniteDouble(*d, path);
  return std::visit([](const auto& x) { return Json(x); }, v);
}

absl::StatusOr<Json> ParamValuesToJson(const std::vector<ParamValue>& values,
                                       const std::string& path) {
  Json out = Json::array();
  for (size_t i = 0; i < values.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(Json v, ParamValueToJson(values[i], Element(path, i)));
    out.push_back(std::move(v));
  }
  return out;
}

absl::StatusOr<Json> DistributionToJsonValue(const Distribution& d, const std::string& path) {
  Json out;
  Json attributes = Json::object();
  if (const auto* f = std::get_if<FloatDistribution>(&d)) {
    out["name"] = "FloatDistribution";
    attributes["step"] = f->step ? Json(*f->step) : Json(nullptr);
    attributes["low"] = f->low;
    attributes["high"] = f->high;
    attributes["log"] = f->log;
  } else if (const auto* i = std::get_if<IntDistribution>(&d)) {
    out["name"] = "IntDistribution";
    attributes["log"] = i->log;
    attributes["step"] = i->step;
    attributes["low"] = i->low;
    attributes["high"] = i->high;
  } else {
    out["name"] = "CategoricalDistribution";
    NASQ_ASSIGN_OR_RETURN(attributes["choices"],
                          ParamValuesToJson(std::get<CategoricalDistribution>(d).choices,
                                            Child(Child(path, "attributes"), "choices")));
  }
  // Float bounds are validated finite; a malformed distribution still must not emit null.
  for (const auto& [key, value] : attributes.items()) {
    if (value.is_number_float() && !std::isfinite(value.get<double>())) {
      return Invalid(Child(Child(path, "attributes"), key), "non-finite float has no JSON form");
    }
  }
  out["attributes"] = std::move(attributes);
  return out;
}

absl::StatusOr<Json> SpaceToJson(const SearchSpace& space) {
  Json params = Json::array();
  for (size_t i = 0; i < space.params().size(); ++i) {
    const ParamSpec& p = space.params()[i];
    const std::string path = Element("space.params", i);
    Json conditions = Json::array();
    for (size_t c = 0; c < p.conditions.size(); ++c) {
      const Condition& cond = p.conditions[c];
      NASQ_ASSIGN_OR_RETURN(
          Json values,
          ParamValuesToJson(cond.values, Child(Element(Child(path, "conditions"), c), "values")));
      conditions.push_back(
          Json{{"parent", cond.parent}, {"op", CompareOpName(cond.op)}, {"values", values}});
    }
    NASQ_ASSIGN_OR_RETURN(Json distribution,
                          DistributionToJsonValue(p.distribution, Child(path, "distribution")));
    params.push_back(
        Json{{"name", p.name}, {"distribution", distribution}, {"conditions", conditions}});
  }
  Json constraints = Json::array();
  for (size_t i = 0; i < space.constraints().size(); ++i) {
    const Constraint& c = space.constraints()[i];
    NASQ_ASSIGN_OR_RETURN(Json offset,
                          FiniteDouble(c.offset, Child(Element("space.constraints", i), "offset")));
    constraints.push_back(
        Json{{"lhs", c.lhs}, {"op", CompareOpName(c.op)}, {"rhs", c.rhs}, {"offset", offset}});
  }
  return Json{{"params", params}, {"constraints", constraints}};
}

Json SamplerToJson(const SamplerConfig& s) {
  const TpeOptions& t = s.tpe;
  return Json{{"kind", SamplerKindName(s.kind)},
              {"seed", s.seed},
              {"max_constraint_retries", s.max_constraint_retries},
              {"skip_duplicates", s.skip_duplicates},
              {"tpe",
               {{"n_startup_trials", t.n_startup_trials},
                {"n_ei_candidates", t.n_ei_candidates},
                {"prior_weight", t.prior_weight},
                {"consider_magic_clip", t.consider_magic_clip},
                {"consider_endpoints", t.consider_endpoints},
                {"multivariate", t.multivariate},
                {"group", t.group},
                {"constant_liar", t.constant_liar}}}};
}

// ---- decoding -------------------------------------------------------------------------------

// Reads typed members of one JSON object, naming the full path of whatever is wrong.
class ObjectReader {
 public:
  static absl::StatusOr<ObjectReader> Of(const Json& value, std::string path) {
    if (!value.is_object()) return Invalid(path, "expected a JSON object");
    return ObjectReader(value, std::move(path));
  }

  const std::string& path() const { return path_; }
  const Json& value() const { return *object_; }

  absl::StatusOr<const Json*> Member(absl::string_view key) const {
    auto it = object_->find(key);
    if (it == object_->end()) return Invalid(Child(path_, key), "missing");
    return &*it;
  }

  template <class T>
  absl::StatusOr<T> Get(absl::string_view key) const {
    NASQ_ASSIGN_OR_RETURN(const Json* v, Member(key));
    return Convert<T>(*v, Child(path_, key));
  }

  // Like Get, but `fallback` when `key` is absent: for fields added after specs were first
  // stored, which older databases lack.
  template <class T>
  absl::StatusOr<T> GetOr(absl::string_view key, T fallback) const {
    if (!object_->contains(key)) return fallback;
    return Get<T>(key);
  }

  absl::StatusOr<ObjectReader> Object(absl::string_view key) const {
    NASQ_ASSIGN_OR_RETURN(const Json* v, Member(key));
    return Of(*v, Child(path_, key));
  }

  absl::StatusOr<const Json*> Array(absl::string_view key) const {
    NASQ_ASSIGN_OR_RETURN(const Json* v, Member(key));
    if (!v->is_array()) return Invalid(Child(path_, key), "expected a JSON array");
    return v;
  }

  template <class T>
  static absl::StatusOr<T> Convert(const Json& v, const std::string& path) {
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) return Invalid(path, "expected true or false");
      return v.get<bool>();
    } else if constexpr (std::is_same_v<T, double>) {
      if (!v.is_number()) return Invalid(path, "expected a number");
      return v.get<double>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) return Invalid(path, "expected a string");
      return v.get<std::string>();
    } else if constexpr (std::is_same_v<T, uint64_t>) {
      if (v.is_number_unsigned()) return v.get<uint64_t>();
      return Invalid(path, "expected a non-negative integer");
    } else {
      static_assert(std::is_integral_v<T> && std::is_signed_v<T>);
      constexpr int64_t kMin = std::numeric_limits<T>::min();
      constexpr int64_t kMax = std::numeric_limits<T>::max();
      const bool in_range =
          v.is_number_unsigned()
              ? v.get<uint64_t>() <= static_cast<uint64_t>(kMax)
              : v.is_number_integer() && v.get<int64_t>() >= kMin && v.get<int64_t>() <= kMax;
      if (!in_range) {
        return Invalid(path, absl::StrCat("expected an integer in [", kMin, ", ", kMax, "]"));
      }
      return static_cast<T>(v.get<int64_t>());
    }
  }

 private:
  ObjectReader(const Json& object, std::string path) : object_(&object), path_(std::move(path)) {}

  const Json* object_;
  std::string path_;
};

absl::StatusOr<ParamValue> ParamValueFromJson(const Json& v, const std::string& path) {
  if (v.is_boolean()) return ParamValue(v.get<bool>());
  if (v.is_number_float()) return ParamValue(v.get<double>());
  if (v.is_number_integer()) {
    NASQ_ASSIGN_OR_RETURN(int64_t i, ObjectReader::Convert<int64_t>(v, path));
    return ParamValue(i);
  }
  if (v.is_string()) return ParamValue(v.get<std::string>());
  return Invalid(path, "expected a bool, number or string");
}

absl::StatusOr<std::vector<ParamValue>> ParamValuesFromJson(const Json& array,
                                                            const std::string& path) {
  std::vector<ParamValue> out;
  for (size_t i = 0; i < array.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(ParamValue v, ParamValueFromJson(array[i], Element(path, i)));
    out.push_back(std::move(v));
  }
  return out;
}

absl::StatusOr<Distribution> DistributionFromJsonValue(const Json& value, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(ObjectReader top, ObjectReader::Of(value, path));
  NASQ_ASSIGN_OR_RETURN(std::string name, top.Get<std::string>("name"));
  NASQ_ASSIGN_OR_RETURN(ObjectReader attrs, top.Object("attributes"));
  Distribution d;
  if (name == "FloatDistribution") {
    FloatDistribution f;
    NASQ_ASSIGN_OR_RETURN(f.low, attrs.Get<double>("low"));
    NASQ_ASSIGN_OR_RETURN(f.high, attrs.Get<double>("high"));
    NASQ_ASSIGN_OR_RETURN(f.log, attrs.Get<bool>("log"));
    NASQ_ASSIGN_OR_RETURN(const Json* step, attrs.Member("step"));
    if (!step->is_null()) {
      NASQ_ASSIGN_OR_RETURN(f.step, attrs.Get<double>("step"));
    }
    d = f;
  } else if (name == "IntDistribution") {
    IntDistribution i;
    NASQ_ASSIGN_OR_RETURN(i.low, attrs.Get<int64_t>("low"));
    NASQ_ASSIGN_OR_RETURN(i.high, attrs.Get<int64_t>("high"));
    NASQ_ASSIGN_OR_RETURN(i.log, attrs.Get<bool>("log"));
    NASQ_ASSIGN_OR_RETURN(i.step, attrs.Get<int64_t>("step"));
    d = i;
  } else if (name == "CategoricalDistribution") {
    NASQ_ASSIGN_OR_RETURN(const Json* choices, attrs.Array("choices"));
    NASQ_ASSIGN_OR_RETURN(auto values,
                          ParamValuesFromJson(*choices, Child(attrs.path(), "choices")));
    d = CategoricalDistribution{std::move(values)};
  } else {
    return Invalid(Child(path, "name"),
                   absl::StrCat("unknown distribution \"", name,
                                "\" (expected FloatDistribution, IntDistribution or "
                                "CategoricalDistribution)"));
  }
  NASQ_RETURN_IF_ERROR(ValidateDistribution(d, path));
  return d;
}

absl::StatusOr<CompareOp> OpFromJson(const ObjectReader& r) {
  NASQ_ASSIGN_OR_RETURN(std::string text, r.Get<std::string>("op"));
  std::optional<CompareOp> op = ParseCompareOp(text);
  if (!op) return Invalid(Child(r.path(), "op"), absl::StrCat("unknown operator \"", text, "\""));
  return *op;
}

absl::StatusOr<ParamSpec> ParamSpecFromJson(const Json& value, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Of(value, path));
  ParamSpec p;
  NASQ_ASSIGN_OR_RETURN(p.name, r.Get<std::string>("name"));
  NASQ_ASSIGN_OR_RETURN(const Json* distribution, r.Member("distribution"));
  NASQ_ASSIGN_OR_RETURN(p.distribution,
                        DistributionFromJsonValue(*distribution, Child(path, "distribution")));
  NASQ_ASSIGN_OR_RETURN(const Json* conditions, r.Array("conditions"));
  for (size_t i = 0; i < conditions->size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(
        ObjectReader c, ObjectReader::Of((*conditions)[i], Element(Child(path, "conditions"), i)));
    Condition cond;
    NASQ_ASSIGN_OR_RETURN(cond.parent, c.Get<std::string>("parent"));
    NASQ_ASSIGN_OR_RETURN(cond.op, OpFromJson(c));
    NASQ_ASSIGN_OR_RETURN(const Json* values, c.Array("values"));
    NASQ_ASSIGN_OR_RETURN(cond.values, ParamValuesFromJson(*values, Child(c.path(), "values")));
    p.conditions.push_back(std::move(cond));
  }
  return p;
}

absl::StatusOr<SearchSpace> SpaceFromJson(const ObjectReader& r) {
  std::vector<ParamSpec> params;
  NASQ_ASSIGN_OR_RETURN(const Json* params_json, r.Array("params"));
  for (size_t i = 0; i < params_json->size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(ParamSpec p,
                          ParamSpecFromJson((*params_json)[i], Element("space.params", i)));
    params.push_back(std::move(p));
  }
  std::vector<Constraint> constraints;
  NASQ_ASSIGN_OR_RETURN(const Json* constraints_json, r.Array("constraints"));
  for (size_t i = 0; i < constraints_json->size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(
        ObjectReader c, ObjectReader::Of((*constraints_json)[i], Element("space.constraints", i)));
    Constraint constraint;
    NASQ_ASSIGN_OR_RETURN(constraint.lhs, c.Get<std::string>("lhs"));
    NASQ_ASSIGN_OR_RETURN(constraint.op, OpFromJson(c));
    NASQ_ASSIGN_OR_RETURN(constraint.rhs, c.Get<std::string>("rhs"));
    NASQ_ASSIGN_OR_RETURN(constraint.offset, c.Get<double>("offset"));
    constraints.push_back(std::move(constraint));
  }
  return SearchSpace::Create(std::move(params), std::move(constraints));
}

absl::StatusOr<SamplerConfig> SamplerFromJson(const ObjectReader& r) {
  SamplerConfig s;
  NASQ_ASSIGN_OR_RETURN(std::string kind, r.Get<std::string>("kind"));
  std::optional<SamplerKind> parsed = ParseSamplerKind(kind);
  if (!parsed)
    return Invalid(Child(r.path(), "kind"), absl::StrCat("unknown sampler \"", kind, "\""));
  s.kind = *parsed;
  NASQ_ASSIGN_OR_RETURN(s.seed, r.Get<uint64_t>("seed"));
  NASQ_ASSIGN_OR_RETURN(s.max_constraint_retries, r.Get<int>("max_constraint_retries"));
  NASQ_ASSIGN_OR_RETURN(s.skip_duplicates, r.GetOr<bool>("skip_duplicates", false));
  NASQ_ASSIGN_OR_RETURN(ObjectReader t, r.Object("tpe"));
  NASQ_ASSIGN_OR_RETURN(s.tpe.n_startup_trials, t.Get<int>("n_startup_trials"));
  NASQ_ASSIGN_OR_RETURN(s.tpe.n_ei_candidates, t.Get<int>("n_ei_candidates"));
  NASQ_ASSIGN_OR_RETURN(s.tpe.prior_weight, t.Get<double>("prior_weight"));
  NASQ_ASSIGN_OR_RETURN(s.tpe.consider_magic_clip, t.Get<bool>("consider_magic_clip"));
  NASQ_ASSIGN_OR_RETURN(s.tpe.consider_endpoints, t.Get<bool>("consider_endpoints"));
  NASQ_ASSIGN_OR_RETURN(s.tpe.multivariate, t.Get<bool>("multivariate"));
  NASQ_ASSIGN_OR_RETURN(s.tpe.group, t.Get<bool>("group"));
  NASQ_ASSIGN_OR_RETURN(s.tpe.constant_liar, t.Get<bool>("constant_liar"));
  return s;
}

absl::StatusOr<Json> Parse(absl::string_view text, absl::string_view what) {
  Json j = Json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not valid JSON"));
  }
  return j;
}

}  // namespace

absl::StatusOr<std::string> DistributionToJson(const Distribution& d) {
  NASQ_ASSIGN_OR_RETURN(Json j, DistributionToJsonValue(d, "distribution"));
  return j.dump();
}

absl::StatusOr<Distribution> DistributionFromJson(absl::string_view json_text) {
  NASQ_ASSIGN_OR_RETURN(Json j, Parse(json_text, "distribution"));
  return DistributionFromJsonValue(j, "distribution");
}

absl::StatusOr<std::string> StudySpecToJson(const StudySpec& spec) {
  Json directions = Json::array();
  for (StudyDirection d : spec.directions) directions.push_back(StudyDirectionName(d));
  NASQ_ASSIGN_OR_RETURN(Json space, SpaceToJson(spec.space));
  Json j{{"name", spec.name},
         {"directions", directions},
         {"metric_names", spec.metric_names},
         {"space", std::move(space)},
         {"sampler", SamplerToJson(spec.sampler)},
         {"max_trials", spec.max_trials},
         {"max_retries", spec.max_retries},
         {"max_consecutive_failures", spec.max_consecutive_failures},
         {"lease_duration_ms", spec.lease_duration_ms},
         {"heartbeat_interval_ms", spec.heartbeat_interval_ms},
         {"task_json", spec.task_json},
         {"user_attrs", spec.user_attrs}};
  return j.dump();
}

absl::StatusOr<StudySpec> StudySpecFromJson(absl::string_view json_text) {
  NASQ_ASSIGN_OR_RETURN(Json j, Parse(json_text, "study spec"));
  NASQ_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::Of(j, ""));
  StudySpec spec;
  NASQ_ASSIGN_OR_RETURN(spec.name, r.Get<std::string>("name"));
  NASQ_ASSIGN_OR_RETURN(const Json* directions, r.Array("directions"));
  for (size_t i = 0; i < directions->size(); ++i) {
    const std::string path = Element("directions", i);
    NASQ_ASSIGN_OR_RETURN(std::string name,
                          ObjectReader::Convert<std::string>((*directions)[i], path));
    std::optional<StudyDirection> d = ParseStudyDirection(name);
    if (!d) return Invalid(path, absl::StrCat("unknown direction \"", name, "\""));
    spec.directions.push_back(*d);
  }
  NASQ_ASSIGN_OR_RETURN(const Json* metric_names, r.Array("metric_names"));
  for (size_t i = 0; i < metric_names->size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(std::string name, ObjectReader::Convert<std::string>(
                                                (*metric_names)[i], Element("metric_names", i)));
    spec.metric_names.push_back(std::move(name));
  }
  NASQ_ASSIGN_OR_RETURN(ObjectReader space, r.Object("space"));
  NASQ_ASSIGN_OR_RETURN(spec.space, SpaceFromJson(space));
  NASQ_ASSIGN_OR_RETURN(ObjectReader sampler, r.Object("sampler"));
  NASQ_ASSIGN_OR_RETURN(spec.sampler, SamplerFromJson(sampler));
  NASQ_ASSIGN_OR_RETURN(spec.max_trials, r.Get<int64_t>("max_trials"));
  NASQ_ASSIGN_OR_RETURN(spec.max_retries, r.Get<int>("max_retries"));
  // Specs stored before the field existed get the default.
  NASQ_ASSIGN_OR_RETURN(spec.max_consecutive_failures,
                        r.GetOr<int>("max_consecutive_failures",
                                     StudySpec().max_consecutive_failures));
  NASQ_ASSIGN_OR_RETURN(spec.lease_duration_ms, r.Get<int64_t>("lease_duration_ms"));
  NASQ_ASSIGN_OR_RETURN(spec.heartbeat_interval_ms, r.Get<int64_t>("heartbeat_interval_ms"));
  NASQ_ASSIGN_OR_RETURN(spec.task_json, r.Get<std::string>("task_json"));
  NASQ_ASSIGN_OR_RETURN(ObjectReader attrs, r.Object("user_attrs"));
  for (const auto& [key, value] : attrs.value().items()) {
    NASQ_ASSIGN_OR_RETURN(spec.user_attrs[key],
                          ObjectReader::Convert<std::string>(value, Child(attrs.path(), key)));
  }
  return spec;
}

}  // namespace nasq
