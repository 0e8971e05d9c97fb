// core/pruner_config.h: the study spec's pruner section (early stopping, docs/study-spec.md
// "Pruners"): which pruner judges the intermediate values a trial reports, and its options.
//
// The pruners follow Optuna 5 (optuna/pruners/*.py) in semantics and defaults; pruner/ holds
// the algorithms. Each kind's options are one struct described by a Field table (core/fields.h),
// which drives every codec (YAML, stored JSON, proto), the range checks and the docs tables.
// Paths: "pruner.<name>" for the options every pruner takes, "pruner.<section>.<name>" for a
// kind's options (YAML writes them directly under `pruner:`).
//
// Multi-objective studies: a trial reports one intermediate value per step, so a pruner acts on
// one objective, `objective` (an index into the study's directions), whose direction says
// whether a larger intermediate value is better. Plain value types; no internal
// synchronisation.
#ifndef NASQ_CORE_PRUNER_CONFIG_H_
#define NASQ_CORE_PRUNER_CONFIG_H_

#include <limits>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "core/fields.h"
#include "core/limits.h"

namespace nasq {

enum class PrunerKind {
  kNone = 0,
  kMedian = 1,
  kPercentile = 2,
  kSuccessiveHalving = 3,
  kHyperband = 4,
  kThreshold = 5,
  kPatient = 6,
};
// "none", "median", "percentile", "successive_halving", "hyperband", "threshold", "patient".
const char* PrunerKindName(PrunerKind k);
std::optional<PrunerKind> ParsePrunerKind(const std::string& s);  // case-insensitive

// MedianPruner and PercentilePruner (the median pruner is the percentile pruner at 50).
struct PercentilePrunerOptions {
  // Optuna requires it; 50 (the median) here, so that the section always has a value.
  double percentile = 50.0;
  int n_startup_trials = 5;
  int n_warmup_steps = 0;
  int interval_steps = 1;
  int n_min_trials = 1;

  friend bool operator==(const PercentilePrunerOptions&, const PercentilePrunerOptions&) = default;
};

// The median pruner takes the fields of this table but `percentile` (the first).
inline constexpr Field<PercentilePrunerOptions> kPercentilePrunerFields[] = {
    {.name = "percentile",
     .member = &PercentilePrunerOptions::percentile,
     .doc = "percentile of the completed trials' values at the step that a trial must beat",
     .rule = "0 to 100"},
    {.name = "n_startup_trials",
     .member = &PercentilePrunerOptions::n_startup_trials,
     .doc = "COMPLETE trials before any trial is pruned",
     .range = {{0, limits::kMaxTrials}}},
    {.name = "n_warmup_steps",
     .member = &PercentilePrunerOptions::n_warmup_steps,
     .doc = "steps of a trial before it may be pruned",
     .range = {{0, limits::kMaxPrunerSteps}}},
    {.name = "interval_steps",
     .member = &PercentilePrunerOptions::interval_steps,
     .doc = "steps between pruning checks (after the warm-up)",
     .range = {{1, limits::kMaxPrunerSteps}}},
    {.name = "n_min_trials",
     .member = &PercentilePrunerOptions::n_min_trials,
     .doc = "COMPLETE trials with a value at the step before it is judged",
     .range = {{1, limits::kMaxTrials}}},
};

// SuccessiveHalvingPruner (asynchronous successive halving, ASHA).
struct SuccessiveHalvingPrunerOptions {
  int min_resource = 0;  // 0 = "auto"
  int reduction_factor = 4;
  int min_early_stopping_rate = 0;
  int bootstrap_count = 0;

  friend bool operator==(const SuccessiveHalvingPrunerOptions&,
                         const SuccessiveHalvingPrunerOptions&) = default;
};

inline constexpr Field<SuccessiveHalvingPrunerOptions> kSuccessiveHalvingPrunerFields[] = {
    {.name = "min_resource",
     .member = &SuccessiveHalvingPrunerOptions::min_resource,
     .doc = "steps of the first rung",
     .range = {{0, limits::kMaxPrunerSteps}},
     .zero_means = "auto: the last step of the first COMPLETE trial / 100, at least 1"},
    {.name = "reduction_factor",
     .member = &SuccessiveHalvingPrunerOptions::reduction_factor,
     .doc = "1 / the fraction of trials promoted to the next rung",
     .range = {{2, limits::kMaxReductionFactor}}},
    {.name = "min_early_stopping_rate",
     .member = &SuccessiveHalvingPrunerOptions::min_early_stopping_rate,
     .doc = "the first rung is at min_resource * reduction_factor ^ this",
     .range = {{0, limits::kMaxEarlyStoppingRate}}},
    {.name = "bootstrap_count",
     .member = &SuccessiveHalvingPrunerOptions::bootstrap_count,
     .doc = "trials that must reach a rung before any is promoted from it",
     .range = {{0, limits::kMaxTrials}},
     .rule = "needs min_resource"},
};

// HyperbandPruner: successive halving in brackets with different early-stopping rates.
struct HyperbandPrunerOptions {
  int min_resource = 1;
  int max_resource = 0;  // 0 = "auto"
  int reduction_factor = 3;
  int bootstrap_count = 0;

  friend bool operator==(const HyperbandPrunerOptions&, const HyperbandPrunerOptions&) = default;
};

inline constexpr Field<HyperbandPrunerOptions> kHyperbandPrunerFields[] = {
    {.name = "min_resource",
     .member = &HyperbandPrunerOptions::min_resource,
     .doc = "steps of the first rung of the most aggressive bracket",
     .range = {{1, limits::kMaxPrunerSteps}}},
    {.name = "max_resource",
     .member = &HyperbandPrunerOptions::max_resource,
     .doc = "steps of a trial that runs to the end",
     .range = {{0, limits::kMaxPrunerSteps}},
     .rule = ">= min_resource",
     .zero_means = "auto: the last step of the first COMPLETE trial + 1"},
    {.name = "reduction_factor",
     .member = &HyperbandPrunerOptions::reduction_factor,
     .doc = "1 / the fraction of trials promoted to the next rung; sets the brackets",
     .range = {{2, limits::kMaxReductionFactor}}},
    {.name = "bootstrap_count",
     .member = &HyperbandPrunerOptions::bootstrap_count,
     .doc = "trials that must reach a rung before any is promoted from it",
     .range = {{0, limits::kMaxTrials}},
     .rule = "needs max_resource"},
};

// ThresholdPruner. An infinite bound is no bound (Optuna's None).
struct ThresholdPrunerOptions {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
  int n_warmup_steps = 0;
  int interval_steps = 1;

  friend bool operator==(const ThresholdPrunerOptions&, const ThresholdPrunerOptions&) = default;
};

inline constexpr Field<ThresholdPrunerOptions> kThresholdPrunerFields[] = {
    {.name = "lower",
     .member = &ThresholdPrunerOptions::lower,
     .doc = "prune a trial whose latest value is below this",
     .rule = "finite or -inf; lower or upper is needed"},
    {.name = "upper",
     .member = &ThresholdPrunerOptions::upper,
     .doc = "prune a trial whose latest value is above this",
     .rule = "finite or inf; >= lower"},
    {.name = "n_warmup_steps",
     .member = &ThresholdPrunerOptions::n_warmup_steps,
     .doc = "steps of a trial before it may be pruned",
     .range = {{0, limits::kMaxPrunerSteps}}},
    {.name = "interval_steps",
     .member = &ThresholdPrunerOptions::interval_steps,
     .doc = "steps between pruning checks (after the warm-up)",
     .range = {{1, limits::kMaxPrunerSteps}}},
};

// PatientPruner: prunes (or asks the `wrapped` pruner) once a trial has not improved for
// `patience` steps.
struct PatientPrunerOptions {
  int patience = 0;  // Optuna requires it
  double min_delta = 0.0;

  friend bool operator==(const PatientPrunerOptions&, const PatientPrunerOptions&) = default;
};

inline constexpr Field<PatientPrunerOptions> kPatientPrunerFields[] = {
    {.name = "patience",
     .member = &PatientPrunerOptions::patience,
     .doc = "steps without improvement that are tolerated",
     .range = {{0, limits::kMaxPrunerSteps}}},
    {.name = "min_delta",
     .member = &PatientPrunerOptions::min_delta,
     .doc = "the least change that counts as an improvement",
     .rule = ">= 0 and finite"},
};

struct PrunerConfig {
  PrunerKind kind = PrunerKind::kNone;
  // kind patient: the pruner asked once patience runs out; none = prune then. Not patient.
  PrunerKind wrapped = PrunerKind::kNone;
  int objective = 0;  // index into StudySpec::directions
  PercentilePrunerOptions percentile;
  SuccessiveHalvingPrunerOptions successive_halving;
  HyperbandPrunerOptions hyperband;
  ThresholdPrunerOptions threshold;
  PatientPrunerOptions patient;

  friend bool operator==(const PrunerConfig&, const PrunerConfig&) = default;
};

// The options every pruner kind takes (`kind` and `wrapped` are read by each codec itself).
inline constexpr Field<PrunerConfig> kPrunerOptionFields[] = {
    {.name = "objective",
     .member = &PrunerConfig::objective,
     .doc = "the objective (index into the directions) whose direction the intermediate values "
            "follow",
     .range = {{0, limits::kMaxObjectives - 1}},
     .rule = "< number of objectives"},
};

// The section names of the kinds' option structs in paths and stored JSON ("percentile",
// "successive_halving", "hyperband", "threshold", "patient"): the kind's own name, except that
// the median pruner's options live in "percentile". nullptr for kNone.
const char* PrunerSectionName(PrunerKind k);

// Validates `pruner` for a study with `n_objectives` objectives: the kinds, every option's range
// (all sections, whichever kind is chosen) and the rules of the tables above. INVALID_ARGUMENT
// naming the field, e.g. "pruner.percentile.percentile: must be between 0 and 100 (got 120)".
absl::Status ValidatePrunerConfig(const PrunerConfig& pruner, size_t n_objectives);

}  // namespace nasq

#endif  // NASQ_CORE_PRUNER_CONFIG_H_
