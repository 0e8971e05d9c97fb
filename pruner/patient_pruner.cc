// pruner/patient_pruner.cc: Optuna's PatientPruner (optuna/pruners/_patient.py).
#include <cmath>
#include <vector>

#include "pruner/pruners.h"

namespace nasq {
namespace {

class PatientPruner : public Pruner {
 public:
  PatientPruner(const PatientPrunerOptions& options, std::unique_ptr<Pruner> wrapped)
      : options_(options), wrapped_(std::move(wrapped)) {}

  PruneDecision ShouldPrune(const PruningContext& ctx) const override {
    const std::map<int64_t, double>& values = ctx.trial->intermediate_values;
    // Not enough steps to judge (also: none at all).
    if (values.size() <= static_cast<size_t>(options_.patience) + 1) return {};
    // The values before the last patience + 1 steps, and those steps' values (by step).
    const size_t n_before = values.size() - static_cast<size_t>(options_.patience) - 1;
    std::vector<double> before;
    std::vector<double> after;
    for (const auto& [step, value] : values) {
      (before.size() < n_before ? before : after).push_back(value);
    }
    const double best_before = NanBest(before, ctx.direction);
    const double best_after = NanBest(after, ctx.direction);
    // NaN (only NaN on one side) compares false: not patient-prunable, as with numpy.
    const bool maybe_prune = ctx.direction == StudyDirection::kMinimize
                                 ? best_before + options_.min_delta < best_after
                                 : best_before - options_.min_delta > best_after;
    if (!maybe_prune) return {};
    if (wrapped_ != nullptr) return wrapped_->ShouldPrune(ctx);
    return {.prune = true};
  }

 private:
  const PatientPrunerOptions options_;
  const std::unique_ptr<Pruner> wrapped_;
};

}  // namespace

std::unique_ptr<Pruner> MakePatientPruner(const PatientPrunerOptions& options,
                                          std::unique_ptr<Pruner> wrapped) {
  return std::make_unique<PatientPruner>(options, std::move(wrapped));
}

}  // namespace nasq
