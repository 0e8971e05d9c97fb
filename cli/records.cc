#include "cli/records.h"

#include <map>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/budget.h"
#include "proto/convert.h"

namespace nasq {
namespace {

using Json = nlohmann::ordered_json;

// Deepest attribute value shown as JSON: the printers (dump, Flatten) recurse once per level, so
// a value nested thousands deep (the server stores any text up to 64 KiB) would exhaust the stack.
constexpr int kMaxAttrDepth = 64;

// `text` as JSON, or as the raw string when it does not parse or nests past kMaxAttrDepth.
Json AttrValueToJson(const std::string& text) {
  bool too_deep = false;
  const Json::parser_callback_t limit_depth = [&too_deep](int depth, Json::parse_event_t, Json&) {
    if (depth > kMaxAttrDepth) too_deep = true;
    return !too_deep;  // drop what is below the limit instead of building it
  };
  Json value = Json::parse(text, limit_depth, /*allow_exceptions=*/false);
  if (value.is_discarded() || too_deep) return text;
  return value;
}

// Attribute values are JSON text; anything unparsable is shown as the raw string.
Json AttrsToJson(const google::protobuf::Map<std::string, std::string>& attrs) {
  const std::map<std::string, std::string> sorted(attrs.begin(), attrs.end());
  Json out = Json::object();
  for (const auto& [key, text] : sorted) out[key] = AttrValueToJson(text);
  return out;
}

// The keys of a trial record other than its objectives; `holds_object` when flattening turns
// the key into "<key>_..." columns.
struct RecordKey {
  absl::string_view name;
  bool holds_object;
};
constexpr RecordKey kRecordKeys[] = {{"number", false},
                                     {"value", false},
                                     {"values", true},
                                     {"datetime_start", false},
                                     {"datetime_complete", false},
                                     {"duration", false},
                                     {"params", true},
                                     {"user_attrs", true},
                                     {"cost", true},
                                     {"state", false},
                                     {"fail_reason", false},
                                     {"attempt", false},
                                     {"system_attrs", true}};

bool ClashesWithRecordKey(absl::string_view metric) {
  for (const RecordKey& key : kRecordKeys) {
    if (metric == key.name) return true;
    if (key.holds_object && absl::StartsWith(metric, absl::StrCat(key.name, "_"))) return true;
  }
  return false;
}

// The cost estimated at dispatch (kCostAttrPrefix system attrs) of a trial that is RUNNING or
// WAITING, by metric; empty for a finished trial, whose worker reported the measured metrics.
Json EstimatedCost(const v1::Trial& trial) {
  Json cost = Json::object();
  if (trial.state() != v1::TRIAL_STATE_RUNNING && trial.state() != v1::TRIAL_STATE_WAITING) {
    return cost;
  }
  const std::map<std::string, std::string> attrs(trial.system_attrs().begin(),
                                                 trial.system_attrs().end());
  for (const auto& [key, text] : attrs) {
    if (!absl::StartsWith(key, kCostAttrPrefix)) continue;
    const Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_number()) cost[key.substr(std::string_view(kCostAttrPrefix).size())] = value;
  }
  return cost;
}

}  // namespace

std::vector<std::string> ObjectiveColumns(const v1::StudySpec& spec) {
  if (spec.directions_size() <= 1) return {"value"};
  std::vector<std::string> columns;
  for (int i = 0; i < spec.directions_size(); ++i) {
    if (spec.metric_names_size() != spec.directions_size()) {
      columns.push_back(absl::StrCat("values_", i));
    } else {
      const std::string& metric = spec.metric_names(i);
      columns.push_back(ClashesWithRecordKey(metric) ? absl::StrCat("values_", metric) : metric);
    }
  }
  return columns;
}

std::vector<std::string> TrialColumnPriority(const v1::StudySpec& spec) {
  std::vector<std::string> columns = {"number", "state"};
  for (std::string& objective : ObjectiveColumns(spec)) columns.push_back(std::move(objective));
  columns.push_back("duration");
  for (const v1::ParamSpec& param : spec.space().params()) {
    columns.push_back(absl::StrCat("params_", param.name()));
  }
  return columns;
}

TrialRecordOptions RecordOptionsFor(const v1::StudySpec& spec) {
  TrialRecordOptions options{.multi_objective = spec.directions_size() > 1};
  if (options.multi_objective && spec.metric_names_size() == spec.directions_size()) {
    options.objective_keys = ObjectiveColumns(spec);
  }
  return options;
}

Json ParamValueToJson(const v1::ParamValue& value) {
  switch (value.kind_case()) {
    case v1::ParamValue::kBoolValue:
      return value.bool_value();
    case v1::ParamValue::kIntValue:
      return value.int_value();
    case v1::ParamValue::kDoubleValue:
      return value.double_value();
    case v1::ParamValue::kStringValue:
      return value.string_value();
    case v1::ParamValue::KIND_NOT_SET:
      break;
  }
  return nullptr;
}

Json TrialRecord(const v1::Trial& trial, const TrialRecordOptions& options) {
  Json record = Json::object();
  record["number"] = trial.number();
  if (options.multi_objective && !options.objective_keys.empty()) {
    for (int i = 0; i < static_cast<int>(options.objective_keys.size()); ++i) {
      record[options.objective_keys[i]] =
          i < trial.values_size() ? Json(trial.values(i)) : Json(nullptr);
    }
  } else if (options.multi_objective) {
    record["values"] = Json::array();
    for (double v : trial.values()) record["values"].push_back(v);
  } else {
    record["value"] = trial.values().empty() ? Json(nullptr) : Json(trial.values(0));
  }
  const int64_t start = TimestampToMicros(trial.start_time());
  const int64_t complete = TimestampToMicros(trial.complete_time());
  record["datetime_start"] = start ? Json(FormatTime(start)) : Json(nullptr);
  record["datetime_complete"] = complete ? Json(FormatTime(complete)) : Json(nullptr);
  record["duration"] = start && complete ? Json(FormatDuration(complete - start)) : Json(nullptr);
  const std::map<std::string, v1::ParamValue> params(trial.params().begin(), trial.params().end());
  record["params"] = Json::object();
  for (const auto& [name, value] : params) record["params"][name] = ParamValueToJson(value);
  if (!trial.user_attrs().empty()) record["user_attrs"] = AttrsToJson(trial.user_attrs());
  if (Json cost = EstimatedCost(trial); !cost.empty()) record["cost"] = std::move(cost);
  record["state"] = TrialStateText(trial.state());
  if (options.with_system) {
    record["attempt"] = trial.attempt();
    if (!trial.system_attrs().empty()) record["system_attrs"] = AttrsToJson(trial.system_attrs());
  } else if (std::optional<std::string> reason = AttrText(trial.system_attrs(), "fail_reason")) {
    record["fail_reason"] = *reason;
  }
  return record;
}

std::optional<std::string> AttrText(const google::protobuf::Map<std::string, std::string>& attrs,
                                    const std::string& key) {
  auto it = attrs.find(key);
  if (it == attrs.end()) return std::nullopt;
  const Json value = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  return value.is_string() ? value.get<std::string>() : it->second;
}

Json AskRecord(const v1::Trial& trial) {
  Json record = Json::object();
  record["number"] = trial.number();
  record["params"] = TrialRecord(trial, {})["params"];
  record["lease"] = {{"epoch", trial.lease().epoch()},
                     {"token", trial.lease().token()},
                     {"expires", FormatTime(TimestampToMicros(trial.lease().expire_time()))}};
  return record;
}

Json HeartbeatRecord(int64_t number, const v1::HeartbeatResponse& response) {
  Json record = Json::object();
  record["number"] = number;
  record["epoch"] = response.lease().epoch();
  record["expires"] = FormatTime(TimestampToMicros(response.lease().expire_time()));
  record["stop"] = response.stop();
  return record;
}

Json StudyRecord(const v1::Study& study) {
  const v1::TrialCounts& counts = study.trial_counts();
  Json record = Json::object();
  record["name"] = study.spec().name();
  record["direction"] = DirectionsText(study.spec());
  record["n_trials"] =
      counts.waiting() + counts.running() + counts.complete() + counts.pruned() + counts.fail();
  record["n_complete"] = counts.complete();
  record["state"] = StudyStateText(study.state());
  record["sampler"] = absl::AsciiStrToLower(v1::SamplerKind_Name(study.spec().sampler().kind())
                                                .substr(std::string("SAMPLER_KIND_").size()));
  const int64_t created = TimestampToMicros(study.create_time());
  record["datetime_start"] = created ? Json(FormatTime(created)) : Json(nullptr);
  return record;
}

namespace {

// "<name> <value>" for each described option of `s` that differs from its default; a flag that
// is set reads as its bare name.
template <typename S>
void AppendChangedOptions(const S& s, absl::Span<const Field<S>> table,
                          std::vector<std::string>& out) {
  const S defaults{};
  for (const Field<S>& field : table) {
    const FieldValue value = GetField(s, field);
    if (value == GetField(defaults, field)) continue;
    const bool* flag = std::get_if<bool>(&value);
    if (flag != nullptr && *flag) {
      out.push_back(field.name);
    } else {
      out.push_back(absl::StrCat(field.name, " ", FormatFieldValue(value)));
    }
  }
}

// AppendChangedOptions of the options of pruner `kind` (the median pruner's: not `percentile`).
void AppendChangedPrunerOptions(const PrunerConfig& p, PrunerKind kind,
                                std::vector<std::string>& out) {
  switch (kind) {
    case PrunerKind::kMedian:
      AppendChangedOptions<PercentilePrunerOptions>(
          p.percentile, absl::MakeConstSpan(kPercentilePrunerFields).subspan(1), out);
      break;
    case PrunerKind::kPercentile:
      AppendChangedOptions<PercentilePrunerOptions>(p.percentile, kPercentilePrunerFields, out);
      break;
    case PrunerKind::kSuccessiveHalving:
      AppendChangedOptions<SuccessiveHalvingPrunerOptions>(p.successive_halving,
                                                           kSuccessiveHalvingPrunerFields, out);
      break;
    case PrunerKind::kHyperband:
      AppendChangedOptions<HyperbandPrunerOptions>(p.hyperband, kHyperbandPrunerFields, out);
      break;
    case PrunerKind::kThreshold:
      AppendChangedOptions<ThresholdPrunerOptions>(p.threshold, kThresholdPrunerFields, out);
      break;
    case PrunerKind::kPatient:
      AppendChangedOptions<PatientPrunerOptions>(p.patient, kPatientPrunerFields, out);
      break;
    case PrunerKind::kNone:
      break;
  }
}

}  // namespace

std::string PrunerText(const PrunerConfig& pruner) {
  std::vector<std::string> options;
  AppendChangedOptions<PrunerConfig>(pruner, kPrunerOptionFields, options);
  AppendChangedPrunerOptions(pruner, pruner.kind, options);
  std::vector<std::string> parts;
  if (!options.empty()) parts.push_back(absl::StrJoin(options, ", "));
  if (pruner.wrapped != PrunerKind::kNone) {
    std::vector<std::string> wrapped;
    AppendChangedPrunerOptions(pruner, pruner.wrapped, wrapped);
    parts.push_back(absl::StrCat("wrapped ", PrunerKindName(pruner.wrapped),
                                 wrapped.empty() ? "" : ": ", absl::StrJoin(wrapped, ", ")));
  }
  std::string text = PrunerKindName(pruner.kind);
  if (!parts.empty()) absl::StrAppend(&text, " (", absl::StrJoin(parts, "; "), ")");
  return text;
}

std::string SamplerText(const SamplerConfig& sampler) {
  std::vector<std::string> options;
  AppendChangedOptions<TpeOptions>(sampler.tpe, kTpeOptionFields, options);
  if (sampler.nsga2.crossover != Nsga2Options{}.crossover) {
    options.push_back(absl::StrCat("crossover ", Nsga2CrossoverName(sampler.nsga2.crossover)));
  }
  AppendChangedOptions<Nsga2Options>(sampler.nsga2, kNsga2OptionFields, options);
  AppendChangedOptions<SamplerConfig>(sampler, kSamplerOptionFields, options);
  std::string text = absl::StrCat(SamplerKindName(sampler.kind), " (seed ", sampler.seed);
  if (!options.empty()) absl::StrAppend(&text, "; ", absl::StrJoin(options, ", "));
  return text + ")";
}

std::string LimitText(const StudySpec& spec, const Field<StudySpec>& field) {
  const FieldValue value = GetField(spec, field);
  const std::string name =
      absl::StrCat(field.yaml_name != nullptr ? field.yaml_name : field.name, ": ");
  if (field.zero_means != nullptr && value == FieldValue(int64_t{0})) {
    return name + field.zero_means;
  }
  if (const int64_t* ms = std::get_if<int64_t>(&value); ms != nullptr && field.millis) {
    return name + (*ms % 1000 == 0 ? absl::StrCat(*ms / 1000, "s") : absl::StrCat(*ms, "ms"));
  }
  return name + FormatFieldValue(value);
}

std::vector<std::string> DirectionNames(const v1::StudySpec& spec) {
  std::vector<std::string> names;
  for (int d : spec.directions()) {
    names.push_back(v1::StudyDirection_Name(static_cast<v1::StudyDirection>(d))
                        .substr(std::string("STUDY_DIRECTION_").size()));
  }
  return names;
}

std::string DirectionsText(const v1::StudySpec& spec) {
  return absl::StrJoin(DirectionNames(spec), ", ");
}

std::string TrialStateText(v1::TrialState state) {
  return v1::TrialState_Name(state).substr(std::string("TRIAL_STATE_").size());
}

std::string StudyStateText(v1::StudyState state) {
  return v1::StudyState_Name(state).substr(std::string("STUDY_STATE_").size());
}

std::string FormatTime(int64_t micros) {
  if (micros == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

std::string FormatDuration(int64_t micros) {
  const int64_t seconds = micros / 1'000'000;
  const int64_t fraction = micros % 1'000'000;
  std::string out =
      absl::StrFormat("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (fraction != 0) out += absl::StrFormat(".%06d", fraction);
  return out;
}

}  // namespace nasq
