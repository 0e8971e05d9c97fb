// sampler/sampler.cc: the SampleTrial driver and CreateSampler (see sampler.h).
#include "sampler/sampler.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "sampler/grid_sampler.h"
#include "sampler/nsga2_sampler.h"
#include "sampler/random_sampler.h"
#include "sampler/rng.h"
#include "sampler/tpe_sampler.h"

namespace nasq {
namespace {

// One draw of a complete assignment (constraints not checked).
absl::StatusOr<InternalParams> DrawAssignment(Sampler& sampler, const SamplingContext& ctx) {
  const SearchSpace& space = ctx.spec->space;
  InternalParams relative;
  for (const std::vector<std::string>& group : sampler.InferRelativeSearchSpace(ctx)) {
    NASQ_ASSIGN_OR_RETURN(InternalParams joint, sampler.SampleRelative(ctx, group));
    for (const auto& [name, value] : joint) {
      const ParamSpec* spec = space.Find(name);
      if (spec == nullptr || !Contains(spec->distribution, value)) {
        return absl::InternalError(absl::StrCat("sampler: relative sample of '", name,
                                                "' is not in the space or its distribution"));
      }
      relative[name] = value;
    }
  }
  InternalParams assigned;
  for (const ParamSpec& param : space.params()) {
    if (!space.IsActive(param, assigned)) continue;  // inactive relative values are dropped
    if (auto it = relative.find(param.name); it != relative.end()) {
      assigned[param.name] = it->second;
      continue;
    }
    NASQ_ASSIGN_OR_RETURN(double value, sampler.SampleIndependent(ctx, param, assigned));
    if (!Contains(param.distribution, value)) {
      return absl::InternalError(absl::StrCat("sampler: value ", value, " of '", param.name,
                                              "' is outside its distribution"));
    }
    assigned[param.name] = value;
  }
  return assigned;
}

// Index of the first constraint that `params` violates, or -1.
int FirstViolatedConstraint(const SearchSpace& space, const InternalParams& params) {
  const std::vector<Constraint>& constraints = space.constraints();
  for (size_t i = 0; i < constraints.size(); ++i) {
    const Constraint& c = constraints[i];
    InternalParams sides;
    for (const std::string* name : {&c.lhs, &c.rhs}) {
      if (auto it = params.find(*name); it != params.end()) sides.insert(*it);
    }
    if (!space.SatisfiesConstraints(sides)) return static_cast<int>(i);
  }
  return -1;
}

std::string DescribeConstraint(const SearchSpace& space, int index) {
  const Constraint& c = space.constraints()[index];
  std::string rhs = c.rhs.empty()     ? absl::StrCat(c.offset)
                    : c.offset == 0.0 ? c.rhs
                                      : absl::StrCat(c.rhs, " + ", c.offset);
  return absl::StrCat("space.constraints[", index, "] (", c.lhs, " ", CompareOpName(c.op), " ", rhs,
                      ")");
}

// The params of the trials in ctx.history other than ctx.trial_number that have not FAILED.
std::vector<const InternalParams*> TakenParams(const SamplingContext& ctx) {
  std::vector<const InternalParams*> taken;
  for (const Trial& trial : ctx.history) {
    if (trial.number != ctx.trial_number && trial.state != TrialState::kFail) {
      taken.push_back(&trial.params);
    }
  }
  return taken;
}

bool IsTaken(const std::vector<const InternalParams*>& taken, const InternalParams& params) {
  return std::any_of(taken.begin(), taken.end(),
                     [&](const InternalParams* other) { return *other == params; });
}

// ctx.admissible's verdict on `params` (OK without a check).
absl::Status CheckAdmissible(const SamplingContext& ctx, const InternalParams& params) {
  return ctx.admissible == nullptr || !*ctx.admissible ? absl::OkStatus()
                                                       : (*ctx.admissible)(params);
}

// The first cell, in the grid's seeded order, of a finite discrete space that no trial has taken
// and that ctx.admissible accepts; nullopt when the space has a continuous param or too many
// cells for a grid, or when there is no such cell. For skip_duplicates once random draws have
// found nothing new.
absl::StatusOr<std::optional<InternalParams>> FirstFreeCell(
    const SamplingContext& ctx, const std::vector<const InternalParams*>& taken) {
  absl::StatusOr<std::unique_ptr<GridSampler>> grid = GridSampler::Create(*ctx.spec);
  if (!grid.ok()) return std::nullopt;
  SamplingContext cell_ctx = ctx;
  for (int64_t cell = 0; cell < (*grid)->num_cells(); ++cell) {
    cell_ctx.trial_number = cell;
    NASQ_ASSIGN_OR_RETURN(InternalParams params, DrawAssignment(**grid, cell_ctx));
    if (!IsTaken(taken, params) && CheckAdmissible(ctx, params).ok()) return params;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Sampler>> CreateSampler(const StudySpec& spec,
                                                       const AdmissibilityCheck& admissible) {
  switch (spec.sampler.kind) {
    case SamplerKind::kRandom:
      return std::unique_ptr<Sampler>(std::make_unique<RandomSampler>());
    case SamplerKind::kGrid: {
      NASQ_ASSIGN_OR_RETURN(std::unique_ptr<GridSampler> grid,
                            GridSampler::Create(spec, {.admissible = admissible}));
      return std::unique_ptr<Sampler>(std::move(grid));
    }
    case SamplerKind::kTpe: {
      NASQ_ASSIGN_OR_RETURN(std::unique_ptr<TpeSampler> tpe, TpeSampler::Create(spec));
      return std::unique_ptr<Sampler>(std::move(tpe));
    }
    case SamplerKind::kNsga2: {
      NASQ_ASSIGN_OR_RETURN(std::unique_ptr<Nsga2Sampler> nsga2, Nsga2Sampler::Create(spec));
      return std::unique_ptr<Sampler>(std::move(nsga2));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("sampler.kind: unknown sampler kind ", static_cast<int>(spec.sampler.kind)));
}

absl::StatusOr<InternalParams> SampleTrial(Sampler& sampler, SamplingContext ctx) {
  if (ctx.spec == nullptr) return absl::InvalidArgumentError("SampleTrial: ctx.spec is null");
  if (ctx.trial_number < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("SampleTrial: negative trial number ", ctx.trial_number));
  }
  const StudySpec& spec = *ctx.spec;
  ctx.rng = nullptr;
  ctx.redraw = 0;
  if (sampler.IsExhausted(ctx)) {
    return absl::ResourceExhaustedError(absl::StrCat("sampler: exhausted, no trial numbered ",
                                                     ctx.trial_number, " can be sampled"));
  }
  NASQ_RETURN_IF_ERROR(sampler.BeginTrial(ctx));
  const bool skip_duplicates = spec.sampler.skip_duplicates;
  const std::vector<const InternalParams*> taken =
      skip_duplicates ? TakenParams(ctx) : std::vector<const InternalParams*>{};
  const auto is_taken = [&taken](const InternalParams& params) { return IsTaken(taken, params); };
  // What SampleUntried must avoid: taken or inadmissible assignments.
  const auto is_refused = [&](const InternalParams& params) {
    return is_taken(params) || !CheckAdmissible(ctx, params).ok();
  };
  RandomSampler explorer;
  bool asked_model = false;  // SampleUntried was called: the redraws that follow are uniform
  std::optional<InternalParams> first_duplicate;
  const int max_redraws = std::max(0, spec.sampler.max_constraint_retries);
  int violated = -1;     // the constraint the last draw violated, or -1
  absl::Status refused;  // ctx.admissible's refusal of the last draw
  for (int redraw = 0; redraw <= max_redraws; ++redraw) {
    std::mt19937_64 rng(TrialStreamSeed(spec.sampler.seed, ctx.trial_number, redraw));
    ctx.rng = &rng;
    ctx.redraw = redraw;
    Sampler& drawing = asked_model ? explorer : sampler;
    NASQ_ASSIGN_OR_RETURN(InternalParams params, DrawAssignment(drawing, ctx));
    violated = FirstViolatedConstraint(spec.space, params);
    if (violated >= 0) continue;
    if (absl::Status s = spec.space.CheckAssignment(params); !s.ok()) {
      return absl::InternalError(absl::StrCat("sampler: invalid assignment: ", s.message()));
    }
    refused = CheckAdmissible(ctx, params);
    if (refused.ok()) {
      if (!is_taken(params)) return params;
      if (!first_duplicate) first_duplicate = std::move(params);
    }
    if (asked_model) continue;
    asked_model = true;
    NASQ_ASSIGN_OR_RETURN(std::optional<InternalParams> untried,
                          sampler.SampleUntried(ctx, is_refused));
    if (!untried) continue;
    if (absl::Status s = spec.space.CheckAssignment(*untried); !s.ok() || is_refused(*untried)) {
      return absl::InternalError(
          absl::StrCat("sampler: SampleUntried gave a taken, inadmissible or invalid assignment: ",
                       s.message()));
    }
    return *std::move(untried);
  }
  if (first_duplicate) {
    NASQ_ASSIGN_OR_RETURN(std::optional<InternalParams> free_cell, FirstFreeCell(ctx, taken));
    return free_cell ? *std::move(free_cell) : *std::move(first_duplicate);
  }
  if (violated < 0) {  // the last draw was refused by ctx.admissible
    return absl::FailedPreconditionError(
        absl::StrCat("sampler: ", refused.message(), ": every draw was refused after ", max_redraws,
                     " redraws (trial ", ctx.trial_number,
                     "); the feasible region looks empty or tiny: relax the budget or raise "
                     "sampler.max_constraint_retries"));
  }
  return absl::FailedPreconditionError(
      absl::StrCat("sampler: ", DescribeConstraint(spec.space, violated), " still violated after ",
                   max_redraws, " redraws (trial ", ctx.trial_number,
                   "); relax the constraint or raise sampler.max_constraint_retries"));
}

}  // namespace nasq
