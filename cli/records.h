// cli/records.h: turns nasq.v1 studies and trials into the records the CLI prints.
//
// A trial record has Optuna's trials_dataframe columns in Optuna's order: number, value (or
// values for multi-objective studies; one column per objective named by its metric when the
// multi-objective study names its metrics), datetime_start, datetime_complete, duration, params
// (sorted by name), user_attrs (when present), state, then fail_reason for a FAIL trial that
// has one; export records add attempt and system_attrs (fail_reason among them) instead. Times
// print as "%Y-%m-%d %H:%M:%S" (UTC) and durations like Python's str(timedelta) ("0:00:01.250000").
// Pure functions; thread-safe.
#ifndef NASQ_CLI_RECORDS_H_
#define NASQ_CLI_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/study.h"
#include "nasq/v1/study.pb.h"
#include "nasq/v1/trial.pb.h"
#include "nasq/v1/worker_service.pb.h"
#include "nlohmann/json.hpp"

namespace nasq {

struct TrialRecordOptions {
  bool multi_objective = false;  // "values": [...] instead of "value"
  // With multi_objective: the record key of each objective ("accuracy": 0.9, ...) instead of
  // "values"; ObjectiveColumns gives them.
  std::vector<std::string> objective_keys;
  bool with_system = false;  // add attempt and system_attrs (export)
};

// The column of each objective of a study with `spec` in a flattened trial record: "value" for
// one objective; each metric's name for several objectives with metric names, except that a
// name the record uses itself ("state", "params", ...) or that flattening could produce
// ("params_x") becomes "values_<name>"; else "values_0", "values_1", ...
std::vector<std::string> ObjectiveColumns(const v1::StudySpec& spec);

// The columns of a flattened trial record of a study with `spec`, most useful first, as a table
// on a narrow terminal keeps them (TableColumns::priority): number, state, the objectives
// (ObjectiveColumns), duration, then params_<name> in the study's order of params.
std::vector<std::string> TrialColumnPriority(const v1::StudySpec& spec);

// The options that show the trials of a study with `spec`: multi_objective and objective_keys.
TrialRecordOptions RecordOptionsFor(const v1::StudySpec& spec);

nlohmann::ordered_json ParamValueToJson(const v1::ParamValue& value);

nlohmann::ordered_json TrialRecord(const v1::Trial& trial, const TrialRecordOptions& options);

// {"number": N, "params": {...}, "lease": {"epoch": E, "token": T, "expires": "..."}}: what
// `nasq ask` prints, with the lease that `nasq heartbeat` and `nasq tell --epoch --token` name.
nlohmann::ordered_json AskRecord(const v1::Trial& trial);
// {"number": N, "epoch": E, "expires": "...", "stop": false}: what `nasq heartbeat` prints.
nlohmann::ordered_json HeartbeatRecord(int64_t number, const v1::HeartbeatResponse& response);

// name, direction, n_trials, state, sampler, datetime_start: one row of `nasq study list`.
nlohmann::ordered_json StudyRecord(const v1::Study& study);

// "tpe (seed 0)", plus every option that differs from its default, by its study-file name:
// "tpe (seed 0; n_startup_trials 4, multivariate, skip_duplicates)".
std::string SamplerText(const SamplerConfig& sampler);

// The pruner's kind plus every option of it that differs from its default, by its study-file
// name, and the wrapped pruner's: "median (n_startup_trials 3)", "threshold (lower 0.5)",
// "patient (patience 3; wrapped median: n_warmup_steps 2)".
std::string PrunerText(const PrunerConfig& pruner);

// "<name>: <value>" of the limit `field` (of kStudyLimitFields) in `spec`, as the study file
// writes it: the YAML name ("lease.duration"), the number, a duration ("60s", "1500ms"), or what
// 0 means where the field says ("unlimited", "never").
std::string LimitText(const StudySpec& spec, const Field<StudySpec>& field);

// The text of string attr `key` ("fail_reason", "stop_reason": JSON strings) in `attrs`;
// nullopt when absent. A value that is not a JSON string is returned as stored.
std::optional<std::string> AttrText(const google::protobuf::Map<std::string, std::string>& attrs,
                                    const std::string& key);

// "MINIMIZE" or "MAXIMIZE, MINIMIZE".
std::string DirectionsText(const v1::StudySpec& spec);
// {"MAXIMIZE", "MINIMIZE"}: one per objective.
std::vector<std::string> DirectionNames(const v1::StudySpec& spec);
// "COMPLETE", "RUNNING", ...
std::string TrialStateText(v1::TrialState state);
// "RUNNING", "COMPLETED", "STOPPED".
std::string StudyStateText(v1::StudyState state);
// "2024-05-01 12:00:00" (UTC); "" for 0.
std::string FormatTime(int64_t micros);
// "1:02:03.250000" like Python's str(timedelta), or "0:00:07" for whole seconds.
std::string FormatDuration(int64_t micros);

}  // namespace nasq

#endif  // NASQ_CLI_RECORDS_H_
