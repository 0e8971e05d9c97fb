#include "server/dashboard_json.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/pareto.h"
#include "server/http_json.h"
#include "server/task_validation.h"
#include "server/trial_query.h"
#include "server/trial_rules.h"
#include "spec/spec_json.h"

namespace nasq {
namespace {

using Json = nlohmann::json;

constexpr TrialState kStates[] = {TrialState::kRunning, TrialState::kComplete, TrialState::kPruned,
                                  TrialState::kFail, TrialState::kWaiting};

// JSON text as JSON; a string holding the text when it is not JSON.
Json EmbeddedJson(const std::string& text) {
  Json value = Json::parse(text, nullptr, false);
  return value.is_discarded() ? Json(text) : value;
}

Json AttrsJson(const std::map<std::string, std::string>& attrs) {
  Json out = Json::object();
  for (const auto& [key, text] : attrs) out[key] = EmbeddedJson(text);
  return out;
}

Json NumbersJson(std::span<const double> values) {
  Json out = Json::array();
  for (double v : values) out.push_back(JsonNumber(v));
  return out;
}

Json LeaseJson(const std::optional<Lease>& lease) {
  if (!lease) return nullptr;
  return {{"worker_id", lease->worker_id},
          {"epoch", lease->epoch},
          {"deadline_us", lease->deadline_us},
          {"kind", LeaseKindName(lease->kind)}};
}

// The best trial: the only one (single objective), or the front's member with the best first
// objective (ties: lowest number; `best` is by number).
const Trial* BestOfFront(const StudySpec& spec, const std::vector<Trial>& best) {
  const Trial* chosen = nullptr;
  for (const Trial& t : best) {
    if (t.values.empty()) continue;
    const double loss = LossVector(t.values, spec.directions)[0];
    if (chosen == nullptr || loss < LossVector(chosen->values, spec.directions)[0]) chosen = &t;
  }
  return chosen;
}

// The hypervolume of `front` against the spec's reference point, else the one derived from the
// front (as `nasq pareto`); null for one objective, an empty front or values it cannot use.
Json FrontHypervolume(const StudySpec& spec, const std::vector<Trial>& front) {
  if (spec.directions.size() < 2 || front.empty()) return nullptr;
  std::vector<std::vector<double>> losses;
  for (const Trial& t : front) losses.push_back(LossVector(t.values, spec.directions));
  const std::vector<double> reference = spec.reference_point.empty()
                                            ? DefaultReferencePoint(losses)
                                            : LossVector(spec.reference_point, spec.directions);
  absl::StatusOr<double> volume = Hypervolume(losses, reference);
  return volume.ok() ? JsonNumber(*volume) : Json(nullptr);
}

}  // namespace

std::vector<std::string> ObjectiveNames(const StudySpec& spec) {
  if (!spec.metric_names.empty()) return spec.metric_names;
  if (spec.directions.size() == 1) return {"value"};
  std::vector<std::string> names;
  for (size_t k = 0; k < spec.directions.size(); ++k) names.push_back(absl::StrCat("values_", k));
  return names;
}

Json ParamValueJson(const ParamValue& value) {
  if (const double* number = std::get_if<double>(&value)) return JsonNumber(*number);
  return std::visit([](const auto& v) { return Json(v); }, value);
}

bool IsFeasible(const Trial& trial) {
  absl::StatusOr<std::vector<double>> constraints = TrialConstraints(trial);
  return constraints.ok() && ConstraintPenalty(*constraints) <= 0;
}

Json TrialJson(const Trial& trial, bool with_intermediate) {
  Json params = Json::object();
  for (const auto& [name, internal] : trial.params) {
    if (std::optional<ParamValue> value = trial.ExternalParam(name)) {
      params[name] = ParamValueJson(*value);
    }
  }
  const std::span<const double> values = ShownValues(trial);
  const auto worker = trial.system_attrs.find("worker");
  Json out = {
      {"number", trial.number},
      {"state", TrialStateName(trial.state)},
      {"values", values.empty() ? Json(nullptr) : NumbersJson(values)},
      {"params", std::move(params)},
      {"datetime_start_us", JsonTime(trial.datetime_start_us)},
      {"datetime_complete_us", JsonTime(trial.datetime_complete_us)},
      {"duration_ms", nullptr},
      {"attempt", trial.attempt},
      {"worker", worker == trial.system_attrs.end() ? Json(nullptr) : EmbeddedJson(worker->second)},
      {"lease", LeaseJson(trial.lease)},
      {"user_attrs", AttrsJson(trial.user_attrs)},
      {"system_attrs", AttrsJson(trial.system_attrs)},
      {"feasible", IsFeasible(trial)},
      {"n_steps", trial.intermediate_values.size()},
      {"last_step", trial.intermediate_values.empty()
                        ? Json(nullptr)
                        : Json(trial.intermediate_values.rbegin()->first)},
  };
  const CellValue duration = ColumnValue(trial, TrialColumn{TrialColumnKind::kDuration});
  if (const double* ms = std::get_if<double>(&duration)) out["duration_ms"] = *ms;
  if (with_intermediate) {
    Json steps = Json::array();
    for (const auto& [step, value] : trial.intermediate_values) {
      steps.push_back(Json::array({step, JsonNumber(value)}));
    }
    out["intermediate_values"] = std::move(steps);
  }
  return out;
}

Json StudySummaryJson(const StudySummary& summary, std::span<const Trial> trials) {
  const StudySpec& spec = summary.study.spec;
  Json objectives = Json::array();
  const std::vector<std::string> names = ObjectiveNames(spec);
  for (size_t k = 0; k < spec.directions.size(); ++k) {
    objectives.push_back(
        {{"name", k < names.size() ? names[k] : absl::StrCat("values_", k)},
         {"direction", absl::AsciiStrToLower(StudyDirectionName(spec.directions[k]))}});
  }
  Json counts = Json::object();
  for (TrialState state : kStates) counts[TrialStateName(state)] = summary.count(state);
  const std::vector<Trial> best = SelectBestTrials(spec, trials);
  const Trial* best_trial = BestOfFront(spec, best);
  int64_t first_start = 0;
  int64_t last = 0;
  for (const Trial& t : trials) {
    if (t.datetime_start_us != 0 && (first_start == 0 || t.datetime_start_us < first_start)) {
      first_start = t.datetime_start_us;
    }
    last = std::max({last, t.datetime_start_us, t.datetime_complete_us});
  }
  return {
      {"name", spec.name},
      {"state", StudyStateName(summary.study.state)},
      {"revision", summary.revision},
      {"objectives", std::move(objectives)},
      {"sampler", SamplerKindName(spec.sampler.kind)},
      {"task_kind", TaskKindOf(spec.task_json)},
      {"max_trials", spec.max_trials},
      {"counts", std::move(counts)},
      {"best", best_trial == nullptr ? Json(nullptr)
                                     : Json{{"number", best_trial->number},
                                            {"values", NumbersJson(best_trial->values)}}},
      {"n_best", best.size()},
      {"datetime_start_us", JsonTime(first_start)},
      {"datetime_last_us", JsonTime(last)},
  };
}

absl::StatusOr<Json> StudyDetailJson(const StudySummary& summary, std::span<const Trial> trials) {
  const StudySpec& spec = summary.study.spec;
  Json study = StudySummaryJson(summary, trials);
  absl::StatusOr<std::string> spec_json = StudySpecToJson(spec);
  if (!spec_json.ok()) return spec_json.status();
  study["spec"] = EmbeddedJson(*spec_json);
  Json params = Json::array();
  for (const ParamSpec& p : spec.space.params()) {
    absl::StatusOr<std::string> distribution = DistributionToJson(p.distribution);
    if (!distribution.ok()) return distribution.status();
    params.push_back({{"name", p.name}, {"distribution", EmbeddedJson(*distribution)}});
  }
  study["params"] = std::move(params);
  study["user_attrs"] = AttrsJson(spec.user_attrs);
  study["system_attrs"] = AttrsJson(summary.study.system_attrs);
  const std::vector<Trial> best = SelectBestTrials(spec, trials);
  Json best_trials = Json::array();
  for (const Trial& t : best) best_trials.push_back(TrialJson(t, /*with_intermediate=*/true));
  return Json{{"study", std::move(study)},
              {"best_trials", std::move(best_trials)},
              {"hypervolume", FrontHypervolume(spec, best)}};
}

Json SeriesJson(const StudySummary& summary, std::span<const Trial> trials) {
  const StudySpec& spec = summary.study.spec;
  Json numbers = Json::array(), states = Json::array(), starts = Json::array(),
       completes = Json::array(), feasible = Json::array();
  Json values = Json::array();
  for (size_t k = 0; k < spec.directions.size(); ++k) values.push_back(Json::array());
  const std::vector<ParamSpec>& space = spec.space.params();
  std::vector<Json> columns(space.size(), Json::array());
  for (const Trial& t : trials) {
    numbers.push_back(t.number);
    states.push_back(TrialStateName(t.state));
    const std::span<const double> shown = ShownValues(t);
    for (size_t k = 0; k < spec.directions.size(); ++k) {
      values[k].push_back(k < shown.size() ? JsonNumber(shown[k]) : Json(nullptr));
    }
    for (size_t i = 0; i < space.size(); ++i) {
      const std::optional<ParamValue> value = t.ExternalParam(space[i].name);
      columns[i].push_back(value ? ParamValueJson(*value) : Json(nullptr));
    }
    starts.push_back(JsonTime(t.datetime_start_us));
    completes.push_back(JsonTime(t.datetime_complete_us));
    feasible.push_back(IsFeasible(t));
  }
  Json params = Json::object();
  for (size_t i = 0; i < space.size(); ++i) params[space[i].name] = std::move(columns[i]);
  return {{"revision", summary.revision},
          {"number", std::move(numbers)},
          {"state", std::move(states)},
          {"values", std::move(values)},
          {"params", std::move(params)},
          {"datetime_start_us", std::move(starts)},
          {"datetime_complete_us", std::move(completes)},
          {"feasible", std::move(feasible)}};
}

Json IntermediateJson(const StudySummary& summary, std::span<const Trial> trials) {
  Json out = Json::array();
  for (const Trial& t : trials) {
    if (t.intermediate_values.empty()) continue;
    Json steps = Json::array(), values = Json::array();
    for (const auto& [step, value] : t.intermediate_values) {
      steps.push_back(step);
      values.push_back(JsonNumber(value));
    }
    out.push_back({{"number", t.number},
                   {"state", TrialStateName(t.state)},
                   {"steps", std::move(steps)},
                   {"values", std::move(values)}});
  }
  return {{"revision", summary.revision}, {"trials", std::move(out)}};
}

}  // namespace nasq
