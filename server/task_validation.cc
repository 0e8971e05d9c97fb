#include "server/task_validation.h"

#include <string_view>
#include <utility>

#include "nlohmann/json.hpp"
#include "task/study_validation.h"
#include "task/task_spec.h"

namespace nasq {
namespace {

using TaskValidator = absl::Status (*)(const StudySpec&);

// The registered validators, by task kind.
const std::pair<std::string_view, TaskValidator> kValidators[] = {
    {kBertClassifyKind, &ValidateBertClassifyStudy},
};

}  // namespace

std::string TaskKindOf(const std::string& task_json) {
  const nlohmann::json task = nlohmann::json::parse(task_json, nullptr, /*allow_exceptions=*/false);
  if (task.is_object() && task.contains("kind") && task["kind"].is_string()) {
    return task["kind"].get<std::string>();
  }
  return "";
}

absl::Status ValidateStudyTask(const StudySpec& spec) {
  const std::string kind = TaskKindOf(spec.task_json);
  for (const auto& [known, validate] : kValidators) {
    if (kind == known) return validate(spec);
  }
  return absl::OkStatus();
}

}  // namespace nasq
