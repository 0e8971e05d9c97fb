// spec/spec_json.cc: see spec_json.h.
#include "spec/spec_json.h"

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "spec/strict_json.h"

namespace nasq {
namespace {

// Json (spec/strict_json.h) is ordered, so distribution attributes come out in Optuna's order.

// ---- encoding -------------------------------------------------------------------------------

absl::StatusOr<Json> FiniteDouble(double v, const std::string& path) {
  if (!std::isfinite(v)) return JsonFieldError(path, "non-finite float has no JSON form");
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
    NASQ_ASSIGN_OR_RETURN(Json v, ParamValueToJson(values[i], JsonElement(path, i)));
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
                                            JsonChild(JsonChild(path, "attributes"), "choices")));
  }
  // Float bounds are validated finite; a malformed distribution still must not emit null.
  for (const auto& [key, value] : attributes.items()) {
    if (value.is_number_float() && !std::isfinite(value.get<double>())) {
      return JsonFieldError(JsonChild(JsonChild(path, "attributes"), key),
                            "non-finite float has no JSON form");
    }
  }
  out["attributes"] = std::move(attributes);
  return out;
}

absl::StatusOr<Json> SpaceToJson(const SearchSpace& space) {
  Json params = Json::array();
  for (size_t i = 0; i < space.params().size(); ++i) {
    const ParamSpec& p = space.params()[i];
    const std::string path = JsonElement("space.params", i);
    Json conditions = Json::array();
    for (size_t c = 0; c < p.conditions.size(); ++c) {
      const Condition& cond = p.conditions[c];
      const std::string cond_path = JsonElement(JsonChild(path, "conditions"), c);
      NASQ_ASSIGN_OR_RETURN(Json values,
                            ParamValuesToJson(cond.values, JsonChild(cond_path, "values")));
      conditions.push_back(
          Json{{"parent", cond.parent}, {"op", CompareOpName(cond.op)}, {"values", values}});
    }
    NASQ_ASSIGN_OR_RETURN(Json distribution,
                          DistributionToJsonValue(p.distribution, JsonChild(path, "distribution")));
    params.push_back(
        Json{{"name", p.name}, {"distribution", distribution}, {"conditions", conditions}});
  }
  Json constraints = Json::array();
  for (size_t i = 0; i < space.constraints().size(); ++i) {
    const Constraint& c = space.constraints()[i];
    const std::string path = JsonElement("space.constraints", i);
    NASQ_ASSIGN_OR_RETURN(Json offset, FiniteDouble(c.offset, JsonChild(path, "offset")));
    constraints.push_back(
        Json{{"lhs", c.lhs}, {"op", CompareOpName(c.op)}, {"rhs", c.rhs}, {"offset", offset}});
  }
  return Json{{"params", params}, {"constraints", constraints}};
}

Json SamplerToJson(const SamplerConfig& s) {
  Json tpe = Json::object();
  WriteFields(s.tpe, kTpeOptionFields, tpe);
  Json out{{"kind", SamplerKindName(s.kind)}, {"seed", s.seed}};
  WriteFields(s, kSamplerOptionFields, out);
  out["tpe"] = std::move(tpe);
  Json nsga2{{"crossover", Nsga2CrossoverName(s.nsga2.crossover)}};
  WriteFields(s.nsga2, kNsga2OptionFields, nsga2);
  out["nsga2"] = std::move(nsga2);
  return out;
}

// The described fields of `s` into `out`, leaving out infinite doubles (JSON has none): the
// only infinite option values are the threshold pruner's "no bound" defaults, which the reader
// restores by leaving them out too.
template <typename S>
void WriteFiniteFields(const S& s, absl::Span<const Field<S>> fields, Json& out) {
  WriteFields(s, fields, out);
  for (const Field<S>& field : fields) {
    const FieldValue value = GetField(s, field);
    if (const double* d = std::get_if<double>(&value); d != nullptr && std::isinf(*d)) {
      out.erase(field.name);
    }
  }
}

Json PrunerToJson(const PrunerConfig& p) {
  Json out{{"kind", PrunerKindName(p.kind)}, {"wrapped", PrunerKindName(p.wrapped)}};
  WriteFields(p, kPrunerOptionFields, out);
  const auto section = [&](PrunerKind kind, const auto& options, const auto& fields) {
    Json j = Json::object();
    WriteFiniteFields(options, absl::MakeConstSpan(fields), j);
    out[PrunerSectionName(kind)] = std::move(j);
  };
  section(PrunerKind::kPercentile, p.percentile, kPercentilePrunerFields);
  section(PrunerKind::kSuccessiveHalving, p.successive_halving, kSuccessiveHalvingPrunerFields);
  section(PrunerKind::kHyperband, p.hyperband, kHyperbandPrunerFields);
  section(PrunerKind::kThreshold, p.threshold, kThresholdPrunerFields);
  section(PrunerKind::kPatient, p.patient, kPatientPrunerFields);
  return out;
}

// ---- decoding -------------------------------------------------------------------------------

absl::StatusOr<ParamValue> ParamValueFromJson(const Json& v, const std::string& path) {
  if (v.is_boolean()) return ParamValue(v.get<bool>());
  if (v.is_number_float()) return ParamValue(v.get<double>());
  if (v.is_number_integer()) {
    NASQ_ASSIGN_OR_RETURN(int64_t i, JsonAs<int64_t>(v, path));
    return ParamValue(i);
  }
  if (v.is_string()) return ParamValue(v.get<std::string>());
  return JsonFieldError(path, "expected a bool, number or string");
}

absl::StatusOr<std::vector<ParamValue>> ParamValuesFromJson(const Json& array,
                                                            const std::string& path) {
  std::vector<ParamValue> out;
  for (size_t i = 0; i < array.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(ParamValue v, ParamValueFromJson(array[i], JsonElement(path, i)));
    out.push_back(std::move(v));
  }
  return out;
}

absl::StatusOr<Distribution> DistributionFromJsonValue(const Json& value, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(JsonObjectReader top, JsonObjectReader::Of(value, path));
  NASQ_ASSIGN_OR_RETURN(std::string name, top.Get<std::string>("name"));
  NASQ_ASSIGN_OR_RETURN(JsonObjectReader attrs, top.Object("attributes"));
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
                          ParamValuesFromJson(*choices, JsonChild(attrs.path(), "choices")));
    d = CategoricalDistribution{std::move(values)};
  } else {
    return JsonFieldError(JsonChild(path, "name"),
                          absl::StrCat("unknown distribution \"", name,
                                       "\" (expected FloatDistribution, IntDistribution or "
                                       "CategoricalDistribution)"));
  }
  NASQ_RETURN_IF_ERROR(ValidateDistribution(d, path));
  return d;
}

absl::StatusOr<CompareOp> OpFromJson(const JsonObjectReader& r) {
  NASQ_ASSIGN_OR_RETURN(std::string text, r.Get<std::string>("op"));
  std::optional<CompareOp> op = ParseCompareOp(text);
  if (!op) {
    return JsonFieldError(JsonChild(r.path(), "op"),
                          absl::StrCat("unknown operator \"", text, "\""));
  }
  return *op;
}

absl::StatusOr<ParamSpec> ParamSpecFromJson(const Json& value, const std::string& path) {
  NASQ_ASSIGN_OR_RETURN(JsonObjectReader r, JsonObjectReader::Of(value, path));
  ParamSpec p;
  NASQ_ASSIGN_OR_RETURN(p.name, r.Get<std::string>("name"));
  NASQ_ASSIGN_OR_RETURN(const Json* distribution, r.Member("distribution"));
  NASQ_ASSIGN_OR_RETURN(p.distribution,
                        DistributionFromJsonValue(*distribution, JsonChild(path, "distribution")));
  NASQ_ASSIGN_OR_RETURN(const Json* conditions, r.Array("conditions"));
  for (size_t i = 0; i < conditions->size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(
        JsonObjectReader c,
        JsonObjectReader::Of((*conditions)[i], JsonElement(JsonChild(path, "conditions"), i)));
    Condition cond;
    NASQ_ASSIGN_OR_RETURN(cond.parent, c.Get<std::string>("parent"));
    NASQ_ASSIGN_OR_RETURN(cond.op, OpFromJson(c));
    NASQ_ASSIGN_OR_RETURN(const Json* values, c.Array("values"));
    NASQ_ASSIGN_OR_RETURN(cond.values, ParamValuesFromJson(*values, JsonChild(c.path(), "values")));
    p.conditions.push_back(std::move(cond));
  }
  return p;
}

absl::StatusOr<SearchSpace> SpaceFromJson(const JsonObjectReader& r) {
  std::vector<ParamSpec> params;
  NASQ_ASSIGN_OR_RETURN(const Json* params_json, r.Array("params"));
  for (size_t i = 0; i < params_json->size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(ParamSpec p,
                          ParamSpecFromJson((*params_json)[i], JsonElement("space.params", i)));
    params.push_back(std::move(p));
  }
  std::vector<Constraint> constraints;
  NASQ_ASSIGN_OR_RETURN(const Json* constraints_json, r.Array("constraints"));
  for (size_t i = 0; i < constraints_json->size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(
        JsonObjectReader c,
        JsonObjectReader::Of((*constraints_json)[i], JsonElement("space.constraints", i)));
    Constraint constraint;
    NASQ_ASSIGN_OR_RETURN(constraint.lhs, c.Get<std::string>("lhs"));
    NASQ_ASSIGN_OR_RETURN(constraint.op, OpFromJson(c));
    NASQ_ASSIGN_OR_RETURN(constraint.rhs, c.Get<std::string>("rhs"));
    NASQ_ASSIGN_OR_RETURN(constraint.offset, c.Get<double>("offset"));
    constraints.push_back(std::move(constraint));
  }
  return SearchSpace::Create(std::move(params), std::move(constraints));
}

absl::StatusOr<SamplerConfig> SamplerFromJson(const JsonObjectReader& r) {
  SamplerConfig s;
  NASQ_ASSIGN_OR_RETURN(std::string kind, r.Get<std::string>("kind"));
  std::optional<SamplerKind> parsed = ParseSamplerKind(kind);
  if (!parsed) {
    return JsonFieldError(JsonChild(r.path(), "kind"),
                          absl::StrCat("unknown sampler \"", kind, "\""));
  }
  s.kind = *parsed;
  NASQ_ASSIGN_OR_RETURN(s.seed, r.Get<uint64_t>("seed"));
  NASQ_RETURN_IF_ERROR(r.ReadFields(kSamplerOptionFields, s));
  NASQ_ASSIGN_OR_RETURN(JsonObjectReader t, r.Object("tpe"));
  NASQ_RETURN_IF_ERROR(t.ReadFields(kTpeOptionFields, s.tpe));
  // Optional: studies stored before NSGA-II have no "nsga2".
  if (r.Find("nsga2") != nullptr) {
    NASQ_ASSIGN_OR_RETURN(JsonObjectReader n, r.Object("nsga2"));
    std::string crossover = Nsga2CrossoverName(s.nsga2.crossover);
    NASQ_RETURN_IF_ERROR(n.Read("crossover", &crossover));
    const std::optional<Nsga2Crossover> parsed = ParseNsga2Crossover(crossover);
    if (!parsed) {
      return JsonFieldError(JsonChild(n.path(), "crossover"),
                            absl::StrCat("unknown crossover \"", crossover, "\""));
    }
    s.nsga2.crossover = *parsed;
    NASQ_RETURN_IF_ERROR(n.ReadFields(kNsga2OptionFields, s.nsga2));
  }
  return s;
}

// Reads the pruner kind `key` into `*kind`; an absent key leaves it unchanged.
absl::Status ReadPrunerKind(const JsonObjectReader& r, absl::string_view key, PrunerKind* kind) {
  std::string name = PrunerKindName(*kind);
  NASQ_RETURN_IF_ERROR(r.Read(key, &name));
  std::optional<PrunerKind> parsed = ParsePrunerKind(name);
  if (!parsed) {
    return JsonFieldError(JsonChild(r.path(), key), absl::StrCat("unknown pruner \"", name, "\""));
  }
  *kind = *parsed;
  return absl::OkStatus();
}

// Every member is optional (studies stored before pruners have none: kind none).
absl::StatusOr<PrunerConfig> PrunerFromJson(const JsonObjectReader& r) {
  PrunerConfig p;
  NASQ_RETURN_IF_ERROR(ReadPrunerKind(r, "kind", &p.kind));
  NASQ_RETURN_IF_ERROR(ReadPrunerKind(r, "wrapped", &p.wrapped));
  NASQ_RETURN_IF_ERROR(r.ReadFields(kPrunerOptionFields, p));
  const auto section = [&](PrunerKind kind, auto& options, const auto& fields) -> absl::Status {
    if (r.Find(PrunerSectionName(kind)) == nullptr) return absl::OkStatus();
    NASQ_ASSIGN_OR_RETURN(JsonObjectReader s, r.Object(PrunerSectionName(kind)));
    return s.ReadFields(absl::MakeConstSpan(fields), options);
  };
  NASQ_RETURN_IF_ERROR(section(PrunerKind::kPercentile, p.percentile, kPercentilePrunerFields));
  NASQ_RETURN_IF_ERROR(section(PrunerKind::kSuccessiveHalving, p.successive_halving,
                               kSuccessiveHalvingPrunerFields));
  NASQ_RETURN_IF_ERROR(section(PrunerKind::kHyperband, p.hyperband, kHyperbandPrunerFields));
  NASQ_RETURN_IF_ERROR(section(PrunerKind::kThreshold, p.threshold, kThresholdPrunerFields));
  NASQ_RETURN_IF_ERROR(section(PrunerKind::kPatient, p.patient, kPatientPrunerFields));
  return p;
}

// {"<metric>": {"min": x, "max": y}} with only the bounds that are set.
absl::StatusOr<Json> BudgetsToJson(const Budgets& budgets) {
  Json out = Json::object();
  for (const auto& [metric, budget] : budgets) {
    const std::string path = JsonChild("budgets", metric);
    Json bounds = Json::object();
    for (const auto& [key, bound] : {std::pair{"min", budget.min}, std::pair{"max", budget.max}}) {
      if (bound) {
        NASQ_ASSIGN_OR_RETURN(bounds[key], FiniteDouble(*bound, JsonChild(path, key)));
      }
    }
    out[metric] = std::move(bounds);
  }
  return out;
}

absl::StatusOr<Budgets> BudgetsFromJson(const JsonObjectReader& r) {
  Budgets budgets;
  for (const auto& [metric, value] : r.value().items()) {
    NASQ_ASSIGN_OR_RETURN(JsonObjectReader bounds,
                          JsonObjectReader::Of(value, JsonChild(r.path(), metric)));
    Budget& budget = budgets[metric];
    for (const auto& [key, bound] :
         {std::pair{"min", &budget.min}, std::pair{"max", &budget.max}}) {
      if (bounds.Find(key) != nullptr) {
        NASQ_ASSIGN_OR_RETURN(*bound, bounds.Get<double>(key));
      }
    }
  }
  return budgets;
}

}  // namespace

absl::StatusOr<std::string> DistributionToJson(const Distribution& d) {
  NASQ_ASSIGN_OR_RETURN(Json j, DistributionToJsonValue(d, "distribution"));
  return j.dump();
}

absl::StatusOr<Distribution> DistributionFromJson(absl::string_view json_text) {
  NASQ_ASSIGN_OR_RETURN(Json j, ParseJson(json_text, "distribution"));
  return DistributionFromJsonValue(j, "distribution");
}

absl::StatusOr<std::string> StudySpecToJson(const StudySpec& spec) {
  Json directions = Json::array();
  for (StudyDirection d : spec.directions) directions.push_back(StudyDirectionName(d));
  Json reference_point = Json::array();
  for (size_t i = 0; i < spec.reference_point.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(reference_point.emplace_back(),
                          FiniteDouble(spec.reference_point[i], JsonElement("reference_point", i)));
  }
  NASQ_ASSIGN_OR_RETURN(Json space, SpaceToJson(spec.space));
  Json j{{"name", spec.name},
         {"directions", directions},
         {"metric_names", spec.metric_names},
         {"reference_point", std::move(reference_point)},
         {"space", std::move(space)},
         {"sampler", SamplerToJson(spec.sampler)},
         {"pruner", PrunerToJson(spec.pruner)}};
  if (!spec.budgets.empty()) {
    NASQ_ASSIGN_OR_RETURN(j["budgets"], BudgetsToJson(spec.budgets));
  }
  WriteFields(spec, kStudyLimitFields, j);
  j["task_json"] = spec.task_json;
  j["user_attrs"] = spec.user_attrs;
  return j.dump();
}

absl::StatusOr<StudySpec> StudySpecFromJson(absl::string_view json_text) {
  NASQ_ASSIGN_OR_RETURN(Json j, ParseJson(json_text, "study spec"));
  NASQ_ASSIGN_OR_RETURN(JsonObjectReader r, JsonObjectReader::Of(j, ""));
  StudySpec spec;
  NASQ_ASSIGN_OR_RETURN(spec.name, r.Get<std::string>("name"));
  NASQ_ASSIGN_OR_RETURN(const Json* directions, r.Array("directions"));
  for (size_t i = 0; i < directions->size(); ++i) {
    const std::string path = JsonElement("directions", i);
    NASQ_ASSIGN_OR_RETURN(std::string name, JsonAs<std::string>((*directions)[i], path));
    std::optional<StudyDirection> d = ParseStudyDirection(name);
    if (!d) return JsonFieldError(path, absl::StrCat("unknown direction \"", name, "\""));
    spec.directions.push_back(*d);
  }
  NASQ_ASSIGN_OR_RETURN(const Json* metric_names, r.Array("metric_names"));
  for (size_t i = 0; i < metric_names->size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(std::string name,
                          JsonAs<std::string>((*metric_names)[i], JsonElement("metric_names", i)));
    spec.metric_names.push_back(std::move(name));
  }
  // Optional: studies stored before reference points have none.
  if (r.Find("reference_point") != nullptr) {
    NASQ_ASSIGN_OR_RETURN(const Json* reference_point, r.Array("reference_point"));
    for (size_t i = 0; i < reference_point->size(); ++i) {
      NASQ_ASSIGN_OR_RETURN(
          spec.reference_point.emplace_back(),
          JsonAs<double>((*reference_point)[i], JsonElement("reference_point", i)));
    }
  }
  NASQ_ASSIGN_OR_RETURN(JsonObjectReader space, r.Object("space"));
  NASQ_ASSIGN_OR_RETURN(spec.space, SpaceFromJson(space));
  NASQ_ASSIGN_OR_RETURN(JsonObjectReader sampler, r.Object("sampler"));
  NASQ_ASSIGN_OR_RETURN(spec.sampler, SamplerFromJson(sampler));
  if (r.Find("pruner") != nullptr) {
    NASQ_ASSIGN_OR_RETURN(JsonObjectReader pruner, r.Object("pruner"));
    NASQ_ASSIGN_OR_RETURN(spec.pruner, PrunerFromJson(pruner));
  }
  if (r.Find("budgets") != nullptr) {  // absent in specs stored before budgets
    NASQ_ASSIGN_OR_RETURN(JsonObjectReader budgets, r.Object("budgets"));
    NASQ_ASSIGN_OR_RETURN(spec.budgets, BudgetsFromJson(budgets));
  }
  NASQ_RETURN_IF_ERROR(r.ReadFields(kStudyLimitFields, spec));
  NASQ_ASSIGN_OR_RETURN(spec.task_json, r.Get<std::string>("task_json"));
  NASQ_ASSIGN_OR_RETURN(JsonObjectReader attrs, r.Object("user_attrs"));
  for (const auto& [key, value] : attrs.value().items()) {
    NASQ_ASSIGN_OR_RETURN(spec.user_attrs[key],
                          JsonAs<std::string>(value, JsonChild(attrs.path(), key)));
  }
  return spec;
}

}  // namespace nasq
