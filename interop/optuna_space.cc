#include "interop/optuna_space.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace nasq {

absl::StatusOr<SearchSpace> InferSearchSpace(std::span<const Trial> trials) {
  std::vector<ParamSpec> params;
  std::map<std::string, size_t> index;         // param -> its position in `params`
  std::map<std::string, int64_t> first_trial;  // param -> the number of the trial it came from
  for (const Trial& trial : trials) {
    if (!IsFinished(trial.state)) continue;
    for (const auto& [name, d] : trial.distributions) {
      if (auto [it, added] = index.emplace(name, params.size()); added) {
        params.push_back(ParamSpec{name, d, {}});
        first_trial[name] = trial.number;
        continue;
      }
      const Distribution& known = params[index[name]].distribution;
      if (!(known == d)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "param '", name, "': trial ", first_trial[name], " samples it from ",
            DistributionToString(known), " but trial ", trial.number, " from ",
            DistributionToString(d),
            "; nasq keeps one distribution per param, import studies whose ranges never change"));
      }
    }
  }
  if (params.empty()) {
    return absl::InvalidArgumentError(
        "no finished trial has params to infer the search space from");
  }
  for (const Trial& trial : trials) {
    if (trial.state != TrialState::kComplete && trial.state != TrialState::kPruned) continue;
    for (const ParamSpec& param : params) {
      if (!trial.params.contains(param.name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "param '", param.name, "': trial ", first_trial[param.name], " has it but ",
            TrialStateName(trial.state), " trial ", trial.number,
            " does not; conditional params (suggested in some trials only) cannot be imported, "
            "since Optuna does not record their conditions"));
      }
    }
  }
  return SearchSpace::Create(std::move(params));
}

}  // namespace nasq
