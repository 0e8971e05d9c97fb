// Every study in examples/ must parse with the clients' YAML reader, carry a task section the
// worker accepts, name only metrics the task produces, bind a value of every param, be
// documented in examples/README.md, and be accepted by a real nasq-server (created, not run).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "clients/local_server.h"
#include "clients/spec_yaml.h"
#include "gtest/gtest.h"
#include "worker/pipeline/param_binding.h"
#include "worker/pipeline/task_spec.h"

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

// The first value of every param (first choice, or low): enough to check that each name binds.
TrialParams FirstValues(const SearchSpace& space) {
  TrialParams params;
  for (const ParamSpec& param : space.params()) {
    std::visit(
        [&](const auto& d) {
          using D = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<D, CategoricalDistribution>) {
            params[param.name] = d.choices.front();
          } else if constexpr (std::is_same_v<D, IntDistribution>) {
            params[param.name] = d.low;
          } else {
            params[param.name] = d.low;
          }
        },
        param.distribution);
  }
  return params;
}

TEST(Examples, EveryStudyParsesAndItsTaskIsValid) {
  const auto files = ExampleFiles();
  ASSERT_GE(files.size(), 12u);
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
    const auto produced = ProducedMetricNames(*task);
    for (const std::string& metric : study->metric_names) {
      EXPECT_NE(std::find(produced.begin(), produced.end(), metric), produced.end())
          << "metric " << metric << " is not produced by the task";
    }
    auto bound = BindTrialParams(*task, FirstValues(study->space));
    EXPECT_TRUE(bound.ok()) << bound.status();
  }
}

TEST(Examples, EveryStudyIsCreatedByARealServer) {
  TempDir dir;
  auto server = ServerProcess::Start(NASQ_SERVER_BIN, dir.path() + "/examples.db",
                                     FreeLoopbackPort());
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

}  // namespace
}  // namespace nasq
