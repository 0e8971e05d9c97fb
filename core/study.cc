#include "core/study.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/field_error.h"
#include "core/limits.h"
#include "core/name_table.h"
#include "core/status_macros.h"

namespace nasq {
namespace {

constexpr internal::NameEntry<StudyDirection> kDirectionNames[] = {
    {StudyDirection::kMinimize, "MINIMIZE"},
    {StudyDirection::kMaximize, "MAXIMIZE"},
};
constexpr internal::NameEntry<SamplerKind> kSamplerKindNames[] = {
    {SamplerKind::kRandom, "random"},
    {SamplerKind::kGrid, "grid"},
    {SamplerKind::kTpe, "tpe"},
    {SamplerKind::kNsga2, "nsga2"},
};
constexpr internal::NameEntry<Nsga2Crossover> kCrossoverNames[] = {
    {Nsga2Crossover::kUniform, "uniform"}, {Nsga2Crossover::kBlxAlpha, "blxalpha"},
    {Nsga2Crossover::kSbx, "sbx"},         {Nsga2Crossover::kVsbx, "vsbx"},
    {Nsga2Crossover::kSpx, "spx"},         {Nsga2Crossover::kUndx, "undx"},
};
constexpr internal::NameEntry<StudyState> kStudyStateNames[] = {
    {StudyState::kRunning, "RUNNING"},
    {StudyState::kCompleted, "COMPLETED"},
    {StudyState::kStopped, "STOPPED"},
};

// Largest grid a study may declare (product of the params' discrete sizes).
constexpr int64_t kMaxGridPoints = 10'000'000;
constexpr size_t kMaxNameLength = 128;

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

absl::Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return InvalidFieldError("name", absl::StrCat("must be 1 to ", kMaxNameLength,
                                                  " characters (got ", name.size(), ")"));
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return InvalidFieldError("name",
                               absl::StrCat("must match [A-Za-z0-9._-]{1,128} (got '", name, "')"));
    }
  }
  return absl::OkStatus();
}

// Empty, or one finite value per direction.
absl::Status ValidateReferencePoint(const StudySpec& spec) {
  const std::vector<double>& point = spec.reference_point;
  if (point.empty()) return absl::OkStatus();
  if (point.size() != spec.directions.size()) {
    return InvalidFieldError("reference_point",
                             absl::StrCat("expected one value per direction (",
                                          spec.directions.size(), "), got ", point.size()));
  }
  for (size_t i = 0; i < point.size(); ++i) {
    if (!std::isfinite(point[i])) {
      return InvalidFieldError(absl::StrCat("reference_point[", i, "]"),
                               absl::StrCat("must be finite (got ", point[i], ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateObjectives(const StudySpec& spec) {
  if (spec.directions.empty()) {
    return InvalidFieldError("directions", "at least one objective direction is required");
  }
  NASQ_RETURN_IF_ERROR(
      ValidateCount(spec.directions.size(), limits::kMaxObjectives, "directions", "objectives"));
  for (size_t i = 0; i < spec.directions.size(); ++i) {
    if (!internal::Lists(kDirectionNames, spec.directions[i])) {
      return InvalidFieldError(
          absl::StrCat("directions[", i, "]"),
          absl::StrCat("unknown direction ", static_cast<int>(spec.directions[i])));
    }
  }
  NASQ_RETURN_IF_ERROR(ValidateReferencePoint(spec));
  if (spec.metric_names.empty()) return absl::OkStatus();
  if (spec.metric_names.size() != spec.directions.size()) {
    return InvalidFieldError(
        "metric_names", absl::StrCat("expected one name per direction (", spec.directions.size(),
                                     "), got ", spec.metric_names.size()));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < spec.metric_names.size(); ++i) {
    const std::string field = absl::StrCat("metric_names[", i, "]");
    if (spec.metric_names[i].empty()) return InvalidFieldError(field, "must not be empty");
    if (!seen.insert(spec.metric_names[i]).second) {
      return InvalidFieldError(field, absl::StrCat("duplicate name '", spec.metric_names[i], "'"));
    }
  }
  return absl::OkStatus();
}

// The integer options' documented ranges (docs/study-spec.md, "Limits"), from their
// descriptions.
absl::Status ValidateIntRanges(const StudySpec& spec) {
  NASQ_RETURN_IF_ERROR(CheckFieldRanges(spec.sampler.tpe, kTpeOptionFields, "sampler.tpe"));
  NASQ_RETURN_IF_ERROR(CheckFieldRanges(spec.sampler.nsga2, kNsga2OptionFields, "sampler.nsga2"));
  NASQ_RETURN_IF_ERROR(CheckFieldRanges(spec.sampler, kSamplerOptionFields, "sampler"));
  return CheckFieldRanges(spec, kStudyLimitFields, "");
}

absl::Status ValidateTpe(const TpeOptions& tpe) {
  if (!std::isfinite(tpe.prior_weight) || tpe.prior_weight <= 0) {
    return InvalidFieldError("sampler.tpe.prior_weight",
                             absl::StrCat("must be > 0 and finite (got ", tpe.prior_weight, ")"));
  }
  if (tpe.group && !tpe.multivariate)
    return InvalidFieldError("sampler.tpe.group", "requires multivariate");
  return absl::OkStatus();
}

// OK when `value` lies in [low, high] (or (low, high] when `open_low`) and is finite.
absl::Status CheckProbability(double value, absl::string_view name, bool open_low = false) {
  if (value >= 0.0 && value <= 1.0 && !(open_low && value == 0.0)) return absl::OkStatus();
  return InvalidFieldError(absl::StrCat("sampler.nsga2.", name),
                           absl::StrCat("must be ", open_low ? "> 0 and <= 1" : "between 0 and 1",
                                        " (got ", value, ")"));
}

absl::Status CheckNonNegative(double value, absl::string_view name) {
  if (value >= 0.0 && std::isfinite(value)) return absl::OkStatus();
  return InvalidFieldError(absl::StrCat("sampler.nsga2.", name),
                           absl::StrCat("must be >= 0 and finite (got ", value, ")"));
}

// The rules of kNsga2OptionFields that need code (population_size has a range).
absl::Status ValidateNsga2(const Nsga2Options& o) {
  if (!internal::Lists(kCrossoverNames, o.crossover)) {
    return InvalidFieldError("sampler.nsga2.crossover",
                             absl::StrCat("unknown crossover ", static_cast<int>(o.crossover)));
  }
  NASQ_RETURN_IF_ERROR(CheckProbability(o.mutation_prob, "mutation_prob"));
  NASQ_RETURN_IF_ERROR(CheckProbability(o.crossover_prob, "crossover_prob"));
  NASQ_RETURN_IF_ERROR(CheckProbability(o.swapping_prob, "swapping_prob"));
  NASQ_RETURN_IF_ERROR(CheckNonNegative(o.alpha, "alpha"));
  NASQ_RETURN_IF_ERROR(CheckNonNegative(o.eta, "eta"));
  NASQ_RETURN_IF_ERROR(CheckProbability(o.uniform_crossover_prob, "uniform_crossover_prob"));
  NASQ_RETURN_IF_ERROR(
      CheckProbability(o.use_child_gene_prob, "use_child_gene_prob", /*open_low=*/true));
  NASQ_RETURN_IF_ERROR(CheckNonNegative(o.epsilon, "epsilon"));
  NASQ_RETURN_IF_ERROR(CheckNonNegative(o.sigma_xi, "sigma_xi"));
  NASQ_RETURN_IF_ERROR(CheckNonNegative(o.sigma_eta, "sigma_eta"));
  const bool three_parents =
      o.crossover == Nsga2Crossover::kSpx || o.crossover == Nsga2Crossover::kUndx;
  if (three_parents && o.population_size < 3) {
    return InvalidFieldError(
        "sampler.nsga2.population_size",
        absl::StrCat("must be >= 3 with crossover ", Nsga2CrossoverName(o.crossover),
                     ", which takes 3 parents (got ", o.population_size, ")"));
  }
  return absl::OkStatus();
}

// A grid needs every param discrete and at most kMaxGridPoints cells in all.
absl::Status ValidateGrid(const SearchSpace& space) {
  int64_t points = 1;
  for (const ParamSpec& p : space.params()) {
    const std::optional<int64_t> size = DiscreteSize(p.distribution);
    if (!size.has_value()) {
      return InvalidFieldError("sampler.kind",
                               absl::StrCat("grid needs every param to be discrete, but '", p.name,
                                            "' is ", DistributionToString(p.distribution),
                                            " (give it a step or make it categorical)"));
    }
    if (*size > kMaxGridPoints / points) {
      return InvalidFieldError("sampler.kind", absl::StrCat("grid has more than ", kMaxGridPoints,
                                                            " points (at param '", p.name, "')"));
    }
    points *= *size;
  }
  return absl::OkStatus();
}

absl::Status ValidateSampler(const StudySpec& spec) {
  const SamplerConfig& sampler = spec.sampler;
  if (!internal::Lists(kSamplerKindNames, sampler.kind)) {
    return InvalidFieldError("sampler.kind",
                             absl::StrCat("unknown sampler kind ", static_cast<int>(sampler.kind)));
  }
  NASQ_RETURN_IF_ERROR(ValidateTpe(sampler.tpe));
  NASQ_RETURN_IF_ERROR(ValidateNsga2(sampler.nsga2));
  if (sampler.kind == SamplerKind::kGrid) {
    if (sampler.skip_duplicates) {
      return InvalidFieldError("sampler.skip_duplicates",
                               "not with grid, which never repeats a cell");
    }
    NASQ_RETURN_IF_ERROR(ValidateGrid(spec.space));
  }
  return absl::OkStatus();
}

absl::Status ValidateLimits(const StudySpec& spec) {
  NASQ_RETURN_IF_ERROR(ValidateIntRanges(spec));
  if (spec.heartbeat_interval_ms <= 0 || spec.heartbeat_interval_ms >= spec.lease_duration_ms) {
    return InvalidFieldError(
        "heartbeat_interval_ms",
        absl::StrCat("must be > 0 and < lease_duration_ms (got ", spec.heartbeat_interval_ms,
                     ", lease_duration_ms=", spec.lease_duration_ms, ")"));
  }
  return absl::OkStatus();
}

// Strings of the spec outside the space: metric names, task, user attributes.
absl::Status ValidateSpecText(const StudySpec& spec) {
  for (size_t i = 0; i < spec.metric_names.size(); ++i) {
    NASQ_RETURN_IF_ERROR(ValidateText(spec.metric_names[i], absl::StrCat("metric_names[", i, "]"),
                                      limits::kMaxParamNameBytes));
  }
  NASQ_RETURN_IF_ERROR(ValidateText(spec.task_json, "task_json", limits::kMaxTaskBytes));
  return ValidateTextMap(spec.user_attrs, "user_attrs", limits::kMaxAttrValueBytes);
}

}  // namespace

const char* StudyDirectionName(StudyDirection d) { return internal::NameOf(kDirectionNames, d); }

std::optional<StudyDirection> ParseStudyDirection(const std::string& s) {
  return internal::ParseName(kDirectionNames, s);
}

const char* SamplerKindName(SamplerKind k) { return internal::NameOf(kSamplerKindNames, k); }

std::optional<SamplerKind> ParseSamplerKind(const std::string& s) {
  return internal::ParseName(kSamplerKindNames, s);
}

const char* Nsga2CrossoverName(Nsga2Crossover c) { return internal::NameOf(kCrossoverNames, c); }

std::optional<Nsga2Crossover> ParseNsga2Crossover(const std::string& s) {
  return internal::ParseName(kCrossoverNames, s);
}

const char* StudyStateName(StudyState s) { return internal::NameOf(kStudyStateNames, s); }

std::optional<StudyState> ParseStudyState(const std::string& s) {
  return internal::ParseName(kStudyStateNames, s);
}

absl::Status ValidateStudySpec(const StudySpec& spec) {
  NASQ_RETURN_IF_ERROR(ValidateName(spec.name));
  NASQ_RETURN_IF_ERROR(ValidateObjectives(spec));
  if (spec.space.size() == 0) {
    return InvalidFieldError("space",
                             "the search space is empty (build it with SearchSpace::Create)");
  }
  NASQ_RETURN_IF_ERROR(ValidateSpecText(spec));
  NASQ_RETURN_IF_ERROR(ValidateSampler(spec));
  NASQ_RETURN_IF_ERROR(ValidatePrunerConfig(spec.pruner, spec.directions.size()));
  NASQ_RETURN_IF_ERROR(ValidateBudgets(spec.budgets));
  return ValidateLimits(spec);
}

}  // namespace nasq
