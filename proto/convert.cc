#include "proto/convert.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/field_error.h"
#include "core/status_macros.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "proto/option_fields.h"
#include "proto/resource_names.h"

namespace nasq {
namespace {

using google::protobuf::util::TimeUtil;

// The range google.protobuf.Timestamp allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
constexpr int64_t kMinSeconds = TimeUtil::kTimestampMinSeconds;
constexpr int64_t kMaxSeconds = TimeUtil::kTimestampMaxSeconds;

// Prefixes a non-OK status message with `field` ("spec" + "." + "sampler.tpe.group: ...").
absl::Status Prefixed(const absl::Status& status, absl::string_view field) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(field, ".", status.message()));
}

absl::StatusOr<std::vector<ParamValue>> ParamValuesFromProto(
    const google::protobuf::RepeatedPtrField<v1::ParamValue>& values, absl::string_view field) {
  std::vector<ParamValue> out;
  out.reserve(values.size());
  for (int i = 0; i < values.size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(ParamValue v,
                          ParamValueFromProto(values[i], absl::StrCat(field, "[", i, "]")));
    out.push_back(std::move(v));
  }
  return out;
}

void ParamValuesToProto(const std::vector<ParamValue>& values,
                        google::protobuf::RepeatedPtrField<v1::ParamValue>* out) {
  for (const ParamValue& v : values) *out->Add() = ParamValueToProto(v);
}

absl::StatusOr<StudyDirection> StudyDirectionFromProto(int direction, absl::string_view field) {
  switch (direction) {
    case v1::STUDY_DIRECTION_MINIMIZE:
      return StudyDirection::kMinimize;
    case v1::STUDY_DIRECTION_MAXIMIZE:
      return StudyDirection::kMaximize;
    default:
      return InvalidFieldError(field, absl::StrCat("direction must be MINIMIZE or MAXIMIZE, got ",
                                                   v1::StudyDirection_Name(direction).empty()
                                                       ? std::to_string(direction)
                                                       : v1::StudyDirection_Name(direction)));
  }
}

absl::StatusOr<SamplerKind> SamplerKindFromProto(int kind, absl::string_view field) {
  switch (kind) {
    case v1::SAMPLER_KIND_UNSPECIFIED:
    case v1::SAMPLER_KIND_TPE:
      return SamplerKind::kTpe;
    case v1::SAMPLER_KIND_RANDOM:
      return SamplerKind::kRandom;
    case v1::SAMPLER_KIND_GRID:
      return SamplerKind::kGrid;
    case v1::SAMPLER_KIND_NSGA2:
      return SamplerKind::kNsga2;
    default:
      return InvalidFieldError(field, absl::StrCat("unknown sampler kind ", kind));
  }
}

constexpr std::pair<v1::PrunerKind, PrunerKind> kPrunerKinds[] = {
    {v1::PRUNER_KIND_NONE, PrunerKind::kNone},
    {v1::PRUNER_KIND_MEDIAN, PrunerKind::kMedian},
    {v1::PRUNER_KIND_PERCENTILE, PrunerKind::kPercentile},
    {v1::PRUNER_KIND_SUCCESSIVE_HALVING, PrunerKind::kSuccessiveHalving},
    {v1::PRUNER_KIND_HYPERBAND, PrunerKind::kHyperband},
    {v1::PRUNER_KIND_THRESHOLD, PrunerKind::kThreshold},
    {v1::PRUNER_KIND_PATIENT, PrunerKind::kPatient},
};

v1::PrunerKind PrunerKindToProto(PrunerKind kind) {
  for (const auto& [proto, core] : kPrunerKinds) {
    if (core == kind) return proto;
  }
  return v1::PRUNER_KIND_UNSPECIFIED;
}

absl::StatusOr<PrunerKind> PrunerKindFromProto(int kind, absl::string_view field) {
  if (kind == v1::PRUNER_KIND_UNSPECIFIED) return PrunerKind::kNone;
  for (const auto& [proto, core] : kPrunerKinds) {
    if (proto == kind) return core;
  }
  return InvalidFieldError(field, absl::StrCat("unknown pruner kind ", kind));
}

v1::PrunerConfig PrunerConfigToProto(const PrunerConfig& c) {
  v1::PrunerConfig p;
  p.set_kind(PrunerKindToProto(c.kind));
  p.set_wrapped(PrunerKindToProto(c.wrapped));
  OptionsToProto<PrunerConfig>(c, kPrunerOptionFields, p, *p.mutable_options());
  const auto section = [](const auto& options, const auto& fields, auto* message) {
    OptionsToProto(options, absl::MakeConstSpan(fields), *message, *message->mutable_options());
  };
  section(c.percentile, kPercentilePrunerFields, p.mutable_percentile());
  section(c.successive_halving, kSuccessiveHalvingPrunerFields, p.mutable_successive_halving());
  section(c.hyperband, kHyperbandPrunerFields, p.mutable_hyperband());
  section(c.threshold, kThresholdPrunerFields, p.mutable_threshold());
  section(c.patient, kPatientPrunerFields, p.mutable_patient());
  return p;
}

absl::StatusOr<PrunerConfig> PrunerConfigFromProto(const v1::PrunerConfig& p) {
  constexpr absl::string_view kField = "spec.pruner";
  PrunerConfig c;
  NASQ_ASSIGN_OR_RETURN(c.kind, PrunerKindFromProto(p.kind(), "spec.pruner.kind"));
  NASQ_ASSIGN_OR_RETURN(c.wrapped, PrunerKindFromProto(p.wrapped(), "spec.pruner.wrapped"));
  NASQ_RETURN_IF_ERROR(
      OptionsFromProto<PrunerConfig>(p, p.options(), kPrunerOptionFields, kField, c));
  const auto section = [&](PrunerKind kind, const auto& message, const auto& fields,
                           auto& options) {
    return OptionsFromProto(message, message.options(), absl::MakeConstSpan(fields),
                            FieldPath(kField, PrunerSectionName(kind)), options);
  };
  NASQ_RETURN_IF_ERROR(
      section(PrunerKind::kPercentile, p.percentile(), kPercentilePrunerFields, c.percentile));
  NASQ_RETURN_IF_ERROR(section(PrunerKind::kSuccessiveHalving, p.successive_halving(),
                               kSuccessiveHalvingPrunerFields, c.successive_halving));
  NASQ_RETURN_IF_ERROR(
      section(PrunerKind::kHyperband, p.hyperband(), kHyperbandPrunerFields, c.hyperband));
  NASQ_RETURN_IF_ERROR(
      section(PrunerKind::kThreshold, p.threshold(), kThresholdPrunerFields, c.threshold));
  NASQ_RETURN_IF_ERROR(section(PrunerKind::kPatient, p.patient(), kPatientPrunerFields, c.patient));
  return c;
}

absl::StatusOr<std::string> TaskJsonFromProto(const v1::StudySpec& spec) {
  switch (spec.task_case()) {
    case v1::StudySpec::kTaskStruct:
      return StructToJson(spec.task_struct());
    case v1::StudySpec::kTaskJson:
      // Parsed here too so a malformed task is refused with the field name.
      NASQ_RETURN_IF_ERROR(JsonToStruct(spec.task_json(), "spec.task_json").status());
      return spec.task_json();
    case v1::StudySpec::TASK_NOT_SET:
      break;
  }
  return std::string("{}");
}

}  // namespace

v1::ParamValue ParamValueToProto(const ParamValue& value) {
  v1::ParamValue p;
  std::visit(
      [&p](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          p.set_bool_value(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          p.set_int_value(v);
        } else if constexpr (std::is_same_v<T, double>) {
          p.set_double_value(v);
        } else {
          p.set_string_value(v);
        }
      },
      value);
  return p;
}

absl::StatusOr<ParamValue> ParamValueFromProto(const v1::ParamValue& value,
                                               absl::string_view field) {
  switch (value.kind_case()) {
    case v1::ParamValue::kBoolValue:
      return ParamValue(value.bool_value());
    case v1::ParamValue::kIntValue:
      return ParamValue(static_cast<int64_t>(value.int_value()));
    case v1::ParamValue::kDoubleValue:
      return ParamValue(value.double_value());
    case v1::ParamValue::kStringValue:
      return ParamValue(value.string_value());
    case v1::ParamValue::KIND_NOT_SET:
      break;
  }
  return InvalidFieldError(field, "no value set");
}

v1::Distribution DistributionToProto(const Distribution& distribution) {
  v1::Distribution p;
  if (const auto* f = std::get_if<FloatDistribution>(&distribution)) {
    auto* out = p.mutable_float_distribution();
    out->set_low(f->low);
    out->set_high(f->high);
    out->set_log(f->log);
    if (f->step) out->set_step(*f->step);
  } else if (const auto* i = std::get_if<IntDistribution>(&distribution)) {
    auto* out = p.mutable_int_distribution();
    out->set_low(i->low);
    out->set_high(i->high);
    out->set_log(i->log);
    out->set_step(i->step);
  } else {
    ParamValuesToProto(std::get<CategoricalDistribution>(distribution).choices,
                       p.mutable_categorical_distribution()->mutable_choices());
  }
  return p;
}

absl::StatusOr<Distribution> DistributionFromProto(const v1::Distribution& distribution,
                                                   absl::string_view field) {
  Distribution out;
  switch (distribution.kind_case()) {
    case v1::Distribution::kFloatDistribution: {
      const auto& f = distribution.float_distribution();
      FloatDistribution d{f.low(), f.high(), f.log(), std::nullopt};
      if (f.has_step()) d.step = f.step();
      out = d;
      break;
    }
    case v1::Distribution::kIntDistribution: {
      const auto& i = distribution.int_distribution();
      out = IntDistribution{i.low(), i.high(), i.log(), i.step() == 0 ? 1 : i.step()};
      break;
    }
    case v1::Distribution::kCategoricalDistribution: {
      NASQ_ASSIGN_OR_RETURN(auto choices,
                            ParamValuesFromProto(distribution.categorical_distribution().choices(),
                                                 absl::StrCat(field, ".choices")));
      out = CategoricalDistribution{std::move(choices)};
      break;
    }
    case v1::Distribution::KIND_NOT_SET:
      return InvalidFieldError(field, "no distribution set (float, int or categorical)");
  }
  NASQ_RETURN_IF_ERROR(ValidateDistribution(out, std::string(field)));
  return out;
}

v1::CompareOp CompareOpToProto(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return v1::COMPARE_OP_EQ;
    case CompareOp::kNe:
      return v1::COMPARE_OP_NE;
    case CompareOp::kLt:
      return v1::COMPARE_OP_LT;
    case CompareOp::kLe:
      return v1::COMPARE_OP_LE;
    case CompareOp::kGt:
      return v1::COMPARE_OP_GT;
    case CompareOp::kGe:
      return v1::COMPARE_OP_GE;
    case CompareOp::kIn:
      return v1::COMPARE_OP_IN;
    case CompareOp::kNotIn:
      return v1::COMPARE_OP_NOT_IN;
  }
  return v1::COMPARE_OP_UNSPECIFIED;
}

absl::StatusOr<CompareOp> CompareOpFromProto(v1::CompareOp op, absl::string_view field) {
  switch (op) {
    case v1::COMPARE_OP_EQ:
      return CompareOp::kEq;
    case v1::COMPARE_OP_NE:
      return CompareOp::kNe;
    case v1::COMPARE_OP_LT:
      return CompareOp::kLt;
    case v1::COMPARE_OP_LE:
      return CompareOp::kLe;
    case v1::COMPARE_OP_GT:
      return CompareOp::kGt;
    case v1::COMPARE_OP_GE:
      return CompareOp::kGe;
    case v1::COMPARE_OP_IN:
      return CompareOp::kIn;
    case v1::COMPARE_OP_NOT_IN:
      return CompareOp::kNotIn;
    default:
      return InvalidFieldError(field, "comparison operator not set");
  }
}

v1::SearchSpace SearchSpaceToProto(const SearchSpace& space) {
  v1::SearchSpace p;
  for (const ParamSpec& param : space.params()) {
    v1::ParamSpec* out = p.add_params();
    out->set_name(param.name);
    *out->mutable_distribution() = DistributionToProto(param.distribution);
    for (const Condition& c : param.conditions) {
      v1::Condition* cond = out->add_conditions();
      cond->set_parent(c.parent);
      cond->set_op(CompareOpToProto(c.op));
      ParamValuesToProto(c.values, cond->mutable_values());
    }
  }
  for (const Constraint& c : space.constraints()) {
    v1::Constraint* out = p.add_constraints();
    out->set_lhs(c.lhs);
    out->set_op(CompareOpToProto(c.op));
    out->set_rhs(c.rhs);
    out->set_offset(c.offset);
  }
  return p;
}

absl::StatusOr<SearchSpace> SearchSpaceFromProto(const v1::SearchSpace& space,
                                                 absl::string_view field) {
  std::vector<ParamSpec> params;
  params.reserve(space.params_size());
  for (int i = 0; i < space.params_size(); ++i) {
    const v1::ParamSpec& p = space.params(i);
    const std::string where = absl::StrCat(field, ".space.params[", i, "] (", p.name(), ")");
    ParamSpec param;
    param.name = p.name();
    NASQ_ASSIGN_OR_RETURN(param.distribution,
                          DistributionFromProto(p.distribution(), where + ".distribution"));
    for (int j = 0; j < p.conditions_size(); ++j) {
      const v1::Condition& c = p.conditions(j);
      const std::string cwhere = absl::StrCat(where, ".conditions[", j, "]");
      Condition cond;
      cond.parent = c.parent();
      NASQ_ASSIGN_OR_RETURN(cond.op, CompareOpFromProto(c.op(), cwhere + ".op"));
      NASQ_ASSIGN_OR_RETURN(cond.values, ParamValuesFromProto(c.values(), cwhere + ".values"));
      param.conditions.push_back(std::move(cond));
    }
    params.push_back(std::move(param));
  }
  std::vector<Constraint> constraints;
  for (int i = 0; i < space.constraints_size(); ++i) {
    const v1::Constraint& c = space.constraints(i);
    Constraint out{c.lhs(), CompareOp::kLt, c.rhs(), c.offset()};
    NASQ_ASSIGN_OR_RETURN(
        out.op, CompareOpFromProto(c.op(), absl::StrCat(field, ".space.constraints[", i, "].op")));
    constraints.push_back(std::move(out));
  }
  absl::StatusOr<SearchSpace> built =
      SearchSpace::Create(std::move(params), std::move(constraints));
  if (!built.ok()) return Prefixed(built.status(), field);
  return built;
}

v1::StudyDirection StudyDirectionToProto(StudyDirection direction) {
  return direction == StudyDirection::kMaximize ? v1::STUDY_DIRECTION_MAXIMIZE
                                                : v1::STUDY_DIRECTION_MINIMIZE;
}

v1::SamplerKind SamplerKindToProto(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::kRandom:
      return v1::SAMPLER_KIND_RANDOM;
    case SamplerKind::kGrid:
      return v1::SAMPLER_KIND_GRID;
    case SamplerKind::kTpe:
      return v1::SAMPLER_KIND_TPE;
    case SamplerKind::kNsga2:
      return v1::SAMPLER_KIND_NSGA2;
  }
  return v1::SAMPLER_KIND_UNSPECIFIED;
}

v1::StudySpec StudySpecToProto(const StudySpec& spec) {
  v1::StudySpec p;
  p.set_name(spec.name);
  for (StudyDirection d : spec.directions) p.add_directions(StudyDirectionToProto(d));
  for (const std::string& m : spec.metric_names) p.add_metric_names(m);
  p.mutable_reference_point()->Add(spec.reference_point.begin(), spec.reference_point.end());
  *p.mutable_space() = SearchSpaceToProto(spec.space);
  v1::SamplerConfig* sampler = p.mutable_sampler();
  sampler->set_kind(SamplerKindToProto(spec.sampler.kind));
  sampler->set_seed(spec.sampler.seed);
  v1::TpeOptions* tpe = sampler->mutable_tpe();
  OptionsToProto<TpeOptions>(spec.sampler.tpe, kTpeOptionFields, *tpe, *tpe->mutable_options());
  OptionsToProto<SamplerConfig>(spec.sampler, kSamplerOptionFields, *sampler,
                                *sampler->mutable_options());
  v1::Nsga2Options* nsga2 = sampler->mutable_nsga2();
  nsga2->set_crossover(Nsga2CrossoverName(spec.sampler.nsga2.crossover));
  OptionsToProto<Nsga2Options>(spec.sampler.nsga2, kNsga2OptionFields, *nsga2,
                               *nsga2->mutable_options());
  OptionsToProto<StudySpec>(spec, kStudyLimitFields, p, *p.mutable_options());
  *p.mutable_pruner() = PrunerConfigToProto(spec.pruner);
  for (const auto& [metric, budget] : spec.budgets) {
    v1::Budget& bounds = (*p.mutable_budgets())[metric];
    if (budget.min) bounds.set_min(*budget.min);
    if (budget.max) bounds.set_max(*budget.max);
  }
  p.set_task_json(spec.task_json);
  for (const auto& [k, v] : spec.user_attrs) (*p.mutable_user_attrs())[k] = v;
  return p;
}

absl::StatusOr<StudySpec> StudySpecFromProto(const v1::StudySpec& p) {
  constexpr absl::string_view kField = "spec";
  StudySpec spec;
  spec.name = p.name();
  for (int i = 0; i < p.directions_size(); ++i) {
    NASQ_ASSIGN_OR_RETURN(
        StudyDirection d,
        StudyDirectionFromProto(p.directions(i), absl::StrCat(kField, ".directions[", i, "]")));
    spec.directions.push_back(d);
  }
  spec.metric_names.assign(p.metric_names().begin(), p.metric_names().end());
  spec.reference_point.assign(p.reference_point().begin(), p.reference_point().end());
  NASQ_ASSIGN_OR_RETURN(spec.space, SearchSpaceFromProto(p.space(), kField));
  NASQ_ASSIGN_OR_RETURN(spec.sampler.kind,
                        SamplerKindFromProto(p.sampler().kind(), "spec.sampler.kind"));
  spec.sampler.seed = p.sampler().seed();
  const v1::TpeOptions& tpe = p.sampler().tpe();
  NASQ_RETURN_IF_ERROR(OptionsFromProto<TpeOptions>(tpe, tpe.options(), kTpeOptionFields,
                                                    "spec.sampler.tpe", spec.sampler.tpe));
  NASQ_RETURN_IF_ERROR(OptionsFromProto<SamplerConfig>(
      p.sampler(), p.sampler().options(), kSamplerOptionFields, "spec.sampler", spec.sampler));
  const v1::Nsga2Options& nsga2 = p.sampler().nsga2();
  if (!nsga2.crossover().empty()) {
    const std::optional<Nsga2Crossover> crossover = ParseNsga2Crossover(nsga2.crossover());
    if (!crossover) {
      return InvalidFieldError(
          "spec.sampler.nsga2.crossover",
          absl::StrCat("expected uniform, blxalpha, sbx, vsbx, spx or undx, got \"",
                       nsga2.crossover(), "\""));
    }
    spec.sampler.nsga2.crossover = *crossover;
  }
  NASQ_RETURN_IF_ERROR(OptionsFromProto<Nsga2Options>(nsga2, nsga2.options(), kNsga2OptionFields,
                                                      "spec.sampler.nsga2", spec.sampler.nsga2));
  NASQ_RETURN_IF_ERROR(
      OptionsFromProto<StudySpec>(p, p.options(), kStudyLimitFields, kField, spec));
  NASQ_ASSIGN_OR_RETURN(spec.pruner, PrunerConfigFromProto(p.pruner()));
  for (const auto& [metric, bounds] : p.budgets()) {
    Budget& budget = spec.budgets[metric];
    if (bounds.has_min()) budget.min = bounds.min();
    if (bounds.has_max()) budget.max = bounds.max();
  }
  NASQ_ASSIGN_OR_RETURN(spec.task_json, TaskJsonFromProto(p));
  spec.user_attrs.insert(p.user_attrs().begin(), p.user_attrs().end());
  NASQ_RETURN_IF_ERROR(Prefixed(ValidateStudySpec(spec), kField));
  return spec;
}

v1::StudyState StudyStateToProto(StudyState state) {
  switch (state) {
    case StudyState::kRunning:
      return v1::STUDY_STATE_RUNNING;
    case StudyState::kCompleted:
      return v1::STUDY_STATE_COMPLETED;
    case StudyState::kStopped:
      return v1::STUDY_STATE_STOPPED;
  }
  return v1::STUDY_STATE_UNSPECIFIED;
}

absl::StatusOr<StudyState> StudyStateFromProto(v1::StudyState state, absl::string_view field) {
  switch (state) {
    case v1::STUDY_STATE_RUNNING:
      return StudyState::kRunning;
    case v1::STUDY_STATE_COMPLETED:
      return StudyState::kCompleted;
    case v1::STUDY_STATE_STOPPED:
      return StudyState::kStopped;
    default:
      return InvalidFieldError(field, "study state not set");
  }
}

v1::Study StudyToProto(const Study& study) {
  v1::Study p;
  p.set_name(StudyResourceName(study.spec.name));
  p.set_id(study.id);
  *p.mutable_spec() = StudySpecToProto(study.spec);
  p.set_state(StudyStateToProto(study.state));
  if (study.created_us != 0) *p.mutable_create_time() = MicrosToTimestamp(study.created_us);
  for (const auto& [k, v] : study.system_attrs) (*p.mutable_system_attrs())[k] = v;
  return p;
}

absl::StatusOr<Study> StudyFromProto(const v1::Study& p) {
  Study study;
  study.id = p.id();
  NASQ_ASSIGN_OR_RETURN(study.spec, StudySpecFromProto(p.spec()));
  NASQ_ASSIGN_OR_RETURN(study.state, StudyStateFromProto(p.state(), "study.state"));
  study.created_us = p.has_create_time() ? TimestampToMicros(p.create_time()) : 0;
  study.system_attrs.insert(p.system_attrs().begin(), p.system_attrs().end());
  return study;
}

v1::TrialState TrialStateToProto(TrialState state) {
  switch (state) {
    case TrialState::kRunning:
      return v1::TRIAL_STATE_RUNNING;
    case TrialState::kComplete:
      return v1::TRIAL_STATE_COMPLETE;
    case TrialState::kPruned:
      return v1::TRIAL_STATE_PRUNED;
    case TrialState::kFail:
      return v1::TRIAL_STATE_FAIL;
    case TrialState::kWaiting:
      return v1::TRIAL_STATE_WAITING;
  }
  return v1::TRIAL_STATE_UNSPECIFIED;
}

absl::StatusOr<TrialState> TrialStateFromProto(v1::TrialState state, absl::string_view field) {
  switch (state) {
    case v1::TRIAL_STATE_RUNNING:
      return TrialState::kRunning;
    case v1::TRIAL_STATE_COMPLETE:
      return TrialState::kComplete;
    case v1::TRIAL_STATE_PRUNED:
      return TrialState::kPruned;
    case v1::TRIAL_STATE_FAIL:
      return TrialState::kFail;
    case v1::TRIAL_STATE_WAITING:
      return TrialState::kWaiting;
    default:
      return InvalidFieldError(field, "trial state not set");
  }
}

v1::Lease LeaseToProto(const Lease& lease) {
  v1::Lease p;
  p.set_worker_id(lease.worker_id);
  p.set_epoch(lease.epoch);
  *p.mutable_expire_time() = MicrosToTimestamp(lease.deadline_us);
  p.set_token(lease.token);
  return p;
}

Lease LeaseFromProto(const v1::Lease& lease) {
  return Lease{lease.worker_id(), lease.epoch(), TimestampToMicros(lease.expire_time()),
               lease.token()};
}

v1::Trial TrialToProto(const Trial& trial, absl::string_view study) {
  v1::Trial p;
  p.set_name(TrialResourceName(study, trial.number));
  p.set_number(trial.number);
  p.set_id(trial.id);
  p.set_state(TrialStateToProto(trial.state));
  for (const auto& [name, internal] : trial.params) {
    auto it = trial.distributions.find(name);
    if (it == trial.distributions.end()) continue;  // Storage guarantees matching keys.
    (*p.mutable_params())[name] = ParamValueToProto(ToExternal(it->second, internal));
    (*p.mutable_distributions())[name] = DistributionToProto(it->second);
  }
  for (double v : trial.values) p.add_values(v);
  p.mutable_intermediate_values()->insert(trial.intermediate_values.begin(),
                                          trial.intermediate_values.end());
  p.mutable_user_attrs()->insert(trial.user_attrs.begin(), trial.user_attrs.end());
  p.mutable_system_attrs()->insert(trial.system_attrs.begin(), trial.system_attrs.end());
  if (trial.datetime_start_us != 0) {
    *p.mutable_start_time() = MicrosToTimestamp(trial.datetime_start_us);
  }
  if (trial.datetime_complete_us != 0) {
    *p.mutable_complete_time() = MicrosToTimestamp(trial.datetime_complete_us);
  }
  p.set_attempt(trial.attempt);
  if (trial.lease) {
    *p.mutable_lease() = LeaseToProto(*trial.lease);
    p.mutable_lease()->clear_token();  // the holder's secret; see Lease.token
  }
  return p;
}

absl::StatusOr<Trial> TrialFromProto(const v1::Trial& p, DistributionsInterner* interner) {
  Trial trial;
  trial.id = p.id();
  trial.number = p.number();
  NASQ_ASSIGN_OR_RETURN(trial.state, TrialStateFromProto(p.state(), "trial.state"));
  for (const auto& [name, value] : p.params()) {
    const std::string field = absl::StrCat("trial.params[", name, "]");
    auto it = p.distributions().find(name);
    if (it == p.distributions().end())
      return InvalidFieldError(field, "no distribution for this param");
    NASQ_ASSIGN_OR_RETURN(Distribution d, DistributionFromProto(it->second, field));
    NASQ_ASSIGN_OR_RETURN(ParamValue external, ParamValueFromProto(value, field));
    absl::StatusOr<double> internal = ToInternal(d, external);
    if (!internal.ok()) return InvalidFieldError(field, internal.status().message());
    trial.params[name] = *internal;
    trial.distributions.insert_or_assign(name, std::move(d));
  }
  if (interner != nullptr) interner->Intern(trial.distributions);
  trial.values.assign(p.values().begin(), p.values().end());
  trial.intermediate_values.insert(p.intermediate_values().begin(), p.intermediate_values().end());
  trial.user_attrs.insert(p.user_attrs().begin(), p.user_attrs().end());
  trial.system_attrs.insert(p.system_attrs().begin(), p.system_attrs().end());
  trial.datetime_start_us = p.has_start_time() ? TimestampToMicros(p.start_time()) : 0;
  trial.datetime_complete_us = p.has_complete_time() ? TimestampToMicros(p.complete_time()) : 0;
  trial.attempt = p.attempt();
  if (p.has_lease()) trial.lease = LeaseFromProto(p.lease());
  return trial;
}

google::protobuf::Timestamp MicrosToTimestamp(int64_t micros) {
  // TimeUtil refuses instants outside 0001-01-01..9999-12-31 (a saturated deadline is one).
  constexpr int64_t kMinMicros = kMinSeconds * 1'000'000;
  constexpr int64_t kMaxMicros = kMaxSeconds * 1'000'000 + 999'999;
  return TimeUtil::MicrosecondsToTimestamp(std::clamp(micros, kMinMicros, kMaxMicros));
}

int64_t TimestampToMicros(const google::protobuf::Timestamp& timestamp) {
  // Clamped first so that a hostile seconds value cannot overflow the multiplication.
  google::protobuf::Timestamp valid;
  valid.set_seconds(std::clamp(timestamp.seconds(), kMinSeconds, kMaxSeconds));
  valid.set_nanos(std::clamp(timestamp.nanos(), 0, 999'999'999));
  return TimeUtil::TimestampToMicroseconds(valid);
}

absl::StatusOr<google::protobuf::Struct> JsonToStruct(const std::string& json,
                                                      absl::string_view field) {
  google::protobuf::Struct out;
  auto status = google::protobuf::util::JsonStringToMessage(json, &out);
  if (!status.ok()) {
    return InvalidFieldError(field,
                             absl::StrCat("not a JSON object: ", status.message().as_string()));
  }
  return out;
}

std::string StructToJson(const google::protobuf::Struct& value) {
  std::string out;
  // Serialising a Struct cannot fail.
  (void)google::protobuf::util::MessageToJsonString(value, &out);
  return out;
}

}  // namespace nasq
