// Differential check of the pruners against Optuna: one sequential study per case, replayed
// with nasq's pruners, must prune the same trials at the same steps.
//
// Trial i reports value(i, step) (below; no RNG) for steps 0..11 and is judged after each
// report; a pruned trial stops, the others complete. kReference is the output of
// tests/pruner/optuna_pruner_reference.py run with Optuna 5.1.0 (build/venv, pip install
// optuna): per case and direction, the step at which each of the 24 trials was pruned (-1:
// completed).
#include <cmath>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pruner/pruner.h"

namespace nasq {
namespace {

constexpr int kTrials = 24;
constexpr int kSteps = 12;

double Frac(double x) { return x - std::floor(x); }

double Value(int i, int step) {
  const double level = Frac((i + 1) * std::sqrt(2.0));
  const double slope = Frac((i + 1) * std::sqrt(3.0));
  const double noise = Frac(static_cast<double>((i + 1) * (step + 1)) * std::sqrt(5.0));
  return level + slope / (step + 1) + 0.1 * noise;
}

// The cases of optuna_pruner_reference.py, by name.
PrunerConfig Case(const std::string& name) {
  PrunerConfig c;
  if (name == "median") {
    c.kind = PrunerKind::kMedian;
  } else if (name == "median_warmup") {
    c.kind = PrunerKind::kMedian;
    c.percentile = {
        .n_startup_trials = 2, .n_warmup_steps = 3, .interval_steps = 2, .n_min_trials = 2};
  } else if (name == "percentile25") {
    c.kind = PrunerKind::kPercentile;
    c.percentile = {.percentile = 25.0, .n_startup_trials = 3};
  } else if (name == "sha") {
    c.kind = PrunerKind::kSuccessiveHalving;
    c.successive_halving = {.min_resource = 1, .reduction_factor = 2};
  } else if (name == "sha_auto") {
    c.kind = PrunerKind::kSuccessiveHalving;
  } else if (name == "sha_bootstrap") {
    c.kind = PrunerKind::kSuccessiveHalving;
    c.successive_halving = {.min_resource = 2,
                            .reduction_factor = 3,
                            .min_early_stopping_rate = 1,
                            .bootstrap_count = 2};
  } else if (name == "hyperband") {
    c.kind = PrunerKind::kHyperband;
    c.hyperband = {.min_resource = 1, .reduction_factor = 3};
  } else if (name == "hyperband_max") {
    c.kind = PrunerKind::kHyperband;
    c.hyperband = {.min_resource = 1, .max_resource = 9, .reduction_factor = 2};
  } else if (name == "threshold") {
    c.kind = PrunerKind::kThreshold;
    c.threshold = {.lower = 0.3, .upper = 1.6, .n_warmup_steps = 1};
  } else if (name == "patient") {
    c.kind = PrunerKind::kPatient;
    c.patient = {.patience = 2, .min_delta = 0.0};
  } else if (name == "patient_median") {
    c.kind = PrunerKind::kPatient;
    c.wrapped = PrunerKind::kMedian;
    c.patient = {.patience = 1, .min_delta = 0.01};
    c.percentile.n_startup_trials = 2;
  } else {
    ADD_FAILURE() << "unknown case " << name;
  }
  return c;
}

// Replays the study of optuna_pruner_reference.py: the step each trial was pruned at, or -1.
std::vector<int> Replay(const PrunerConfig& config, StudyDirection direction) {
  StudySpec spec;
  spec.name = "pruner-diff";
  spec.directions = {direction};
  spec.pruner = config;
  const std::unique_ptr<Pruner> pruner = CreatePruner(config);
  std::vector<Trial> trials;
  trials.reserve(kTrials);
  std::vector<int> pruned_at;
  for (int i = 0; i < kTrials; ++i) {
    Trial& trial = trials.emplace_back();
    trial.number = i;
    trial.state = TrialState::kRunning;
    int at = -1;
    for (int step = 0; step < kSteps && at < 0; ++step) {
      trial.intermediate_values[step] = Value(i, step);
      PruneDecision decision = pruner->ShouldPrune(MakePruningContext(spec, trials, trial));
      trial.system_attrs.merge(decision.system_attrs);
      if (decision.prune) at = step;
    }
    trial.state = at >= 0 ? TrialState::kPruned : TrialState::kComplete;
    trial.datetime_complete_us = i + 1;
    pruned_at.push_back(at);
  }
  return pruned_at;
}

struct Reference {
  const char* name;
  StudyDirection direction;
  std::vector<int> pruned_at;
};

const Reference kReference[] = {
    {"median", StudyDirection::kMinimize, {-1, -1, -1, -1, -1, 8, 1, 0, 0, -1, 2, 0,
                                           1,  0,  0,  0,  -1, 1, 0, 0, 0, -1, 0, 0}},
    {"median", StudyDirection::kMaximize, {-1, -1, -1, -1, -1, 0, 0,  -1, -1, 0, 0,  -1,
                                           0,  0,  0,  -1, 0,  0, -1, 0,  0,  0, -1, -1}},
    {"median_warmup", StudyDirection::kMinimize, {-1, -1, -1, 3, -1, 3, 3, 3, 3, -1, 3, 3,
                                                  3,  3,  3,  3, -1, 3, 3, 3, 3, -1, 3, 3}},
    {"median_warmup", StudyDirection::kMaximize, {-1, -1, 3,  -1, 3, 3, -1, -1, -1, 3, 3,  -1,
                                                  3,  -1, -1, -1, 3, 3, -1, -1, -1, 3, -1, -1}},
    {"percentile25", StudyDirection::kMinimize, {-1, -1, -1, 0, -1, 0, 0, 0, 0, -1, 0, 0,
                                                 0,  0,  0,  0, -1, 0, 0, 0, 0, -1, 0, 0}},
    {"percentile25", StudyDirection::kMaximize, {-1, -1, -1, -1, 0, 0, 0,  0, 0, 0, 0, -1,
                                                 0,  0,  0,  0,  0, 0, -1, 0, 0, 0, 0, 0}},
    {"sha", StudyDirection::kMinimize, {-1, 1, -1, 1, 2,  2, 1, 2, 1, -1, 2, 1,
                                        4,  1, 2,  1, -1, 2, 1, 4, 1, -1, 1, 1}},
    {"sha", StudyDirection::kMaximize, {-1, -1, 1, 4, 1, 1, -1, 1, 2, 1, 1, -1,
                                        1,  2,  1, 2, 1, 1, -1, 1, 2, 1, 2, -1}},
    {"sha_auto", StudyDirection::kMinimize, {-1, -1, -1, 1, 1,  1, 1, 1, 1, -1, 1, 1,
                                             1,  1,  1,  1, -1, 1, 1, 1, 1, 4,  1, 1}},
    {"sha_auto", StudyDirection::kMaximize, {-1, -1, 1, 4, 1, 1, 1, 1, 1, 1, 1, -1,
                                             1,  1,  1, 1, 1, 1, 4, 1, 1, 1, 1, 4}},
    {"sha_bootstrap", StudyDirection::kMinimize, {6, 6, -1, 6, -1, 6, 6, 6,  6, -1, 6, 6,
                                                  6, 6, -1, 6, -1, 6, 6, -1, 6, -1, 6, 6}},
    {"sha_bootstrap", StudyDirection::kMaximize, {6, 6, 6, 6, 6, 6, -1, 6, -1, 6, 6, -1,
                                                  6, 6, 6, 6, 6, 6, -1, 6, 6,  6, 6, -1}},
    {"hyperband", StudyDirection::kMinimize, {-1, -1, -1, -1, -1, 1, 1, 1, 1, -1, 3, 1,
                                              3,  -1, -1, 9,  -1, 3, 3, 3, 1, -1, 3, 3}},
    {"hyperband", StudyDirection::kMaximize, {-1, -1, -1, -1, 1, 1, 1,  1, 3, 3, 1, -1,
                                              1,  9,  9,  9,  3, 1, -1, 3, 1, 1, 9, -1}},
    {"hyperband_max", StudyDirection::kMinimize, {-1, 2, -1, -1, -1, -1, 4, 1,  2, -1, 4, -1,
                                                  2,  4, 1,  -1, -1, 8,  1, -1, 1, -1, 1, 8}},
    {"hyperband_max", StudyDirection::kMaximize, {-1, -1, 2, -1, 1, -1, -1, 1, 4, 4, 2, -1,
                                                  1,  8,  1, 8,  1, 2,  -1, 8, 2, 1, 2, -1}},
    {"threshold", StudyDirection::kMinimize, {-1, -1, 9,  -1, 4, -1, -1, -1, -1, 2, -1, -1,
                                              -1, -1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1}},
    {"threshold", StudyDirection::kMaximize, {-1, -1, 9,  -1, 4, -1, -1, -1, -1, 2, -1, -1,
                                              -1, -1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1}},
    {"patient", StudyDirection::kMinimize, {11, -1, 8,  -1, 8,  -1, -1, 10, 11, -1, 4,  -1,
                                            11, -1, -1, 10, -1, 7,  -1, -1, -1, 4,  -1, -1}},
    {"patient", StudyDirection::kMaximize, {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
                                            3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}},
    {"patient_median", StudyDirection::kMinimize, {-1, -1, -1, -1, -1, -1, 6,  -1, 11, -1, 5, 6,
                                                   -1, 5,  -1, 9,  -1, 6,  -1, -1, -1, -1, 8, 9}},
    {"patient_median", StudyDirection::kMaximize, {-1, -1, 2,  -1, 2, 2, -1, -1, -1, 2, 2,  -1,
                                                   2,  -1, -1, -1, 2, 2, -1, -1, -1, 2, -1, -1}},
};

TEST(PrunerOptunaDifferential, PrunesTheSameTrialsAtTheSameSteps) {
  for (const Reference& reference : kReference) {
    SCOPED_TRACE(testing::Message()
                 << reference.name << " " << StudyDirectionName(reference.direction));
    EXPECT_EQ(Replay(Case(reference.name), reference.direction), reference.pruned_at);
  }
}

TEST(PrunerOptunaDifferential, EveryCasePrunesSomeTrialsAndKeepsOthers) {
  // Guards the reference against cases that test nothing: each pruner prunes in at least one
  // direction, and no case prunes every trial in both.
  for (size_t i = 0; i + 1 < std::size(kReference); i += 2) {
    int pruned = 0;
    int kept = 0;
    for (const Reference* r : {&kReference[i], &kReference[i + 1]}) {
      for (int at : r->pruned_at) (at >= 0 ? pruned : kept) += 1;
    }
    EXPECT_GT(pruned, 0) << kReference[i].name;
    EXPECT_GT(kept, 0) << kReference[i].name;
  }
}

}  // namespace
}  // namespace nasq
