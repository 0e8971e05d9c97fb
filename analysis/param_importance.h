// analysis/param_importance.h: how much each param of a study decides its objective, by
// PED-ANOVA (Watanabe et al. 2023, "PED-ANOVA: Efficiently Quantifying Hyperparameter Importance
// in Arbitrary Subspaces"), as Optuna 5.0's PedAnovaImportanceEvaluator computes it (defaults
// target_quantile 0.1, region_quantile 1.0, evaluate_on_local true).
//
// For each param, the Pearson divergence between the Parzen density (sampler/parzen_estimator.h,
// on the param's distribution discretised as Optuna does) of the top `target_quantile` of the
// COMPLETE trials by the objective and that of the `region_quantile` of them. A param that does
// not change the objective has about the same density in both and scores near 0.
// Thread-safety: pure functions.
#ifndef NASQ_ANALYSIS_PARAM_IMPORTANCE_H_
#define NASQ_ANALYSIS_PARAM_IMPORTANCE_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/study.h"
#include "core/trial.h"

namespace nasq {

struct ImportanceOptions {
  int objective = 0;             // which of the study's objectives
  double target_quantile = 0.1;  // the top trials, in (0, region_quantile)
  double region_quantile = 1.0;  // the region compared against, in (target_quantile, 1]
};

struct ParamImportance {
  std::string param;
  double importance = 0;  // >= 0; Optuna's value for the same trials
};

// Importances of the params of `spec`'s space that the COMPLETE trials of `trials` hold, most
// important first (ties by name). Only COMPLETE trials with a finite value of the objective
// count, the objective's direction deciding which are the top (as Optuna with
// target=lambda t: +-t.values[objective]); a trial without a param (conditional spaces) is left
// out of that param's densities. Fewer than 2 such trials: an empty list. INVALID_ARGUMENT
// naming the option for an objective index out of range or quantiles outside their bounds.
absl::StatusOr<std::vector<ParamImportance>> ComputeParamImportances(
    const StudySpec& spec, std::span<const Trial> trials, const ImportanceOptions& options = {});

}  // namespace nasq

#endif  // NASQ_ANALYSIS_PARAM_IMPORTANCE_H_
