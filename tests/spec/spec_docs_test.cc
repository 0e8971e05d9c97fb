#include "spec/spec_docs.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

TEST(SpecDocs, TablesComeFromTheDescriptions) {
  const std::string tables = StudyOptionTables();
  EXPECT_THAT(tables, HasSubstr("| `sampler.n_ei_candidates` | integer | 24 | 1 to 10,000 | "));
  EXPECT_THAT(tables, HasSubstr("| `sampler.skip_duplicates` | bool | false | not with grid | "));
  EXPECT_THAT(tables, HasSubstr("| `sampler.prior_weight` | number | 1 | > 0 and finite | "));
  EXPECT_THAT(tables, HasSubstr("| `max_trials` | integer | 0 | 0 to 1,000,000,000 | COMPLETE + "
                                "PRUNED trials that end the study; 0 = unlimited |"));
  EXPECT_THAT(tables, HasSubstr("| `lease.duration` | duration | 60s | 1ms to 604,800s | "));
}

TEST(SpecDocs, UpdateReplacesOnlyTheGeneratedBlock) {
  const std::string doc =
      absl::StrCat("# title\n", kSpecDocsBegin, "stale\n", kSpecDocsEnd, "tail\n");
  absl::StatusOr<std::string> updated = UpdateStudyOptionTables(doc);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(*updated,
            absl::StrCat("# title\n", kSpecDocsBegin, StudyOptionTables(), kSpecDocsEnd, "tail\n"));
  EXPECT_EQ(UpdateStudyOptionTables("no markers").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The docs cannot drift: docs/study-spec.md holds exactly the generated tables.
TEST(SpecDocs, StudySpecDocHasTheCurrentTables) {
  std::ifstream in(std::string(NASQ_SOURCE_DIR) + "/docs/study-spec.md", std::ios::binary);
  ASSERT_TRUE(in) << "cannot read docs/study-spec.md";
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<std::string> updated = UpdateStudyOptionTables(text.str());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(*updated == text.str())
      << "docs/study-spec.md is out of date: run `build/spec/nasq_spec_docs docs/study-spec.md`";
}

}  // namespace
}  // namespace nasq
