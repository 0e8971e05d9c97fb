// Tests of server/trial_query.h: query parsing and its errors, every sort column, missing values
// last, the filter operators and paging bounds, on hand-made trials.
#include "server/trial_query.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

StudySpec Spec() {
  StudySpec spec;
  spec.name = "q";
  spec.directions = {StudyDirection::kMaximize, StudyDirection::kMinimize};
  spec.space = *SearchSpace::Create({
      {"num_layers", IntDistribution{1, 4, false, 1}, {}},
      {"lr", FloatDistribution{1e-5, 1e-1, true, std::nullopt}, {}},
      {"classifier.type",
       CategoricalDistribution{{std::string("integer"), std::string("minifloat")}},
       {}},
  });
  return spec;
}

// A trial of Spec(): `layers`, `lr` and the categorical's choice `type` (-1: inactive).
Trial MakeTrial(int64_t number, TrialState state, std::vector<double> values, int64_t layers,
                double lr, int type) {
  const StudySpec spec = Spec();
  Trial t;
  t.number = number;
  t.state = state;
  t.values = std::move(values);
  TrialDistributions::Map distributions;
  for (const ParamSpec& p : spec.space.params()) {
    if (p.name == "classifier.type" && type < 0) continue;
    distributions[p.name] = p.distribution;
  }
  t.distributions = TrialDistributions(distributions);
  t.params = {{"num_layers", static_cast<double>(layers)}, {"lr", lr}};
  if (type >= 0) t.params["classifier.type"] = type;
  t.datetime_start_us = 1000 * (10 - number);
  return t;
}

// Five trials: numbers 0..4 with mixed states, values and params.
std::vector<Trial> Trials() {
  std::vector<Trial> trials = {
      MakeTrial(0, TrialState::kComplete, {0.9, 8}, 2, 1e-3, 0),
      MakeTrial(1, TrialState::kComplete, {0.7, 4}, 1, 1e-2, 1),
      MakeTrial(2, TrialState::kRunning, {}, 3, 1e-4, -1),
      MakeTrial(3, TrialState::kPruned, {0.8}, 2, 1e-5, 0),
      MakeTrial(4, TrialState::kFail, {}, 4, 5e-2, 1),
  };
  trials[0].datetime_complete_us = trials[0].datetime_start_us + 5'000;  // 5 ms
  trials[1].datetime_complete_us = trials[1].datetime_start_us + 2'000;
  trials[3].datetime_complete_us = trials[3].datetime_start_us + 9'000;
  trials[0].user_attrs["tag"] = "\"b\"";
  trials[1].user_attrs["tag"] = "\"a\"";
  trials[3].user_attrs["tag"] = "3";
  trials[2].lease = Lease{"w-2", 1, 0, "secret", LeaseKind::kWorker};
  trials[0].system_attrs["worker"] = R"({"id":"w-0","device":"cpu"})";
  return trials;
}

absl::StatusOr<TrialQuery> Parse(std::map<std::string, std::string> params) {
  return ParseTrialQuery(params, Spec());
}

std::vector<int64_t> Numbers(const TrialPage& page) {
  std::vector<int64_t> numbers;
  for (const Trial* t : page.trials) numbers.push_back(t->number);
  return numbers;
}

std::vector<int64_t> Sorted(const std::string& column, const std::string& order = "asc") {
  const std::vector<Trial> trials = Trials();
  absl::StatusOr<TrialQuery> query = Parse({{"sort", column}, {"order", order}});
  EXPECT_TRUE(query.ok()) << query.status();
  return query.ok() ? Numbers(SelectTrials(trials, *query)) : std::vector<int64_t>{};
}

std::vector<int64_t> Filtered(const std::string& filter) {
  const std::vector<Trial> trials = Trials();
  absl::StatusOr<TrialQuery> query = Parse({{"filter", filter}});
  EXPECT_TRUE(query.ok()) << filter << ": " << query.status();
  return query.ok() ? Numbers(SelectTrials(trials, *query)) : std::vector<int64_t>{};
}

TEST(TrialQuery, DefaultsAreThoseOfTheContract) {
  absl::StatusOr<TrialQuery> query = Parse({});
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->offset, 0);
  EXPECT_EQ(query->limit, 100);
  EXPECT_EQ(query->sort.kind, TrialColumnKind::kNumber);
  EXPECT_FALSE(query->descending);
  EXPECT_TRUE(query->states.empty());
  EXPECT_TRUE(query->filters.empty());
}

TEST(TrialQuery, ErrorsNameTheParameterAndTheProblem) {
  const struct {
    std::map<std::string, std::string> params;
    const char* message;
  } cases[] = {
      {{{"sort", "params.dpth"}}, "sort: unknown column params.dpth (columns: number, state"},
      {{{"sort", "values.2"}}, "sort: unknown column values.2 (the study has 2 objective(s)"},
      {{{"sort", "user_attrs."}}, "sort: unknown column user_attrs."},
      {{{"order", "up"}}, "order: 'up' is neither asc nor desc"},
      {{{"limit", "0"}}, "limit: must be between 1 and 1000, got 0"},
      {{{"limit", "1001"}}, "limit: must be between 1 and 1000, got 1001"},
      {{{"limit", "ten"}}, "limit: 'ten' is not an integer"},
      {{{"offset", "-1"}}, "offset: must be between 0 and"},
      {{{"state", "COMPLETE,DONE"}}, "state: unknown state 'DONE'"},
      {{{"filter", "value >> 3"}}, "filter: clause 'value >> 3': unknown operator '>>'"},
      {{{"filter", "value > 1 and depth = 2"}},
       "filter: clause 'depth = 2': unknown column depth (columns: number,"},
      {{{"filter", "value >"}}, "filter: clause 'value >': no value after '>'"},
      {{{"filter", "value 3"}}, "filter: clause 'value 3': unknown operator ''"},
      {{{"page", "2"}}, "page: unknown query parameter"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<TrialQuery> query = Parse(c.params);
    ASSERT_FALSE(query.ok()) << c.message;
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(query.status().message(), HasSubstr(c.message));
  }
}

TEST(TrialQuery, SortsByEveryColumnWithMissingValuesLast) {
  EXPECT_THAT(Sorted("number"), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(Sorted("number", "desc"), ElementsAre(4, 3, 2, 1, 0));
  // COMPLETE, COMPLETE, FAIL, PRUNED, RUNNING by name.
  EXPECT_THAT(Sorted("state"), ElementsAre(0, 1, 4, 3, 2));
  // Values shown by COMPLETE and PRUNED trials only; missing last in both orders.
  EXPECT_THAT(Sorted("value"), ElementsAre(1, 3, 0, 2, 4));
  EXPECT_THAT(Sorted("value", "desc"), ElementsAre(0, 3, 1, 2, 4));
  EXPECT_THAT(Sorted("values.0"), ElementsAre(1, 3, 0, 2, 4));
  EXPECT_THAT(Sorted("values.1"), ElementsAre(1, 0, 2, 3, 4));  // trial 3 has one value
  EXPECT_THAT(Sorted("duration"), ElementsAre(1, 0, 3, 2, 4));
  EXPECT_THAT(Sorted("datetime_start"), ElementsAre(4, 3, 2, 1, 0));
  EXPECT_THAT(Sorted("datetime_complete", "desc"), ElementsAre(3, 0, 1, 2, 4));
  EXPECT_THAT(Sorted("params.num_layers"), ElementsAre(1, 0, 3, 2, 4));  // ties by number
  EXPECT_THAT(Sorted("params.num_layers", "desc"), ElementsAre(4, 2, 0, 3, 1));
  EXPECT_THAT(Sorted("params.lr"), ElementsAre(3, 2, 0, 1, 4));
  EXPECT_THAT(Sorted("params.classifier.type"), ElementsAre(0, 3, 1, 4, 2));  // 2: inactive
  EXPECT_THAT(Sorted("params.classifier.type", "desc"), ElementsAre(1, 4, 0, 3, 2));
  // Numbers before texts; trials without the attr last.
  EXPECT_THAT(Sorted("user_attrs.tag"), ElementsAre(3, 1, 0, 2, 4));
  EXPECT_THAT(Sorted("worker"), ElementsAre(0, 2, 1, 3, 4));
  EXPECT_THAT(Sorted("worker", "desc"), ElementsAre(2, 0, 1, 3, 4));
}

TEST(TrialQuery, FiltersWithEachOperator) {
  EXPECT_THAT(Filtered("params.num_layers = 2"), ElementsAre(0, 3));
  EXPECT_THAT(Filtered("params.num_layers != 2"), ElementsAre(1, 2, 4));
  EXPECT_THAT(Filtered("params.num_layers < 2"), ElementsAre(1));
  EXPECT_THAT(Filtered("params.num_layers <= 2"), ElementsAre(0, 1, 3));
  EXPECT_THAT(Filtered("params.num_layers > 2"), ElementsAre(2, 4));
  EXPECT_THAT(Filtered("params.num_layers >= 3"), ElementsAre(2, 4));
  EXPECT_THAT(Filtered("params.classifier.type ~ mini"), ElementsAre(1, 4));
  EXPECT_THAT(Filtered("params.classifier.type = integer"), ElementsAre(0, 3));
  EXPECT_THAT(Filtered("params.classifier.type = 'integer'"), ElementsAre(0, 3));
  EXPECT_THAT(Filtered("state = PRUNED"), ElementsAre(3));
  EXPECT_THAT(Filtered("worker ~ w-"), ElementsAre(0, 2));
  EXPECT_THAT(Filtered("user_attrs.tag = \"a\""), ElementsAre(1));
  // Clauses joined by " and " all hold; a missing value never matches (not even !=).
  EXPECT_THAT(Filtered("params.num_layers = 2 and value > 0.85"), ElementsAre(0));
  EXPECT_THAT(Filtered("value != 0.7"), ElementsAre(0, 3));
  EXPECT_THAT(Filtered("value>=0.8"), ElementsAre(0, 3));
  EXPECT_THAT(Filtered("duration <= 5"), ElementsAre(0, 1));
}

TEST(TrialQuery, StateParameterKeepsTheNamedStates) {
  const std::vector<Trial> trials = Trials();
  absl::StatusOr<TrialQuery> query = Parse({{"state", "complete,PRUNED"}});
  ASSERT_TRUE(query.ok()) << query.status();
  const TrialPage page = SelectTrials(trials, *query);
  EXPECT_EQ(page.total, 3);
  EXPECT_THAT(Numbers(page), ElementsAre(0, 1, 3));
}

TEST(TrialQuery, PagesCountTheTotalAndStopAtTheEnd) {
  const std::vector<Trial> trials = Trials();
  const auto page = [&](const std::string& offset, const std::string& limit) {
    absl::StatusOr<TrialQuery> query =
        Parse({{"offset", offset}, {"limit", limit}, {"sort", "value"}});
    EXPECT_TRUE(query.ok()) << query.status();
    return SelectTrials(trials, *query);
  };
  EXPECT_THAT(Numbers(page("0", "2")), ElementsAre(1, 3));
  EXPECT_THAT(Numbers(page("2", "2")), ElementsAre(0, 2));
  EXPECT_THAT(Numbers(page("4", "2")), ElementsAre(4));
  EXPECT_THAT(Numbers(page("5", "2")), ElementsAre());
  EXPECT_THAT(Numbers(page("9223372036854775807", "1000")), ElementsAre());
  EXPECT_EQ(page("5", "2").total, 5);
  EXPECT_THAT(Numbers(page("0", "1000")), ElementsAre(1, 3, 0, 2, 4));
}

TEST(TrialQuery, ShownValuesAndWorker) {
  const std::vector<Trial> trials = Trials();
  EXPECT_EQ(ShownValues(trials[0]).size(), 2u);
  EXPECT_EQ(ShownValues(trials[3]).size(), 1u);  // PRUNED: its last intermediate value
  EXPECT_TRUE(ShownValues(trials[2]).empty());
  EXPECT_EQ(TrialWorkerId(trials[0]), "w-0");
  EXPECT_EQ(TrialWorkerId(trials[2]), "w-2");
  EXPECT_EQ(TrialWorkerId(trials[1]), "");
}

}  // namespace
}  // namespace nasq
