#include "server/trial_binding.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "task/param_binding.h"

namespace nasq {

absl::StatusOr<TaskSpec> BindTrialTask(const TaskSpec& task, const Trial& trial) {
  ExternalParams params;
  for (const auto& [name, value] : trial.params) {
    std::optional<ParamValue> external = trial.ExternalParam(name);
    if (!external) {
      return absl::InvalidArgumentError(
          absl::StrCat("params.", name, ": no distribution gives its external value"));
    }
    params[name] = *std::move(external);
  }
  return BindTrialParams(task, params);
}

}  // namespace nasq
