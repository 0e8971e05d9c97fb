// sampler/nsga2_sampler.cc: see nsga2_sampler.h.
#include "sampler/nsga2_sampler.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "core/pareto.h"
#include "core/status_macros.h"
#include "sampler/nsga2_crossover.h"
#include "sampler/parzen_estimator.h"
#include "sampler/random_sampler.h"
#include "sampler/rng.h"

namespace nasq {

absl::StatusOr<std::unique_ptr<Nsga2Sampler>> Nsga2Sampler::Create(const StudySpec& spec) {
  if (absl::Status s = ValidateStudySpec(spec); !s.ok()) return s;
  return std::unique_ptr<Nsga2Sampler>(new Nsga2Sampler(spec));
}

absl::Status Nsga2Sampler::BeginTrial(const SamplingContext& ctx) { return Prepare(ctx); }

absl::Status Nsga2Sampler::EnsurePrepared(const SamplingContext& ctx) {
  const PreparedKey key{ctx.trial_number, ctx.history.data(), ctx.history.size()};
  if (prepared_.has_value() && *prepared_ == key) return absl::OkStatus();
  return Prepare(ctx);
}

absl::Status Nsga2Sampler::Prepare(const SamplingContext& ctx) {
  prepared_.reset();
  const size_t n_objectives = spec_.directions.size();
  const int population_size = spec_.sampler.nsga2.population_size;
  members_.clear();
  std::vector<const Trial*> finished;  // COMPLETE, in the order they finished
  std::set<std::string> common;        // params of every COMPLETE trial
  bool first = true;
  for (const Trial& t : ctx.history) {
    if (t.number == ctx.trial_number || t.state != TrialState::kComplete) continue;
    std::set<std::string> names;
    for (const auto& [name, value] : t.params) names.insert(name);
    if (first) {
      common = std::move(names);
      first = false;
    } else {
      std::erase_if(common, [&](const std::string& n) { return !names.contains(n); });
    }
    if (t.values.size() != n_objectives) continue;
    Member m{&t, LossVector(t.values, spec_.directions)};
    NASQ_ASSIGN_OR_RETURN(const std::vector<double> constraints, TrialConstraints(t));
    m.has_constraints = !constraints.empty();
    m.penalty = ConstraintPenalty(constraints);
    if (!members_.emplace(t.number, std::move(m)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("nsga2: two trials of the history are numbered ", t.number));
    }
    finished.push_back(&t);
  }
  std::stable_sort(finished.begin(), finished.end(), [](const Trial* a, const Trial* b) {
    return std::pair(a->datetime_complete_us, a->number) <
           std::pair(b->datetime_complete_us, b->number);
  });
  std::vector<std::vector<int64_t>> generations;
  for (size_t start = 0; start + population_size <= finished.size(); start += population_size) {
    std::vector<int64_t> numbers;
    for (size_t i = start; i < start + population_size; ++i) numbers.push_back(finished[i]->number);
    std::sort(numbers.begin(), numbers.end());
    generations.push_back(std::move(numbers));
  }
  // parents_cache_[g] (the parents of generation g + 1) depends on generations 0..g only.
  size_t same = 0;
  while (same < generations.size() && same < generations_.size() &&
         generations[same] == generations_[same]) {
    ++same;
  }
  parents_cache_.resize(std::min(parents_cache_.size(), same));
  generations_ = std::move(generations);
  while (parents_cache_.size() < generations_.size()) {
    const size_t g = parents_cache_.size();
    std::vector<int64_t> population = generations_[g];
    if (g > 0) {
      population.insert(population.end(), parents_cache_[g - 1].begin(),
                        parents_cache_[g - 1].end());
    }
    std::vector<int64_t> elite = SelectElite(population);
    std::sort(elite.begin(), elite.end());
    parents_cache_.push_back(std::move(elite));
  }
  generation_ = static_cast<int64_t>(generations_.size());
  parents_.clear();
  if (generation_ > 0) {
    for (int64_t number : parents_cache_[generation_ - 1]) parents_.push_back(&members_.at(number));
  }
  inherited_.clear();
  for (const std::string& name : common) {
    const ParamSpec* p = spec_.space.Find(name);
    if (p != nullptr && !IsSingle(p->distribution)) inherited_.push_back(name);
  }
  prepared_ = PreparedKey{ctx.trial_number, ctx.history.data(), ctx.history.size()};
  return absl::OkStatus();
}

std::vector<int64_t> Nsga2Sampler::SelectElite(const std::vector<int64_t>& population) const {
  std::vector<std::vector<double>> losses;
  std::vector<double> penalties;
  bool constrained = false;
  for (int64_t number : population) {
    const Member& m = members_.at(number);
    losses.push_back(m.loss);
    penalties.push_back(m.penalty);
    constrained = constrained || m.has_constraints;
  }
  const std::vector<int> ranks =
      constrained ? ConstrainedNonDominationRanks(losses, penalties) : NonDominationRanks(losses);
  const size_t size = static_cast<size_t>(spec_.sampler.nsga2.population_size);
  std::vector<int64_t> elite;
  const int worst = ranks.empty() ? -1 : *std::max_element(ranks.begin(), ranks.end());
  for (int rank = 0; rank <= worst && elite.size() < size; ++rank) {
    std::vector<int64_t> front;
    for (size_t i = 0; i < population.size(); ++i) {
      if (ranks[i] == rank) front.push_back(population[i]);
    }
    if (elite.size() + front.size() < size) {
      elite.insert(elite.end(), front.begin(), front.end());
      continue;
    }
    // Crowding distance is computed on the values as told (Optuna does not flip directions).
    std::vector<std::vector<double>> values;
    for (int64_t number : front) values.push_back(members_.at(number).trial->values);
    const std::vector<size_t> order = CrowdingDistanceOrder(values);
    for (size_t i = 0; elite.size() < size; ++i) elite.push_back(front[order[i]]);
  }
  return elite;
}

bool Nsga2Sampler::ParentDominates(size_t a, size_t b, bool constrained) const {
  const Member& x = *parents_[a];
  const Member& y = *parents_[b];
  if (!constrained) return Dominates(x.loss, y.loss);
  // Optuna's _constrained_dominates: feasible beats infeasible, then the smaller violation.
  const bool x_feasible = x.penalty <= 0.0, y_feasible = y.penalty <= 0.0;
  if (x_feasible && y_feasible) return Dominates(x.loss, y.loss);
  if (x_feasible != y_feasible) return x_feasible;
  return x.penalty < y.penalty;
}

size_t Nsga2Sampler::Tournament(const std::vector<size_t>& candidates, bool constrained,
                                std::mt19937_64& rng) const {
  const size_t c0 = candidates[UniformIndex(rng, candidates.size())];
  const size_t c1 = candidates[UniformIndex(rng, candidates.size())];
  return ParentDominates(c0, c1, constrained) ? c0 : c1;
}

std::vector<std::vector<std::string>> Nsga2Sampler::InferRelativeSearchSpace(
    const SamplingContext& ctx) {
  if (!EnsurePrepared(ctx).ok() || parents_.empty() || inherited_.empty()) return {};
  return {inherited_};
}

absl::StatusOr<InternalParams> Nsga2Sampler::SampleRelative(const SamplingContext& ctx,
                                                            const std::vector<std::string>& group) {
  NASQ_RETURN_IF_ERROR(EnsurePrepared(ctx));
  if (parents_.empty()) return InternalParams{};
  std::mt19937_64& rng = *ctx.rng;
  const Nsga2Options& o = spec_.sampler.nsga2;
  std::vector<const ParamSpec*> categorical, numeric;
  std::vector<std::string> names;  // the params of `group` that every parent has
  for (const std::string& name : group) {
    if (!std::binary_search(inherited_.begin(), inherited_.end(), name)) continue;
    const ParamSpec* p = spec_.space.Find(name);
    (std::holds_alternative<CategoricalDistribution>(p->distribution) ? categorical : numeric)
        .push_back(p);
    names.push_back(name);
  }
  if (names.empty()) return InternalParams{};
  bool constrained = false;
  for (const Member* m : parents_) constrained = constrained || m->has_constraints;

  InternalParams child;
  if (UniformDouble(rng) < o.crossover_prob) {
    CrossoverSetting setting{&o, spec_.directions.size() > 1, {}};
    for (const ParamSpec* p : numeric) {
      const TransformedBounds bounds = TransformBounds(p->distribution);
      setting.bounds.emplace_back(bounds.low, bounds.high);
    }
    const size_t n_parents = static_cast<size_t>(CrossoverParents(o.crossover));
    std::vector<size_t> chosen;
    for (int draw = 0; draw < kMaxCrossoverDraws; ++draw) {
      // Parents by binary tournament, each among the parents not chosen yet (_select_parents).
      chosen.clear();
      for (size_t k = 0; k < n_parents; ++k) {
        std::vector<size_t> candidates;
        for (size_t i = 0; i < parents_.size(); ++i) {
          if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) candidates.push_back(i);
        }
        chosen.push_back(Tournament(candidates, constrained, rng));
      }
      child.clear();
      // Categorical params: uniform crossover between the first and the last parent.
      for (const ParamSpec* p : categorical) {
        const size_t from = UniformDouble(rng) >= o.swapping_prob ? chosen.back() : chosen.front();
        child[p->name] = parents_[from]->trial->params.at(p->name);
      }
      if (numeric.empty()) break;
      std::vector<std::vector<double>> vectors;
      for (size_t c : chosen) {
        std::vector<double> v;
        for (const ParamSpec* p : numeric) {
          v.push_back(TransformNumeric(p->distribution, parents_[c]->trial->params.at(p->name)));
        }
        vectors.push_back(std::move(v));
      }
      const std::vector<double> crossed = CrossOver(setting, vectors, rng);
      bool contained = true;
      for (size_t i = 0; i < numeric.size(); ++i) {
        const double value = UntransformNumeric(numeric[i]->distribution, crossed[i]);
        contained = contained && Contains(numeric[i]->distribution, value);
        child[numeric[i]->name] = value;
      }
      if (contained) break;
      if (draw + 1 == kMaxCrossoverDraws) {
        for (const ParamSpec* p : numeric) {
          child[p->name] = parents_[chosen.front()]->trial->params.at(p->name);
        }
      }
    }
  } else {
    const Trial& parent = *parents_[UniformIndex(rng, parents_.size())]->trial;
    for (const std::string& name : names) child[name] = parent.params.at(name);
  }

  const double mutation_prob = o.mutation_prob > 0.0
                                   ? o.mutation_prob
                                   : 1.0 / std::max<double>(1.0, static_cast<double>(child.size()));
  InternalParams kept;
  for (const auto& [name, value] : child) {
    if (UniformDouble(rng) >= mutation_prob) kept[name] = value;  // else drawn at random
  }
  return kept;
}

absl::StatusOr<double> Nsga2Sampler::SampleIndependent(const SamplingContext& ctx,
                                                       const ParamSpec& param,
                                                       const InternalParams& partial) {
  return SampleUniformInternal(param.distribution, *ctx.rng);
}

absl::StatusOr<std::vector<int64_t>> Nsga2Sampler::ParentNumbers(const SamplingContext& ctx) {
  NASQ_RETURN_IF_ERROR(EnsurePrepared(ctx));
  std::vector<int64_t> numbers;
  for (const Member* m : parents_) numbers.push_back(m->trial->number);
  return numbers;
}

absl::StatusOr<int64_t> Nsga2Sampler::Generation(const SamplingContext& ctx) {
  NASQ_RETURN_IF_ERROR(EnsurePrepared(ctx));
  return generation_;
}

}  // namespace nasq
