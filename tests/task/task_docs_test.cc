// The field tables of docs/task-spec.md come from the task schema's descriptions
// (task/task_docs.h): a default changed in a struct, a field added to a table or a doc edited by
// hand fails here.
#include "task/task_docs.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

std::string TableOf(const std::string& section) {
  for (const auto& [name, table] : TaskFieldTables()) {
    if (name == section) return table;
  }
  return "";
}

TEST(TaskDocs, TablesStateTheStructDefaultsAndRanges) {
  // TrainSettings{}, DatasetSpec{}, PruningSection{}: the defaults come from the structs.
  EXPECT_THAT(TableOf("train"), HasSubstr("| `progress_every_steps` | integer | 50 | "));
  EXPECT_THAT(TableOf("train"), HasSubstr("| `max_grad_norm` | number | 1 | "));
  EXPECT_THAT(TableOf("train"), HasSubstr("| `learning_rate` (`lr`) | number | 1e-3 for"));
  EXPECT_THAT(TableOf("train"), HasSubstr("peak learning rate; in (0, 10] |"));
  EXPECT_THAT(TableOf("dataset"), HasSubstr("| `max_length` | integer | 128 | "));
  EXPECT_THAT(TableOf("dataset"), HasSubstr("| `text_field` | string | `text` | "));
  EXPECT_THAT(TableOf("dataset"), HasSubstr("split; in (0, 1) |"));
  EXPECT_THAT(TableOf("prune"), HasSubstr("| `sparsity` | number | 0.5 | "));
  EXPECT_THAT(TableOf("prune"), HasSubstr("| `method` | string | `l1` | "));
  EXPECT_THAT(TableOf("prune"), HasSubstr("| `scope` | string | `local` | "));
  EXPECT_THAT(TableOf("model"), HasSubstr("| `num_layers` (`num_hidden_layers`) | integer | 2 | "
                                          "encoder layers; 1 to 256 |"));
  EXPECT_THAT(TableOf("model"), HasSubstr("| `identity_layers` | list of layer names | `[]` | "));
  EXPECT_THAT(TableOf("precision"), HasSubstr("| `levels` | integer | none | "));
  EXPECT_THAT(TableOf("top level"), HasSubstr("| `evaluate_each_stage` | bool | true | "));
}

TEST(TaskDocs, UpdateNeedsEverySection) {
  std::string doc;
  for (const auto& [section, table] : TaskFieldTables()) {
    absl::StrAppend(&doc, "## ", section, "\n", TaskDocsBegin(section), "stale\n", kTaskDocsEnd);
  }
  absl::StatusOr<std::string> updated = UpdateTaskFieldTables(doc);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_THAT(*updated, HasSubstr(TableOf("model")));
  EXPECT_THAT(*updated, ::testing::Not(HasSubstr("stale")));
  const absl::StatusOr<std::string> missing = UpdateTaskFieldTables("## model\nno markers\n");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("top level"));
}

// The docs cannot drift: docs/task-spec.md holds exactly the generated tables.
TEST(TaskDocs, TaskSpecDocHasTheCurrentTables) {
  std::ifstream in(NASQ_DOCS_DIR "/task-spec.md", std::ios::binary);
  ASSERT_TRUE(in) << "cannot read docs/task-spec.md";
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::string> updated = UpdateTaskFieldTables(text.str());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(*updated == text.str())
      << "docs/task-spec.md is out of date: run `build/task/nasq_task_docs docs/task-spec.md`";
}

}  // namespace
}  // namespace nasq
