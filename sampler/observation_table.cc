// sampler/observation_table.cc: see observation_table.h.
#include "sampler/observation_table.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <variant>

#include "absl/strings/str_cat.h"

namespace nasq {
namespace {

bool IsFrozen(TrialState s) { return s == TrialState::kComplete || s == TrialState::kPruned; }

// Bitwise equality, so that NaN values compare equal to themselves.
bool SameValues(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

}  // namespace

ObservationTable::ObservationTable(const SearchSpace& space) : columns_(space.size()) {
  for (size_t i = 0; i < space.size(); ++i) {
    const Distribution& d = space.params()[i].distribution;
    sorted_names_.emplace_back(space.params()[i].name, i);
    const auto* c = std::get_if<CategoricalDistribution>(&d);
    const auto* f = std::get_if<FloatDistribution>(&d);
    const auto* n = std::get_if<IntDistribution>(&d);
    limits_.push_back(
        {c ? static_cast<int>(c->choices.size()) : 0, (f && f->log) || (n && n->log)});
  }
  std::sort(sorted_names_.begin(), sorted_names_.end());
}

bool ObservationTable::IsUsable(size_t param_index, double value) const {
  const ParamLimits& limits = limits_[param_index];
  if (!std::isfinite(value)) return false;
  if (limits.n_choices > 0) {
    return value >= 0 && value < limits.n_choices && value == std::floor(value);
  }
  return !limits.log || value > 0.0;
}

bool ObservationTable::Matches(const SlotKey& key, const Trial& t) const {
  return IsFrozen(t.state) && key.state == t.state && key.id == t.id &&
         key.n_params == t.params.size() && SameValues(key.values, t.values);
}

void ObservationTable::Fill(int slot, const Trial& t) {
  for (auto& column : columns_) column[slot] = std::numeric_limits<double>::quiet_NaN();
  // Merge-join the trial's sorted params with the sorted names of the space.
  auto name = sorted_names_.begin();
  for (const auto& [param, value] : t.params) {
    while (name != sorted_names_.end() && name->first < param) ++name;
    if (name == sorted_names_.end()) break;
    if (name->first == param && IsUsable(name->second, value)) {
      columns_[name->second][slot] = value;
    }
  }
  SlotKey& key = keys_[slot];
  key.id = t.id;
  key.state = t.state;
  key.n_params = t.params.size();
  key.values = t.values;
}

absl::Status ObservationTable::Refresh(std::span<const Trial> history, std::span<const int> indices,
                                       std::vector<int>& slots) {
  ++generation_;
  slots.resize(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    const Trial& t = history[indices[i]];
    auto [it, inserted] = slot_by_number_.try_emplace(t.number, static_cast<int>(keys_.size()));
    const int slot = it->second;
    if (inserted) {
      keys_.emplace_back();
      for (auto& column : columns_) column.push_back(0.0);
    } else if (keys_[slot].generation == generation_) {
      return absl::InvalidArgumentError(
          absl::StrCat("sampler: the history holds two trials numbered ", t.number));
    }
    if (inserted || !Matches(keys_[slot], t)) Fill(slot, t);
    keys_[slot].generation = generation_;
    slots[i] = slot;
  }
  return absl::OkStatus();
}

}  // namespace nasq
