// pruner/pruners.h: the pruner kinds behind CreatePruner, and the helpers they share. Internal to
// pruner/ (tests may use it); see pruner/pruner.h for the contract.
//
// Thread-safety: pure functions; the pruners are immutable.
#ifndef NASQ_PRUNER_PRUNERS_H_
#define NASQ_PRUNER_PRUNERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/pruner_config.h"
#include "core/trial.h"
#include "pruner/pruner.h"

namespace nasq {

// ---- the kinds (one file each) ----------------------------------------------------------------

// Optuna's PercentilePruner (MedianPruner: percentile 50).
std::unique_ptr<Pruner> MakePercentilePruner(const PercentilePrunerOptions& options);
// Optuna's SuccessiveHalvingPruner.
std::unique_ptr<Pruner> MakeSuccessiveHalvingPruner(const SuccessiveHalvingPrunerOptions& options);
// Optuna's HyperbandPruner.
std::unique_ptr<Pruner> MakeHyperbandPruner(const HyperbandPrunerOptions& options);
// Optuna's ThresholdPruner.
std::unique_ptr<Pruner> MakeThresholdPruner(const ThresholdPrunerOptions& options);
// Optuna's PatientPruner around `wrapped` (null: prune once patience runs out).
std::unique_ptr<Pruner> MakePatientPruner(const PatientPrunerOptions& options,
                                          std::unique_ptr<Pruner> wrapped);

// Optuna's SuccessiveHalvingPruner.prune with options.min_resource > 0 (resolved), competing
// against the trials of ctx.history that `member` admits (Hyperband: the trial's bracket).
PruneDecision SuccessiveHalving(const PruningContext& ctx,
                                const SuccessiveHalvingPrunerOptions& options,
                                const std::function<bool(const Trial&)>& member);

// ---- shared helpers ---------------------------------------------------------------------------

// The trial's largest step (Optuna's FrozenTrial.last_step); nullopt without intermediate values.
std::optional<int64_t> LastStep(const Trial& trial);

// Optuna's _is_first_in_interval_step: whether `step` is the first reported step at or after
// the latest pruning point (n_warmup_steps + k * interval_steps) at or below it. step >=
// n_warmup_steps.
bool IsFirstInIntervalStep(int64_t step, const std::map<int64_t, double>& intermediate_values,
                           int64_t n_warmup_steps, int64_t interval_steps);

// The COMPLETE trial with intermediate values that finished first (earliest
// datetime_complete_us, then lowest number): what "auto" resources are estimated from
// (pruner/pruner.h). Null when there is none.
const Trial* FirstCompleteWithSteps(std::span<const Trial> history);

// The smallest (MINIMIZE) or largest (MAXIMIZE) of `values`, ignoring NaN (numpy's nanmin /
// nanmax); NaN when every value is NaN or there is none.
double NanBest(const std::vector<double>& values, StudyDirection direction);

// A value stored in a system attr: JSON text of a finite number, or the JSON string "inf" /
// "-inf" (JSON has no infinity). ParseAttrDouble reads both; nullopt for anything else.
std::string AttrDouble(double value);
std::optional<double> ParseAttrDouble(const std::string& json);

// zlib's CRC-32 (Python's binascii.crc32) of `bytes`.
uint32_t Crc32(absl::string_view bytes);

}  // namespace nasq

#endif  // NASQ_PRUNER_PRUNERS_H_
