// sampler/grid_sampler.cc: see grid_sampler.h.
#include "sampler/grid_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sampler/rng.h"

namespace nasq {
namespace {

constexpr double kInactive = std::numeric_limits<double>::quiet_NaN();
constexpr uint64_t kGridPermutationPurpose = 0x67726964;  // "grid"

// Depth-first enumeration of the valid cells of a space, in the space's topological order.
class CellEnumerator {
 public:
  CellEnumerator(const SearchSpace& space, const GridOptions& options)
      : space_(space),
        max_cells_(options.max_cells),
        admissible_(options.admissible),
        row_(space.size(), kInactive) {}

  // Appends every valid, admissible cell to `cells` (row-major). INVALID_ARGUMENT past
  // max_cells.
  absl::Status Run(std::vector<double>& cells) {
    cells_ = &cells;
    return Visit(0);
  }

  // The refusal of the last cell that `admissible` refused (OK when none was).
  const absl::Status& last_refusal() const { return last_refusal_; }

 private:
  absl::Status Visit(size_t i) {
    if (i == space_.size()) {
      if (static_cast<int64_t>(cells_->size() / std::max<size_t>(row_.size(), 1)) >= max_cells_) {
        return absl::InvalidArgumentError(absl::StrCat(
            "sampler: the grid has more than ", max_cells_, " valid cells; narrow the space"));
      }
      if (admissible_) {
        if (absl::Status refusal = admissible_(partial_); !refusal.ok()) {
          last_refusal_ = std::move(refusal);
          return absl::OkStatus();
        }
      }
      cells_->insert(cells_->end(), row_.begin(), row_.end());
      return absl::OkStatus();
    }
    const ParamSpec& param = space_.params()[i];
    if (!space_.IsActive(param, partial_)) return Visit(i + 1);
    const int64_t size = *DiscreteSize(param.distribution);
    for (int64_t v = 0; v < size; ++v) {
      const double value = DiscreteValue(param.distribution, v);
      partial_[param.name] = value;
      // Constraints only bind once both sides are assigned, so pruning here is exact.
      if (space_.SatisfiesConstraints(partial_)) {
        row_[i] = value;
        absl::Status s = Visit(i + 1);
        if (!s.ok()) return s;
      }
    }
    partial_.erase(param.name);
    row_[i] = kInactive;
    return absl::OkStatus();
  }

  const SearchSpace& space_;
  const int64_t max_cells_;
  const AdmissibilityCheck& admissible_;
  absl::Status last_refusal_;
  std::vector<double> row_;
  InternalParams partial_;
  std::vector<double>* cells_ = nullptr;
};

// Fisher-Yates shuffle of the rows of a row-major table.
void ShuffleRows(std::vector<double>& cells, size_t width, int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(PurposeStreamSeed(seed, kGridPermutationPurpose));
  for (int64_t i = rows - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(i) + 1));
    std::swap_ranges(cells.begin() + i * width, cells.begin() + (i + 1) * width,
                     cells.begin() + j * width);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<GridSampler>> GridSampler::Create(const StudySpec& spec,
                                                                 GridOptions options) {
  const SearchSpace& space = spec.space;
  std::vector<std::string> names;
  for (const ParamSpec& p : space.params()) {
    if (!DiscreteSize(p.distribution).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sampler.kind: grid needs discrete params, but space param '", p.name,
                       "' is a continuous float (give it a step or use another sampler)"));
    }
    names.push_back(p.name);
  }
  std::vector<double> cells;
  CellEnumerator enumerator(space, options);
  absl::Status s = enumerator.Run(cells);
  if (!s.ok()) return s;
  const size_t width = names.size();
  const auto num_cells = static_cast<int64_t>(width == 0 ? 0 : cells.size() / width);
  if (num_cells == 0 && !enumerator.last_refusal().ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(enumerator.last_refusal().message(),
                     " (the last grid cell refused): no cell of the grid is admissible; the "
                     "feasible region is empty"));
  }
  if (num_cells == 0) {
    return absl::InvalidArgumentError(
        "sampler.kind: grid has no cell that satisfies the space's constraints");
  }
  ShuffleRows(cells, width, num_cells, spec.sampler.seed);
  return std::unique_ptr<GridSampler>(
      new GridSampler(std::move(names), std::move(cells), num_cells));
}

GridSampler::GridSampler(std::vector<std::string> names, std::vector<double> cells,
                         int64_t num_cells)
    : names_(std::move(names)), cells_(std::move(cells)), num_cells_(num_cells) {}

absl::StatusOr<double> GridSampler::SampleIndependent(const SamplingContext& ctx,
                                                      const ParamSpec& param,
                                                      const InternalParams& partial) {
  if (IsExhausted(ctx)) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "grid: trial ", ctx.trial_number, " is past the last of ", num_cells_, " cells"));
  }
  const auto it = std::find(names_.begin(), names_.end(), param.name);
  if (it == names_.end()) {
    return absl::InternalError(absl::StrCat("grid: unknown param '", param.name, "'"));
  }
  const double value =
      cells_[ctx.trial_number * names_.size() + static_cast<size_t>(it - names_.begin())];
  if (std::isnan(value)) {
    return absl::InternalError(absl::StrCat(
        "grid: param '", param.name, "' is inactive in the cell of trial ", ctx.trial_number));
  }
  return value;
}

bool GridSampler::IsExhausted(const SamplingContext& ctx) const {
  return ctx.trial_number < 0 || ctx.trial_number >= num_cells_;
}

}  // namespace nasq
