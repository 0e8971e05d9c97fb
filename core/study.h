// core/study.h: the study specification (what the user submits) and the stored Study.
//
// A StudySpec is the validated, structured form of a study YAML file (docs/study-spec.md): name,
// objective directions, search space, sampler configuration, limits and a free-form task
// section handed to workers untouched. Plain value types; no internal synchronisation.
#ifndef NASQ_CORE_STUDY_H_
#define NASQ_CORE_STUDY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/budget.h"
#include "core/fields.h"
#include "core/limits.h"
#include "core/pruner_config.h"
#include "core/search_space.h"

namespace nasq {

enum class StudyDirection { kMinimize = 1, kMaximize = 2 };
const char* StudyDirectionName(StudyDirection d);                         // "MINIMIZE" / "MAXIMIZE"
std::optional<StudyDirection> ParseStudyDirection(const std::string& s);  // case-insensitive

enum class SamplerKind { kRandom = 1, kGrid = 2, kTpe = 3, kNsga2 = 4 };
const char* SamplerKindName(SamplerKind k);  // "random" / "grid" / "tpe" / "nsga2"
std::optional<SamplerKind> ParseSamplerKind(const std::string& s);

// TPE options with Optuna 4.9 defaults (docs/tpe.md 1.1). Described by kTpeOptionFields.
struct TpeOptions {
  int n_startup_trials = 10;
  int n_ei_candidates = 24;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  bool multivariate = false;
  bool group = false;  // requires multivariate
  bool constant_liar = false;

  friend bool operator==(const TpeOptions&, const TpeOptions&) = default;
};

// The option fields of the StudySpec parts, each described once (core/fields.h): every codec
// (YAML, stored JSON, proto), the range checks of ValidateStudySpec, `nasq study show` and the
// tables of docs/study-spec.md are driven by these tables. Paths: "sampler.tpe.<name>" (YAML
// writes TPE and NSGA-II options directly under `sampler:`), "sampler.nsga2.<name>",
// "sampler.<name>", "<name>".
inline constexpr Field<TpeOptions> kTpeOptionFields[] = {
    {.name = "n_startup_trials",
     .member = &TpeOptions::n_startup_trials,
     .doc = "random trials before TPE starts",
     .range = {{0, limits::kMaxStartupTrials}}},
    {.name = "n_ei_candidates",
     .member = &TpeOptions::n_ei_candidates,
     .doc = "candidates scored per parameter",
     .range = {{1, limits::kMaxEiCandidates}}},
    {.name = "prior_weight",
     .member = &TpeOptions::prior_weight,
     .doc = "weight of the prior in the Parzen estimators",
     .rule = "> 0 and finite"},
    {.name = "consider_magic_clip",
     .member = &TpeOptions::consider_magic_clip,
     .doc = "clip the estimators' bandwidths from below (Optuna's magic clip)"},
    {.name = "consider_endpoints",
     .member = &TpeOptions::consider_endpoints,
     .doc = "let the bandwidths of the outermost observations reach the bounds"},
    {.name = "multivariate",
     .member = &TpeOptions::multivariate,
     .doc = "joint (multivariate) TPE over the params"},
    {.name = "group",
     .member = &TpeOptions::group,
     .doc = "multivariate per group of params that appear together (conditional spaces)",
     .rule = "needs multivariate"},
    {.name = "constant_liar",
     .member = &TpeOptions::constant_liar,
     .doc = "treat running trials as bad results, for parallel workers"},
};

// NSGA-II's crossovers (Optuna's optuna.samplers.nsgaii.*Crossover, docs/tpe.md 8.3).
enum class Nsga2Crossover { kUniform = 1, kBlxAlpha = 2, kSbx = 3, kVsbx = 4, kSpx = 5, kUndx = 6 };
// "uniform" / "blxalpha" / "sbx" / "vsbx" / "spx" / "undx".
const char* Nsga2CrossoverName(Nsga2Crossover c);
std::optional<Nsga2Crossover> ParseNsga2Crossover(const std::string& s);  // case-insensitive

// NSGA-II options with the defaults of Optuna 5's NSGAIISampler and its crossovers (docs/tpe.md
// 8.1). The numeric options are described by kNsga2OptionFields; `crossover` is read by each
// codec itself. Where Optuna's default is None (computed), 0 stands for it here.
struct Nsga2Options {
  int population_size = 50;
  double mutation_prob = 0.0;  // 0 = 1 / number of params of the child
  double crossover_prob = 0.9;
  double swapping_prob = 0.5;
  Nsga2Crossover crossover = Nsga2Crossover::kUniform;
  double alpha = 0.5;                   // blxalpha
  double eta = 0.0;                     // sbx, vsbx; 0 = 20 with several objectives, else 2
  double uniform_crossover_prob = 0.5;  // sbx, vsbx
  double use_child_gene_prob = 0.5;     // sbx, vsbx
  double epsilon = 0.0;                 // spx; 0 = sqrt(number of params + 2)
  double sigma_xi = 0.5;                // undx
  double sigma_eta = 0.0;               // undx; 0 = 0.35 / sqrt(number of params)

  friend bool operator==(const Nsga2Options&, const Nsga2Options&) = default;
};

inline constexpr Field<Nsga2Options> kNsga2OptionFields[] = {
    {.name = "population_size",
     .member = &Nsga2Options::population_size,
     .doc = "COMPLETE trials per generation",
     .range = {{2, limits::kMaxPopulationSize}}},
    {.name = "mutation_prob",
     .member = &Nsga2Options::mutation_prob,
     .doc = "probability that a child's param is redrawn at random",
     .rule = "0 to 1",
     .zero_means = "1 / number of params"},
    {.name = "crossover_prob",
     .member = &Nsga2Options::crossover_prob,
     .doc = "probability that a child is a crossover of two parents rather than a copy of one",
     .rule = "0 to 1"},
    {.name = "swapping_prob",
     .member = &Nsga2Options::swapping_prob,
     .doc = "uniform crossover (and categorical params): probability of taking the 2nd parent's",
     .rule = "0 to 1"},
    {.name = "alpha",
     .member = &Nsga2Options::alpha,
     .doc = "blxalpha: how far beyond the parents' box a child may land",
     .rule = ">= 0 and finite"},
    {.name = "eta",
     .member = &Nsga2Options::eta,
     .doc = "sbx, vsbx: distribution index (larger keeps children nearer their parents)",
     .rule = ">= 0 and finite",
     .zero_means = "20 with several objectives, else 2"},
    {.name = "uniform_crossover_prob",
     .member = &Nsga2Options::uniform_crossover_prob,
     .doc = "sbx, vsbx: probability of swapping the two children's genes",
     .rule = "0 to 1"},
    {.name = "use_child_gene_prob",
     .member = &Nsga2Options::use_child_gene_prob,
     .doc = "sbx, vsbx: probability of a child's gene rather than a parent's",
     .rule = "> 0 and <= 1"},
    {.name = "epsilon",
     .member = &Nsga2Options::epsilon,
     .doc = "spx: expansion rate of the parents' simplex",
     .rule = ">= 0 and finite",
     .zero_means = "sqrt(number of params + 2)"},
    {.name = "sigma_xi",
     .member = &Nsga2Options::sigma_xi,
     .doc = "undx: spread along the line through the first two parents",
     .rule = ">= 0 and finite"},
    {.name = "sigma_eta",
     .member = &Nsga2Options::sigma_eta,
     .doc = "undx: spread orthogonal to that line",
     .rule = ">= 0 and finite",
     .zero_means = "0.35 / sqrt(number of params)"},
};

struct SamplerConfig {
  SamplerKind kind = SamplerKind::kTpe;
  uint64_t seed = 0;
  TpeOptions tpe;
  Nsga2Options nsga2;
  // Upper bound on redraws when a draw violates the space's constraints, breaks a budget or,
  // with skip_duplicates, repeats a trial (see SampleTrial).
  int max_constraint_retries = 100;
  // Not grid (which never repeats): redraw params that equal those of a trial of the
  // study that has not FAILED, so that no configuration is trained twice. Off by default, as in
  // Optuna, whose TPE proposes its best configuration again and again on small discrete spaces.
  bool skip_duplicates = false;

  friend bool operator==(const SamplerConfig&, const SamplerConfig&) = default;
};

// The options every sampler kind takes (`kind` and `seed` pick the sampler and its stream and
// are read by each codec itself).
inline constexpr Field<SamplerConfig> kSamplerOptionFields[] = {
    {.name = "max_constraint_retries",
     .member = &SamplerConfig::max_constraint_retries,
     .doc = "redraws when a draw violates a constraint, breaks a budget or repeats a trial",
     .range = {{1, limits::kMaxConstraintRetries}}},
    {.name = "skip_duplicates",
     .member = &SamplerConfig::skip_duplicates,
     .doc = "redraw params that repeat a trial that has not failed (not grid)",
     .rule = "not with grid"},
};

struct StudySpec {
  std::string name;                        // [A-Za-z0-9._-]{1,128}
  std::vector<StudyDirection> directions;  // >= 1 objective
  std::vector<std::string> metric_names;   // empty, or one per direction
  // The point the hypervolume of the study's Pareto front is measured from (`nasq pareto`,
  // `watch`, `plot`), one finite value per direction in the objective's own units; empty = derived
  // from the front (core/pareto.h DefaultReferencePoint). Reporting only: no sampler reads it.
  std::vector<double> reference_point;
  SearchSpace space;
  SamplerConfig sampler;
  PrunerConfig pruner;     // early stopping (core/pruner_config.h); none by default
  int64_t max_trials = 0;  // completed trials that end the study; 0 = unlimited
  int max_retries = 2;     // expired leases before a trial is FAILED
  // Trials that FAIL in a row (in the order they finish; a COMPLETE or PRUNED trial resets the
  // count) before the study stops itself (STOPPED, system attr "stop_reason"); 0 = never.
  int max_consecutive_failures = 10;
  int64_t lease_duration_ms = 60000;              // a lease lasts this long without a heartbeat
  int64_t heartbeat_interval_ms = 10000;          // workers heartbeat this often (< lease_duration)
  std::string task_json = "{}";                   // free-form task section, JSON text
  std::map<std::string, std::string> user_attrs;  // key -> JSON text
  // Cost metrics bounded before a trial is dispatched (core/budget.h); none by default.
  Budgets budgets;
};

// The limits of a study's run.
inline constexpr Field<StudySpec> kStudyLimitFields[] = {
    {.name = "max_trials",
     .member = &StudySpec::max_trials,
     .doc = "COMPLETE + PRUNED trials that end the study",
     .range = {{0, limits::kMaxTrials}},
     .zero_means = "unlimited"},
    {.name = "max_retries",
     .member = &StudySpec::max_retries,
     .doc = "expired leases before a trial is FAILED",
     .range = {{0, limits::kMaxRetries}}},
    {.name = "max_consecutive_failures",
     .member = &StudySpec::max_consecutive_failures,
     .doc = "trials FAILED in a row that stop the study",
     .range = {{0, limits::kMaxTrials}},
     .zero_means = "never"},
    {.name = "lease_duration_ms",
     .member = &StudySpec::lease_duration_ms,
     .doc = "a lease lasts this long without a heartbeat",
     .range = {{1, limits::kMaxLeaseDurationMs}},
     .yaml_name = "lease.duration",
     .millis = true},
    {.name = "heartbeat_interval_ms",
     .member = &StudySpec::heartbeat_interval_ms,
     .doc = "workers heartbeat this often",
     .rule = "> 0 and < lease duration",
     .yaml_name = "lease.heartbeat_interval",
     .millis = true},
};

// Validates everything but the space's own rules (which SearchSpace::Create already checked):
// name, directions, metric names, sampler options (group needs multivariate, skip_duplicates not
// with grid, ...), pruner options (ValidatePrunerConfig), grid needs a finite discrete space (at
// most 10,000,000 points), and every count, duration and string against its documented range
// (core/limits.h, docs/study-spec.md "Limits": max_trials, lease_duration_ms, n_ei_candidates,
// param and choice counts, string sizes and UTF-8, ...). task_json is NOT parsed here (core depends
// on std + abseil only): whoever parses the spec checks it. INVALID_ARGUMENT naming the field (e.g.
// "sampler.tpe.group: requires multivariate", "lease_duration_ms: must be between 1 and 604800000
// (got 0)"). Budgets are checked by ValidateBudgets; whether the task can estimate their
// metrics is checked by the server, which knows the task.
absl::Status ValidateStudySpec(const StudySpec& spec);

enum class StudyState { kRunning = 1, kCompleted = 2, kStopped = 3 };
const char* StudyStateName(StudyState s);  // "RUNNING" / "COMPLETED" / "STOPPED"
std::optional<StudyState> ParseStudyState(const std::string& s);

struct Study {
  int64_t id = -1;
  StudySpec spec;
  StudyState state = StudyState::kRunning;
  int64_t created_us = 0;
  std::map<std::string, std::string> system_attrs;  // key -> JSON text
};

}  // namespace nasq

#endif  // NASQ_CORE_STUDY_H_
