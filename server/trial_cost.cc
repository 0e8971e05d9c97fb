#include "server/trial_cost.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "nlohmann/json.hpp"
#include "server/task_validation.h"
#include "task/cost_metrics.h"
#include "task/cost_model.h"
#include "task/param_binding.h"
#include "task/task_spec.h"

namespace nasq {
namespace {

absl::Status BudgetError(const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat("budgets: ", problem));
}

}  // namespace

absl::StatusOr<BertArchitecture> BertClassifyBaseArchitecture(const TaskSpec& task) {
  if (!task.model.checkpoint.empty()) {
    return absl::InvalidArgumentError(
        "task.model.checkpoint: the server does not read the checkpoint's config.json, so it "
        "cannot estimate the cost of its trials; budgets need a randomly initialised model");
  }
  BertArchitecture base;
  base.dimensions.vocab_size = task.tokenizer.vocab_size;
  switch (task.dataset.format) {
    case DatasetFormat::kSpamAssassin:
    case DatasetFormat::kImdb:
      base.dimensions.num_labels = 2;
      break;
    case DatasetFormat::kCsv:
    case DatasetFormat::kTsv:
    case DatasetFormat::kJsonl:
      if (task.dataset.labels.empty()) {
        return absl::InvalidArgumentError(
            "task.dataset.labels: without declared labels the number of labels (the "
            "classifier's size) is known only from the data; declare them to use budgets");
      }
      base.dimensions.num_labels = static_cast<int64_t>(task.dataset.labels.size());
      break;
  }
  return base;
}

namespace {

class BertClassifyCostModel : public TrialCostModel {
 public:
  BertClassifyCostModel(SearchSpace space, TaskSpec task, BertArchitecture base)
      : space_(std::move(space)), task_(std::move(task)), base_(std::move(base)) {}

  absl::StatusOr<std::map<std::string, double>> Estimate(
      const InternalParams& params) const override {
    ExternalParams external;
    for (const auto& [name, value] : params) {
      const ParamSpec* param = space_.Find(name);
      if (param == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("params.", name, ": not in the space"));
      }
      external[name] = ToExternal(param->distribution, value);
    }
    NASQ_ASSIGN_OR_RETURN(TaskSpec bound, BindTrialParams(task_, external));
    NASQ_ASSIGN_OR_RETURN(CostEstimate estimate, EstimateCost(bound, base_));
    return std::move(estimate.metrics);
  }

 private:
  const SearchSpace space_;
  const TaskSpec task_;
  const BertArchitecture base_;
};

// The bert-classify cost model of `spec`, or why there is none.
absl::StatusOr<std::shared_ptr<const TrialCostModel>> BertClassifyModel(const StudySpec& spec) {
  absl::StatusOr<TaskSpec> task = ParseTaskSpec(spec.task_json);
  if (!task.ok())
    return BudgetError(absl::StrCat("the task does not parse: ", task.status().message()));
  absl::StatusOr<BertArchitecture> base = BertClassifyBaseArchitecture(*task);
  if (!base.ok()) return BudgetError(std::string(base.status().message()));
  return std::make_shared<const BertClassifyCostModel>(spec.space, *std::move(task),
                                                       *std::move(base));
}

// The names of the metrics the bert-classify model estimates (CostMetricValues').
std::vector<std::string> BertClassifyMetricNames() {
  std::vector<std::string> names;
  for (const auto& [name, value] : CostMetricValues(ModelCost{})) names.push_back(name);
  return names;
}

// A task kind with a cost model: how to build it, and the metrics it estimates.
struct CostModelKind {
  std::string_view kind;
  absl::StatusOr<std::shared_ptr<const TrialCostModel>> (*create)(const StudySpec&);
  std::vector<std::string> (*metric_names)();
};
const CostModelKind kCostModels[] = {
    {kBertClassifyKind, &BertClassifyModel, &BertClassifyMetricNames},
};

}  // namespace

absl::StatusOr<std::shared_ptr<const TrialCostModel>> CreateTrialCostModel(const StudySpec& spec) {
  const std::string kind = TaskKindOf(spec.task_json);
  const CostModelKind* known = nullptr;
  for (const CostModelKind& k : kCostModels) {
    if (k.kind == kind) known = &k;
  }
  if (known == nullptr) {
    if (spec.budgets.empty()) return nullptr;
    return BudgetError(absl::StrCat("task kind '", kind, "' has no cost model"));
  }
  absl::StatusOr<std::shared_ptr<const TrialCostModel>> model = known->create(spec);
  if (spec.budgets.empty()) {
    return model.ok() ? *std::move(model) : nullptr;  // cost attrs where they can be estimated
  }
  if (!model.ok()) return model.status();
  const std::vector<std::string> estimated = known->metric_names();
  for (const auto& [metric, budget] : spec.budgets) {
    if (std::find(estimated.begin(), estimated.end(), metric) == estimated.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("budgets.", metric,
                       ": not a cost metric the task's model estimates before training (it "
                       "estimates: ",
                       absl::StrJoin(estimated, ", "), ")"));
    }
  }
  return model;
}

absl::Status CheckBudgets(const Budgets& budgets, const std::map<std::string, double>& metrics) {
  for (const auto& [metric, budget] : budgets) {
    auto it = metrics.find(metric);
    if (it == metrics.end()) {
      return absl::OutOfRangeError(absl::StrCat("budgets.", metric, ": no estimate"));
    }
    NASQ_RETURN_IF_ERROR(CheckBudget(metric, budget, it->second));
  }
  return absl::OkStatus();
}

AdmissibilityCheck BudgetCheck(const Budgets& budgets,
                               std::shared_ptr<const TrialCostModel> model) {
  if (budgets.empty() || model == nullptr) return {};
  return [budgets, model = std::move(model)](const InternalParams& params) -> absl::Status {
    absl::StatusOr<std::map<std::string, double>> metrics = model->Estimate(params);
    if (!metrics.ok()) return absl::OkStatus();  // the worker fails the trial (see the header)
    return CheckBudgets(budgets, *metrics);
  };
}

std::map<std::string, std::string> CostAttrs(const TrialCostModel* model,
                                             const InternalParams& params) {
  std::map<std::string, std::string> attrs;
  if (model == nullptr) return attrs;
  absl::StatusOr<std::map<std::string, double>> metrics = model->Estimate(params);
  if (!metrics.ok()) return attrs;
  for (const auto& [metric, value] : *metrics) {
    if (std::isfinite(value)) attrs[kCostAttrPrefix + metric] = nlohmann::json(value).dump();
  }
  return attrs;
}

}  // namespace nasq
