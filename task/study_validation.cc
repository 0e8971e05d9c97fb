#include "task/study_validation.h"

#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "task/param_binding.h"
#include "task/task_spec.h"

namespace nasq {
namespace {

// The values whose binding stands for the whole distribution: its bounds (a field's range is an
// interval, so both ends inside means every value is) or every choice.
std::vector<ParamValue> ValuesToCheck(const Distribution& distribution) {
  return std::visit(
      [](const auto& d) -> std::vector<ParamValue> {
        using D = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<D, CategoricalDistribution>) {
          return d.choices;
        } else {
          return {d.low, d.high};
        }
      },
      NormalizeDistribution(distribution));
}

}  // namespace

absl::Status ValidateBertClassifyStudy(const StudySpec& study) {
  NASQ_ASSIGN_OR_RETURN(const TaskSpec task, ParseTaskSpec(study.task_json));
  for (const ParamSpec& param : study.space.params()) {
    for (const ParamValue& value : ValuesToCheck(param.distribution)) {
      if (absl::Status status = CheckParamBinds(task, param.name, value); !status.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("space.", status.message()));
      }
    }
  }
  return CheckMetricsProduced(task, study.metric_names);
}

}  // namespace nasq
