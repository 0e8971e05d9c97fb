// tests/sampler/sampler_test_util.h: spaces, specs and histories shared by the sampler tests.
#ifndef NASQ_TESTS_SAMPLER_SAMPLER_TEST_UTIL_H_
#define NASQ_TESTS_SAMPLER_SAMPLER_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/search_space.h"
#include "core/study.h"
#include "core/trial.h"
#include "gtest/gtest.h"
#include "sampler/sampler.h"

namespace nasq::testing {

inline ParamSpec Param(std::string name, Distribution d, std::vector<Condition> conditions = {}) {
  return ParamSpec{std::move(name), std::move(d), std::move(conditions)};
}

inline StudySpec MakeSpec(std::vector<ParamSpec> params, std::vector<Constraint> constraints,
                          SamplerKind kind, uint64_t seed = 7) {
  StudySpec spec;
  spec.name = "test";
  spec.directions = {StudyDirection::kMinimize};
  auto space = SearchSpace::Create(std::move(params), std::move(constraints));
  EXPECT_TRUE(space.ok()) << space.status();
  if (space.ok()) spec.space = *std::move(space);
  spec.sampler.kind = kind;
  spec.sampler.seed = seed;
  return spec;
}

// A trial of `spec` numbered `number` holding `params`.
inline Trial MakeTrial(const StudySpec& spec, int64_t number, InternalParams params,
                       TrialState state, std::vector<double> values = {}) {
  Trial t;
  t.id = number;
  t.study_id = 1;
  t.number = number;
  t.state = state;
  for (const auto& [name, value] : params) {
    t.distributions.insert_or_assign(name, spec.space.Find(name)->distribution);
  }
  t.params = std::move(params);
  t.values = std::move(values);
  return t;
}

// Samples trials 0..n-1 in order with `sampler`, completing each with objective(params).
inline std::vector<Trial> RunStudy(Sampler& sampler, const StudySpec& spec, int n,
                                   const std::function<double(const InternalParams&)>& objective) {
  std::vector<Trial> history;
  for (int i = 0; i < n; ++i) {
    auto params = SampleTrial(sampler, {&spec, history, i});
    EXPECT_TRUE(params.ok()) << params.status();
    if (!params.ok()) break;
    const double value = objective(*params);
    history.push_back(MakeTrial(spec, i, *std::move(params), TrialState::kComplete, {value}));
  }
  return history;
}

}  // namespace nasq::testing

#endif  // NASQ_TESTS_SAMPLER_SAMPLER_TEST_UTIL_H_
