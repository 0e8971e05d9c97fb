// sampler/grid_sampler.h: exhaustive grid search over a discrete (possibly conditional) space.
//
// The grid is every valid complete assignment of the space: the cartesian product of the
// discrete values (DiscreteSize) of the params that are active, so a conditional param appears
// only in the cells where its conditions hold (no duplicate cells differing only in inactive
// params), and cells that violate a constraint or that GridOptions::admissible refuses are left
// out. The cells are enumerated once, at
// construction, and shuffled once by a permutation derived from spec.sampler.seed. Trial number
// n gets cell n: the server numbers trials densely under the study lock, so parallel workers
// never duplicate a cell; numbers >= num_cells() are exhausted (RESOURCE_EXHAUSTED from
// SampleTrial). Thread-safety: immutable after Create(); const methods may be called
// concurrently, but the Sampler contract still serialises SampleTrial per instance.
#ifndef NASQ_SAMPLER_GRID_SAMPLER_H_
#define NASQ_SAMPLER_GRID_SAMPLER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "sampler/sampler.h"

namespace nasq {

struct GridOptions {
  // Refuse grids with more valid cells than this (they could not be run anyway and would take
  // memory proportional to cells x params). Default: 1,000,000.
  int64_t max_cells = 1'000'000;
  // When set, the grid holds only the cells it accepts (a study's budgets): the study completes
  // when those are done. It is called once per valid cell at Create.
  AdmissibilityCheck admissible;
};

class GridSampler : public Sampler {
 public:
  // Enumerates and shuffles the grid of spec.space. INVALID_ARGUMENT naming the param when a
  // param is a continuous float, when the grid has more than options.max_cells cells, or when
  // no cell satisfies the constraints, or none is admissible (naming the last refusal).
  static absl::StatusOr<std::unique_ptr<GridSampler>> Create(const StudySpec& spec,
                                                             GridOptions options = {});

  // Number of valid cells (the study is exhausted after this many trials).
  int64_t num_cells() const { return num_cells_; }

  // The value of `param` in cell ctx.trial_number. INTERNAL if the param is not in that cell
  // (the driver only asks for active params, which the cell always holds).
  absl::StatusOr<double> SampleIndependent(const SamplingContext& ctx, const ParamSpec& param,
                                           const InternalParams& partial) override;

  // True when ctx.trial_number is outside [0, num_cells()).
  bool IsExhausted(const SamplingContext& ctx) const override;

 private:
  GridSampler(std::vector<std::string> names, std::vector<double> cells, int64_t num_cells);

  std::vector<std::string> names_;  // params in the space's topological order
  std::vector<double> cells_;       // num_cells_ x names_.size(), shuffled; NaN = inactive
  int64_t num_cells_ = 0;
};

}  // namespace nasq

#endif  // NASQ_SAMPLER_GRID_SAMPLER_H_
