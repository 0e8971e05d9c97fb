#include "core/pruner_config.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/field_error.h"
#include "core/name_table.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

constexpr internal::NameEntry<PrunerKind> kPrunerKindNames[] = {
    {PrunerKind::kNone, "none"},
    {PrunerKind::kMedian, "median"},
    {PrunerKind::kPercentile, "percentile"},
    {PrunerKind::kSuccessiveHalving, "successive_halving"},
    {PrunerKind::kHyperband, "hyperband"},
    {PrunerKind::kThreshold, "threshold"},
    {PrunerKind::kPatient, "patient"},
};

std::string Section(PrunerKind kind) { return absl::StrCat("pruner.", PrunerSectionName(kind)); }

absl::Status ValidateKinds(const PrunerConfig& pruner) {
  if (!internal::Lists(kPrunerKindNames, pruner.kind)) {
    return InvalidFieldError("pruner.kind",
                             absl::StrCat("unknown pruner kind ", static_cast<int>(pruner.kind)));
  }
  if (!internal::Lists(kPrunerKindNames, pruner.wrapped)) {
    return InvalidFieldError(
        "pruner.wrapped", absl::StrCat("unknown pruner kind ", static_cast<int>(pruner.wrapped)));
  }
  if (pruner.wrapped == PrunerKind::kNone) return absl::OkStatus();
  if (pruner.kind != PrunerKind::kPatient)
    return InvalidFieldError("pruner.wrapped", "only with patient");
  if (pruner.wrapped == PrunerKind::kPatient) {
    return InvalidFieldError("pruner.wrapped",
                             "a patient pruner cannot wrap another patient pruner");
  }
  return absl::OkStatus();
}

absl::Status ValidateRanges(const PrunerConfig& pruner) {
  NASQ_RETURN_IF_ERROR(CheckFieldRanges(pruner, kPrunerOptionFields, "pruner"));
  NASQ_RETURN_IF_ERROR(CheckFieldRanges(pruner.percentile, kPercentilePrunerFields,
                                        Section(PrunerKind::kPercentile)));
  NASQ_RETURN_IF_ERROR(CheckFieldRanges(pruner.successive_halving, kSuccessiveHalvingPrunerFields,
                                        Section(PrunerKind::kSuccessiveHalving)));
  NASQ_RETURN_IF_ERROR(
      CheckFieldRanges(pruner.hyperband, kHyperbandPrunerFields, Section(PrunerKind::kHyperband)));
  NASQ_RETURN_IF_ERROR(
      CheckFieldRanges(pruner.threshold, kThresholdPrunerFields, Section(PrunerKind::kThreshold)));
  return CheckFieldRanges(pruner.patient, kPatientPrunerFields, Section(PrunerKind::kPatient));
}

// The rules the tables state in words (`rule`), as Optuna's constructors check them.
absl::Status ValidateRules(const PrunerConfig& pruner) {
  const double percentile = pruner.percentile.percentile;
  if (!(percentile >= 0 && percentile <= 100)) {
    return InvalidFieldError("pruner.percentile.percentile",
                             absl::StrCat("must be between 0 and 100 (got ", percentile, ")"));
  }
  const SuccessiveHalvingPrunerOptions& sha = pruner.successive_halving;
  if (sha.bootstrap_count > 0 && sha.min_resource == 0) {
    return InvalidFieldError("pruner.successive_halving.bootstrap_count",
                             "needs min_resource (> 0 is incompatible with min_resource auto)");
  }
  const HyperbandPrunerOptions& hyperband = pruner.hyperband;
  if (hyperband.max_resource != 0 && hyperband.max_resource < hyperband.min_resource) {
    return InvalidFieldError("pruner.hyperband.max_resource",
                             absl::StrCat("must be >= min_resource (got ", hyperband.max_resource,
                                          " < ", hyperband.min_resource, ")"));
  }
  if (hyperband.bootstrap_count > 0 && hyperband.max_resource == 0) {
    return InvalidFieldError("pruner.hyperband.bootstrap_count",
                             "needs max_resource (> 0 is incompatible with max_resource auto)");
  }
  const ThresholdPrunerOptions& threshold = pruner.threshold;
  if (std::isnan(threshold.lower) || threshold.lower == HUGE_VAL) {
    return InvalidFieldError("pruner.threshold.lower",
                             absl::StrCat("must be finite or -inf (got ", threshold.lower, ")"));
  }
  if (std::isnan(threshold.upper) || threshold.upper == -HUGE_VAL) {
    return InvalidFieldError("pruner.threshold.upper",
                             absl::StrCat("must be finite or inf (got ", threshold.upper, ")"));
  }
  if (threshold.lower > threshold.upper) {
    return InvalidFieldError(
        "pruner.threshold.upper",
        absl::StrCat("must be >= lower (got ", threshold.upper, " < ", threshold.lower, ")"));
  }
  if (pruner.kind == PrunerKind::kThreshold && std::isinf(threshold.lower) &&
      std::isinf(threshold.upper)) {
    return InvalidFieldError("pruner.threshold", "give lower or upper (or both)");
  }
  const double min_delta = pruner.patient.min_delta;
  if (!std::isfinite(min_delta) || min_delta < 0) {
    return InvalidFieldError("pruner.patient.min_delta",
                             absl::StrCat("must be >= 0 and finite (got ", min_delta, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

const char* PrunerKindName(PrunerKind k) { return internal::NameOf(kPrunerKindNames, k); }

std::optional<PrunerKind> ParsePrunerKind(const std::string& s) {
  return internal::ParseName(kPrunerKindNames, s);
}

const char* PrunerSectionName(PrunerKind k) {
  switch (k) {
    case PrunerKind::kNone:
      return nullptr;
    case PrunerKind::kMedian:
      return PrunerKindName(PrunerKind::kPercentile);
    default:
      return PrunerKindName(k);
  }
}

absl::Status ValidatePrunerConfig(const PrunerConfig& pruner, size_t n_objectives) {
  NASQ_RETURN_IF_ERROR(ValidateKinds(pruner));
  NASQ_RETURN_IF_ERROR(ValidateRanges(pruner));
  if (static_cast<size_t>(pruner.objective) >= n_objectives) {
    return InvalidFieldError("pruner.objective",
                             absl::StrCat("must be < the number of objectives, ", n_objectives,
                                          " (got ", pruner.objective, ")"));
  }
  return ValidateRules(pruner);
}

}  // namespace nasq
