#include "server/fusion_keys.h"

#include <utility>

#include "server/trial_binding.h"
#include "task/fusion_key.h"

namespace nasq {

FusionKeys::FusionKeys(const StudySpec& spec) {
  absl::StatusOr<TaskSpec> task = ParseTaskSpec(spec.task_json);
  if (task.ok()) task_ = *std::move(task);
}

const std::string& FusionKeys::Of(const Trial& trial) {
  auto [it, inserted] = keys_.try_emplace(trial.number);
  if (inserted && task_) {
    absl::StatusOr<TaskSpec> bound = BindTrialTask(*task_, trial);
    if (bound.ok()) it->second = FusionKey(*bound);
  }
  return it->second;
}

}  // namespace nasq
