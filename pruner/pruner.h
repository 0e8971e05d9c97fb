// pruner/pruner.h: the Pruner interface (early stopping) and the factory for the study's pruner.
//
// Modelled on Optuna's BasePruner.prune(study, trial) (optuna/pruners/_base.py): after a trial
// reports an intermediate value, the pruner decides from the study's history whether the trial
// should stop. The pruners (median, percentile, successive halving, Hyperband, threshold,
// patient, none) copy Optuna 5's semantics and defaults; core/pruner_config.h describes their
// options and docs/study-spec.md ("Pruners") the choices nasq makes where Optuna keeps state:
//
//  * A pruner is a pure function of (pruner config, study name and direction, history, trial):
//    the same inputs give the same decision. What Optuna's successive halving writes into the
//    trial while deciding (system attrs "completed_rung_<k>") is returned in the decision for
//    the caller to store with the report, so that later decisions see it in the history.
//  * min_resource (successive halving) and max_resource (Hyperband) "auto" are estimated, as
//    in Optuna, from COMPLETE trials with intermediate values, but always from the one that
//    finished first (earliest datetime_complete_us, then lowest number) instead of those that
//    happened to be complete when a pruner instance first looked: the same value in a
//    sequential study, and one that never changes afterwards in a parallel one.
//
// Thread-safety: a Pruner is immutable after creation; ShouldPrune is const and may be called
// from any thread.
#ifndef NASQ_PRUNER_PRUNER_H_
#define NASQ_PRUNER_PRUNER_H_

#include <map>
#include <memory>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "core/pruner_config.h"
#include "core/study.h"
#include "core/trial.h"

namespace nasq {

// Everything a pruner may look at when judging `trial`.
struct PruningContext {
  absl::string_view study_name;  // Hyperband assigns brackets by (study name, trial number)
  // The direction of the objective the pruner acts on (PrunerConfig::objective).
  StudyDirection direction = StudyDirection::kMinimize;
  // The study's trials in any state, by number. May hold an older copy of `trial` (same
  // number); pruners read the trial being judged only from `trial`.
  std::span<const Trial> history;
  const Trial* trial = nullptr;  // never null: the trial with the value it just reported
};

struct PruneDecision {
  bool prune = false;
  // System attrs (key -> JSON text) to store on the trial with the report, pruned or not.
  std::map<std::string, std::string> system_attrs;
};

class Pruner {
 public:
  virtual ~Pruner() = default;

  // Whether ctx.trial should stop now. A trial without intermediate values is never pruned.
  virtual PruneDecision ShouldPrune(const PruningContext& ctx) const = 0;
};

// The pruner that `config` names (a pruner that never prunes for kind none). `config` must be
// valid (ValidatePrunerConfig).
std::unique_ptr<Pruner> CreatePruner(const PrunerConfig& config);

// The context for judging `trial` of the study `spec` with its pruner (spec.pruner.objective
// picks the direction). `spec`, `history` and `trial` must outlive the context.
PruningContext MakePruningContext(const StudySpec& spec, std::span<const Trial> history,
                                  const Trial& trial);

}  // namespace nasq

#endif  // NASQ_PRUNER_PRUNER_H_
