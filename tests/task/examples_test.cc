// Every study in examples/ must parse with the clients' YAML reader, carry a task section the
// worker accepts, name only metrics the task produces, bind every param at its bounds, be
// documented in examples/README.md, and be accepted by a real nasq-server (created, not run),
// which runs the same task check. A study with budgets gets only trials within them.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "spec/spec_yaml.h"
#include "task/study_validation.h"
#include "task/task_spec.h"
#include "testing/local_server.h"

namespace nasq {
namespace {

std::vector<std::filesystem::path> ExampleFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(NASQ_EXAMPLES_DIR)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Examples, EveryStudyParsesAndItsTaskIsValid) {
  const auto files = ExampleFiles();
  ASSERT_GE(files.size(), 16u);  // the studies in examples/ today: fewer means one went missing
  const std::string readme = ReadFile(std::filesystem::path(NASQ_EXAMPLES_DIR) / "README.md");
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    EXPECT_NE(readme.find(file.filename().string()), std::string::npos)
        << "not documented in examples/README.md";
    auto study = LoadStudySpecFile(file.string());
    ASSERT_TRUE(study.ok()) << study.status();
    auto task = ParseTaskSpec(study->task_json);
    ASSERT_TRUE(task.ok()) << task.status();
    EXPECT_EQ(task->dataset.format, DatasetFormat::kSpamAssassin)
        << "examples run on the embedded data by default";
    // Every param binds at its bounds, every metric is produced (what CreateStudy checks).
    EXPECT_TRUE(ValidateBertClassifyStudy(*study).ok()) << ValidateBertClassifyStudy(*study);
  }
}

TEST(Examples, EveryStudyIsCreatedByARealServer) {
  TempDir dir;
  auto server =
      ServerProcess::Start(NASQ_SERVER_BIN, dir.path() + "/examples.db", FreeLoopbackPort());
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = (*server)->Client();
  for (const auto& file : ExampleFiles()) {
    SCOPED_TRACE(file.filename().string());
    auto spec = LoadStudySpecFile(file.string());
    ASSERT_TRUE(spec.ok()) << spec.status();
    auto created = client->CreateStudy(*spec);
    ASSERT_TRUE(created.ok()) << created.status();
    EXPECT_EQ(created->state(), v1::STUDY_STATE_RUNNING);
  }
}

// Asks a real nasq-server for each budgeted example's max_trials trials (telling each one
// COMPLETE, so that TPE models them) and checks every trial's cost, which the server estimates
// from its params before dispatch (system attrs "cost:<metric>", server/trial_cost.h), against
// the study's budgets.
TEST(Examples, BudgetedStudiesDispatchOnlyTrialsWithinTheirBudgets) {
  TempDir dir;
  auto server =
      ServerProcess::Start(NASQ_SERVER_BIN, dir.path() + "/budgets.db", FreeLoopbackPort());
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = (*server)->Client();
  int budgeted = 0;
  for (const auto& file : ExampleFiles()) {
    auto spec = LoadStudySpecFile(file.string());
    ASSERT_TRUE(spec.ok()) << spec.status();
    if (spec->budgets.empty()) continue;
    SCOPED_TRACE(file.filename().string());
    ++budgeted;
    ASSERT_TRUE(client->CreateStudy(*spec).ok());
    for (int64_t i = 0; i < spec->max_trials; ++i) {
      auto trial = client->Ask(spec->name);
      ASSERT_TRUE(trial.ok()) << trial.status();
      for (const auto& [metric, budget] : spec->budgets) {
        const auto attr = trial->system_attrs().find("cost:" + metric);
        ASSERT_NE(attr, trial->system_attrs().end()) << "trial " << i << " has no cost " << metric;
        double cost = 0;
        ASSERT_TRUE(absl::SimpleAtod(attr->second, &cost)) << attr->second;
        if (budget.max) {
          EXPECT_LE(cost, *budget.max) << metric << " of trial " << i;
        }
        if (budget.min) {
          EXPECT_GE(cost, *budget.min) << metric << " of trial " << i;
        }
      }
      const std::vector<double> values(spec->directions.size(),
                                       0.5 + 0.01 * static_cast<double>(i));
      ASSERT_TRUE(client->Tell(spec->name, trial->number(), v1::TRIAL_STATE_COMPLETE, values).ok());
    }
  }
  EXPECT_GE(budgeted, 1) << "no example declares budgets (10-mixed-precision-pareto.yaml should)";
}

}  // namespace
}  // namespace nasq
