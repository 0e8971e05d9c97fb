// TaskField (task/task_field.h): one description reads every member kind with its checks, names
// the field path in errors, accepts aliases and shows values as the docs write them.
#include "task/task_field.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

struct Options {
  int count = 3;
  uint64_t seed = 7;
  double ratio = 0.5;
  std::optional<double> rate;
  std::optional<int64_t> layers;
  std::string name = "x";
  std::vector<std::string> tags;
  bool on = true;
  int mode = 0;  // set by `read`
};

constexpr TaskField<Options> kFields[] = {
    {.name = "count", .member = &Options::count, .doc = "c", .int_range = IntRange{1, kMaxTaskInt}},
    {.name = "seed", .member = &Options::seed, .doc = "s"},
    {.name = "ratio",
     .member = &Options::ratio,
     .doc = "r",
     .number_range = NumberRange{.min = 0, .max = 1, .max_open = true}},
    {.name = "rate",
     .member = &Options::rate,
     .doc = "lr",
     .number_range = NumberRange{.min = 0, .min_open = true},
     .number_noun = "a rate"},
    {.name = "layers",
     .member = &Options::layers,
     .doc = "l",
     .alias = "num_layers",
     .int_range = IntRange{1, 8}},
    {.name = "name", .member = &Options::name, .doc = "n"},
    {.name = "tags", .member = &Options::tags, .doc = "t"},
    {.name = "on", .member = &Options::on, .doc = "o"},
    {.name = "mode",
     .doc = "m",
     .read = [](Options& o, const Json& v, const std::string& path) -> absl::Status {
       if (v != "fast") return JsonFieldError(path, "expected fast");
       o.mode = 1;
       return absl::OkStatus();
     },
     .show = [](const Options& o) { return std::string(o.mode == 1 ? "`fast`" : "`slow`"); },
     .type_doc = "string"},
};

absl::Status Read(Options& o, const std::string& json) {
  return ReadTaskObject(o, kFields, Json::parse(json), "opts");
}

TEST(TaskField, ReadsEveryMemberKind) {
  Options o;
  ASSERT_TRUE(Read(o, R"({"count": 4, "seed": 18446744073709551, "ratio": 0.25, "rate": 2,
                          "num_layers": 8.0, "name": "y", "tags": ["a", "b"], "on": false,
                          "mode": "fast"})")
                  .ok());
  EXPECT_EQ(o.count, 4);
  EXPECT_EQ(o.seed, 18446744073709551u);
  EXPECT_EQ(o.ratio, 0.25);
  EXPECT_EQ(o.rate, 2.0);
  EXPECT_EQ(o.layers, 8);  // by its alias, an integral float counts
  EXPECT_EQ(o.name, "y");
  EXPECT_EQ(o.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(o.on);
  EXPECT_EQ(o.mode, 1);
}

TEST(TaskField, RefusesNamingThePath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"count": 0})", "opts.count: expected an integer >= 1, got 0"},
      {R"({"seed": -1})", "opts.seed: expected an integer in [0, 9223372036854775807], got -1"},
      {R"({"ratio": 1})", "opts.ratio: expected a number in [0, 1), got 1"},
      {R"({"rate": 0})", "opts.rate: expected a rate > 0, got 0"},
      {R"({"layers": 9})", "opts.layers: expected an integer in [1, 8], got 9"},
      {R"({"name": 1})", "opts.name: expected a string"},
      {R"({"tags": ["a", 2]})", "opts.tags[1]: expected a string"},
      {R"({"on": "yes"})", "opts.on: expected true or false, got \"yes\""},
      {R"({"mode": "slow"})", "opts.mode: expected fast"},
      {R"({"colour": 1})",
       "opts.colour: unknown field (expected one of: count, seed, ratio, rate, layers, name, "
       "tags, on, mode)"},
      {R"([1])", "opts: expected an object"},
  };
  for (const auto& [json, expected] : cases) {
    Options o;
    const absl::Status status = Read(o, json);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << json;
    EXPECT_THAT(std::string(status.message()), HasSubstr(expected)) << json;
  }
}

TEST(TaskField, ShowsValuesAsTheDocsWriteThem) {
  const Options o;
  EXPECT_EQ(ShowTaskFieldValue(o, kFields[0]), "3");
  EXPECT_EQ(ShowTaskFieldValue(o, kFields[2]), "0.5");
  EXPECT_EQ(ShowTaskFieldValue(o, kFields[3]), "");  // unset optional
  EXPECT_EQ(ShowTaskFieldValue(o, kFields[5]), "`x`");
  EXPECT_EQ(ShowTaskFieldValue(o, kFields[6]), "`[]`");
  EXPECT_EQ(ShowTaskFieldValue(o, kFields[7]), "true");
  EXPECT_EQ(ShowTaskFieldValue(o, kFields[8]), "`slow`");
  EXPECT_STREQ(TaskFieldTypeName(kFields[1]), "integer");
  EXPECT_STREQ(TaskFieldTypeName(kFields[3]), "number");
  EXPECT_STREQ(TaskFieldTypeName(kFields[6]), "list of strings");
  EXPECT_STREQ(TaskFieldTypeName(kFields[8]), "string");
}

}  // namespace
}  // namespace nasq
