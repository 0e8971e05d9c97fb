// server/trial_cost.h: the cost metrics of a study's trials estimated before they run, and the
// study's budgets checked on them (docs/study-spec.md "Budgets"), chosen by the task's kind as
// in task_validation.h.
//
// bert-classify: the trial's params are bound onto the task (BindTrialParams) and its cost is
// estimated on the architecture it builds (EstimateCost, task/cost_model.h), under the worker's
// metric names (CostMetricValues: macs, bitops, weight_bits, effective_size_bits, avg_bitwidth,
// sparsity). The base architecture is known only for a randomly initialised model: bert-tiny's
// dimensions (kBertTinyDimensions) with the task's architecture fields, num_labels from the data
// set (spam-assassin and imdb: 2; csv, tsv, jsonl: the declared dataset.labels) and vocab_size
// tokenizer.vocab_size (which moves only the parameter count, on which no metric depends). For a
// checkpoint the server does not read config.json (it may live only on the workers), and a
// tabular data set without declared labels has a label count known only from the data: such a
// task has no cost model here, and a study that declares budgets on it is refused.
//
// Thread-safety: a TrialCostModel is immutable after creation; all functions are thread-safe.
#ifndef NASQ_SERVER_TRIAL_COST_H_
#define NASQ_SERVER_TRIAL_COST_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/budget.h"
#include "core/search_space.h"
#include "core/study.h"
#include "sampler/sampler.h"
#include "task/cost_model.h"
#include "task/task_spec.h"

namespace nasq {

// The base architecture of a bert-classify task's trials (see top): bert-tiny's dimensions with
// the data set's num_labels and tokenizer.vocab_size (TrialArchitecture then applies the task's
// own architecture fields). INVALID_ARGUMENT naming the field when the server cannot know it
// (task.model.checkpoint, task.dataset.labels), worded for budgets, which need it.
absl::StatusOr<BertArchitecture> BertClassifyBaseArchitecture(const TaskSpec& task);

// Estimates the cost metrics of one study's trials (what can be cached per study, such as the
// parsed task and its base architecture, is computed once at creation).
class TrialCostModel {
 public:
  virtual ~TrialCostModel() = default;

  // The cost metrics of a trial with `params` (internal values of the study's space) by the
  // names the worker reports them under. INVALID_ARGUMENT when the params do not bind onto the
  // task or the architecture cannot be built (the worker would fail such a trial).
  virtual absl::StatusOr<std::map<std::string, double>> Estimate(
      const InternalParams& params) const = 0;
};

// The cost model of `spec`'s task, or nullptr when there is none (a kind without a cost model,
// an unparsable task, or an architecture the server cannot know: see top). A study with budgets
// needs one, and every budget must name a metric it estimates; otherwise INVALID_ARGUMENT naming
// the field: "budgets: task kind 'custom' has no cost model", "budgets: task.model.checkpoint:
// ...", "budgets.acuracy: not a cost metric the task's model estimates before training (it
// estimates: avg_bitwidth, bitops, ...)".
absl::StatusOr<std::shared_ptr<const TrialCostModel>> CreateTrialCostModel(const StudySpec& spec);

// OK when every budget's metric in `metrics` is within it; otherwise CheckBudget's OUT_OF_RANGE
// for the first broken one, by metric name ("budgets.avg_bitwidth: 7.25 > max 6"). A metric that
// `metrics` lacks breaks its budget.
absl::Status CheckBudgets(const Budgets& budgets, const std::map<std::string, double>& metrics);

// The admissibility check (sampler/sampler.h) of a study with `budgets` on `model`: estimate,
// then CheckBudgets. Params whose cost cannot be estimated are admitted: they do not bind, so the
// worker fails their trial before building anything, as it would without budgets. An empty
// function when `budgets` is empty or `model` is null.
AdmissibilityCheck BudgetCheck(const Budgets& budgets, std::shared_ptr<const TrialCostModel> model);

// The kCostAttrPrefix system attrs (core/budget.h) of a trial with `params`: empty when `model` is
// null or the cost cannot be estimated.
std::map<std::string, std::string> CostAttrs(const TrialCostModel* model,
                                             const InternalParams& params);

}  // namespace nasq

#endif  // NASQ_SERVER_TRIAL_COST_H_
