// Tests of interop/optuna_storage.h: a study written in Optuna's SQLite format reads back
// unchanged, and bad files are refused naming the problem. (tests/python/test_optuna_interop.py
// checks the same files against Optuna itself.)
#include "interop/optuna_storage.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/sqlite_db.h"
#include "testing/local_server.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

Study MakeStudy() {
  Study study;
  study.spec.name = "mo";
  study.spec.directions = {StudyDirection::kMaximize, StudyDirection::kMinimize};
  study.spec.metric_names = {"accuracy", "bits"};
  study.spec.user_attrs = {{"owner", R"("lab")"}};
  // A conditional param, which Optuna's rows cannot express: "act" only when n >= 2.
  study.spec.space =
      *SearchSpace::Create({{"lr", FloatDistribution{1e-4, 1e-1, true, std::nullopt}, {}},
                            {"n", IntDistribution{0, 8, false, 2}, {}},
                            {"act",
                             CategoricalDistribution{{std::string("relu"), int64_t{3}, true}},
                             {Condition{"n", CompareOp::kGe, {int64_t{2}}}}}});
  return study;
}

std::vector<Trial> MakeTrials() {
  Trial complete;
  complete.number = 0;
  complete.state = TrialState::kComplete;
  complete.params = {{"lr", 0.001}, {"act", 1.0}, {"n", 4.0}};
  complete.distributions.insert_or_assign("lr", FloatDistribution{1e-4, 1e-1, true, std::nullopt});
  complete.distributions.insert_or_assign(
      "act", CategoricalDistribution{{std::string("relu"), int64_t{3}, true}});
  complete.distributions.insert_or_assign("n", IntDistribution{0, 8, false, 2});
  complete.values = {0.91, -kInf};
  complete.intermediate_values = {
      {0, 0.5}, {1, std::numeric_limits<double>::quiet_NaN()}, {2, kInf}};
  complete.user_attrs = {{"metrics", R"({"accuracy":0.91})"}, {"note", R"("ok")"}};
  complete.system_attrs = {{"worker", R"({"id":"w1","device":"cpu"})"}};
  complete.datetime_start_us = 1'700'000'000'123'456;
  complete.datetime_complete_us = 1'700'000'060'654'321;
  Trial running;
  running.number = 1;
  running.state = TrialState::kRunning;
  running.datetime_start_us = 1'700'000'100'000'001;
  running.user_attrs = {{"plain", "not json"}};
  return {complete, running};
}

TEST(OptunaStorage, AStudyReadsBackAsItWasWritten) {
  TempDir dir;
  const std::string path = dir.path() + "/mo.db";
  const std::vector<Trial> trials = MakeTrials();
  ASSERT_TRUE(WriteOptunaStudy(path, MakeStudy(), trials).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));

  absl::StatusOr<OptunaStudy> read = ReadOptunaStudy(path, "mo");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->name, "mo");
  EXPECT_EQ(read->directions, MakeStudy().spec.directions);
  EXPECT_EQ(read->metric_names, MakeStudy().spec.metric_names);
  EXPECT_EQ(read->user_attrs, MakeStudy().spec.user_attrs);
  ASSERT_TRUE(read->nasq_spec.has_value()) << "a nasq export carries its spec";
  EXPECT_EQ(read->nasq_spec->space.params().size(), 3u);
  EXPECT_EQ(read->nasq_spec->space.Find("act")->conditions.size(), 1u);
  ASSERT_EQ(read->trials.size(), 2u);
  const Trial& a = read->trials[0];
  const Trial& b = trials[0];
  EXPECT_EQ(a.number, 0);
  EXPECT_EQ(a.state, TrialState::kComplete);
  EXPECT_EQ(a.params, b.params);
  for (const auto& [name, d] : b.distributions) {
    EXPECT_TRUE(a.distributions.at(name) == d) << name;
  }
  EXPECT_EQ(a.values, b.values);
  ASSERT_EQ(a.intermediate_values.size(), 3u);
  EXPECT_EQ(a.intermediate_values.at(0), 0.5);
  EXPECT_TRUE(std::isnan(a.intermediate_values.at(1)));
  EXPECT_EQ(a.intermediate_values.at(2), kInf);
  EXPECT_EQ(a.user_attrs, b.user_attrs);
  EXPECT_EQ(read->trials[1].user_attrs.at("plain"), R"("not json")")
      << "an attr that is not JSON text is written as a JSON string, which Optuna can load";
  EXPECT_EQ(a.system_attrs, b.system_attrs);
  EXPECT_EQ(a.datetime_start_us, b.datetime_start_us);  // microseconds survive
  EXPECT_EQ(a.datetime_complete_us, b.datetime_complete_us);
  EXPECT_EQ(read->trials[1].state, TrialState::kRunning);
  EXPECT_EQ(read->trials[1].datetime_start_us, trials[1].datetime_start_us);
  EXPECT_EQ(read->trials[1].datetime_complete_us, 0);
}

TEST(OptunaStorage, AnExistingStorageGainsAStudyButNeverLosesOne) {
  TempDir dir;
  const std::string path = dir.path() + "/all.db";
  ASSERT_TRUE(WriteOptunaStudy(path, MakeStudy(), MakeTrials()).ok());
  Study second = MakeStudy();
  second.spec.name = "second";
  second.spec.directions = {StudyDirection::kMinimize};
  second.spec.metric_names.clear();
  const std::vector<Trial> one = {MakeTrials()[1]};
  ASSERT_TRUE(WriteOptunaStudy(path, second, one).ok());
  EXPECT_EQ(ReadOptunaStudy(path, "mo")->trials.size(), 2u);
  absl::StatusOr<OptunaStudy> read = ReadOptunaStudy(path, "second");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->directions, second.spec.directions);
  EXPECT_TRUE(read->metric_names.empty());
  ASSERT_EQ(read->trials.size(), 1u);
  EXPECT_EQ(read->trials[0].number, 1);

  const absl::Status again = WriteOptunaStudy(path, second, one);
  EXPECT_TRUE(absl::IsAlreadyExists(again)) << again;
  EXPECT_THAT(std::string(again.message()), HasSubstr("already holds a study named 'second'"));
  EXPECT_EQ(ReadOptunaStudy(path, "second")->trials.size(), 1u);

  const std::string text = dir.WriteFile("text.db", "keep");
  const absl::Status not_optuna = WriteOptunaStudy(text, MakeStudy(), MakeTrials());
  EXPECT_TRUE(absl::IsFailedPrecondition(not_optuna)) << not_optuna;
  EXPECT_THAT(std::string(not_optuna.message()), HasSubstr("is not an Optuna storage"));
}

TEST(OptunaStorage, ReadRefusesBadFilesNamingTheProblem) {
  TempDir dir;
  const std::string good = dir.path() + "/good.db";
  ASSERT_TRUE(WriteOptunaStudy(good, MakeStudy(), MakeTrials()).ok());
  const std::string text = dir.WriteFile("text.db", std::string(4096, 'x'));

  absl::Status missing = ReadOptunaStudy(dir.path() + "/none.db", "mo").status();
  EXPECT_TRUE(absl::IsNotFound(missing)) << missing;
  EXPECT_THAT(std::string(missing.message()), HasSubstr("none.db: no such file"));

  absl::Status unknown = ReadOptunaStudy(good, "other").status();
  EXPECT_TRUE(absl::IsNotFound(unknown)) << unknown;
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("has no study 'other' (its studies: mo)"));

  absl::Status not_optuna = ReadOptunaStudy(text, "mo").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(not_optuna)) << not_optuna;
  EXPECT_THAT(std::string(not_optuna.message()), HasSubstr("is not an Optuna storage"));
}

// The path of a new file `name` in `dir` holding MakeStudy() and MakeTrials(), then altered by
// the SQL `alter`, as a file from outside could be.
std::string AlteredStorage(const TempDir& dir, const std::string& name, const std::string& alter) {
  const std::string path = dir.path() + "/" + name;
  EXPECT_TRUE(WriteOptunaStudy(path, MakeStudy(), MakeTrials()).ok());
  auto db = SqliteDb::Open(path, /*create=*/false);
  EXPECT_TRUE(db.ok()) << db.status();
  if (db.ok()) {
    EXPECT_TRUE((*db)->Exec(alter).ok()) << alter;
  }
  return path;
}

// Found while writing fuzz/optuna_storage_fuzzer, with a crafted file (byte mutations do not
// make one): a view in place of one of Optuna's tables runs its query on every read, and a
// recursive one made ReadOptunaStudy (and so `nasq import`) hang; a generated column made a tiny
// file read as gigabytes. Such files, and files lacking a table, are refused up front.
TEST(OptunaStorage, ReadRefusesViewsGeneratedColumnsAndMissingTables) {
  TempDir dir;
  const std::string view = AlteredStorage(
      dir, "view.db",
      "DROP TABLE trial_values; CREATE VIEW Trial_Values AS WITH RECURSIVE c(x) AS (SELECT 1 "
      "UNION ALL SELECT x + 1 FROM c) SELECT trial_id, 0 AS objective, (SELECT max(x) FROM c) AS "
      "value, 'FINITE' AS value_type FROM trials");
  const std::string missing =
      AlteredStorage(dir, "missing.db", "DROP TABLE trial_intermediate_values");
  // A generated column: 8 KB of file, 800 MB per row read.
  const std::string generated = AlteredStorage(
      dir, "generated.db",
      "DROP TABLE trial_user_attributes; CREATE TABLE trial_user_attributes (trial_id INTEGER, "
      "key VARCHAR(512), value_json TEXT GENERATED ALWAYS AS (printf('%.*c', 800000000, 'x')))");

  absl::Status refused = ReadOptunaStudy(view, "mo").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(refused)) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("its trial_values is a view, not a table"));
  // Writing into such a file reads it first: refused the same way, and the file keeps its study.
  Study another = MakeStudy();
  another.spec.name = "another";
  absl::Status write = WriteOptunaStudy(view, another, MakeTrials());
  EXPECT_TRUE(absl::IsFailedPrecondition(write)) << write;

  absl::Status lacking = ReadOptunaStudy(missing, "mo").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(lacking)) << lacking;
  EXPECT_THAT(std::string(lacking.message()),
              HasSubstr("is not an Optuna storage (Optuna 5.0.0's RDB schema, alembic version "
                        "v3.2.0.a): it has no table trial_intermediate_values"));

  absl::Status computed = ReadOptunaStudy(generated, "mo").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(computed)) << computed;
  EXPECT_THAT(std::string(computed.message()),
              HasSubstr("its trial_user_attributes has a generated column, value_json"));
}

// Found while probing fuzz/optuna_storage_fuzzer's seeds: SQLite reads text or NULL in a FLOAT
// column as 0, so a param stored as text was reported as "value 0 lies outside ..." (or taken as
// 0 when 0 lay inside) and a FINITE value stored as NULL as an "unknown value_type 'FINITE'".
TEST(OptunaStorage, ReadRefusesNumberColumnsThatHoldNoNumber) {
  TempDir dir;
  const std::string text_param = AlteredStorage(
      dir, "text_param.db", "UPDATE trial_params SET param_value = 'abc' WHERE param_name = 'n'");
  const std::string null_value = AlteredStorage(
      dir, "null_value.db", "UPDATE trial_values SET value = NULL WHERE objective = 0");

  absl::Status param = ReadOptunaStudy(text_param, "mo").status();
  EXPECT_TRUE(absl::IsDataLoss(param)) << param;
  EXPECT_THAT(std::string(param.message()),
              HasSubstr("trial 0, param n: param_value is text, not a number"));
  absl::Status value = ReadOptunaStudy(null_value, "mo").status();
  EXPECT_TRUE(absl::IsDataLoss(value)) << value;
  EXPECT_THAT(std::string(value.message()),
              HasSubstr("trial 0, value: value_type FINITE but the value is null, not a number"));
}

TEST(OptunaStorage, ReadRefusesIntegerColumnsThatHoldNoIntegerAndRepeatedNumbers) {
  TempDir dir;
  const std::string text_step = AlteredStorage(
      dir, "text_step.db", "UPDATE trial_intermediate_values SET step = 'x' WHERE step = 1");
  const std::string real_objective = AlteredStorage(
      dir, "real_objective.db", "UPDATE trial_values SET objective = 0.5 WHERE objective = 0");
  const std::string text_number =
      AlteredStorage(dir, "text_number.db", "UPDATE trials SET number = 'one' WHERE number = 1");
  const std::string repeated =
      AlteredStorage(dir, "repeated.db", "UPDATE trials SET number = 0 WHERE number = 1");

  const std::pair<std::string, std::string> cases[] = {
      {text_step, "trial 0, step is text, not an integer"},
      {real_objective, "trial 0, objective is real, not an integer"},
      {text_number, "number is text, not an integer"},
      {repeated, "trial 0: two trials have this number"},
  };
  for (const auto& [path, message] : cases) {
    absl::Status status = ReadOptunaStudy(path, "mo").status();
    EXPECT_TRUE(absl::IsDataLoss(status)) << path << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(message)) << path;
  }
}

}  // namespace
}  // namespace nasq
