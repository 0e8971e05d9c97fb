#include "worker/app/once.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "spec/spec_yaml.h"
#include "task/param_binding.h"

namespace nasq {

absl::StatusOr<TaskSpec> LoadTaskFile(const std::string& path) {
  if (path.ends_with(".yaml") || path.ends_with(".yml")) {
    NASQ_ASSIGN_OR_RETURN(StudySpec study, LoadStudySpecFile(path));
    return ParseTaskSpec(study.task_json);
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the task file ", path));
  std::stringstream text;
  text << in.rdbuf();
  auto spec = ParseTaskSpec(text.str());
  if (!spec.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", spec.status().message()));
  }
  return spec;
}

absl::StatusOr<PipelineMetrics> RunOnce(const std::string& task_path,
                                        const std::string& params_json,
                                        const PipelineOptions& options, std::ostream& log) {
  NASQ_ASSIGN_OR_RETURN(TaskSpec task, LoadTaskFile(task_path));
  NASQ_ASSIGN_OR_RETURN(ExternalParams params, ParseExternalParamsJson(params_json));
  NASQ_ASSIGN_OR_RETURN(TaskSpec bound, BindTrialParams(std::move(task), params));
  PipelineCache cache;
  return RunTaskPipeline(bound, options, cache, [&](const PipelineProgress& p) {
    if (p.stage_done) {
      log << absl::StrFormat("stage %d/%d %s done", p.stage_index + 1, p.num_stages, p.stage);
      if (std::isfinite(p.value)) log << absl::StrFormat(": accuracy %.4f", p.value);
      log << std::endl;
    } else if (p.intermediate) {
      log << absl::StrFormat("  %s step %d: intermediate accuracy %.4f (%.3f s)", p.stage, p.step,
                             p.value, p.eval_seconds)
          << std::endl;
    } else if ((p.stage == "train" || p.stage == "finetune") && p.step > 0) {
      log << absl::StrFormat("  %s step %d loss %.4f", p.stage, p.step, p.value) << std::endl;
    }
    return true;
  });
}

std::string MetricsToJson(const PipelineMetrics& metrics) {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, value] : metrics) json[name] = value;
  return json.dump();
}

}  // namespace nasq
