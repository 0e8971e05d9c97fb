// sampler/nsga2_sampler.h: the NSGA-II sampler (Optuna 5's NSGAIISampler; docs/tpe.md 8).
//
// Generations (derived from the history, never stored): the COMPLETE trials (one value per
// objective) in the order they finished (datetime_complete_us, then number) are cut into
// generations of spec.sampler.nsga2.population_size; the trial being sampled belongs to the
// generation after the last full one. The parents of generation g are the elite of generation
// g - 1 together with the parents of g - 1: ranked by (constrained) non-dominated sorting, whole
// fronts while they fit in population_size, the front that does not fit cut by crowding
// distance (Optuna's NSGAIIElitePopulationSelectionStrategy). Generation 0 has no parents: its
// trials are drawn at random.
// A child: with crossover_prob, the crossover of parents chosen by binary tournament (the
// candidate that (constrained-)dominates the other wins, else the second), categorical params by
// uniform crossover and numeric ones by `crossover` (nsga2_crossover.h), drawing new parents and
// a new child while a numeric value falls outside its distribution; otherwise a copy of a parent
// drawn uniformly. Then each param is kept with probability 1 - mutation_prob (default 1/n) or
// left to be drawn uniformly at random. Only the params that every COMPLETE trial has (Optuna's
// intersection search space), not single-valued, are inherited; the rest are drawn at random.
// RUNNING, WAITING, PRUNED and FAIL trials are in no population (as in Optuna); constraints are
// the outcome constraints of core/pareto.h (TrialConstraints); any in a population turns
// dominance into constrained dominance. The space's own constraints are kept by SampleTrial,
// which redraws a child that violates one.
// Differences from Optuna, which stores each trial's generation when it is created and each
// generation's parents when first needed: here both follow from the order in which trials
// finished, so a trial of an older generation that finishes late counts in the current
// generation instead of being ignored; a serial study gives Optuna's generations exactly. After
// kMaxCrossoverDraws children outside the space, the first parent's numeric values are kept
// (Optuna would keep drawing). Random numbers come from the trial's stream, not Optuna's.
// Thread-safety: one thread at a time (see sampler.h). The parents of full generations are
// cached; the cache is checked against the history on every trial, so results never depend on
// it.
#ifndef NASQ_SAMPLER_NSGA2_SAMPLER_H_
#define NASQ_SAMPLER_NSGA2_SAMPLER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "sampler/sampler.h"

namespace nasq {

// Children drawn before the first parent's numeric values are kept.
inline constexpr int kMaxCrossoverDraws = 100;

class Nsga2Sampler : public Sampler {
 public:
  // INVALID_ARGUMENT naming the field for options ValidateStudySpec refuses.
  static absl::StatusOr<std::unique_ptr<Nsga2Sampler>> Create(const StudySpec& spec);

  // Works out the generations and the parents of ctx.trial_number's generation.
  // INVALID_ARGUMENT when a trial's outcome constraints cannot be read.
  absl::Status BeginTrial(const SamplingContext& ctx) override;

  std::vector<std::vector<std::string>> InferRelativeSearchSpace(
      const SamplingContext& ctx) override;

  absl::StatusOr<InternalParams> SampleRelative(const SamplingContext& ctx,
                                                const std::vector<std::string>& group) override;

  // Uniform random (generation 0, mutated params, params outside the inherited set).
  absl::StatusOr<double> SampleIndependent(const SamplingContext& ctx, const ParamSpec& param,
                                           const InternalParams& partial) override;

  // The trial numbers of the parents of the generation that ctx.trial_number belongs to, in
  // Optuna's population order, and that generation's index. For tests and diagnostics.
  absl::StatusOr<std::vector<int64_t>> ParentNumbers(const SamplingContext& ctx);
  absl::StatusOr<int64_t> Generation(const SamplingContext& ctx);

 private:
  explicit Nsga2Sampler(const StudySpec& spec) : spec_(spec) {}

  // A COMPLETE trial as the selection sees it.
  struct Member {
    const Trial* trial;
    std::vector<double> loss;  // LossVector of its values
    double penalty = 0.0;      // ConstraintPenalty (0 without constraints)
    bool has_constraints = false;
  };

  absl::Status Prepare(const SamplingContext& ctx);
  absl::Status EnsurePrepared(const SamplingContext& ctx);
  // The elite of `population` (NSGAIIElitePopulationSelectionStrategy).
  std::vector<int64_t> SelectElite(const std::vector<int64_t>& population) const;
  // Binary tournament among `candidates` (indices into parents_).
  size_t Tournament(const std::vector<size_t>& candidates, bool constrained,
                    std::mt19937_64& rng) const;
  bool ParentDominates(size_t a, size_t b, bool constrained) const;

  StudySpec spec_;

  struct PreparedKey {
    int64_t trial_number;
    const Trial* history;
    size_t history_size;
    bool operator==(const PreparedKey&) const = default;
  };
  std::optional<PreparedKey> prepared_;
  std::map<int64_t, Member> members_;                // COMPLETE trials by number
  std::vector<std::vector<int64_t>> generations_;    // full generations, in finishing order
  std::vector<std::vector<int64_t>> parents_cache_;  // parents of generation g + 1
  int64_t generation_ = 0;
  std::vector<const Member*> parents_;  // of the current generation, in population order
  std::vector<std::string> inherited_;  // the intersection search space, sorted
};

}  // namespace nasq

#endif  // NASQ_SAMPLER_NSGA2_SAMPLER_H_
