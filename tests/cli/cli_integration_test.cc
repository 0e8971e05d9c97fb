// Integration tests of the `nasq` CLI against a real nasq-server: the ask/tell workflow, bad
// input, `watch` under a pseudo-terminal (fitting its width, redrawing on resize), tables fitted
// to a width, "did you mean", --version, global flags after the command, and Pareto fronts of a
// two-objective study.
#include <poll.h>
#include <pty.h>
#include <sqlite3.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_split.h"
#include "cli/display_width.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "testing/test_env.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Json = nlohmann::json;

constexpr char kSpec[] = R"(name: quad
direction: minimize
space:
  params:
    x: {type: float, low: -10, high: 10}
    y: {type: int, low: 0, high: 5}
    c: [a, b]
sampler: {type: random, seed: 3}
max_trials: 50
)";

double Objective(const Json& params) {
  const double x = params["x"].get<double>();
  return x * x + params["y"].get<int64_t>() + (params["c"] == "b" ? 0.5 : 0.0);
}

// Splits CSV text without quoted fields (the test data has none) into rows of cells.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    rows.push_back(absl::StrSplit(line, ','));
  }
  return rows;
}

// Every row of every table of the SQLite file, as text: equal dumps mean equal databases.
std::string DumpDatabase(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::vector<std::string> tables;
  auto collect = [](void* out, int n, char** values, char**) {
    auto* rows = static_cast<std::vector<std::string>*>(out);
    std::string row;
    for (int i = 0; i < n; ++i) row += std::string(values[i] ? values[i] : "NULL") + "\x1f";
    rows->push_back(row);
    return 0;
  };
  sqlite3_exec(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", collect,
               &tables, nullptr);
  std::vector<std::string> rows;
  for (std::string table : tables) {
    table.pop_back();  // the separator
    rows.push_back("## " + table);
    sqlite3_exec(db, ("SELECT * FROM \"" + table + "\" ORDER BY 1").c_str(), collect, &rows,
                 nullptr);
  }
  sqlite3_close(db);
  std::string dump;
  for (const std::string& r : rows) dump += r + "\n";
  return dump;
}

class CliIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ServerProcess::Start(kServerBin, dir_.path() + "/nasq.db", FreeLoopbackPort(),
                                       {"--max-message-bytes", "1048576"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  CommandResult Cli(const std::vector<std::string>& args) {
    return RunCli(server_->address(), args);
  }

  // Runs the CLI and expects success.
  std::string CliOk(const std::vector<std::string>& args) {
    CommandResult r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << "nasq " << testing::PrintToString(args) << ": " << r.err;
    return r.out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(CliIntegration, AskTellFiftyTrialsThenListBestAndExport) {
  EXPECT_EQ(CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)}), "quad\n");

  std::map<int64_t, std::pair<Json, double>> told;  // number -> (params, value)
  for (int i = 0; i < 50; ++i) {
    const Json asked = Json::parse(CliOk({"ask", "quad"}));
    const int64_t number = asked["number"];
    const double value = Objective(asked["params"]);
    told[number] = {asked["params"], value};
    std::ostringstream v;
    v.precision(17);
    v << value;
    EXPECT_THAT(CliOk({"tell", "quad", std::to_string(number), "--values", v.str()}),
                HasSubstr("state COMPLETE"));
  }
  ASSERT_EQ(told.size(), 50u);

  // Paging: 7 per page covers every trial exactly once.
  auto client = server_->Client();
  std::set<int64_t> paged;
  std::string token;
  int pages = 0;
  do {
    auto page = client->ListTrialsPage("quad", {}, token, 7);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->total_size(), 50);
    for (const auto& t : page->trials()) EXPECT_TRUE(paged.insert(t.number()).second);
    token = page->next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(paged.size(), 50u);
  EXPECT_EQ(pages, 8);
  auto all = client->ListTrials("quad");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 50u);

  const Json trials = Json::parse(CliOk({"trials", "quad", "-f", "json", "--sort", "value"}));
  ASSERT_EQ(trials.size(), 50u);
  for (size_t i = 1; i < trials.size(); ++i) {
    EXPECT_LE(trials[i - 1]["value"].get<double>(), trials[i]["value"].get<double>());
  }

  double best_value = INFINITY;
  for (const auto& [number, entry] : told) best_value = std::min(best_value, entry.second);
  const Json best = Json::parse(CliOk({"best", "quad", "-f", "json"}));
  EXPECT_DOUBLE_EQ(best["value"].get<double>(), best_value);
  EXPECT_EQ(trials[0]["number"], best["number"]);
  EXPECT_THAT(CliOk({"best", "quad"}), HasSubstr("| number |"));

  const std::string csv_path = dir_.path() + "/quad.csv";
  CliOk({"export", "quad", "--format", "csv", "--out", csv_path});
  std::ifstream csv_file(csv_path);
  std::stringstream csv_text;
  csv_text << csv_file.rdbuf();
  const auto rows = ParseCsv(csv_text.str());
  ASSERT_EQ(rows.size(), 51u);
  const std::vector<std::string>& header = rows[0];
  auto column = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return it - header.begin();
  };
  const auto number_col = column("number"), value_col = column("value"), x_col = column("params_x"),
             y_col = column("params_y"), c_col = column("params_c"), state_col = column("state");
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const auto& [params, value] = told.at(std::stoll(row[number_col]));
    EXPECT_DOUBLE_EQ(std::stod(row[value_col]), value);
    EXPECT_DOUBLE_EQ(std::stod(row[x_col]), params["x"].get<double>());
    EXPECT_EQ(std::stoll(row[y_col]), params["y"].get<int64_t>());
    EXPECT_EQ(row[c_col], params["c"].get<std::string>());
    EXPECT_EQ(row[state_col], "COMPLETE");
  }

  // x (x^2 up to 100) decides the value far more than y (up to 5) or c (0.5): it ranks first.
  const std::string importance_path = dir_.path() + "/importance.svg";
  EXPECT_EQ(CliOk({"plot", "quad", "--kind", "importance", "--out", importance_path}),
            "wrote importance plot of quad to " + importance_path + "\n");
  std::ifstream importance_file(importance_path);
  std::stringstream importance_svg;
  importance_svg << importance_file.rdbuf();
  EXPECT_THAT(importance_svg.str(), HasSubstr("quad: parameter importance for value (minimize)"));
  const size_t x_at = importance_svg.str().find(">x</text>");
  ASSERT_NE(x_at, std::string::npos);
  EXPECT_LT(x_at, importance_svg.str().find(">y</text>"));
  EXPECT_LT(x_at, importance_svg.str().find(">c</text>"));

  EXPECT_THAT(CliOk({"study", "list"}), HasSubstr("quad"));
  const std::string show = CliOk({"study", "show", "quad"});
  EXPECT_THAT(show, HasSubstr("state: COMPLETED"));
  EXPECT_THAT(show, HasSubstr("sampler: random (seed 3)\n"));
  // Every limit as the study file writes it, from kStudyLimitFields.
  EXPECT_THAT(show, HasSubstr("max_trials: 50\nmax_retries: 2\n"));
  EXPECT_THAT(show, HasSubstr("lease.duration: 60s\nlease.heartbeat_interval: 10s\n"));
}

TEST_F(CliIntegration, BadInputGivesOneLineErrorsAndChangesNothing) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  const Json asked = Json::parse(CliOk({"ask", "quad"}));
  const std::string number = std::to_string(asked["number"].get<int64_t>());
  CliOk({"tell", "quad", number, "--values", "1.5"});
  const Json running = Json::parse(CliOk({"ask", "quad"}));
  const std::string open = std::to_string(running["number"].get<int64_t>());
  const std::string db_before = DumpDatabase(dir_.path() + "/nasq.db");

  const std::string huge_task = "name: big\nspace: {params: {x: [1, 2]}}\ntask: {blob: \"" +
                                std::string(2 << 20, 'z') + "\"}\n";
  const struct {
    const char* label;
    std::vector<std::string> args;
    std::string expected;
  } cases[] = {
      {"malformed yaml",
       {"study", "create", dir_.WriteFile("bad1.yaml", "name: [x\nspace: {")},
       "bad1.yaml:"},
      {"unknown field",
       {"study", "create", dir_.WriteFile("bad2.yaml", std::string(kSpec) + "colour: red\n")},
       "bad2.yaml:10:1: colour: unknown field"},
      {"invalid space",
       {"study", "create",
        dir_.WriteFile("bad3.yaml",
                       "name: s\nspace: {params: {x: {type: float, low: 5, "
                       "high: 1}}}\n")},
       "space.params.x"},
      {"duplicate study", {"study", "create", dir_.path() + "/quad.yaml"}, "quad"},
      {"unknown study", {"trials", "nope"}, "nasq: study 'nope' not found"},
      {"unknown trial", {"tell", "quad", "999", "--values", "1"}, "999"},
      {"tell finished", {"tell", "quad", number, "--values", "2"}, "Cannot tell a COMPLETE trial"},
      {"values with fail",
       {"tell", "quad", open, "--values", "2", "--state", "fail"},
       "nasq: values: values cannot be given when state is FAIL"},
      {"values with FAIL",  // other spellings of a state once completed the trial
       {"tell", "quad", open, "--values", "3", "--state", "FAIL"},
       "nasq: values: values cannot be given when state is FAIL"},
      {"values with Pruned",
       {"tell", "quad", open, "--values", "3", "--state", "Pruned"},
       "nasq: values: values cannot be given when state is PRUNED"},
      {"empty value",
       {"tell", "quad", open, "--values", ""},
       "nasq: --values: \"\" is not a number"},
      {"empty second value",
       {"tell", "quad", open, "--values", "1", ""},
       "nasq: --values: \"\" is not a number"},
      {"complete without values",
       {"tell", "quad", open, "--state", "complete"},
       "values are required when state is COMPLETE"},
      {"no values, no state", {"tell", "quad", open}, "values are required"},
      {"running state",
       {"tell", "quad", open, "--state", "running"},
       "nasq: --state: expected complete, pruned or fail, got \"running\""},
      {"oversized message", {"study", "create", dir_.WriteFile("huge.yaml", huge_task)}, "nasq: "},
      {"bad format", {"trials", "quad", "-f", "xml"}, "nasq: "},
      {"unknown sort column", {"trials", "quad", "--sort", "acuracy"}, "nasq: --sort: 'acuracy'"},
      {"bad reference point",
       {"pareto", "quad", "--reference", "1,x"},
       "nasq: --reference: \"x\" is not a number"},
      {"constraint without a value",
       {"tell", "quad", open, "--values", "1", "--constraint", "memory"},
       "nasq: --constraint: expected NAME=VALUE such as memory=0.5, got \"memory\""},
      {"constraint without a name",
       {"tell", "quad", open, "--values", "1", "--constraint", "=1"},
       "nasq: --constraint: expected NAME=VALUE"},
      {"constraint not a number",
       {"tell", "quad", open, "--values", "1", "--constraint", "memory=lots"},
       "nasq: --constraint memory: \"lots\" is not a number"},
      {"constraint given twice",
       {"tell", "quad", open, "--values", "1", "--constraint", "m=1", "--constraint", "m=-1"},
       "nasq: --constraint m: given twice"},
      {"constraint not finite",
       {"tell", "quad", open, "--values", "1", "--constraint", "memory=nan"},
       "nasq: constraints.memory: a constraint value must be finite"},
      {"reference point of another size",
       {"study", "create",
        dir_.WriteFile("bad4.yaml", std::string(kSpec) + "reference_point: [1, 2]\n")},
       "bad4.yaml:10:1: reference_point: expected one value per direction (1), got 2"},
      {"pareto plot of one objective",
       {"plot", "quad", "--kind", "pareto", "--out", dir_.path() + "/never.svg"},
       "nasq: --kind pareto needs a study with at least two objectives"},
      {"plot of an objective the study lacks",
       {"plot", "quad", "--kind", "importance", "--objective", "1", "--out",
        dir_.path() + "/never.svg"},
       "nasq: --objective must be between 0 and 0 (got 1)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    const CommandResult r = Cli(c.args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.err, HasSubstr(c.expected));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.err.starts_with("nasq: ") || r.err.find(".yaml:") != std::string::npos) << r.err;
  }

  // Specs that bypass the CLI's checks are refused by the server itself.
  StudySpec unchecked;
  unchecked.name = "not a valid name!";
  unchecked.directions = {StudyDirection::kMinimize};
  unchecked.space = *SearchSpace::Create({{"x", FloatDistribution{0, 1}, {}}});
  auto refused = server_->Client()->CreateStudy(unchecked);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << refused.status();

  // The server still serves and stored nothing new.
  EXPECT_THAT(CliOk({"study", "list", "-f", "json"}), HasSubstr("\"quad\""));
  EXPECT_EQ(DumpDatabase(dir_.path() + "/nasq.db"), db_before);
}

// A worker's training is not dropped by a client's tell: the trial needs the worker's lease, or
// --force (an admin's decision), after which the worker's result is refused.
TEST_F(CliIntegration, TellOnAWorkersTrialNeedsForce) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  auto client = server_->Client();
  v1::LeaseTrialRequest request;
  request.set_worker_id("gpu-box");
  auto leased = client->LeaseTrial(request);
  ASSERT_TRUE(leased.ok() && leased->has_trial()) << leased.status();
  const std::string number = std::to_string(leased->trial().number());

  const CommandResult refused = Cli({"tell", "quad", number, "--values", "1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("leased to worker 'gpu-box'"));
  EXPECT_THAT(refused.err, HasSubstr("force"));
  EXPECT_EQ(client->GetTrial("quad", leased->trial().number())->state(), v1::TRIAL_STATE_RUNNING);

  EXPECT_THAT(CliOk({"tell", "quad", number, "--state", "fail", "--force"}),
              HasSubstr("state FAIL"));
  v1::CompleteTrialRequest late;
  late.set_name(leased->trial().name());
  late.set_epoch(leased->lease().epoch());
  late.set_lease_token(leased->lease().token());
  late.add_values(0.5);
  EXPECT_EQ(client->CompleteTrial(late).status().code(), absl::StatusCode::kFailedPrecondition);
}

// Seconds from now until `utc`, a time as the CLI prints it ("2026-12-06 20:49:52", UTC).
int64_t SecondsUntil(const std::string& utc) {
  std::tm parts{};
  EXPECT_NE(strptime(utc.c_str(), "%Y-%m-%d %H:%M:%S", &parts), nullptr) << utc;
  return static_cast<int64_t>(timegm(&parts)) - static_cast<int64_t>(std::time(nullptr));
}

// Issue 15: a long objective asks for a long lease, renews it with `heartbeat` and tells with
// it; every tell records who told it (system attr "told_by", shown by `export`).
TEST_F(CliIntegration, AskWithALeaseThenHeartbeatAndTellWithIt) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  const Json asked = Json::parse(CliOk({"ask", "quad", "--lease", "2h", "--client-id", "nb-1"}));
  const std::string number = std::to_string(asked["number"].get<int64_t>());
  const std::string epoch = std::to_string(asked["lease"]["epoch"].get<int64_t>());
  const std::string token = asked["lease"]["token"];
  EXPECT_EQ(token.size(), 32u);
  EXPECT_NEAR(SecondsUntil(asked["lease"]["expires"]), 2 * 3600, 30);
  // The study's own lease (60 s) when --lease is not given.
  const Json plain = Json::parse(CliOk({"ask", "quad"}));
  EXPECT_NEAR(SecondsUntil(plain["lease"]["expires"]), 60, 30);

  const std::vector<std::string> beat = {"heartbeat", "quad",    number, "--epoch",
                                         epoch,       "--token", token};
  std::vector<std::string> longer = beat;
  longer.insert(longer.end(), {"--lease", "3h"});
  const Json renewed = Json::parse(CliOk(longer));
  EXPECT_EQ(renewed["number"], asked["number"]);
  EXPECT_EQ(renewed["stop"], false);
  EXPECT_NEAR(SecondsUntil(renewed["expires"]), 3 * 3600, 30);
  EXPECT_EQ(Json::parse(CliOk(beat))["expires"], renewed["expires"]);  // never shortened

  std::vector<std::string> too_short = beat;
  too_short.insert(too_short.end(), {"--lease", "500ms"});
  EXPECT_THAT(Cli(too_short).err, HasSubstr("lease_duration_ms"));
  EXPECT_THAT(Cli({"ask", "quad", "--lease", "soon"}).err, HasSubstr("--lease"));
  std::vector<std::string> wrong_token = beat;
  wrong_token[6] = std::string(32, '0');
  const CommandResult refused = Cli(wrong_token);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("token"));

  EXPECT_THAT(
      CliOk({"tell", "quad", number, "--values", "1.5", "--epoch", epoch, "--token", token}),
      HasSubstr("state COMPLETE"));
  const std::string plain_number = std::to_string(plain["number"].get<int64_t>());
  CliOk({"tell", "quad", plain_number, "--state", "fail", "--client-id", "alice"});
  std::map<int64_t, Json> attrs;  // number -> system_attrs
  for (const Json& t : Json::parse(CliOk({"export", "quad", "--format", "json"}))) {
    attrs[t["number"]] = t["system_attrs"];
  }
  EXPECT_EQ(attrs[asked["number"]]["worker"]["id"], "nb-1");
  const std::string told_by = attrs[asked["number"]]["told_by"];
  EXPECT_EQ(told_by.rfind("cli:", 0), 0u) << told_by;
  EXPECT_THAT(told_by, HasSubstr("@"));
  EXPECT_EQ(attrs[plain["number"]]["told_by"], "alice");

  // A stopped study answers stop to the holder of a running trial.
  const Json running = Json::parse(CliOk({"ask", "quad"}));
  CliOk({"study", "stop", "quad"});
  const Json stopped =
      Json::parse(CliOk({"heartbeat", "quad", std::to_string(running["number"].get<int64_t>()),
                         "--epoch", std::to_string(running["lease"]["epoch"].get<int64_t>()),
                         "--token", running["lease"]["token"]}));
  EXPECT_EQ(stopped["stop"], true);
}

// A study whose trials keep failing stops itself; the CLI shows why, and each trial's reason.
TEST_F(CliIntegration, FailingStudyStopsAndTheCliShowsTheReasons) {
  CliOk({"study", "create",
         dir_.WriteFile("quad.yaml", std::string(kSpec) + "max_consecutive_failures: 2\n")});
  auto client = server_->Client();
  for (const char* reason : {"metric 'acuracy' not produced", "CUDA out of memory"}) {
    v1::LeaseTrialRequest request;
    request.set_worker_id("gpu-box");
    auto leased = client->LeaseTrial(request);
    ASSERT_TRUE(leased.ok() && leased->has_trial()) << leased.status();
    v1::FailTrialRequest fail;
    fail.set_name(leased->trial().name());
    fail.set_epoch(leased->lease().epoch());
    fail.set_lease_token(leased->lease().token());
    fail.set_reason(reason);
    ASSERT_TRUE(client->FailTrial(fail).ok());
  }
  const std::string stop_reason =
      "the last 2 trials failed in a row (max_consecutive_failures 2); last reason: CUDA out of "
      "memory";
  const std::string show = CliOk({"study", "show", "quad"});
  EXPECT_THAT(show, HasSubstr("state: STOPPED\nstop_reason: " + stop_reason + "\n"));
  EXPECT_THAT(show, HasSubstr("max_consecutive_failures: 2\n"));

  const std::string trials = CliOk({"trials", "quad", "-f", "json"});
  const Json records = Json::parse(trials);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["fail_reason"], "metric 'acuracy' not produced");
  EXPECT_EQ(records[1]["fail_reason"], "CUDA out of memory");
  EXPECT_THAT(CliOk({"trials", "quad"}), HasSubstr("CUDA out of memory"));

  const std::string watch = CliOk({"watch", "quad", "--interval", "0.05"});
  EXPECT_THAT(watch, HasSubstr("last failure: trial 1: CUDA out of memory"));
  EXPECT_THAT(watch, HasSubstr("stopped: " + stop_reason));
}

TEST_F(CliIntegration, EnqueueRunsFirstAndExtendResumesACompletedStudy) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  EXPECT_EQ(CliOk({"enqueue", "quad", "--params", R"({"x": 1.5, "y": 2, "c": "b"})"}),
            "Enqueued trial 0 (WAITING).\n");
  for (const auto& [params, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"x": 11, "y": 2, "c": "b"})", "params.x: value 11"},
           {R"({"x": 1, "c": "b"})", "param 'y': active but missing"},
           {R"({"x": [1], "y": 2, "c": "b"})", "--params.x: expected a number"},
           {"x=1", "--params: expected a JSON object"}}) {
    const CommandResult r = Cli({"enqueue", "quad", "--params", params});
    EXPECT_EQ(r.exit_code, 1) << params;
    EXPECT_THAT(r.err, HasSubstr(message));
  }
  const Json asked = Json::parse(CliOk({"ask", "quad"}));
  EXPECT_EQ(asked["number"], 0);
  EXPECT_EQ(asked["params"]["x"], 1.5);
  EXPECT_EQ(asked["params"]["c"], "b");

  EXPECT_EQ(CliOk({"study", "extend", "quad", "--max-trials", "1"}),
            "study quad is RUNNING (max_trials 1)\n");
  CliOk({"tell", "quad", "0", "--values", "4.25"});
  EXPECT_THAT(CliOk({"study", "show", "quad"}), HasSubstr("state: COMPLETED"));
  const CommandResult refused = Cli({"study", "resume", "quad"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("raise max_trials to resume it"));
  EXPECT_EQ(CliOk({"study", "extend", "quad", "--max-trials", "2"}),
            "study quad is RUNNING (max_trials 2)\n");
  EXPECT_EQ(Json::parse(CliOk({"ask", "quad"}))["number"], 1);
}

constexpr char kTwoObjectiveSpec[] = R"(name: mo
directions: [maximize, minimize]
metrics: [accuracy, avg_bitwidth]
space:
  params:
    x: {type: float, low: 0, high: 1}
sampler: {type: random, seed: 1}
)";

// A two-objective study told known values: the front is trials 0, 1 and 5; 2 is dominated by 1;
// 3 would dominate everything but violates its outcome constraint (told with --constraint, as
// Optuna's Trial.set_constraint stores it), while 0's constraints hold; 4 is pruned.
class CliPareto : public CliIntegration {
 protected:
  void SetUp() override {
    CliIntegration::SetUp();
    ASSERT_EQ(CliOk({"study", "create", dir_.WriteFile("mo.yaml", kTwoObjectiveSpec)}), "mo\n");
    const std::vector<std::vector<std::string>> told = {
        {"--values", "0.9", "8", "--constraint", "memory=-0.5", "--constraint", "latency=0"},
        {"--values", "0.8", "4"},
        {"--values", "0.7", "6"},
        {"--values", "0.95", "2", "--constraint", "memory=1.5"},
        {"--state", "pruned"},
        {"--values", "0.85", "5"}};
    const std::string said[] = {
        "Told trial 0 with values [0.9, 8], constraints latency=0.0, memory=-0.5 (feasible) and "
        "state COMPLETE.\n",
        "Told trial 1 with values [0.8, 4] and state COMPLETE.\n",
        "Told trial 2 with values [0.7, 6] and state COMPLETE.\n",
        "Told trial 3 with values [0.95, 2], constraints memory=1.5 (infeasible) and state "
        "COMPLETE.\n",
        "Told trial 4 with values [] and state PRUNED.\n",
        "Told trial 5 with values [0.85, 5] and state COMPLETE.\n"};
    for (size_t i = 0; i < told.size(); ++i) {
      const Json asked = Json::parse(CliOk({"ask", "mo"}));
      ASSERT_EQ(asked["number"], static_cast<int64_t>(i));
      std::vector<std::string> tell = {"tell", "mo", std::to_string(i)};
      tell.insert(tell.end(), told[i].begin(), told[i].end());
      EXPECT_EQ(CliOk(tell), said[i]);
    }
  }

  static std::vector<int64_t> Numbers(const Json& records) {
    std::vector<int64_t> numbers;
    for (const Json& r : records) numbers.push_back(r["number"].get<int64_t>());
    return numbers;
  }
};

TEST_F(CliPareto, ParetoPrintsTheFeasibleFrontByMetricAndItsHypervolume) {
  // Loss boxes up to (-0.5, 10): 0.05 x 2 + 0.05 x 5 + 0.3 x 6 = 2.15.
  const Json report = Json::parse(CliOk({"pareto", "mo", "-f", "json", "--reference", "0.5,10"}));
  EXPECT_EQ(report["objectives"], Json::parse(R"(["accuracy", "avg_bitwidth"])"));
  EXPECT_EQ(report["directions"], Json::parse(R"(["MAXIMIZE", "MINIMIZE"])"));
  EXPECT_EQ(Numbers(report["trials"]), (std::vector<int64_t>{0, 1, 5}));
  EXPECT_EQ(report["trials"][2]["accuracy"], 0.85);
  EXPECT_EQ(report["trials"][2]["avg_bitwidth"], 5);
  EXPECT_FALSE(report["trials"][0].contains("values"));
  EXPECT_NEAR(report["hypervolume"].get<double>(), 2.15, 1e-12);
  EXPECT_EQ(report["reference_point"], Json::parse(R"({"accuracy": 0.5, "avg_bitwidth": 10})"));
  EXPECT_EQ(report["reference_point_derived"], false);
  EXPECT_EQ(report["reference_point_source"], "given");

  // Derived reference: the front's worst losses -0.8 and 8 give accuracy 0.72, avg_bitwidth 8.8;
  // boxes 0.05 x 0.8 + 0.05 x 3.8 + 0.08 x 4.8 = 0.614.
  const Json derived = Json::parse(CliOk({"pareto", "mo", "-f", "json"}));
  EXPECT_NEAR(derived["hypervolume"].get<double>(), 0.614, 1e-12);
  EXPECT_NEAR(derived["reference_point"]["accuracy"].get<double>(), 0.72, 1e-12);
  EXPECT_NEAR(derived["reference_point"]["avg_bitwidth"].get<double>(), 8.8, 1e-12);
  EXPECT_EQ(derived["reference_point_derived"], true);
  EXPECT_EQ(derived["reference_point_source"], "derived");

  const std::string table = CliOk({"pareto", "mo"});
  EXPECT_THAT(table, HasSubstr("| number | accuracy | avg_bitwidth |"));
  EXPECT_THAT(table, HasSubstr("\n3 trials on the Pareto front; hypervolume 0.614 (reference "
                               "point accuracy=0.72, avg_bitwidth=8.8, derived from the front)\n"));

  const auto rows = ParseCsv(CliOk({"pareto", "mo", "-f", "csv", "--reference", "0.5,10"}));
  ASSERT_EQ(rows.size(), 5u);  // header, three trials, the hypervolume comment
  EXPECT_EQ(std::vector<std::string>(rows[0].begin(), rows[0].begin() + 3),
            (std::vector<std::string>{"number", "accuracy", "avg_bitwidth"}));
  EXPECT_EQ(std::vector<std::string>(rows[3].begin(), rows[3].begin() + 3),
            (std::vector<std::string>{"5", "0.85", "5.0"}));
  EXPECT_EQ(rows[4][0],
            "# 3 trials on the Pareto front; hypervolume 2.15 (reference point accuracy=0.5");

  // `best` agrees with the front (the server's BestTrials).
  EXPECT_EQ(Numbers(Json::parse(CliOk({"best", "mo", "-f", "json"}))),
            (std::vector<int64_t>{0, 1, 5}));
}

TEST_F(CliPareto, TrialsAndExportNameObjectivesByMetricAndSortByThem) {
  // Best first: most accurate first, fewest bits first; the pruned trial (no values) last.
  EXPECT_EQ(Numbers(Json::parse(CliOk({"trials", "mo", "-f", "json", "--sort", "accuracy"}))),
            (std::vector<int64_t>{3, 0, 5, 1, 2, 4}));
  EXPECT_EQ(Numbers(Json::parse(CliOk({"trials", "mo", "-f", "json", "--sort", "avg_bitwidth"}))),
            (std::vector<int64_t>{3, 1, 5, 2, 0, 4}));
  EXPECT_EQ(
      Numbers(Json::parse(CliOk({"trials", "mo", "-f", "json", "--sort", "avg_bitwidth:desc"}))),
      (std::vector<int64_t>{0, 2, 5, 1, 3, 4}));
  EXPECT_EQ(Numbers(Json::parse(CliOk({"trials", "mo", "-f", "json", "--sort", "number:desc"}))),
            (std::vector<int64_t>{5, 4, 3, 2, 1, 0}));
  const auto rows = ParseCsv(CliOk({"trials", "mo", "-f", "csv"}));
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(std::vector<std::string>(rows[0].begin(), rows[0].begin() + 3),
            (std::vector<std::string>{"number", "accuracy", "avg_bitwidth"}));
  const std::string exported = CliOk({"export", "mo", "--format", "csv"});
  EXPECT_THAT(exported, HasSubstr("number,accuracy,avg_bitwidth,"));
  EXPECT_THAT(exported, Not(HasSubstr("values_0")));
  EXPECT_THAT(exported, HasSubstr("constraints:memory"));  // the system attrs, as stored
}

TEST_F(CliPareto, PlotGreysDominatedTrialsAndMarksInfeasibleOnes) {
  const std::string path = dir_.path() + "/pareto.svg";
  EXPECT_THAT(CliOk({"plot", "mo", "--kind", "pareto", "--out", path}),
              HasSubstr("wrote pareto plot of mo to " + path));
  std::ifstream file(path);
  std::stringstream svg;
  svg << file.rdbuf();
  const std::string text = svg.str();
  auto count = [&](const std::string& needle) {
    int n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("<circle class=\"front\""), 3);
  EXPECT_EQ(count("<circle class=\"dominated\""), 1);
  EXPECT_EQ(count("<path class=\"infeasible\""), 1);
  EXPECT_EQ(count("<polyline class=\"front\""), 1);
  EXPECT_THAT(text, HasSubstr("fill=\"#999999\""));
  // Axes titled by metric and direction.
  EXPECT_THAT(text, HasSubstr(">accuracy (maximize)</text>"));
  EXPECT_THAT(text, HasSubstr(">avg_bitwidth (minimize)</text>"));
}

TEST_F(CliPareto, WatchShowsTheFrontSizeAndHypervolume) {
  CliOk({"study", "stop", "mo"});
  EXPECT_THAT(CliOk({"watch", "mo", "--interval", "0.05"}),
              HasSubstr("pareto front: 3 trials, hypervolume 0.614 (reference point "
                        "accuracy=0.72, avg_bitwidth=8.8, derived from the front)"));
  EXPECT_THAT(CliOk({"watch", "mo", "--interval", "0.05", "--reference", "0.5,10"}),
              HasSubstr("pareto front: 3 trials, hypervolume 2.15 (reference point "
                        "accuracy=0.5, avg_bitwidth=10, given)"));
}

// A study whose spec gives the hypervolume's reference point: pareto, watch and plot measure from
// it (after a restart: it is stored), --reference overrides it, and study show prints it.
TEST_F(CliIntegration, ReferencePointFromTheSpecMeasuresTheHypervolume) {
  std::string spec = kTwoObjectiveSpec;
  spec += "reference_point: [0.5, 10]\n";
  CliOk({"study", "create", dir_.WriteFile("mo.yaml", spec)});
  for (const auto& [accuracy, bits] : std::vector<std::pair<std::string, std::string>>{
           {"0.9", "8"}, {"0.8", "4"}, {"0.85", "5"}}) {
    const Json asked = Json::parse(CliOk({"ask", "mo"}));
    CliOk(
        {"tell", "mo", std::to_string(asked["number"].get<int64_t>()), "--values", accuracy, bits});
  }
  CliOk({"study", "stop", "mo"});
  ASSERT_EQ(server_->Terminate(std::chrono::seconds(5)), 0) << server_->Log();
  ASSERT_TRUE(server_->Restart().ok()) << server_->Log();

  EXPECT_THAT(CliOk({"study", "show", "mo"}),
              HasSubstr("metrics: accuracy, avg_bitwidth\nreference_point: [0.5, 10]\n"));
  // Loss boxes up to (-0.5, 10), as in CliPareto: 2.15.
  const std::string from_spec =
      "hypervolume 2.15 (reference point accuracy=0.5, avg_bitwidth=10, from the study spec)";
  const Json report = Json::parse(CliOk({"pareto", "mo", "-f", "json"}));
  EXPECT_NEAR(report["hypervolume"].get<double>(), 2.15, 1e-12);
  EXPECT_EQ(report["reference_point"], Json::parse(R"({"accuracy": 0.5, "avg_bitwidth": 10})"));
  EXPECT_EQ(report["reference_point_derived"], false);
  EXPECT_EQ(report["reference_point_source"], "spec");
  EXPECT_THAT(CliOk({"pareto", "mo"}), HasSubstr("3 trials on the Pareto front; " + from_spec));
  EXPECT_THAT(CliOk({"watch", "mo", "--interval", "0.05"}),
              HasSubstr("pareto front: 3 trials, " + from_spec));

  const std::string path = dir_.path() + "/pareto.svg";
  EXPECT_EQ(CliOk({"plot", "mo", "--kind", "pareto", "--out", path}),
            "wrote pareto plot of mo to " + path + "; " + from_spec + "\n");
  std::ifstream file(path);
  std::stringstream svg;
  svg << file.rdbuf();
  EXPECT_THAT(svg.str(), HasSubstr("<text class=\"caption\""));
  EXPECT_THAT(svg.str(), HasSubstr(from_spec));

  // --reference wins over the spec's point (the front's worst losses: 0.8 and 8, derived 0.72
  // and 8.8, give 0.614 as in CliPareto).
  const Json given = Json::parse(CliOk({"pareto", "mo", "-f", "json", "--reference", "0.72,8.8"}));
  EXPECT_NEAR(given["hypervolume"].get<double>(), 0.614, 1e-12);
  EXPECT_EQ(given["reference_point_source"], "given");
  EXPECT_THAT(CliOk({"plot", "mo", "--kind", "pareto", "--out", path, "--reference", "0.72,8.8"}),
              HasSubstr("hypervolume 0.614 (reference point accuracy=0.72, avg_bitwidth=8.8, "
                        "given)"));
}

TEST_F(CliIntegration, StudyShowPrintsThePrunerAndItsOptions) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  EXPECT_THAT(CliOk({"study", "show", "quad"}), Not(HasSubstr("pruner")));
  const std::pair<std::string, std::string> cases[] = {
      {"{type: median}", "pruner: median\n"},
      {"{type: successive_halving, min_resource: 2, reduction_factor: 3}",
       "pruner: successive_halving (min_resource 2, reduction_factor 3)\n"},
      {"{type: threshold, lower: 0.5, n_warmup_steps: 1}",
       "pruner: threshold (lower 0.5, n_warmup_steps 1)\n"},
      {"{type: patient, patience: 3, wrapped: median, n_startup_trials: 7}",
       "pruner: patient (patience 3; wrapped median: n_startup_trials 7)\n"},
  };
  int n = 0;
  for (const auto& [pruner, shown] : cases) {
    SCOPED_TRACE(pruner);
    std::string spec = kSpec;
    const std::string name = "pruned" + std::to_string(n++);
    spec.replace(spec.find("quad"), 4, name);
    CliOk({"study", "create", dir_.WriteFile(name + ".yaml", spec + "pruner: " + pruner + "\n")});
    EXPECT_THAT(CliOk({"study", "show", name}), HasSubstr("sampler: random (seed 3)\n" + shown));
  }
}

// Reads everything `fd` produces until EOF/EIO.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return out;
    out.append(buf, n);
  }
}

TEST_F(CliIntegration, WatchRedrawsUnderATerminalUntilTheStudyEnds) {
  std::string spec = kSpec;
  spec.replace(spec.find("max_trials: 50"), 14, "max_trials: 12");
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", spec)});

  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(kCliBin, kCliBin, "--server", server_->address().c_str(), "watch", "quad", "--interval",
          "0.1", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::string output;
  std::thread reader([&] { output = ReadAll(master); });

  auto client = server_->Client();
  double best = INFINITY;
  for (int i = 0; i < 12; ++i) {
    auto trial = client->Ask("quad");
    ASSERT_TRUE(trial.ok()) << trial.status();
    const double value = 100.0 - i;  // improves every time
    best = std::min(best, value);
    ASSERT_TRUE(client->Tell("quad", trial->number(), v1::TRIAL_STATE_COMPLETE, {value}).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }

  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (waitpid(pid, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(WIFEXITED(status)) << "watch did not exit after the study ended";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  reader.join();
  close(master);

  EXPECT_THAT(output, HasSubstr("\x1b[4A"));  // redrawn in place
  EXPECT_THAT(output, HasSubstr("12/12"));
  EXPECT_THAT(output, HasSubstr("COMPLETED"));
  EXPECT_THAT(output, HasSubstr("best: 89 (trial"));
  std::set<std::string> done_counts;
  for (size_t at = output.find("done "); at != std::string::npos;
       at = output.find("done ", at + 1)) {
    done_counts.insert(output.substr(at, output.find(' ', at + 5) - at));
  }
  EXPECT_GE(done_counts.size(), 3u) << output;  // counts changed while trials completed
  std::set<std::string> bests;
  for (size_t at = output.find("best: "); at != std::string::npos;
       at = output.find("best: ", at + 1)) {
    bests.insert(output.substr(at, output.find(' ', at + 6) - at));
  }
  EXPECT_GE(bests.size(), 3u) << output;
}

// A stopped study's running trial still reports: watch (plain output) waits for it, so what runs
// after watch (trials, export) sees the trial's final state.
TEST_F(CliIntegration, WatchOfAStoppedStudyWaitsForItsRunningTrial) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  auto client = server_->Client();
  auto trial = client->Ask("quad");
  ASSERT_TRUE(trial.ok()) << trial.status();
  EXPECT_THAT(CliOk({"study", "stop", "quad"}), HasSubstr("STOPPED"));

  ChildProcess watch(
      {kCliBin, "--server", server_->address(), "watch", "quad", "--interval", "0.05"},
      dir_.path() + "/watch.log");
  watch.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // a dozen polls
  EXPECT_FALSE(watch.HasExited()) << watch.Log();
  EXPECT_THAT(watch.Log(), HasSubstr("STOPPED (waiting for 1 running trial to end)"));

  ASSERT_TRUE(client->Tell("quad", trial->number(), v1::TRIAL_STATE_COMPLETE, {7.0}).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!watch.HasExited() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(watch.running()) << "watch did not exit after the last trial ended";
  EXPECT_EQ(watch.exit_code(), 0) << watch.Log();
  const std::string log = watch.Log();
  const std::string last = log.substr(log.rfind("study quad"));
  EXPECT_THAT(last, HasSubstr("STOPPED  elapsed")) << log;
  EXPECT_THAT(last, HasSubstr("done 1  running 0")) << log;
  EXPECT_THAT(last, HasSubstr("best: 7 (trial 0)")) << log;
}

// The `nasq` CLI under a pseudo-terminal of a given size, its output read as it comes.
class PtyCli {
 public:
  PtyCli(const std::vector<std::string>& args, unsigned short columns, unsigned short rows) {
    struct winsize size = {};
    size.ws_col = columns;
    size.ws_row = rows;
    pid_ = forkpty(&master_, nullptr, nullptr, &size);
    if (pid_ == 0) {
      std::vector<char*> argv = {const_cast<char*>(kCliBin)};
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(kCliBin, argv.data());
      _exit(127);
    }
    reader_ = std::thread([this] {
      char buf[4096];
      while (true) {
        const ssize_t n = read(master_, buf, sizeof(buf));
        if (n <= 0) return;
        std::lock_guard<std::mutex> lock(mu_);
        output_.append(buf, n);
      }
    });
  }

  ~PtyCli() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
  }

  std::string Output() {
    std::lock_guard<std::mutex> lock(mu_);
    return output_;
  }

  // True once the output has `text` after byte `from`, within `timeout`.
  bool WaitFor(const std::string& text, std::chrono::milliseconds timeout, size_t from = 0) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = Output();
      if (out.size() > from && out.find(text, from) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // Resizes the terminal: the kernel sends the CLI SIGWINCH.
  void Resize(unsigned short columns, unsigned short rows) {
    struct winsize size = {};
    size.ws_col = columns;
    size.ws_row = rows;
    ASSERT_EQ(ioctl(master_, TIOCSWINSZ, &size), 0);
  }

  // Waits for the CLI to exit (at most 10 s) and returns its exit status (-1: it did not exit).
  int Wait() {
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    exited_ = true;
    reader_.join();
    close(master_);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  void Stop() { kill(pid_, SIGTERM); }

 private:
  pid_t pid_ = -1;
  int master_ = -1;
  bool exited_ = false;
  std::thread reader_;
  std::mutex mu_;
  std::string output_;
};

// The lines of terminal output `text` as they show: escape sequences and carriage returns
// removed.
std::vector<std::string> ScreenLines(const std::string& text) {
  static const std::regex kEscape("\x1b\\[[0-9;]*[A-Za-z]");
  std::string plain = std::regex_replace(text, kEscape, "");
  plain.erase(std::remove(plain.begin(), plain.end(), '\r'), plain.end());
  return absl::StrSplit(plain, '\n', absl::SkipEmpty());
}

// Seconds of "H:MM:SS" at the start of `text`; -1 when there is none.
int64_t Seconds(const std::string& text) {
  int h = 0, m = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d:%d:%d", &h, &m, &s) != 3) return -1;
  return h * 3600 + m * 60 + s;
}

// Issue 16: on a terminal, watch fits every line to its width (40 columns here), shows the
// running trials with their worker and last step, and redraws at once when the terminal is
// resized, long before the next poll.
TEST_F(CliIntegration, WatchFitsTheTerminalShowsRunningTrialsAndRedrawsOnResize) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  auto client = server_->Client({.client_id = "gpu-7.cluster.example.org"});
  auto first = client->Ask("quad");
  ASSERT_TRUE(first.ok()) << first.status();
  v1::ReportIntermediateRequest report;
  report.set_name(first->name());
  report.set_epoch(first->lease().epoch());
  report.set_lease_token(first->lease().token());
  report.set_step(3);
  report.set_value(1.5);
  ASSERT_TRUE(client->ReportIntermediate(report).ok());
  ASSERT_TRUE(client->Ask("quad").ok());

  PtyCli watch({"--server", server_->address(), "watch", "quad", "--interval", "30"}, 200, 30);
  ASSERT_TRUE(watch.WaitFor("trial 1  worker gpu-7", std::chrono::seconds(10))) << watch.Output();
  EXPECT_THAT(watch.Output(), HasSubstr("trial 0  worker gpu-7.cluster.example.org  step 3  "
                                        "running 0:00:0"));
  const size_t before = watch.Output().size();
  const auto resized_at = std::chrono::steady_clock::now();
  watch.Resize(40, 30);
  ASSERT_TRUE(watch.WaitFor("\x1b[H", std::chrono::seconds(5), before)) << watch.Output();
  ASSERT_TRUE(watch.WaitFor("trial 1", std::chrono::seconds(5), before)) << watch.Output();
  EXPECT_LT(std::chrono::steady_clock::now() - resized_at, std::chrono::seconds(10));
  watch.Stop();
  watch.Wait();

  const std::string output = watch.Output();
  const std::vector<std::string> frame = ScreenLines(output.substr(output.rfind("\x1b[H")));
  ASSERT_GE(frame.size(), 6u) << output;
  EXPECT_THAT(frame[0], HasSubstr("study quad  RUNNING  elapsed 0:00:"));
  EXPECT_THAT(frame[1], HasSubstr("0/50   0%  done 0  running 2"));
  EXPECT_EQ(frame[frame.size() - 2], "trial 0  worker gpu-7.cluster.example.o…");
  for (const std::string& line : frame) EXPECT_LE(DisplayWidth(line), 40u) << line;
}

// The elapsed time is the study's, from its creation, not the time since watching began.
TEST_F(CliIntegration, WatchShowsTheTimeSinceTheStudyStarted) {
  std::string spec = kSpec;
  spec.replace(spec.find("max_trials: 50"), 14, "max_trials: 1");
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", spec)});
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto client = server_->Client();
  auto trial = client->Ask("quad");
  ASSERT_TRUE(trial.ok()) << trial.status();
  ASSERT_TRUE(client->Tell("quad", trial->number(), v1::TRIAL_STATE_COMPLETE, {1.0}).ok());
  const std::string watch = CliOk({"watch", "quad", "--interval", "0.05"});
  const size_t at = watch.find("elapsed ");
  ASSERT_NE(at, std::string::npos) << watch;
  EXPECT_GE(Seconds(watch.substr(at + 8)), 2) << watch;
}

// Tables fit --width (or the terminal's width): never wider, most useful columns first, a line
// naming what is hidden; --columns chooses; pipes and other formats print everything.
TEST_F(CliIntegration, TrialsFitTheWidthAndColumnsChooseThem) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  for (int i = 0; i < 3; ++i) {
    const Json asked = Json::parse(CliOk({"ask", "quad"}));
    CliOk({"tell", "quad", std::to_string(asked["number"].get<int64_t>()), "--values",
           std::to_string(i)});
  }
  const std::string full = CliOk({"trials", "quad"});
  EXPECT_THAT(full, HasSubstr("| number | value | datetime_start "));
  EXPECT_THAT(full, Not(HasSubstr("hidden")));
  EXPECT_GT(DisplayWidth(ScreenLines(full)[0]), 100u);
  for (int width : {40, 80, 200}) {
    SCOPED_TRACE(width);
    const std::string text = CliOk({"trials", "quad", "--width", std::to_string(width)});
    for (const std::string& line : ScreenLines(text)) EXPECT_LE(DisplayWidth(line), width) << line;
    EXPECT_THAT(text, HasSubstr("| number |"));
    EXPECT_THAT(text, HasSubstr(" state    |"));
  }
  // 80 columns: number, state, value, duration, then params in the spec's order (x, y, c).
  const std::vector<std::string> at80 = ScreenLines(CliOk({"trials", "quad", "--width", "80"}));
  EXPECT_THAT(at80[1], StartsWith("| number | value | duration "));
  EXPECT_THAT(at80[1], HasSubstr("| params_x "));
  EXPECT_THAT(at80[1], Not(HasSubstr("datetime")));
  EXPECT_THAT(at80.back(), HasSubstr(" hidden; --columns all shows them: datetime_start, "
                                     "datetime_complete"));

  EXPECT_EQ(ScreenLines(CliOk({"trials", "quad", "--width", "40", "--columns", "all"})),
            ScreenLines(full));
  const std::vector<std::string> listed =
      ScreenLines(CliOk({"trials", "quad", "--columns", "number,state,params_x"}));
  EXPECT_THAT(listed[1], StartsWith("| number | state    | params_x "));
  EXPECT_EQ(listed.size(), 7u);  // 3 rules, header and 3 rows: no note on what --columns left out
  const CommandResult unknown = Cli({"trials", "quad", "--columns", "number,params_lr"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, StartsWith("nasq: --columns: unknown column 'params_lr'; available: "
                                      "all, number, value, datetime_start"));
  // Other formats print every column whatever the width.
  EXPECT_EQ(CliOk({"trials", "quad", "-f", "csv", "--width", "40"}),
            CliOk({"trials", "quad", "-f", "csv"}));

  // On a 60-column terminal, without --width.
  PtyCli tty({"--server", server_->address(), "trials", "quad"}, 60, 24);
  EXPECT_EQ(tty.Wait(), 0);
  const std::vector<std::string> shown = ScreenLines(tty.Output());
  ASSERT_FALSE(shown.empty());
  for (const std::string& line : shown) EXPECT_LE(DisplayWidth(line), 60u) << line;
  EXPECT_THAT(shown.back(), HasSubstr("columns hidden; --columns all"));
}

TEST_F(CliIntegration, AMisspelledCommandGetsADidYouMean) {
  CommandResult r = Cli({"trails", "quad"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("nasq: unknown command 'trails'; did you mean 'trials'?"));
  r = Cli({"study", "lsit"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("nasq: unknown command 'study lsit'; did you mean 'study list'?"));
  r = Cli({"--timeout", "3", "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("nasq: unknown command 'frobnicate'; commands: study, trials,"));
}

TEST_F(CliIntegration, VersionPrintsTheProjectVersion) {
  const CommandResult r = RunCommand({kCliBin, "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("nasq ") + NASQ_VERSION + "\n");
}

TEST_F(CliIntegration, GlobalFlagsWorkAfterTheCommand) {
  CliOk({"study", "create", dir_.WriteFile("quad.yaml", kSpec)});
  const CommandResult after = RunCommand(
      {kCliBin, "trials", "quad", "-f", "json", "--server", server_->address(), "--timeout", "5"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, "[]\n");
  const CommandResult nested =
      RunCommand({kCliBin, "study", "show", "quad", "--server", server_->address()});
  EXPECT_EQ(nested.exit_code, 0) << nested.err;
  EXPECT_THAT(nested.out, HasSubstr("name: quad\n"));
  // Nothing listens on port 5: the flag after the command was used.
  const CommandResult elsewhere =
      RunCommand({kCliBin, "study", "list", "--server", "127.0.0.1:5", "--timeout", "1"});
  EXPECT_EQ(elsewhere.exit_code, 1);
  EXPECT_THAT(elsewhere.err, HasSubstr("127.0.0.1:5"));
  const CommandResult token =
      Cli({"study", "list", "--token-file", dir_.path() + "/no-such-token"});
  EXPECT_EQ(token.exit_code, 2);
  EXPECT_THAT(token.err, HasSubstr("no-such-token"));
}

}  // namespace
}  // namespace nasq
