// sampler/sampler.h: the Sampler interface and the driver that samples one trial.
//
// Modelled on Optuna's sampler split (docs/tpe.md 1.2): a sampler may sample groups of parameters
// jointly ("relative") and samples the rest one at a time ("independent"). Samplers read history
// only through SamplingContext (a read-only view); they never write to storage. A sampler is a
// pure function of (spec, seed, history, trial number): the same inputs give the same
// suggestion, which is what makes restart and replay exact. Internal caches are allowed as long
// as they never change results.
//
// Thread-safety: a Sampler instance is used by one thread at a time (the StudyManager holds the
// study's lock while sampling); SampleTrial is reentrant for distinct samplers.
#ifndef NASQ_SAMPLER_SAMPLER_H_
#define NASQ_SAMPLER_SAMPLER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/search_space.h"
#include "core/study.h"
#include "core/trial.h"

namespace nasq {

// Whether a complete assignment may be dispatched: OK, or a status whose message names what it
// breaks, e.g. a study's budget ("budgets.avg_bitwidth: 7.25 > max 6", docs/study-spec.md
// "Budgets"). Must be a pure function of the assignment.
using AdmissibilityCheck = std::function<absl::Status(const InternalParams&)>;

// Everything a sampler may look at when sampling trial `trial_number`.
struct SamplingContext {
  const StudySpec* spec = nullptr;  // never null; spec->space is validated
  std::span<const Trial> history;   // the study's other trials (any state), by number
  int64_t trial_number = 0;         // the trial being sampled
  int redraw = 0;                   // 0, then 1, 2, ... when constraints forced a redraw
  std::mt19937_64* rng = nullptr;   // seeded by SampleTrial from (seed, number, redraw)
  // Checked by SampleTrial on every draw that satisfies the space's constraints; null = every
  // assignment is admissible. Not owned; outlives the SampleTrial call.
  const AdmissibilityCheck* admissible = nullptr;
};

class Sampler {
 public:
  virtual ~Sampler() = default;

  // Groups of parameter names to sample jointly for this trial (disjoint). Default: none.
  virtual std::vector<std::vector<std::string>> InferRelativeSearchSpace(
      const SamplingContext& ctx) {
    return {};
  }

  // Joint sample of `group`. May return a subset of the group (or nothing); the driver samples
  // what is missing independently. Values must be contained in their distributions.
  virtual absl::StatusOr<InternalParams> SampleRelative(const SamplingContext& ctx,
                                                        const std::vector<std::string>& group) {
    return InternalParams{};
  }

  // Samples the active parameter `param` given the parameters assigned so far (`partial`).
  // Returns an internal value contained in param.distribution.
  virtual absl::StatusOr<double> SampleIndependent(const SamplingContext& ctx,
                                                   const ParamSpec& param,
                                                   const InternalParams& partial) = 0;

  // For skip_duplicates (see SampleTrial): an assignment that `is_taken` refuses and that
  // satisfies the space's constraints, chosen by the sampler's own model and drawn with ctx.rng;
  // nullopt when the model offers nothing new, and SampleTrial then draws uniformly. Same
  // inputs, same result. Default: nullopt (a sampler without a model has nothing to add).
  virtual absl::StatusOr<std::optional<InternalParams>> SampleUntried(
      const SamplingContext& ctx, const std::function<bool(const InternalParams&)>& is_taken) {
    return std::nullopt;
  }

  // True when the sampler cannot produce a trial numbered ctx.trial_number (grid exhausted).
  virtual bool IsExhausted(const SamplingContext& ctx) const { return false; }

  // Called by SampleTrial once per trial, before any other sampling call for it, with the
  // history that the following calls (all redraws included) will see; ctx.rng is null (must
  // not draw). A sampler may precompute per-trial state here (TPE splits the history once per
  // trial instead of once per param); it must still give the same results when called
  // directly without it. An error aborts SampleTrial. Default: nothing.
  virtual absl::Status BeginTrial(const SamplingContext& ctx) { return absl::OkStatus(); }
};

// Builds the sampler that spec.sampler names. INVALID_ARGUMENT when the spec cannot be served
// (e.g. grid over a continuous float). A grid holds only the cells that `admissible` (when set)
// accepts, and is refused when it accepts none (GridOptions::admissible); the other samplers
// ignore it (SampleTrial redraws instead).
absl::StatusOr<std::unique_ptr<Sampler>> CreateSampler(const StudySpec& spec,
                                                       const AdmissibilityCheck& admissible = {});

// Samples one complete assignment for ctx.trial_number: relative groups first, then every
// active parameter not yet assigned, in the space's topological order, dropping relative values
// of parameters that turn out inactive. Constraint strategy: when a draw violates a constraint
// or ctx.admissible refuses it (a budget), the whole trial is redrawn with redraw = 1, 2, ... (a
// fresh deterministic RNG stream each time) up to spec.sampler.max_constraint_retries; past that
// FAILED_PRECONDITION naming the constraint or the refusal ("budgets.avg_bitwidth: 7.25 > max 6:
// ... the feasible region looks empty or tiny"). The first draw that ctx.admissible refuses or,
// with spec.sampler.skip_duplicates, that equals the params of a trial in ctx.history that has
// not FAILED, is replaced by sampler.SampleUntried, told that taken and inadmissible assignments
// are refused (TPE: the best such candidate by its l/g acquisition, so redraws stay model-guided
// instead of repeating the model's favourite); when that offers nothing, the redraws that follow
// are uniform random draws (SampleUntried is asked once per trial). When no redraw gave new
// admissible params but some gave admissible duplicates, a finite discrete space (one a
// GridSampler accepts) gives its first free admissible cell in the grid's seeded order; with no
// such cell, or in a space with a continuous param, the first admissible duplicate is returned.
// RESOURCE_EXHAUSTED when the sampler is exhausted. `ctx.rng` and `ctx.redraw` are set by this
// function. The result always passes spec.space.CheckAssignment and ctx.admissible.
absl::StatusOr<InternalParams> SampleTrial(Sampler& sampler, SamplingContext ctx);

}  // namespace nasq

#endif  // NASQ_SAMPLER_SAMPLER_H_
