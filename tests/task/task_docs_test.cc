// Checks docs/task-spec.md's stage tables against the settings the task spec embeds: every field
// that task/train_settings.h describes is listed for the train stage with its default, and the
// prune table states task/pruning_config.h's section defaults. A default changed in a struct (or
// in the doc) alone fails here.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "spec/strict_json.h"
#include "task/pruning_config.h"
#include "task/train_settings.h"

namespace nasq {
namespace {

// The rows of the first table after the heading `heading`: field name (the first `code` of the
// first cell) -> the second cell.
std::map<std::string, std::string> TableAfter(const std::string& heading) {
  std::ifstream in(NASQ_DOCS_DIR "/task-spec.md");
  std::stringstream text;
  text << in.rdbuf();
  std::map<std::string, std::string> rows;
  bool in_section = false;
  for (absl::string_view line : absl::StrSplit(text.str(), '\n')) {
    if (line == heading) {
      in_section = true;
    } else if (in_section && absl::StartsWith(line, "#")) {
      break;
    } else if (in_section && absl::StartsWith(line, "| `")) {
      const std::vector<absl::string_view> cells = absl::StrSplit(line, '|');
      const std::vector<absl::string_view> name = absl::StrSplit(cells[1], '`');
      rows[std::string(name[1])] = std::string(absl::StripAsciiWhitespace(cells[2]));
    }
  }
  return rows;
}

// The default cell's first word as JSON ("1.0 (0 disables)" -> 1.0), or null.
Json FirstWord(const std::string& cell) {
  const std::string word(*absl::StrSplit(cell, ' ').begin());
  return Json::parse(word, nullptr, /*allow_exceptions=*/false);
}

TEST(TaskDocs, TrainTableListsEveryDescribedFieldWithItsDefault) {
  const std::map<std::string, std::string> rows = TableAfter("### `train` and `finetune`");
  ASSERT_FALSE(rows.empty()) << "no train table in docs/task-spec.md";
  for (const Field<TrainSettings>& field : kTrainSettingsFields) {
    SCOPED_TRACE(field.name);
    ASSERT_TRUE(rows.contains(field.name));
    EXPECT_EQ(FirstWord(rows.at(field.name)), FieldValueToJson(GetField(TrainSettings{}, field)));
  }
  EXPECT_EQ(FirstWord(rows.at("seed")), Json(TrainSettings{}.seed));
}

TEST(TaskDocs, PruneTableStatesTheSectionDefaults) {
  const std::map<std::string, std::string> rows = TableAfter("### `prune`");
  ASSERT_FALSE(rows.empty()) << "no prune table in docs/task-spec.md";
  const PruningSection defaults;
  EXPECT_EQ(FirstWord(rows.at("sparsity")), Json(defaults.sparsity));
  EXPECT_EQ(rows.at("method"), defaults.method == PruneMethod::kL1Norm ? "`l1`" : "`random`");
  EXPECT_EQ(rows.at("scope"), defaults.scope == PruneScope::kLocal ? "`local`" : "`global`");
}

}  // namespace
}  // namespace nasq
