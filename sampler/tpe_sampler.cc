// sampler/tpe_sampler.cc: see tpe_sampler.h.
#include "sampler/tpe_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "sampler/random_sampler.h"
#include "sampler/rng.h"
#include "sampler/tpe_split.h"

namespace nasq {
namespace {

// The only internal value of a single-valued distribution.
double SingleValue(const Distribution& d) {
  if (const auto* f = std::get_if<FloatDistribution>(&d)) return f->low;
  if (const auto* i = std::get_if<IntDistribution>(&d)) return static_cast<double>(i->low);
  return 0.0;
}

// One refinement step (groups stay sorted) of Optuna's _SearchSpaceGroup.add_distributions.
void RefineGroups(std::vector<std::vector<size_t>>& groups, std::vector<size_t> keys) {
  std::vector<std::vector<size_t>> next;
  for (const std::vector<size_t>& g : groups) {
    std::vector<size_t> inter, diff, rest;
    std::set_intersection(g.begin(), g.end(), keys.begin(), keys.end(), std::back_inserter(inter));
    std::set_difference(g.begin(), g.end(), keys.begin(), keys.end(), std::back_inserter(diff));
    std::set_difference(keys.begin(), keys.end(), g.begin(), g.end(), std::back_inserter(rest));
    next.push_back(std::move(inter));
    next.push_back(std::move(diff));
    keys = std::move(rest);
  }
  next.push_back(std::move(keys));
  groups.clear();
  for (auto& g : next) {
    if (!g.empty()) groups.push_back(std::move(g));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<TpeSampler>> TpeSampler::Create(const StudySpec& spec) {
  const TpeOptions& o = spec.sampler.tpe;
  if (spec.directions.empty()) {
    return absl::InvalidArgumentError("directions: TPE needs at least one objective");
  }
  if (o.n_ei_candidates < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampler.tpe.n_ei_candidates: must be >= 1, got ", o.n_ei_candidates));
  }
  if (o.n_startup_trials < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampler.tpe.n_startup_trials: must be >= 0, got ", o.n_startup_trials));
  }
  if (!(o.prior_weight >= 0.0) || !std::isfinite(o.prior_weight)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sampler.tpe.prior_weight: must be a finite value >= 0, got ", o.prior_weight));
  }
  if (o.group && !o.multivariate) {
    return absl::InvalidArgumentError("sampler.tpe.group: requires multivariate");
  }
  return std::unique_ptr<TpeSampler>(new TpeSampler(spec));
}

TpeSampler::TpeSampler(const StudySpec& spec)
    : space_(spec.space),
      options_(spec.sampler.tpe),
      directions_(spec.directions),
      parzen_{options_.prior_weight, options_.consider_magic_clip, options_.consider_endpoints},
      table_(space_),
      constrained_(space_.size(), false) {
  for (const Constraint& c : space_.constraints()) {
    for (const std::string* name : {&c.lhs, &c.rhs}) {
      if (const ParamSpec* p = space_.Find(*name)) constrained_[p - space_.params().data()] = true;
    }
  }
}

absl::Status TpeSampler::BeginTrial(const SamplingContext& ctx) { return Prepare(ctx); }

absl::Status TpeSampler::EnsurePrepared(const SamplingContext& ctx) {
  const PreparedKey key{ctx.trial_number, ctx.history.data(), ctx.history.size()};
  if (prepared_.has_value() && *prepared_ == key) return absl::OkStatus();
  return Prepare(ctx);
}

absl::Status TpeSampler::Prepare(const SamplingContext& ctx) {
  prepared_.reset();
  const TrialSplit split =
      SplitTrials(ctx.history, ctx.trial_number, directions_, options_.constant_liar);
  std::vector<int> indices = split.below;
  indices.insert(indices.end(), split.above.begin(), split.above.end());
  std::vector<int> slots;
  NASQ_RETURN_IF_ERROR(table_.Refresh(ctx.history, indices, slots));
  n_finished_ = split.n_finished;
  below_slots_.assign(slots.begin(), slots.begin() + split.below.size());
  above_slots_.assign(slots.begin() + split.below.size(), slots.end());
  finished_slots_.clear();
  for (size_t i = 0; i < indices.size(); ++i) {
    const TrialState s = ctx.history[indices[i]].state;
    if (s == TrialState::kComplete || s == TrialState::kPruned) finished_slots_.push_back(slots[i]);
  }
  prepared_ = PreparedKey{ctx.trial_number, ctx.history.data(), ctx.history.size()};
  return absl::OkStatus();
}

void TpeSampler::Gather(const std::vector<size_t>& params, const std::vector<int>& slots,
                        bool below, std::vector<double>& rows, std::vector<double>& weights) const {
  rows.clear();
  if (params.size() == 1) {  // the hot univariate path
    const size_t p = params[0];
    const double* column = table_.Column(p);
    for (int slot : slots) {
      if (!std::isnan(column[slot])) rows.push_back(column[slot]);
    }
  } else {
    for (int slot : slots) {
      bool complete = true;
      for (size_t p : params) complete = complete && !std::isnan(table_.Value(p, slot));
      if (!complete) continue;
      for (size_t p : params) rows.push_back(table_.Value(p, slot));
    }
  }
  // `weights` only ever holds the weights of its size for one of below / above, so it is reused
  // when n is unchanged.
  const int n = static_cast<int>(rows.size() / params.size());
  if (static_cast<int>(weights.size()) != n) {
    weights = below ? BelowWeights(n, directions_.size()) : DefaultWeights(n);
  }
}

TpeSampler::PartModel TpeSampler::FitPart(std::vector<size_t> params, bool joint) {
  PartModel part;
  part.params = std::move(params);
  Gather(part.params, below_slots_, /*below=*/true, rows_below_, weights_below_);
  Gather(part.params, above_slots_, /*below=*/false, rows_above_, weights_above_);
  const Distribution& first = space_.params()[part.params[0]].distribution;
  if (!joint && std::holds_alternative<CategoricalDistribution>(first)) {
    const int k = static_cast<int>(std::get<CategoricalDistribution>(first).choices.size());
    CategoricalMixtureProbabilities(rows_below_, weights_below_, k, options_.prior_weight,
                                    part.probs_below);
    CategoricalMixtureProbabilities(rows_above_, weights_above_, k, options_.prior_weight,
                                    part.probs_above);
    return part;
  }
  std::vector<const Distribution*> dists;
  for (size_t p : part.params) dists.push_back(&space_.params()[p].distribution);
  part.below.emplace(dists, rows_below_, weights_below_, parzen_);
  part.above.emplace(dists, rows_above_, weights_above_, parzen_);
  return part;
}

double TpeSampler::PartModel::Draw(std::mt19937_64& rng, std::vector<double>& values) const {
  values.resize(params.size());
  if (!below.has_value()) {  // inverse CDF of the collapsed categorical mixture l(x)
    const double u = UniformDouble(rng);
    const int k = static_cast<int>(probs_below.size());
    int c = 0;
    for (double acc = probs_below[0]; c + 1 < k && u >= acc; acc += probs_below[++c]) {
    }
    values[0] = c;
    return std::log(probs_below[c]) - std::log(probs_above[c]);
  }
  below->Sample(rng, values);
  return below->LogPdf(values) - above->LogPdf(values);
}

double TpeSampler::SampleCategorical(const SamplingContext& ctx, size_t param,
                                     const CandidateFilter& filter) {
  const PartModel part = FitPart({param}, /*joint=*/false);
  std::vector<double> value;
  CandidateSelector selector;
  for (int i = 0; i < options_.n_ei_candidates; ++i) {
    const double score = part.Draw(*ctx.rng, value);
    selector.Offer(static_cast<int>(value[0]), score, !filter || filter(value));
  }
  return selector.best();
}

double TpeSampler::SampleNumeric(const SamplingContext& ctx, size_t param,
                                 const CandidateFilter& filter) {
  const PartModel part = FitPart({param}, /*joint=*/false);
  std::vector<double> best;
  SelectBestCandidate(*part.below, *part.above, options_.n_ei_candidates, filter, *ctx.rng, best);
  return best[0];
}

CandidateFilter TpeSampler::ConstraintFilter(const std::vector<size_t>& params,
                                             const InternalParams& assigned) const {
  bool constrained = false;
  for (size_t p : params) constrained = constrained || constrained_[p];
  if (!constrained) return {};
  return [this, params, trial = assigned](std::span<const double> values) mutable {
    for (size_t j = 0; j < params.size(); ++j) trial[space_.params()[params[j]].name] = values[j];
    return space_.SatisfiesConstraints(trial);
  };
}

absl::StatusOr<double> TpeSampler::SampleIndependent(const SamplingContext& ctx,
                                                     const ParamSpec& param,
                                                     const InternalParams& partial) {
  const ParamSpec* own = space_.Find(param.name);
  if (own == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("tpe: param '", param.name, "' is not in the study's search space"));
  }
  const size_t index = static_cast<size_t>(own - space_.params().data());
  if (IsSingle(own->distribution)) return SingleValue(own->distribution);
  NASQ_RETURN_IF_ERROR(EnsurePrepared(ctx));
  if (InStartup()) return SampleUniformInternal(own->distribution, *ctx.rng);
  const CandidateFilter filter = ConstraintFilter({index}, partial);
  if (std::holds_alternative<CategoricalDistribution>(own->distribution)) {
    return SampleCategorical(ctx, index, filter);
  }
  return SampleNumeric(ctx, index, filter);
}

std::vector<std::vector<size_t>> TpeSampler::DecomposeGroups() const {
  const size_t n_params = space_.size();
  auto present_params = [&](int slot) {
    std::vector<size_t> present;
    for (size_t p = 0; p < n_params; ++p) {
      if (!std::isnan(table_.Value(p, slot))) present.push_back(p);
    }
    return present;
  };
  if (finished_slots_.empty()) return {};
  if (!options_.group) {  // the intersection of every finished trial's params
    std::vector<size_t> common = present_params(finished_slots_[0]);
    for (int slot : finished_slots_) {
      const std::vector<size_t> present = present_params(slot);
      std::vector<size_t> inter;
      std::set_intersection(common.begin(), common.end(), present.begin(), present.end(),
                            std::back_inserter(inter));
      common = std::move(inter);
    }
    return {common};
  }
  std::vector<std::vector<size_t>> groups;
  std::set<std::vector<size_t>> seen;
  for (int slot : finished_slots_) {
    std::vector<size_t> present = present_params(slot);
    if (seen.insert(present).second) RefineGroups(groups, std::move(present));
  }
  return groups;
}

std::vector<std::vector<std::string>> TpeSampler::InferRelativeSearchSpace(
    const SamplingContext& ctx) {
  if (!options_.multivariate || !EnsurePrepared(ctx).ok() || InStartup()) return {};
  std::vector<std::vector<std::string>> result;
  for (const std::vector<size_t>& group : DecomposeGroups()) {
    std::vector<std::string> names;
    for (size_t p : group) {
      if (!IsSingle(space_.params()[p].distribution)) names.push_back(space_.params()[p].name);
    }
    if (names.empty()) continue;
    std::sort(names.begin(), names.end());
    result.push_back(std::move(names));
  }
  std::sort(result.begin(), result.end());
  return result;
}

absl::StatusOr<std::vector<size_t>> TpeSampler::GroupParams(
    const std::vector<std::string>& group) const {
  std::vector<size_t> params;
  for (const std::string& name : group) {
    const ParamSpec* own = space_.Find(name);
    if (own == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("tpe: relative param '", name, "' is not in the study's search space"));
    }
    if (IsSingle(own->distribution)) continue;
    params.push_back(static_cast<size_t>(own - space_.params().data()));
  }
  return params;
}

absl::StatusOr<InternalParams> TpeSampler::SampleRelative(const SamplingContext& ctx,
                                                          const std::vector<std::string>& group) {
  NASQ_RETURN_IF_ERROR(EnsurePrepared(ctx));
  if (InStartup() || group.empty()) return InternalParams{};
  NASQ_ASSIGN_OR_RETURN(const std::vector<size_t> params, GroupParams(group));
  if (params.empty()) return InternalParams{};
  const PartModel part = FitPart(params, /*joint=*/true);
  std::vector<double> best;
  SelectBestCandidate(*part.below, *part.above, options_.n_ei_candidates,
                      ConstraintFilter(params, {}), *ctx.rng, best);
  InternalParams result;
  for (size_t j = 0; j < params.size(); ++j) result[space_.params()[params[j]].name] = best[j];
  return result;
}

InternalParams TpeSampler::DrawConfiguration(const std::vector<PartModel>& groups,
                                             std::vector<std::optional<PartModel>>& singles,
                                             std::mt19937_64& rng, double& score) {
  std::vector<double> values;
  std::vector<double> group_scores;
  InternalParams relative;
  for (const PartModel& group : groups) {
    group_scores.push_back(group.Draw(rng, values));
    for (size_t j = 0; j < group.params.size(); ++j) {
      relative[space_.params()[group.params[j]].name] = values[j];
    }
  }
  std::vector<bool> group_used(groups.size(), false);
  InternalParams config;
  score = 0.0;
  for (size_t p = 0; p < space_.size(); ++p) {
    const ParamSpec& param = space_.params()[p];
    if (!space_.IsActive(param, config)) continue;
    if (auto it = relative.find(param.name); it != relative.end()) {
      config[param.name] = it->second;
      for (size_t g = 0; g < groups.size(); ++g) {
        const std::vector<size_t>& members = groups[g].params;
        group_used[g] =
            group_used[g] || std::find(members.begin(), members.end(), p) != members.end();
      }
      continue;
    }
    if (IsSingle(param.distribution)) {
      config[param.name] = SingleValue(param.distribution);
      continue;
    }
    if (!singles[p].has_value()) singles[p] = FitPart({p}, /*joint=*/false);
    score += singles[p]->Draw(rng, values);
    config[param.name] = values[0];
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    if (group_used[g]) score += group_scores[g];
  }
  return config;
}

absl::StatusOr<std::optional<InternalParams>> TpeSampler::SampleUntried(
    const SamplingContext& ctx, const std::function<bool(const InternalParams&)>& is_taken) {
  NASQ_RETURN_IF_ERROR(EnsurePrepared(ctx));
  if (InStartup()) return std::nullopt;
  std::vector<PartModel> groups;
  for (const std::vector<std::string>& group : InferRelativeSearchSpace(ctx)) {
    NASQ_ASSIGN_OR_RETURN(std::vector<size_t> params, GroupParams(group));
    if (!params.empty()) groups.push_back(FitPart(std::move(params), /*joint=*/true));
  }
  std::vector<std::optional<PartModel>> singles(space_.size());
  struct Candidate {
    double score;
    InternalParams params;
  };
  std::vector<Candidate> candidates;
  std::set<InternalParams> refused;  // taken or violating a constraint
  const int64_t n_ei = options_.n_ei_candidates;
  for (int64_t size = n_ei; size <= kUntriedCandidateFactor * n_ei; size *= 2) {
    while (static_cast<int64_t>(candidates.size()) < size) {
      Candidate c;
      c.params = DrawConfiguration(groups, singles, *ctx.rng, c.score);
      if (std::isnan(c.score)) c.score = -std::numeric_limits<double>::infinity();
      candidates.push_back(std::move(c));
    }
    // Best score first; equal scores keep the order of drawing (stable).
    std::vector<size_t> order(candidates.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return candidates[a].score > candidates[b].score; });
    for (size_t i : order) {
      const InternalParams& params = candidates[i].params;
      if (refused.contains(params)) continue;
      if (space_.SatisfiesConstraints(params) && !is_taken(params)) return params;
      refused.insert(params);
    }
  }
  return std::nullopt;
}

}  // namespace nasq
