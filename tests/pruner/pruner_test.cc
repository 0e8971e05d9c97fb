// Tests of pruner/: the behaviours Optuna's own pruner tests check (tests/pruners_tests/*.py in
// the Optuna repository), on a small in-memory study that stores what each decision returns.
#include "pruner/pruner.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pruner/pruners.h"

namespace nasq {
namespace {

using ::testing::Contains;
using ::testing::Key;
using ::testing::Not;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Optuna's study.ask / trial.report / trial.should_prune / study.tell, in memory.
class FakeStudy {
 public:
  explicit FakeStudy(PrunerConfig config, StudyDirection direction = StudyDirection::kMinimize) {
    spec_.name = "study";
    spec_.directions = {direction};
    spec_.pruner = config;
    pruner_ = CreatePruner(config);
    trials_.reserve(100);  // references returned by Ask stay valid
  }

  Trial& Ask() {
    Trial& t = trials_.emplace_back();
    t.number = static_cast<int64_t>(trials_.size()) - 1;
    t.state = TrialState::kRunning;
    return t;
  }

  // Reports `value` at `step` and stores the decision's attrs; returns whether to prune.
  bool Report(Trial& t, double value, int64_t step) {
    t.intermediate_values[step] = value;
    return ShouldPrune(t);
  }

  bool ShouldPrune(Trial& t) {
    PruneDecision decision = pruner_->ShouldPrune(MakePruningContext(spec_, trials_, t));
    t.system_attrs.merge(decision.system_attrs);
    return decision.prune;
  }

  void Complete(Trial& t) {
    t.state = TrialState::kComplete;
    t.datetime_complete_us = ++clock_;
  }

 private:
  StudySpec spec_;
  std::unique_ptr<Pruner> pruner_;
  std::vector<Trial> trials_;
  int64_t clock_ = 0;
};

PrunerConfig Median(PercentilePrunerOptions options = {}) {
  return {.kind = PrunerKind::kMedian, .percentile = options};
}

PrunerConfig Sha(SuccessiveHalvingPrunerOptions options) {
  return {.kind = PrunerKind::kSuccessiveHalving, .successive_halving = options};
}

// ---- median / percentile (test_median.py, test_percentile.py) --------------------------------

TEST(MedianPruner, NeverPrunesWithoutCompletedTrials) {
  FakeStudy study(Median({.n_startup_trials = 0}));
  Trial& t = study.Ask();
  EXPECT_FALSE(study.Report(t, 1, 1));
}

TEST(MedianPruner, PrunesAWorseTrialInEitherDirection) {
  for (auto [direction, value] :
       {std::pair{StudyDirection::kMinimize, 2.0}, std::pair{StudyDirection::kMaximize, 0.5}}) {
    FakeStudy study(Median({.n_startup_trials = 0}), direction);
    Trial& first = study.Ask();
    study.Report(first, 1, 1);
    study.Complete(first);
    Trial& second = study.Ask();
    EXPECT_FALSE(study.ShouldPrune(second)) << "no intermediate value yet";
    EXPECT_TRUE(study.Report(second, value, 1)) << StudyDirectionName(direction);
  }
}

TEST(MedianPruner, ANaNTrialIsPrunedAndNaNHistoryIsIgnored) {
  FakeStudy study(Median({.n_startup_trials = 0}));
  Trial& first = study.Ask();
  study.Report(first, 1, 1);
  study.Complete(first);
  Trial& nan = study.Ask();
  EXPECT_TRUE(study.Report(nan, kNaN, 1));

  FakeStudy nan_history(Median({.n_startup_trials = 0}));
  Trial& done = nan_history.Ask();
  nan_history.Report(done, kNaN, 1);
  nan_history.Complete(done);
  Trial& next = nan_history.Ask();
  EXPECT_FALSE(nan_history.Report(next, 1, 1)) << "only NaN at the step: no percentile";
}

TEST(MedianPruner, WaitsForStartupTrials) {
  FakeStudy study(Median({.n_startup_trials = 2}));
  Trial& first = study.Ask();
  study.Report(first, 1, 1);
  study.Complete(first);
  Trial& second = study.Ask();
  EXPECT_FALSE(study.Report(second, 2, 1)) << "1 completed < 2 startup trials";
  study.Complete(second);
  Trial& third = study.Ask();
  EXPECT_TRUE(study.Report(third, 3, 1));
}

TEST(MedianPruner, WaitsForWarmupSteps) {
  FakeStudy study(Median({.n_startup_trials = 0, .n_warmup_steps = 1}));
  Trial& first = study.Ask();
  study.Report(first, 1, 0);
  study.Report(first, 1, 1);
  study.Complete(first);
  Trial& second = study.Ask();
  EXPECT_FALSE(study.Report(second, 2, 0)) << "step 0 < 1 warm-up step";
  EXPECT_TRUE(study.Report(second, 2, 1));
}

TEST(MedianPruner, JudgesOnlyTheFirstStepOfEachInterval) {
  FakeStudy study(Median({.n_startup_trials = 0, .n_warmup_steps = 0, .interval_steps = 2}));
  Trial& first = study.Ask();
  for (int step = 0; step < 4; ++step) study.Report(first, 1, step);
  study.Complete(first);
  Trial& second = study.Ask();
  EXPECT_TRUE(study.Report(second, 2, 0));
  EXPECT_FALSE(study.Report(second, 2, 1)) << "step 1 is inside the interval of step 0";
  EXPECT_TRUE(study.Report(second, 2, 2));
}

TEST(MedianPruner, NeedsMinTrialsAtTheStep) {
  FakeStudy study(Median({.n_startup_trials = 0, .n_min_trials = 2}));
  Trial& first = study.Ask();
  study.Report(first, 1, 1);
  study.Complete(first);
  Trial& second = study.Ask();
  EXPECT_FALSE(study.Report(second, 2, 1)) << "one completed value at step 1 < n_min_trials";
  study.Complete(second);
  Trial& third = study.Ask();
  EXPECT_TRUE(study.Report(third, 3, 1));
}

TEST(PercentilePruner, ComparesAgainstThePercentile) {
  // Completed values at step 0: 1, 2, 3, 4. The 25th percentile (minimise) is 1.75: 1.5 goes
  // on, 2 is pruned; the median pruner would keep both (median 2.5).
  for (auto [value, pruned] : {std::pair{1.5, false}, std::pair{2.0, true}}) {
    FakeStudy study(
        {.kind = PrunerKind::kPercentile, .percentile = {.percentile = 25, .n_startup_trials = 0}});
    for (double v : {1.0, 2.0, 3.0, 4.0}) {
      Trial& t = study.Ask();
      study.Report(t, v, 0);
      study.Complete(t);
    }
    Trial& t = study.Ask();
    EXPECT_EQ(study.Report(t, value, 0), pruned) << value;
  }
}

TEST(MedianPruner, TheMedianIgnoresThePercentileOption) {
  FakeStudy study(Median({.percentile = 0, .n_startup_trials = 0}));
  for (double v : {1.0, 2.0, 3.0}) {
    Trial& t = study.Ask();
    study.Report(t, v, 0);
    study.Complete(t);
  }
  Trial& t = study.Ask();
  EXPECT_FALSE(study.Report(t, 1.5, 0)) << "1.5 beats the median 2";
}

// ---- successive halving (test_successive_halving.py) ------------------------------------------

TEST(SuccessiveHalvingPruner, PrunesAWorseSecondTrial) {
  for (auto [direction, value] :
       {std::pair{StudyDirection::kMinimize, 2.0}, std::pair{StudyDirection::kMaximize, 0.5}}) {
    FakeStudy study(Sha({.min_resource = 1, .reduction_factor = 2}), direction);
    Trial& first = study.Ask();
    EXPECT_FALSE(study.Report(first, 1, 1)) << "the first trial is not pruned";
    Trial& second = study.Ask();
    EXPECT_FALSE(study.ShouldPrune(second));
    EXPECT_TRUE(study.Report(second, value, 1));
  }
}

TEST(SuccessiveHalvingPruner, PromotesThroughRungsByRank) {
  FakeStudy study(Sha({.min_resource = 1, .reduction_factor = 2}));
  for (int i = 0; i < 7; ++i) study.Report(study.Ask(), 0.1 * (i + 1), 7);
  Trial& seventh = study.Ask();
  study.Report(seventh, 0.75, 7);
  EXPECT_THAT(seventh.system_attrs, Contains(Key("completed_rung_0")));
  EXPECT_THAT(seventh.system_attrs, Not(Contains(Key("completed_rung_1"))));
  Trial& third = study.Ask();
  study.Report(third, 0.25, 7);
  EXPECT_THAT(third.system_attrs, Contains(Key("completed_rung_1")));
  EXPECT_THAT(third.system_attrs, Not(Contains(Key("completed_rung_2"))));
  Trial& lowest = study.Ask();
  study.Report(lowest, 0.05, 7);
  EXPECT_THAT(lowest.system_attrs, Contains(Key("completed_rung_2")));
  EXPECT_THAT(lowest.system_attrs, Not(Contains(Key("completed_rung_3"))));
}

TEST(SuccessiveHalvingPruner, TheFirstTrialCompletesRungsWithoutBeingPruned) {
  FakeStudy study(Sha({.min_resource = 1, .reduction_factor = 2}));
  Trial& t = study.Ask();
  for (int step = 0; step < 10; ++step) EXPECT_FALSE(study.Report(t, 1, step));
  for (int rung = 0; rung < 4; ++rung) {
    EXPECT_THAT(t.system_attrs, Contains(Key("completed_rung_" + std::to_string(rung))));
  }
  EXPECT_THAT(t.system_attrs, Not(Contains(Key("completed_rung_4"))));
  EXPECT_EQ(t.system_attrs.at("completed_rung_0"), "1");
}

TEST(SuccessiveHalvingPruner, PrunesNaNOnlyAtARung) {
  FakeStudy study(Sha({.min_resource = 2, .reduction_factor = 2}));
  Trial& t = study.Ask();
  EXPECT_FALSE(study.Report(t, kNaN, 1));
  EXPECT_TRUE(study.Report(t, kNaN, 2));
}

TEST(SuccessiveHalvingPruner, RungStepsFollowTheOptions) {
  struct Case {
    SuccessiveHalvingPrunerOptions options;
    int64_t first_rung_step;
  };
  for (const Case& c :
       {Case{{.min_resource = 1, .reduction_factor = 2}, 1},
        Case{{.min_resource = 2, .reduction_factor = 2}, 2},
        Case{{.min_resource = 1, .reduction_factor = 2, .min_early_stopping_rate = 1}, 2},
        Case{{.min_resource = 1, .reduction_factor = 3, .min_early_stopping_rate = 1}, 3}}) {
    FakeStudy study(Sha(c.options));
    Trial& t = study.Ask();
    for (int64_t step = 1; step < c.first_rung_step; ++step) study.Report(t, 1, step);
    EXPECT_THAT(t.system_attrs, Not(Contains(Key("completed_rung_0")))) << c.first_rung_step;
    study.Report(t, 1, c.first_rung_step);
    EXPECT_THAT(t.system_attrs, Contains(Key("completed_rung_0"))) << c.first_rung_step;
    EXPECT_THAT(t.system_attrs, Not(Contains(Key("completed_rung_1")))) << c.first_rung_step;
  }
}

TEST(SuccessiveHalvingPruner, BootstrapCountPrunesUntilEnoughTrialsReachTheRung) {
  FakeStudy study(Sha({.min_resource = 1, .reduction_factor = 2, .bootstrap_count = 1}));
  Trial& first = study.Ask();
  Trial& second = study.Ask();
  EXPECT_TRUE(study.Report(first, 1, 1));
  EXPECT_FALSE(study.Report(second, 1, 1));
}

TEST(SuccessiveHalvingPruner, AutoMinResourceComesFromTheFirstCompletedTrial) {
  FakeStudy study(Sha({.reduction_factor = 2}));
  Trial& first = study.Ask();
  for (int step = 0; step <= 250; ++step) EXPECT_FALSE(study.Report(first, 1, step));
  EXPECT_TRUE(first.system_attrs.empty()) << "no COMPLETE trial yet: no min_resource";
  study.Complete(first);
  Trial& second = study.Ask();
  study.Report(second, 1, 1);
  EXPECT_TRUE(second.system_attrs.empty()) << "min_resource = 250 / 100 = 2 > step 1";
  study.Report(second, 1, 2);
  EXPECT_THAT(second.system_attrs, Contains(Key("completed_rung_0")));
}

// ---- Hyperband (test_hyperband.py) -----------------------------------------------------------

TEST(HyperbandPruner, Crc32IsZlibs) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);  // the CRC-32 check value
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(HyperbandPruner, NeverPrunesBeforeMaxResourceIsKnown) {
  FakeStudy study({.kind = PrunerKind::kHyperband});
  Trial& t = study.Ask();
  for (int step = 0; step < 20; ++step) EXPECT_FALSE(study.Report(t, 100 - step, step));
  EXPECT_TRUE(t.system_attrs.empty());
}

TEST(HyperbandPruner, TrialsCompeteOnlyWithinTheirBracket) {
  // max_resource 4, min_resource 1, reduction_factor 2: brackets 0..2 with early-stopping
  // rates 0..2, so the first rung is at step 1, 2 or 4. A trial's first rung step tells its
  // bracket; with the same values everywhere, the first trial of each bracket is never pruned.
  FakeStudy study({.kind = PrunerKind::kHyperband,
                   .hyperband = {.min_resource = 1, .max_resource = 4, .reduction_factor = 2}});
  std::map<int64_t, int> trials_by_first_rung;
  for (int i = 0; i < 12; ++i) {
    Trial& t = study.Ask();
    bool pruned = false;
    int64_t first_rung = -1;
    for (int64_t step = 1; step <= 4 && !pruned; ++step) {
      pruned = study.Report(t, 1, step);
      if (first_rung < 0 && t.system_attrs.contains("completed_rung_0")) first_rung = step;
    }
    ASSERT_NE(first_rung, -1);
    if (trials_by_first_rung[first_rung]++ == 0) {
      EXPECT_FALSE(pruned) << "trial " << i;
    }
  }
  EXPECT_GE(trials_by_first_rung.size(), 2u) << "the trials spread over brackets";
}

// ---- threshold (test_threshold.py) -----------------------------------------------------------

TEST(ThresholdPruner, PrunesOutsideTheBoundsAndNaN) {
  FakeStudy study({.kind = PrunerKind::kThreshold, .threshold = {.lower = 0, .upper = 1}});
  Trial& low = study.Ask();
  EXPECT_TRUE(study.Report(low, -0.5, 0));
  Trial& high = study.Ask();
  EXPECT_TRUE(study.Report(high, 1.5, 0));
  Trial& inside = study.Ask();
  EXPECT_FALSE(study.Report(inside, 0.5, 0));
  Trial& nan = study.Ask();
  EXPECT_TRUE(study.Report(nan, kNaN, 0));
}

TEST(ThresholdPruner, HonoursWarmupAndInterval) {
  FakeStudy study({.kind = PrunerKind::kThreshold,
                   .threshold = {.upper = 1, .n_warmup_steps = 2, .interval_steps = 2}});
  Trial& t = study.Ask();
  EXPECT_FALSE(study.Report(t, 5, 0));
  EXPECT_FALSE(study.Report(t, 5, 1));
  EXPECT_TRUE(study.Report(t, 5, 2));
  EXPECT_FALSE(study.Report(t, 5, 3)) << "inside the interval of step 2";
}

// ---- patient (test_patient.py) ---------------------------------------------------------------

TEST(PatientPruner, PrunesAfterPatienceStepsWithoutImprovement) {
  FakeStudy study({.kind = PrunerKind::kPatient, .patient = {.patience = 2}});
  Trial& t = study.Ask();
  EXPECT_FALSE(study.Report(t, 1.0, 0));
  EXPECT_FALSE(study.Report(t, 1.1, 1));
  EXPECT_FALSE(study.Report(t, 1.2, 2)) << "3 steps <= patience + 1";
  EXPECT_TRUE(study.Report(t, 1.3, 3));
}

TEST(PatientPruner, MinDeltaToleratesSmallLosses) {
  FakeStudy study({.kind = PrunerKind::kPatient, .patient = {.patience = 1, .min_delta = 0.5}},
                  StudyDirection::kMaximize);
  Trial& t = study.Ask();
  study.Report(t, 1.0, 0);
  study.Report(t, 0.9, 1);
  EXPECT_FALSE(study.Report(t, 0.8, 2)) << "1.0 - 0.5 > 0.9 is false";
  EXPECT_FALSE(study.Report(t, 0.1, 3)) << "0.8, one step back, is within min_delta of 1.0";
  EXPECT_TRUE(study.Report(t, 0.1, 4)) << "1.0 - 0.5 > max(0.1, 0.1)";
}

TEST(PatientPruner, AsksTheWrappedPrunerOnceImpatient) {
  // Impatient at step 3, but the wrapped median pruner has no completed trial: not pruned.
  FakeStudy study({.kind = PrunerKind::kPatient,
                   .wrapped = PrunerKind::kMedian,
                   .percentile = {.n_startup_trials = 0},
                   .patient = {.patience = 1}});
  Trial& t = study.Ask();
  for (int step = 0; step < 4; ++step) EXPECT_FALSE(study.Report(t, step, step));
}

// ---- none and helpers -----------------------------------------------------------------------

TEST(NopPruner, NeverPrunes) {
  FakeStudy study({});
  Trial& done = study.Ask();
  study.Report(done, 0, 0);
  study.Complete(done);
  Trial& t = study.Ask();
  EXPECT_FALSE(study.Report(t, kNaN, 0));
  EXPECT_FALSE(study.Report(t, 1e9, 1));
}

TEST(PrunerUtil, AttrDoublesRoundTrip) {
  for (double v : {0.0, -1.5, 0.1, 1e300, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    std::optional<double> back = ParseAttrDouble(AttrDouble(v));
    ASSERT_TRUE(back.has_value()) << AttrDouble(v);
    EXPECT_EQ(*back, v);
  }
  EXPECT_FALSE(ParseAttrDouble("\"x\"").has_value());
}

}  // namespace
}  // namespace nasq
