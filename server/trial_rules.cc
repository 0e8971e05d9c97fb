#include "server/trial_rules.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/pareto.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"

namespace nasq {
absl::StatusOr<TellOutcome> ResolveTell(const StudySpec& spec, const Trial& trial,
                                        std::optional<TrialState> state,
                                        std::vector<double> values) {
  TrialState target = state.value_or(TrialState::kComplete);
  if (!state && values.empty()) {
    return absl::InvalidArgumentError(
        "values: no values were told; values are required when state is COMPLETE");
  }
  if (!IsFinished(target)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "state: a trial can only be told COMPLETE, PRUNED or FAIL, not ", TrialStateName(target)));
  }
  TellOutcome outcome{target, {}, ""};
  if (target != TrialState::kComplete) {
    if (!values.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("values: values cannot be given when state is ", TrialStateName(target)));
    }
    if (target == TrialState::kPruned && spec.directions.size() == 1 &&
        !trial.intermediate_values.empty()) {
      double last = trial.intermediate_values.rbegin()->second;
      if (std::isfinite(last)) outcome.values = {last};
    }
    return outcome;
  }
  if (values.empty()) {
    return absl::InvalidArgumentError(
        "values: no values were told; values are required when state is COMPLETE");
  }
  if (values.size() != spec.directions.size()) {
    outcome.state = TrialState::kFail;
    outcome.fail_reason =
        absl::StrCat("The number of the values ", values.size(),
                     " did not match the number of the objectives ", spec.directions.size(), ".");
    return outcome;
  }
  for (double v : values) {
    if (std::isnan(v)) {
      outcome.state = TrialState::kFail;
      outcome.fail_reason = "The value nan is not acceptable.";
      return outcome;
    }
  }
  outcome.values = std::move(values);
  return outcome;
}

absl::StatusOr<std::vector<double>> AddedTrialValues(const StudySpec& spec, const Trial& trial,
                                                     TrialState state, std::vector<double> values) {
  if (!IsFinished(state)) {
    return absl::InvalidArgumentError(
        absl::StrCat("trial.state: an added trial must be COMPLETE, PRUNED or FAIL, not ",
                     TrialStateName(state)));
  }
  for (double v : values) {
    if (std::isnan(v)) return absl::InvalidArgumentError("trial.values: NaN is not a value");
  }
  const size_t objectives = spec.directions.size();
  if (state == TrialState::kComplete) {
    if (values.size() != objectives) {
      return absl::InvalidArgumentError(
          absl::StrCat("trial.values: a COMPLETE trial needs one value per objective (", objectives,
                       "), got ", values.size()));
    }
    return values;
  }
  if (state == TrialState::kFail) {
    if (!values.empty()) {
      return absl::InvalidArgumentError("trial.values: a FAIL trial holds no values");
    }
    return values;
  }
  if (values.size() > (objectives == 1 ? 1 : 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("trial.values: a PRUNED trial holds at most one value, and only in a study "
                     "with one objective; got ",
                     values.size(), " for ", objectives, " objectives"));
  }
  if (!values.empty()) return values;
  // Tell's rule for PRUNED: the last finite intermediate value, if any.
  NASQ_ASSIGN_OR_RETURN(TellOutcome outcome, ResolveTell(spec, trial, state, {}));
  return outcome.values;
}

namespace {

// The internal values of `params`, each checked against its param's distribution in `space`.
absl::StatusOr<InternalParams> InternalValuesOf(const SearchSpace& space,
                                                const std::map<std::string, ParamValue>& params) {
  InternalParams internal;
  for (const auto& [name, value] : params) {
    const std::string field = absl::StrCat("params.", name);
    const ParamSpec* param = space.Find(name);
    if (param == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": the study's search space has no such param"));
    }
    absl::StatusOr<double> v = ToInternal(param->distribution, value);
    if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", v.status().message()));
    internal[name] = *v;
  }
  return internal;
}

}  // namespace

absl::StatusOr<InternalParams> AddedTrialParams(const SearchSpace& space, TrialState state,
                                                const std::map<std::string, ParamValue>& params) {
  if (state == TrialState::kFail) return InternalValuesOf(space, params);
  return InternalParamsOf(space, params);
}

absl::StatusOr<InternalParams> InternalParamsOf(const SearchSpace& space,
                                                const std::map<std::string, ParamValue>& params) {
  NASQ_ASSIGN_OR_RETURN(InternalParams internal, InternalValuesOf(space, params));
  if (absl::Status status = space.CheckAssignment(internal); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("params: ", status.message()));
  }
  return internal;
}

absl::StatusOr<std::vector<double>> ValuesFromMetrics(
    const StudySpec& spec, const std::map<std::string, double>& metrics) {
  if (spec.metric_names.empty()) {
    return absl::InvalidArgumentError(
        "values: required (the study names no metric_names to take them from metrics)");
  }
  std::vector<double> values;
  for (const std::string& name : spec.metric_names) {
    auto it = metrics.find(name);
    if (it == metrics.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics: objective metric '", name, "' was not reported"));
    }
    values.push_back(it->second);
  }
  return values;
}

int TrailingFailures(std::span<const Trial> trials, int64_t since_us) {
  std::vector<const Trial*> finished;
  for (const Trial& t : trials) {
    if (IsFinished(t.state) && t.datetime_complete_us > since_us) finished.push_back(&t);
  }
  std::sort(finished.begin(), finished.end(), [](const Trial* a, const Trial* b) {
    return std::pair(a->datetime_complete_us, a->number) <
           std::pair(b->datetime_complete_us, b->number);
  });
  int failures = 0;
  for (auto it = finished.rbegin(); it != finished.rend() && (*it)->state == TrialState::kFail;
       ++it) {
    ++failures;
  }
  return failures;
}

std::vector<Trial> SelectBestTrials(const StudySpec& spec, std::span<const Trial> trials) {
  const std::vector<ParetoRole> roles = ParetoRoles(trials, spec.directions);
  std::vector<Trial> best;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (roles[i] != ParetoRole::kFront) continue;
    best.push_back(trials[i]);
    if (spec.directions.size() == 1) break;  // ties go to the lowest number
  }
  return best;
}

absl::StatusOr<std::map<std::string, std::string>> ConstraintAttrs(
    const std::map<std::string, double>& constraints) {
  std::map<std::string, std::string> attrs;
  for (const auto& [name, value] : constraints) {
    const std::string field = absl::StrCat("constraints.", name);
    if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": empty name"));
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": a constraint value must be finite, got ", value));
    }
    attrs[absl::StrCat("constraints:", name)] = nlohmann::json(value).dump();
  }
  return attrs;
}

std::string MetricsToJson(const std::map<std::string, double>& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : metrics) {
    out[name] = std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
  }
  return out.dump();
}

std::string JsonString(const std::string& text) { return nlohmann::json(text).dump(); }

std::string JsonStringValue(const std::string& json) {
  const nlohmann::json value = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  return value.is_string() ? value.get<std::string>() : json;
}

}  // namespace nasq
