// server/dashboard_json.h: the JSON documents of the dashboard's API (docs/dashboard.md): study
// summaries and details, trials, and the chart series, built from a study and its cached trials
// (StudyManager::ReadStudy) without copying them.
//
// Numbers JSON cannot hold are strings (JsonNumber); absent times are null; attrs (JSON text)
// are embedded as JSON, or as a string when the text is not JSON. Leases never show their token.
// Pure functions; thread-safe.
#ifndef NASQ_SERVER_DASHBOARD_JSON_H_
#define NASQ_SERVER_DASHBOARD_JSON_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "core/trial.h"
#include "nlohmann/json.hpp"
#include "server/study_manager.h"

namespace nasq {

// The objectives' names: the spec's metric names, else "value" (one objective) or "values_<k>".
std::vector<std::string> ObjectiveNames(const StudySpec& spec);

// A param's external value: a bool, an integer, a number (JsonNumber) or a string.
nlohmann::json ParamValueJson(const ParamValue& value);

// Whether `trial` keeps its outcome constraints (core/pareto.h: none, or every value <= 0);
// false when they cannot be read.
bool IsFeasible(const Trial& trial);

// docs/dashboard.md's Trial; `intermediate_values` only `with_intermediate` (detail views).
nlohmann::json TrialJson(const Trial& trial, bool with_intermediate);

// docs/dashboard.md's StudySummary of the study `summary` with `trials` (by number).
nlohmann::json StudySummaryJson(const StudySummary& summary, std::span<const Trial> trials);

// The body of GET /api/v1/studies/{name} but now_us: {"study", "best_trials", "hypervolume"}.
// INTERNAL when the stored spec cannot be written as JSON.
absl::StatusOr<nlohmann::json> StudyDetailJson(const StudySummary& summary,
                                               std::span<const Trial> trials);

// The body of GET /api/v1/studies/{name}/series: one column per field, one entry per trial.
nlohmann::json SeriesJson(const StudySummary& summary, std::span<const Trial> trials);

// The body of GET /api/v1/studies/{name}/intermediate: the trials with intermediate values.
nlohmann::json IntermediateJson(const StudySummary& summary, std::span<const Trial> trials);

}  // namespace nasq

#endif  // NASQ_SERVER_DASHBOARD_JSON_H_
