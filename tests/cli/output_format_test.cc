#include "cli/output_format.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/display_width.h"
#include "cli/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Json = nlohmann::ordered_json;

size_t Count(const std::string& text, char c) { return std::count(text.begin(), text.end(), c); }

Json SampleRecords() {
  return Json::parse(R"([
    {"number": 0, "value": 1.5, "params": {"c": "a", "x": 10}, "state": "COMPLETE"},
    {"number": 11, "value": null, "params": {"c": "b,c", "x": 2}, "state": "RUNNING"}
  ])");
}

TEST(OutputFormat, TableRightAlignsNumericColumnsAndBlanksNulls) {
  EXPECT_EQ(FormatRecords(SampleRecords(), OutputFormat::kTable),
            "+--------+-------+----------+----------+----------+\n"
            "| number | value | params_c | params_x | state    |\n"
            "+--------+-------+----------+----------+----------+\n"
            "|      0 |   1.5 | a        |       10 | COMPLETE |\n"
            "|     11 |       | b,c      |        2 | RUNNING  |\n"
            "+--------+-------+----------+----------+----------+\n");
}

TEST(OutputFormat, CsvFlattensAndQuotes) {
  EXPECT_EQ(FormatRecords(SampleRecords(), OutputFormat::kCsv),
            "number,value,params_c,params_x,state\n"
            "0,1.5,a,10,COMPLETE\n"
            "11,,\"b,c\",2,RUNNING\n");
}

TEST(OutputFormat, JsonAndYamlRoundTrip) {
  const Json records = SampleRecords();
  EXPECT_EQ(Json::parse(FormatRecords(records, OutputFormat::kJson)), records);
  EXPECT_EQ(Json::parse(FormatRecords(records, OutputFormat::kJson, /*single=*/true)), records[0]);
  const YAML::Node yaml = YAML::Load(FormatRecords(records, OutputFormat::kYaml));
  ASSERT_TRUE(yaml.IsSequence());
  EXPECT_EQ(yaml[0]["value"].as<double>(), 1.5);
  EXPECT_EQ(yaml[1]["params"]["c"].as<std::string>(), "b,c");
  EXPECT_TRUE(yaml[1]["value"].IsNull());
}

TEST(OutputFormat, YamlQuotesStringsThatLookLikeOtherTypes) {
  const std::string text = FormatRecords(Json::array({{{"s", "8"}, {"t", "true"}, {"u", "plain"}}}),
                                         OutputFormat::kYaml);
  EXPECT_NE(text.find("\"8\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"true\""), std::string::npos) << text;
  EXPECT_EQ(text.find("\"plain\""), std::string::npos) << text;
}

TEST(OutputFormat, PythonStyleJsonUsesOptunaSeparators) {
  EXPECT_EQ(PythonStyleJson(Json::parse(R"({"number": 3, "params": {"x": 0.5, "c": "a"}})")),
            R"({"number": 3, "params": {"x": 0.5, "c": "a"}})");
}

// Issue 12 finding 4: a string that is not UTF-8 (here a user attr from the server) made
// nlohmann's dump() throw type_error 316, which aborted the CLI. Every format prints it, with
// U+FFFD for each invalid byte where the output is JSON.
TEST(OutputFormat, PrintsInvalidUtf8WithoutThrowing) {
  v1::Trial trial;
  trial.set_number(4);
  trial.set_state(v1::TRIAL_STATE_COMPLETE);
  (*trial.mutable_user_attrs())["note"] = "\"bad \xff\xfe byte\"";
  (*trial.mutable_user_attrs())["raw\xc3"] = "1";
  const Json records = Json::array({TrialRecord(trial, {})});
  for (OutputFormat format :
       {OutputFormat::kTable, OutputFormat::kCsv, OutputFormat::kJson, OutputFormat::kYaml}) {
    SCOPED_TRACE(static_cast<int>(format));
    std::string text;
    EXPECT_NO_THROW(text = FormatRecords(records, format));
    EXPECT_NE(text.find("byte"), std::string::npos) << text;
  }
  const std::string json = FormatRecords(records, OutputFormat::kJson);
  EXPECT_NE(json.find("bad \xef\xbf\xbd\xef\xbf\xbd byte"), std::string::npos) << json;
  EXPECT_NO_THROW(PythonStyleJson(records));
  EXPECT_EQ(DumpJson(Json("a\xff")), "\"a\xef\xbf\xbd\"");
}

// An attribute nested 32,000 deep (64 KB, which the server accepts) overflowed the stack of the
// recursive printers; values nested past 64 levels are shown as their raw text.
TEST(Records, DeeplyNestedAttrsPrintAsText) {
  v1::Trial trial;
  trial.set_number(1);
  const std::string deep = std::string(32'000, '[') + std::string(32'000, ']');
  (*trial.mutable_user_attrs())["deep"] = deep;
  (*trial.mutable_user_attrs())["flat"] = "[[1]]";
  const Json record = TrialRecord(trial, {});
  EXPECT_EQ(record["user_attrs"]["deep"], deep);
  EXPECT_EQ(record["user_attrs"]["flat"], Json::parse("[[1]]"));
  for (OutputFormat format :
       {OutputFormat::kTable, OutputFormat::kCsv, OutputFormat::kJson, OutputFormat::kYaml}) {
    EXPECT_FALSE(FormatRecords(Json::array({record}), format).empty());
  }
}

TEST(Records, DurationsPrintLikePythonTimedelta) {
  EXPECT_EQ(FormatDuration(904512), "0:00:00.904512");
  EXPECT_EQ(FormatDuration(3'723'000'000), "1:02:03");
  EXPECT_EQ(FormatTime(0), "");
  EXPECT_EQ(FormatTime(1'700'000'000'000'000), "2023-11-14 22:13:20");
}

TEST(Records, SamplerTextNamesTheOptionsThatDifferFromTheirDefaults) {
  SamplerConfig sampler;
  EXPECT_EQ(SamplerText(sampler), "tpe (seed 0)");
  sampler.seed = 42;
  sampler.tpe.n_startup_trials = 4;
  sampler.tpe.prior_weight = 0.5;
  sampler.tpe.consider_magic_clip = false;
  sampler.tpe.multivariate = true;
  sampler.skip_duplicates = true;
  EXPECT_EQ(SamplerText(sampler),
            "tpe (seed 42; n_startup_trials 4, prior_weight 0.5, consider_magic_clip false, "
            "multivariate, skip_duplicates)");
  SamplerConfig random;
  random.kind = SamplerKind::kRandom;
  random.max_constraint_retries = 7;
  EXPECT_EQ(SamplerText(random), "random (seed 0; max_constraint_retries 7)");
}

TEST(Records, PrunerTextNamesTheKindAndTheOptionsThatDifferFromTheirDefaults) {
  PrunerConfig pruner{.kind = PrunerKind::kMedian};
  EXPECT_EQ(PrunerText(pruner), "median");
  pruner.percentile.percentile = 25;  // not an option of the median pruner
  pruner.percentile.n_warmup_steps = 2;
  EXPECT_EQ(PrunerText(pruner), "median (n_warmup_steps 2)");
  pruner.kind = PrunerKind::kPercentile;
  pruner.objective = 1;
  EXPECT_EQ(PrunerText(pruner), "percentile (objective 1, percentile 25, n_warmup_steps 2)");
  pruner = {.kind = PrunerKind::kHyperband, .hyperband = {.max_resource = 27}};
  EXPECT_EQ(PrunerText(pruner), "hyperband (max_resource 27)");
  pruner = {.kind = PrunerKind::kPatient,
            .wrapped = PrunerKind::kSuccessiveHalving,
            .successive_halving = {.reduction_factor = 3},
            .patient = {.patience = 2, .min_delta = 0.5}};
  EXPECT_EQ(PrunerText(pruner),
            "patient (patience 2, min_delta 0.5; wrapped successive_halving: reduction_factor 3)");
  pruner.successive_halving = {};
  EXPECT_EQ(PrunerText(pruner), "patient (patience 2, min_delta 0.5; wrapped successive_halving)");
}

TEST(Records, TrialRecordHasOptunaColumnsInOrder) {
  v1::Trial trial;
  trial.set_number(4);
  trial.set_state(v1::TRIAL_STATE_COMPLETE);
  trial.add_values(0.25);
  (*trial.mutable_params())["lr"].set_double_value(0.01);
  (*trial.mutable_params())["act"].set_string_value("gelu");
  trial.mutable_start_time()->set_seconds(1'700'000'000);
  trial.mutable_complete_time()->set_seconds(1'700'000'002);
  trial.mutable_complete_time()->set_nanos(500'000'000);
  const Json record = TrialRecord(trial, {});
  std::vector<std::string> keys;
  for (const auto& [key, value] : record.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"number", "value", "datetime_start",
                                            "datetime_complete", "duration", "params", "state"}));
  EXPECT_EQ(record["duration"], "0:00:02.500000");
  EXPECT_EQ(record["params"].dump(), R"({"act":"gelu","lr":0.01})");
  trial.mutable_lease()->set_epoch(2);
  trial.mutable_lease()->set_token("0123abcd");
  trial.mutable_lease()->mutable_expire_time()->set_seconds(1'700'003'600);
  EXPECT_EQ(PythonStyleJson(AskRecord(trial)),
            R"({"number": 4, "params": {"act": "gelu", "lr": 0.01}, )"
            R"("lease": {"epoch": 2, "token": "0123abcd", "expires": "2023-11-14 23:13:20"}})");
  v1::HeartbeatResponse beat;
  *beat.mutable_lease() = trial.lease();
  beat.set_stop(true);
  EXPECT_EQ(PythonStyleJson(HeartbeatRecord(4, beat)),
            R"({"number": 4, "epoch": 2, "expires": "2023-11-14 23:13:20", "stop": true})");
  EXPECT_EQ(TrialRecord(trial, {.multi_objective = true})["values"], Json::array({0.25}));
}

// A running trial shows the cost estimated at dispatch ("cost:<metric>" system attrs) under
// "cost"; once finished, its worker's measured metrics (user attrs) replace it.
TEST(Records, RunningTrialsShowTheirEstimatedCost) {
  v1::Trial trial;
  trial.set_number(2);
  trial.set_state(v1::TRIAL_STATE_RUNNING);
  (*trial.mutable_system_attrs())["cost:avg_bitwidth"] = "7.25";
  (*trial.mutable_system_attrs())["cost:bitops"] = "2000000000.0";
  (*trial.mutable_system_attrs())["worker"] = R"({"id":"w"})";
  Json record = TrialRecord(trial, {});
  EXPECT_EQ(record["cost"].dump(), R"({"avg_bitwidth":7.25,"bitops":2000000000.0})");
  EXPECT_NE(FormatRecords(Json::array({record}), OutputFormat::kCsv)
                .find("cost_avg_bitwidth,cost_bitops"),
            std::string::npos);
  trial.set_state(v1::TRIAL_STATE_COMPLETE);
  EXPECT_FALSE(TrialRecord(trial, {}).contains("cost"));
}

// Trial records of 28 columns (~400 display columns as a table), params named "p00".."p19" in
// the study's order "p19".."p00".
Json WideRecords() {
  Json records = Json::array();
  for (int n = 0; n < 3; ++n) {
    Json r = Json::object();
    r["number"] = n;
    r["value"] = 0.5 * n;
    r["datetime_start"] = "2026-12-06 20:00:00";
    r["datetime_complete"] = "2026-12-06 20:01:00";
    r["duration"] = "0:01:00";
    r["params"] = Json::object();
    for (int p = 0; p < 20; ++p) {
      r["params"][absl::StrFormat("p%02d", p)] = absl::StrCat("välue↑", p);
    }
    r["user_attrs"] = {{"note", "a long note about this trial"}, {"host", "gpu-1"}};
    r["state"] = "COMPLETE";
    records.push_back(r);
  }
  return records;
}

std::vector<std::string> WidePriority() {
  std::vector<std::string> priority = {"number", "state", "value", "duration"};
  for (int p = 19; p >= 0; --p) priority.push_back(absl::StrFormat("params_p%02d", p));
  return priority;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(FitTable, KeepsTheMostUsefulColumnsThatFitTheWidth) {
  const Json records = WideRecords();
  ASSERT_EQ(FlattenRecord(records[0]).size(), 28u);
  for (size_t width : {40u, 80u, 200u}) {
    SCOPED_TRACE(width);
    const absl::StatusOr<FittedTable> table =
        FitTable(records, {.width = width, .priority = WidePriority()});
    ASSERT_TRUE(table.ok()) << table.status();
    for (const std::string& line : Lines(table->text)) EXPECT_LE(DisplayWidth(line), width);
    const std::string header = Lines(table->text)[1];
    // Priority order: number and state first, then value, duration, and params by the study's
    // order (p19 before p18), shown in the records' order.
    EXPECT_THAT(header, StartsWith("| number |"));
    EXPECT_THAT(header, HasSubstr("| state    |"));
    EXPECT_EQ(FlattenRecord(records[0]).size(), table->hidden.size() + Count(header, '|') - 1);
    EXPECT_NE(std::find(table->hidden.begin(), table->hidden.end(), "user_attrs_note"),
              table->hidden.end());
    EXPECT_LE(DisplayWidth(Lines(HiddenColumnsNote(table->hidden, width))[0]), width);
  }
  const FittedTable at80 = *FitTable(records, {.width = 80, .priority = WidePriority()});
  EXPECT_EQ(Lines(at80.text)[1],
            "| number | value | duration | params_p17 | params_p18 | params_p19 | state    |");
  EXPECT_EQ(at80.hidden.size(), 21u);
  EXPECT_THAT(HiddenColumnsNote(at80.hidden, 0),
              StartsWith("21 columns hidden; --columns all shows them: datetime_start, "
                         "datetime_complete, params_p00,"));
  // The widest table keeps every param before the user attrs and datetimes.
  const FittedTable at200 = *FitTable(records, {.width = 200, .priority = WidePriority()});
  EXPECT_THAT(Lines(at200.text)[1], HasSubstr("params_p19"));
  EXPECT_THAT(Lines(at200.text)[1], Not(HasSubstr("params_p00")));
  EXPECT_THAT(Lines(at200.text)[1], Not(HasSubstr("datetime_start")));
}

TEST(FitTable, ANarrowWidthCutsEvenTheFirstColumn) {
  const Json records = Json::array({{{"name", "a-study-name-of-thirty-chars!!"}, {"n", 1}}});
  const FittedTable table = *FitTable(records, {.width = 12});
  for (const std::string& line : Lines(table.text)) EXPECT_EQ(DisplayWidth(line), 12u) << line;
  EXPECT_EQ(table.hidden, std::vector<std::string>{"n"});
}

TEST(FitTable, ColumnsAllOrAListOverrideTheWidth) {
  const Json records = WideRecords();
  const FittedTable all = *FitTable(records, {.selection = "all", .width = 40});
  EXPECT_EQ(all.text, FormatRecords(records, OutputFormat::kTable));
  EXPECT_TRUE(all.hidden.empty());
  const FittedTable unlimited = *FitTable(records, {});
  EXPECT_EQ(unlimited.text, all.text);

  const FittedTable listed = *FitTable(records, {.selection = "state, number,params_p03"});
  EXPECT_EQ(Lines(listed.text)[1], "| state    | number | params_p03 |");
  EXPECT_EQ(Lines(listed.text)[3], "| COMPLETE |      0 | välue↑3    |");  // padded by columns
  EXPECT_EQ(listed.hidden.size(), 25u);

  const absl::StatusOr<FittedTable> unknown = FitTable(records, {.selection = "number,params_lr"});
  ASSERT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.status().message()),
              StartsWith("--columns: unknown column 'params_lr'; available: all, number, value, "
                         "datetime_start,"));
  EXPECT_EQ(FitTable(records, {.selection = ","}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // No records: nothing to show and nothing to check names against.
  EXPECT_EQ(FitTable(Json::array(), {.selection = "nope"})->text, "");
}

}  // namespace
}  // namespace nasq
