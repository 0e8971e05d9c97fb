// server/trial_rules.h: pure rules about trials that StudyManager applies under a study lock:
// Optuna's tell rules, objective values from named metrics, best trials, JSON attr helpers.
//
// Pure functions; thread-safe.
#ifndef NASQ_SERVER_TRIAL_RULES_H_
#define NASQ_SERVER_TRIAL_RULES_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/distribution.h"
#include "core/search_space.h"
#include "core/study.h"
#include "core/trial.h"

namespace nasq {

// The outcome of a tell: the state to store, its values and, for FAIL, why.
struct TellOutcome {
  TrialState state = TrialState::kComplete;
  std::vector<double> values;
  std::string fail_reason;  // empty unless the values forced FAIL
};

// Optuna's tell rules (docs/tpe.md 5.2) for `trial` in a study with `spec`:
//  * state nullopt -> COMPLETE if values are given, else INVALID_ARGUMENT;
//  * RUNNING/WAITING requested -> INVALID_ARGUMENT; PRUNED/FAIL with values -> INVALID_ARGUMENT;
//  * COMPLETE without values -> INVALID_ARGUMENT;
//  * COMPLETE with a wrong count or NaN -> FAIL with a reason (as Optuna's warning);
//  * PRUNED -> the last finite intermediate value as the value, single objective only.
absl::StatusOr<TellOutcome> ResolveTell(const StudySpec& spec, const Trial& trial,
                                        std::optional<TrialState> state,
                                        std::vector<double> values);

// The values a trial added finished (AddTrial, Optuna's add_trial) is stored with, by the tell
// rules where they apply (docs/tpe.md 5.2) but refusing what Tell would store as FAIL, since an
// added trial has no run to fail: COMPLETE needs one value per objective; PRUNED takes at most
// one (single objective), else the last finite intermediate value as Tell does; FAIL takes none.
// INVALID_ARGUMENT naming "trial.state" (not finished) or "trial.values" (wrong count, NaN).
absl::StatusOr<std::vector<double>> AddedTrialValues(const StudySpec& spec, const Trial& trial,
                                                     TrialState state, std::vector<double> values);

// The internal values of `params` (external values by name) for a trial of `space`, which must
// be a complete assignment (SearchSpace::CheckAssignment: every active param, no inactive one,
// constraints hold). INVALID_ARGUMENT naming "params.<name>" for an unknown param or a value
// that its distribution does not contain, else CheckAssignment's error under "params: ".
absl::StatusOr<InternalParams> InternalParamsOf(const SearchSpace& space,
                                                const std::map<std::string, ParamValue>& params);

// InternalParamsOf for an added trial in `state`: a FAIL trial may hold any subset of the
// space's params (Optuna keeps the params a failed objective suggested before it failed), each
// checked against its distribution; COMPLETE and PRUNED need a complete assignment.
absl::StatusOr<InternalParams> AddedTrialParams(const SearchSpace& space, TrialState state,
                                                const std::map<std::string, ParamValue>& params);

// Values for COMPLETE from `metrics` by spec.metric_names. INVALID_ARGUMENT naming the
// missing metric; FAILED_PRECONDITION when the study names no metrics.
absl::StatusOr<std::vector<double>> ValuesFromMetrics(const StudySpec& spec,
                                                      const std::map<std::string, double>& metrics);

// How many of `trials` FAILED in a row at the end, in the order they finished
// (datetime_complete_us, then number): the FAIL trials after the last COMPLETE or PRUNED one,
// counting only trials that finished after `since_us`.
int TrailingFailures(std::span<const Trial> trials, int64_t since_us = 0);

// The best COMPLETE trial (single objective, ties -> lowest number) or the Pareto front
// (multi-objective) among `trials`, by number. When any trial has outcome constraints
// (core/pareto.h TrialConstraints), only the feasible COMPLETE trials count, as in Optuna 5's
// best_trial and best_trials; a trial whose constraints cannot be read counts as infeasible.
std::vector<Trial> SelectBestTrials(const StudySpec& spec, std::span<const Trial> trials);

// The system attrs that store outcome constraints (Optuna's Trial.set_constraint): one
// "constraints:<name>" per entry, holding the value as a JSON number, as core/pareto.h
// TrialConstraints reads them (a trial is feasible when every value is <= 0). INVALID_ARGUMENT
// naming constraints.<name> for an empty name or a value that is NaN or infinite.
absl::StatusOr<std::map<std::string, std::string>> ConstraintAttrs(
    const std::map<std::string, double>& constraints);

// A JSON object text {"name": value, ...}; non-finite values become null.
std::string MetricsToJson(const std::map<std::string, double>& metrics);

// JSON string literal for `text` (quoted and escaped), for system attrs.
std::string JsonString(const std::string& text);
// The text of the JSON string literal `json` (inverse of JsonString); `json` itself when it is
// not a JSON string.
std::string JsonStringValue(const std::string& json);

}  // namespace nasq

#endif  // NASQ_SERVER_TRIAL_RULES_H_
