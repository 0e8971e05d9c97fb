// pruner/pruner.cc: see pruner.h.
#include "pruner/pruner.h"

#include <utility>

#include "pruner/pruners.h"

namespace nasq {
namespace {

// Optuna's NopPruner.
class NopPruner : public Pruner {
 public:
  PruneDecision ShouldPrune(const PruningContext& ctx) const override { return {}; }
};

// The pruner of kind `kind` (not patient) with its options from `config`.
std::unique_ptr<Pruner> CreateKind(PrunerKind kind, const PrunerConfig& config) {
  switch (kind) {
    case PrunerKind::kMedian: {
      PercentilePrunerOptions median = config.percentile;
      median.percentile = PercentilePrunerOptions{}.percentile;  // the median
      return MakePercentilePruner(median);
    }
    case PrunerKind::kPercentile:
      return MakePercentilePruner(config.percentile);
    case PrunerKind::kSuccessiveHalving:
      return MakeSuccessiveHalvingPruner(config.successive_halving);
    case PrunerKind::kHyperband:
      return MakeHyperbandPruner(config.hyperband);
    case PrunerKind::kThreshold:
      return MakeThresholdPruner(config.threshold);
    default:
      return nullptr;
  }
}

}  // namespace

std::unique_ptr<Pruner> CreatePruner(const PrunerConfig& config) {
  if (config.kind == PrunerKind::kPatient) {
    return MakePatientPruner(config.patient, CreateKind(config.wrapped, config));
  }
  std::unique_ptr<Pruner> pruner = CreateKind(config.kind, config);
  if (pruner == nullptr) return std::make_unique<NopPruner>();
  return pruner;
}

PruningContext MakePruningContext(const StudySpec& spec, std::span<const Trial> history,
                                  const Trial& trial) {
  PruningContext ctx;
  ctx.study_name = spec.name;
  const size_t objective = static_cast<size_t>(spec.pruner.objective);
  if (objective < spec.directions.size()) ctx.direction = spec.directions[objective];
  ctx.history = history;
  ctx.trial = &trial;
  return ctx;
}

}  // namespace nasq
