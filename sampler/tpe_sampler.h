// sampler/tpe_sampler.h: the Tree-structured Parzen Estimator sampler (Optuna 5.0 semantics).
//
// Until spec.sampler.tpe.n_startup_trials COMPLETE+PRUNED trials exist every param is drawn
// uniformly (RandomSampler's transforms). After that, each trial splits the history once into
// "below" (the best gamma(n)) and "above" (the rest, plus RUNNING trials under constant liar;
// see tpe_split.h), fits a Parzen estimator l(x) to below and g(x) to above (see
// parzen_estimator.h), draws n_ei_candidates points from l and keeps the first maximiser of
// log l - log g. Observations of a param come only from the trials that contain it.
//   * Univariate (default): every param on its own; a categorical param's mixture collapses to
//     one probability per choice, so it costs O(trials + choices).
//   * multivariate: the params present in every COMPLETE/PRUNED trial (not single-valued) are
//     sampled jointly; the rest fall back to univariate TPE, as Optuna does.
// Every estimator uses the per-dimension hyperopt bandwidth (Optuna 5.0; 4.x used a Scott-like
// bandwidth in multivariate mode).
//   * multivariate + group: the space is decomposed into groups of params that always occur
//     together in COMPLETE/PRUNED trials and each group is sampled jointly.
// Constraints: among the candidates, those that satisfy the space's constraints together with
// the params assigned so far are preferred (the argmax is taken over them when there are any);
// SampleTrial redraws the trial if the result still violates one.
// Duplicates (skip_duplicates, SampleUntried): when the sampled configuration repeats a trial,
// TPE scores whole configurations drawn from l(x) (each active param drawn as above: relative
// groups jointly, the rest one by one) by the sum of log l - log g over their parts and gives the
// best one that is untried and satisfies the constraints; the candidate set starts at
// n_ei_candidates and doubles while every candidate is taken, up to kUntriedCandidateFactor x
// n_ei_candidates; only past that does SampleTrial draw uniformly.
// Differences from Optuna: params of a trial are compared by presence only (the spec fixes
// every param's distribution for the whole study).
// Thread-safety: one thread at a time (see sampler.h). The sampler caches per-trial state
// (the split, prepared in BeginTrial) and per-study state (an ObservationTable); a sampler
// instance serves one study, whose finished trials never change.
#ifndef NASQ_SAMPLER_TPE_SAMPLER_H_
#define NASQ_SAMPLER_TPE_SAMPLER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "sampler/observation_table.h"
#include "sampler/parzen_estimator.h"
#include "sampler/sampler.h"

namespace nasq {

class TpeSampler : public Sampler {
 public:
  // INVALID_ARGUMENT naming the field for options TPE cannot use (no directions,
  // n_ei_candidates < 1, n_startup_trials < 0, prior_weight < 0 or not finite, group without
  // multivariate).
  static absl::StatusOr<std::unique_ptr<TpeSampler>> Create(const StudySpec& spec);

  // Splits ctx.history (below/above) for ctx.trial_number. INVALID_ARGUMENT when two trials of
  // the history share a number.
  absl::Status BeginTrial(const SamplingContext& ctx) override;

  std::vector<std::vector<std::string>> InferRelativeSearchSpace(
      const SamplingContext& ctx) override;

  absl::StatusOr<InternalParams> SampleRelative(const SamplingContext& ctx,
                                                const std::vector<std::string>& group) override;

  absl::StatusOr<double> SampleIndependent(const SamplingContext& ctx, const ParamSpec& param,
                                           const InternalParams& partial) override;

  // The best untried configuration by log l - log g among at most kUntriedCandidateFactor x
  // n_ei_candidates drawn from l(x) (see the file comment); nullopt in the startup phase and
  // when every candidate is taken.
  absl::StatusOr<std::optional<InternalParams>> SampleUntried(
      const SamplingContext& ctx,
      const std::function<bool(const InternalParams&)>& is_taken) override;

  // Bound of SampleUntried's candidate set, in multiples of n_ei_candidates.
  static constexpr int64_t kUntriedCandidateFactor = 64;

 private:
  explicit TpeSampler(const StudySpec& spec);

  // Re-splits the history unless it was already split for this (number, history).
  absl::Status EnsurePrepared(const SamplingContext& ctx);
  absl::Status Prepare(const SamplingContext& ctx);
  bool InStartup() const { return n_finished_ < options_.n_startup_trials; }

  // Rows (row-major, params.size() values each) of the trials in `slots` that hold usable
  // values of every param in `params`, with their weights (BelowWeights when `below`, else
  // DefaultWeights).
  void Gather(const std::vector<size_t>& params, const std::vector<int>& slots, bool below,
              std::vector<double>& rows, std::vector<double>& weights) const;

  // l(x) and g(x) of one part of a configuration: a single categorical param (collapsed to one
  // probability per choice) or numeric param, or a relative group (joint estimators).
  struct PartModel {
    std::vector<size_t> params;  // indices into space_.params()
    std::vector<double> probs_below, probs_above;
    std::optional<ParzenEstimator> below, above;

    // Draws one point of the part from l into `values` (one per param); returns its score
    // log l - log g.
    double Draw(std::mt19937_64& rng, std::vector<double>& values) const;
  };
  // Fits the part made of `params` (one param, or a relative group when `joint`).
  PartModel FitPart(std::vector<size_t> params, bool joint);
  // One configuration drawn from l part by part (relative groups first); `score` is the sum of
  // log l - log g over the parts it uses. `singles` caches the per-param parts across calls.
  InternalParams DrawConfiguration(const std::vector<PartModel>& groups,
                                   std::vector<std::optional<PartModel>>& singles,
                                   std::mt19937_64& rng, double& score);

  double SampleCategorical(const SamplingContext& ctx, size_t param, const CandidateFilter& filter);
  double SampleNumeric(const SamplingContext& ctx, size_t param, const CandidateFilter& filter);

  // Accepts candidates of `params` that satisfy the space's constraints together with
  // `assigned`; empty when none of `params` is constrained.
  CandidateFilter ConstraintFilter(const std::vector<size_t>& params,
                                   const InternalParams& assigned) const;

  std::vector<std::vector<size_t>> DecomposeGroups() const;

  // Indices of the params of a relative group that are not single-valued; INVALID_ARGUMENT
  // for a name not in the space.
  absl::StatusOr<std::vector<size_t>> GroupParams(const std::vector<std::string>& group) const;

  SearchSpace space_;
  TpeOptions options_;
  std::vector<StudyDirection> directions_;
  ParzenOptions parzen_;
  ObservationTable table_;
  std::vector<bool> constrained_;  // per param: appears in a constraint

  struct PreparedKey {
    int64_t trial_number;
    const Trial* history;
    size_t history_size;
    bool operator==(const PreparedKey&) const = default;
  };
  std::optional<PreparedKey> prepared_;
  int n_finished_ = 0;
  std::vector<int> below_slots_, above_slots_, finished_slots_;

  // Scratch buffers reused across calls.
  std::vector<double> rows_below_, rows_above_, weights_below_, weights_above_;
};

}  // namespace nasq

#endif  // NASQ_SAMPLER_TPE_SAMPLER_H_
