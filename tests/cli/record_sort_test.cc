// Tests of the objective columns of trial records (cli/records.h) and of `nasq trials --sort`
// (cli/record_sort.h).
#include "cli/record_sort.h"

#include <string>
#include <vector>

#include "cli/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::ordered_json;

v1::StudySpec Spec(std::vector<v1::StudyDirection> directions,
                   std::vector<std::string> metric_names = {}) {
  v1::StudySpec spec;
  for (v1::StudyDirection d : directions) spec.add_directions(d);
  for (const std::string& m : metric_names) spec.add_metric_names(m);
  return spec;
}

constexpr v1::StudyDirection kMax = v1::STUDY_DIRECTION_MAXIMIZE;
constexpr v1::StudyDirection kMin = v1::STUDY_DIRECTION_MINIMIZE;

TEST(ObjectiveColumns, NameObjectivesByMetricUnlessTheNameIsTaken) {
  EXPECT_THAT(ObjectiveColumns(Spec({kMax}, {"accuracy"})), ElementsAre("value"));
  EXPECT_THAT(ObjectiveColumns(Spec({kMax, kMin})), ElementsAre("values_0", "values_1"));
  EXPECT_THAT(ObjectiveColumns(Spec({kMax, kMin}, {"accuracy", "avg_bitwidth"})),
              ElementsAre("accuracy", "avg_bitwidth"));
  // Names a record uses itself, or that flattening its nested values produces.
  EXPECT_THAT(
      ObjectiveColumns(
          Spec({kMin, kMin, kMin, kMin}, {"duration", "params_lr", "values_1", "number_of_bits"})),
      ElementsAre("values_duration", "values_params_lr", "values_values_1", "number_of_bits"));
}

TEST(ObjectiveColumns, TrialRecordsUseThem) {
  v1::Trial trial;
  trial.set_number(3);
  trial.add_values(0.9);
  trial.add_values(4.5);
  (*trial.mutable_params())["lr"].set_double_value(0.01);
  const Json named = TrialRecord(trial, RecordOptionsFor(Spec({kMax, kMin}, {"acc", "state"})));
  std::vector<std::string> keys;
  for (const auto& [key, value] : named.items()) keys.push_back(key);
  EXPECT_THAT(keys, ElementsAre("number", "acc", "values_state", "datetime_start",
                                "datetime_complete", "duration", "params", "state"));
  EXPECT_EQ(named["acc"], 0.9);
  EXPECT_EQ(named["values_state"], 4.5);
  // Without metric names, or with one objective, the records keep Optuna's value / values.
  EXPECT_EQ(TrialRecord(trial, RecordOptionsFor(Spec({kMax, kMin})))["values"],
            Json::array({0.9, 4.5}));
  EXPECT_EQ(TrialRecord(trial, RecordOptionsFor(Spec({kMax}, {"acc"})))["value"], 0.9);
  // A trial without values (pruned, failed, running) shows null objectives.
  v1::Trial pruned;
  EXPECT_TRUE(TrialRecord(pruned, RecordOptionsFor(Spec({kMax, kMin}, {"a", "b"})))["b"].is_null());
}

// Records of trials 0..3: accuracy, bits, a param, and a reported metric on some of them.
Json Records() {
  return Json::parse(R"([
    {"number": 0, "accuracy": 0.7, "bits": 8, "params": {"act": "relu"},
     "user_attrs": {"metrics": {"f1": 0.5}}},
    {"number": 1, "accuracy": 0.9, "bits": 4, "params": {"act": "gelu"},
     "user_attrs": {"metrics": {"f1": 0.2}}},
    {"number": 2, "accuracy": null, "bits": null, "params": {"act": "tanh"}},
    {"number": 3, "accuracy": 0.8, "bits": 4, "params": {"act": "gelu"},
     "user_attrs": {"metrics": {"f1": 0.9}}}
  ])");
}

std::vector<int> Numbers(const Json& records) {
  std::vector<int> numbers;
  for (const Json& r : records) numbers.push_back(r["number"].get<int>());
  return numbers;
}

std::vector<int> Sorted(const std::string& key) {
  Json records = Records();
  const absl::Status status =
      SortTrialRecords(key, Spec({kMax, kMin}, {"accuracy", "bits"}), records);
  EXPECT_TRUE(status.ok()) << key << ": " << status;
  return Numbers(records);
}

TEST(SortTrialRecords, ObjectivesSortBestFirstAndMissingValuesLast) {
  EXPECT_THAT(Sorted("accuracy"), ElementsAre(1, 3, 0, 2));  // maximised: largest first
  EXPECT_THAT(Sorted("value"), ElementsAre(1, 3, 0, 2));     // the first objective
  EXPECT_THAT(Sorted("bits"), ElementsAre(1, 3, 0, 2));      // minimised; ties keep their order
  EXPECT_THAT(Sorted("accuracy:asc"), ElementsAre(0, 3, 1, 2));
  EXPECT_THAT(Sorted("bits:desc"), ElementsAre(0, 1, 3, 2));
}

TEST(SortTrialRecords, AnyColumnOrReportedMetricSortsAscending) {
  EXPECT_THAT(Sorted("number"), ElementsAre(0, 1, 2, 3));
  EXPECT_THAT(Sorted("number:desc"), ElementsAre(3, 2, 1, 0));
  EXPECT_THAT(Sorted("params_act"), ElementsAre(1, 3, 0, 2));
  EXPECT_THAT(Sorted("f1"), ElementsAre(1, 0, 3, 2));  // user_attrs_metrics_f1; none on 2
  EXPECT_THAT(Sorted("user_attrs_metrics_f1:desc"), ElementsAre(3, 0, 1, 2));
}

TEST(SortTrialRecords, RefusesAColumnNoRecordHas) {
  Json records = Records();
  const absl::Status status =
      SortTrialRecords("acuracy", Spec({kMax, kMin}, {"accuracy", "bits"}), records);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("--sort: 'acuracy'"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("accuracy, bits"));
  EXPECT_EQ(Numbers(records), (std::vector<int>{0, 1, 2, 3}));  // left as it was
}

}  // namespace
}  // namespace nasq
