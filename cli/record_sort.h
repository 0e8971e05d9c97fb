// cli/record_sort.h: the order `nasq trials --sort` gives trial records.
//
// A sort key is a column name, optionally followed by ":asc" or ":desc". The name is an
// objective ("value" for the first, its column from ObjectiveColumns, or its metric name), any
// column of the flattened records ("number", "params_lr", "duration", ...) or a metric the
// worker reported (a key of user_attrs "metrics": "f1" for "user_attrs_metrics_f1"). Objectives
// sort best first by default (largest first when maximised), other columns ascending. Numbers
// compare as numbers, anything else as its text after every number; cells that are missing,
// null or NaN sort last in either direction; ties keep their order. Pure; thread-safe.
#ifndef NASQ_CLI_RECORD_SORT_H_
#define NASQ_CLI_RECORD_SORT_H_

#include <string>

#include "absl/status/status.h"
#include "nasq/v1/study.pb.h"
#include "nlohmann/json.hpp"

namespace nasq {

// Sorts `records` (trial records of a study with `spec`, as TrialRecord builds them) stably by
// `key`. INVALID_ARGUMENT naming --sort when `key` names no objective and no column of any
// record (an empty list accepts any key).
absl::Status SortTrialRecords(const std::string& key, const v1::StudySpec& spec,
                              nlohmann::ordered_json& records);

}  // namespace nasq

#endif  // NASQ_CLI_RECORD_SORT_H_
