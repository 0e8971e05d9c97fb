// sampler/observation_table.h: a column-per-param cache of the history's parameter values.
//
// TPE reads every param of every used trial once per sampled trial; looking names up in each
// trial's InternalParams would cost O(trials x params x log params) string comparisons per trial.
// The table keeps, per param of the space, one column of internal values indexed by a slot per
// trial (NaN where the trial lacks the param, or where its value cannot be an observation of the
// param's distribution: not finite, a categorical index outside the choices, or <= 0 for a log
// param; such values are treated as absent). A COMPLETE or PRUNED trial is frozen, so its
// slot is filled once and reused for as long as the trial (same number, id, state, number of
// params and values) keeps appearing; other trials are re-read on every Refresh.
// Thread-safety: not thread-safe; owned by one sampler.
#ifndef NASQ_SAMPLER_OBSERVATION_TABLE_H_
#define NASQ_SAMPLER_OBSERVATION_TABLE_H_

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/search_space.h"
#include "core/trial.h"

namespace nasq {

class ObservationTable {
 public:
  explicit ObservationTable(const SearchSpace& space);

  // Makes the trials history[indices[i]] readable and sets slots[i] to their slots.
  // INVALID_ARGUMENT when two of those trials share a trial number.
  absl::Status Refresh(std::span<const Trial> history, std::span<const int> indices,
                       std::vector<int>& slots);

  // Internal value of the space's param `param_index` (position in space.params()) in `slot`;
  // NaN when that trial lacks the param (or its value is unusable, see above).
  double Value(size_t param_index, int slot) const { return columns_[param_index][slot]; }

  // The whole column of `param_index`, indexed by slot (valid until the next Refresh).
  const double* Column(size_t param_index) const { return columns_[param_index].data(); }

 private:
  struct SlotKey {
    int64_t id = 0;
    TrialState state = TrialState::kWaiting;
    size_t n_params = 0;
    std::vector<double> values;
    uint64_t generation = 0;  // last Refresh that handed out this slot
  };

  struct ParamLimits {
    int n_choices;  // categorical choices; 0 for numeric params
    bool log;
  };
  bool IsUsable(size_t param_index, double value) const;
  bool Matches(const SlotKey& key, const Trial& t) const;
  void Fill(int slot, const Trial& t);

  std::vector<std::pair<std::string, size_t>> sorted_names_;  // (name, param index) by name
  std::vector<ParamLimits> limits_;                           // by param index
  std::unordered_map<int64_t, int> slot_by_number_;
  std::vector<SlotKey> keys_;
  std::vector<std::vector<double>> columns_;  // [param index][slot]
  uint64_t generation_ = 0;
};

}  // namespace nasq

#endif  // NASQ_SAMPLER_OBSERVATION_TABLE_H_
