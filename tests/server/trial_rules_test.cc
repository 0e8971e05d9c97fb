// Tests of server/trial_rules.h: the best trials of constrained studies (the rest of the rules
// are covered through StudyManager in study_manager_test.cc).
#include "server/trial_rules.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;

Trial Complete(int64_t number, std::vector<double> values, const char* constraint = nullptr) {
  Trial t;
  t.number = number;
  t.state = TrialState::kComplete;
  t.values = std::move(values);
  if (constraint != nullptr) t.system_attrs["constraints:memory"] = constraint;
  return t;
}

std::vector<int64_t> Numbers(const std::vector<Trial>& trials) {
  std::vector<int64_t> numbers;
  for (const Trial& t : trials) numbers.push_back(t.number);
  return numbers;
}

TEST(SelectBestTrials, TheParetoFrontOfAConstrainedStudyIsTheFeasibleFront) {
  StudySpec spec;
  spec.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize};
  // Unconstrained: 0 (1, 1), 1 (2, 3) and 3 (0, 0) form the front; 2 (3, 2) is dominated by 1.
  std::vector<Trial> trials = {Complete(0, {1, 1}), Complete(1, {2, 3}), Complete(2, {3, 2}),
                               Complete(3, {0, 0})};
  EXPECT_THAT(Numbers(SelectBestTrials(spec, trials)), ElementsAre(0, 1, 3));
  // Trial 1 violates its constraint: the front of the feasible 0, 2 and 3 (a trial without
  // constraints counts as feasible, as in Optuna).
  trials[1].system_attrs["constraints:memory"] = "0.5";
  trials[2].system_attrs["constraints:memory"] = "0";
  EXPECT_THAT(Numbers(SelectBestTrials(spec, trials)), ElementsAre(0, 2, 3));
  // Constraints on a trial that is not COMPLETE make the study constrained too.
  trials[1].system_attrs.clear();
  trials.push_back(Trial{.number = 4, .state = TrialState::kPruned});
  trials[4].system_attrs["constraints"] = "[1.0]";
  trials[0].system_attrs["constraints"] = "[2.0, -1]";
  EXPECT_THAT(Numbers(SelectBestTrials(spec, trials)), ElementsAre(1, 3));  // 1 dominates 2
}

TEST(SelectBestTrials, TheBestTrialOfAConstrainedStudyIsFeasible) {
  StudySpec spec;
  spec.directions = {StudyDirection::kMinimize};
  std::vector<Trial> trials = {Complete(0, {5}, "-1"), Complete(1, {1}, "3"),
                               Complete(2, {4}, "0")};
  EXPECT_THAT(Numbers(SelectBestTrials(spec, trials)), ElementsAre(2));
  trials[2].system_attrs["constraints:memory"] = "1";
  EXPECT_THAT(Numbers(SelectBestTrials(spec, trials)), ElementsAre(0));
  trials[0].system_attrs["constraints:memory"] = "0.1";
  EXPECT_TRUE(SelectBestTrials(spec, trials).empty());
}

}  // namespace
}  // namespace nasq
