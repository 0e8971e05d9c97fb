// Tests of the dashboard's routes (server/dashboard_routes.h, server/http_router.h) on a
// StudyManager over MemoryStorage, called through the router without a network: the JSON of
// every study route (docs/dashboard.md), their errors, the actions and the built files.
#include "server/dashboard_routes.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/http_router.h"
#include "storage/memory_storage.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

StudySpec MakeSpec(const std::string& name, int objectives) {
  StudySpec spec;
  spec.name = name;
  spec.directions = {StudyDirection::kMaximize};
  if (objectives == 2) spec.directions.push_back(StudyDirection::kMinimize);
  spec.space = *SearchSpace::Create({
      {"x", FloatDistribution{0.0, 1.0, false, std::nullopt}, {}},
      {"layers", IntDistribution{1, 4, false, 1}, {}},
      {"kind", CategoricalDistribution{{std::string("integer"), std::string("minifloat")}}, {}},
  });
  spec.sampler.kind = SamplerKind::kRandom;
  spec.sampler.seed = 3;
  spec.task_json = R"({"kind":"toy"})";
  return spec;
}

class DashboardRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    manager_ = *StudyManager::Create(storage_.get(), &clock_);
    AddStudyRoutes(router_, manager_.get(), &clock_);
  }

  HttpResponse Call(const std::string& method, const std::string& target) {
    return router_.Handle(HttpRequest{method, target, "application/json", ""});
  }
  // The JSON body of `method target`, expecting `status`.
  Json Body(const std::string& target, int status = 200, const std::string& method = "GET") {
    const HttpResponse response = Call(method, target);
    EXPECT_EQ(response.status, status) << method << " " << target << ": " << response.body;
    EXPECT_EQ(response.content_type, "application/json; charset=utf-8");
    EXPECT_THAT(response.headers, testing::Contains(std::pair<std::string, std::string>(
                                      "Cache-Control", "no-store")));
    return Json::parse(response.body);
  }
  // Asks a trial of `study` and finishes it with `values` (COMPLETE) as told at `+seconds`.
  int64_t Complete(const std::string& study, std::vector<double> values) {
    absl::StatusOr<LeasedTrial> asked = manager_->Ask(study, "client");
    EXPECT_TRUE(asked.ok()) << asked.status();
    clock_.AdvanceMicros(2'000'000);
    FinishRequest request;
    request.values = std::move(values);
    EXPECT_TRUE(manager_->FinishTrial(study, asked->trial.number, request).ok());
    return asked->trial.number;
  }

  FakeClock clock_{1'765'000'000'000'000};
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<StudyManager> manager_;
  HttpRouter router_;
};

// One study with a trial in each interesting state: COMPLETE, PRUNED (intermediate values, one
// NaN), FAIL and RUNNING under a worker's lease.
TEST_F(DashboardRoutesTest, SingleObjectiveStudyRoutes) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("single", 1)).ok());
  EXPECT_EQ(Complete("single", {0.5}), 0);
  EXPECT_EQ(Complete("single", {0.75}), 1);
  absl::StatusOr<LeasedTrial> pruned = manager_->Ask("single", "client");
  ASSERT_TRUE(pruned.ok());
  const LeaseKey pruned_key{pruned->trial.lease->epoch, pruned->trial.lease->token};
  ASSERT_TRUE(manager_->ReportIntermediate("single", 2, pruned_key, 0, 0.25, {}).ok());
  ASSERT_TRUE(manager_->ReportIntermediate("single", 2, pruned_key, 1, std::nan(""), {}).ok());
  ASSERT_TRUE(manager_->ReportIntermediate("single", 2, pruned_key, 3, 0.375, {}).ok());
  FinishRequest prune;
  prune.state = TrialState::kPruned;
  ASSERT_TRUE(manager_->FinishTrial("single", 2, prune).ok());
  ASSERT_TRUE(manager_->Ask("single", "client").ok());
  FinishRequest fail;
  fail.state = TrialState::kFail;
  fail.fail_reason = "out of memory";
  ASSERT_TRUE(manager_->FinishTrial("single", 3, fail).ok());
  absl::StatusOr<std::optional<LeasedTrial>> leased = manager_->LeaseTrial(
      "host:123", {}, std::chrono::steady_clock::now(), {{"device", "cuda:0"}});
  ASSERT_TRUE(leased.ok() && leased->has_value());
  const std::string token = (*leased)->trial.lease->token;

  const Json list = Body("/api/v1/studies");
  EXPECT_EQ(list["now_us"], clock_.NowMicros());
  ASSERT_EQ(list["studies"].size(), 1u);
  const Json& summary = list["studies"][0];
  EXPECT_EQ(summary["name"], "single");
  EXPECT_EQ(summary["state"], "RUNNING");
  EXPECT_EQ(summary["objectives"], Json::parse(R"([{"name":"value","direction":"maximize"}])"));
  EXPECT_EQ(summary["sampler"], "random");
  EXPECT_EQ(summary["task_kind"], "toy");
  EXPECT_EQ(summary["counts"],
            Json::parse(R"({"RUNNING":1,"COMPLETE":2,"PRUNED":1,"FAIL":1,"WAITING":0})"));
  EXPECT_EQ(summary["best"], Json::parse(R"({"number":1,"values":[0.75]})"));
  EXPECT_EQ(summary["n_best"], 1);
  EXPECT_EQ(summary["datetime_start_us"], 1'765'000'000'000'000);
  EXPECT_EQ(summary["datetime_last_us"], clock_.NowMicros());

  const Json detail = Body("/api/v1/studies/single");
  EXPECT_EQ(detail["study"]["revision"], summary["revision"]);
  EXPECT_EQ(detail["study"]["spec"]["name"], "single");
  ASSERT_EQ(detail["study"]["params"].size(), 3u);
  EXPECT_EQ(detail["study"]["params"][0]["name"], "x");
  EXPECT_TRUE(detail["study"]["params"][0]["distribution"].is_object());
  ASSERT_EQ(detail["best_trials"].size(), 1u);
  EXPECT_EQ(detail["best_trials"][0]["number"], 1);
  EXPECT_TRUE(detail["best_trials"][0].contains("intermediate_values"));
  EXPECT_TRUE(detail["hypervolume"].is_null());

  const Json page = Body("/api/v1/studies/single/trials?sort=value&order=desc");
  EXPECT_EQ(page["total"], 5);
  EXPECT_EQ(page["revision"], summary["revision"]);
  ASSERT_EQ(page["trials"].size(), 5u);
  // 0.75, 0.5, then the PRUNED trial's last value 0.375; trials without values last.
  EXPECT_EQ(page["trials"][0]["number"], 1);
  EXPECT_EQ(page["trials"][1]["number"], 0);
  EXPECT_EQ(page["trials"][2]["number"], 2);
  const Json& pruned_row = page["trials"][2];
  EXPECT_EQ(pruned_row["state"], "PRUNED");
  EXPECT_EQ(pruned_row["values"], Json::parse("[0.375]"));
  EXPECT_EQ(pruned_row["n_steps"], 3);
  EXPECT_EQ(pruned_row["last_step"], 3);
  EXPECT_FALSE(pruned_row.contains("intermediate_values"));
  EXPECT_EQ(page["trials"][0]["duration_ms"], 2000.0);
  EXPECT_TRUE(page["trials"][0]["params"]["layers"].is_number_integer());
  EXPECT_TRUE(page["trials"][0]["params"]["kind"].is_string());
  const Json& running = page["trials"][4];
  EXPECT_EQ(running["state"], "RUNNING");
  EXPECT_TRUE(running["values"].is_null());
  EXPECT_TRUE(running["datetime_complete_us"].is_null());
  EXPECT_TRUE(running["duration_ms"].is_null());
  EXPECT_EQ(running["worker"], Json::parse(R"({"id":"host:123","device":"cuda:0"})"));
  EXPECT_EQ(running["lease"]["worker_id"], "host:123");
  EXPECT_EQ(running["lease"]["kind"], "worker");
  EXPECT_FALSE(running["lease"].contains("token"));
  EXPECT_EQ(page["trials"][3]["system_attrs"]["fail_reason"], "out of memory");

  const Json one = Body("/api/v1/studies/single/trials/2");
  EXPECT_EQ(one["trial"]["intermediate_values"], Json::parse(R"([[0,0.25],[1,"NaN"],[3,0.375]])"));
  // Told by a client after one lease: one attempt, ended PRUNED (server/trial_attempts.h).
  ASSERT_EQ(one["attempts"].size(), 1u);
  EXPECT_EQ(one["attempts"][0]["outcome"], "PRUNED");
  EXPECT_EQ(one["attempts"][0]["attempt"], 1);
  const Json running_one = Body("/api/v1/studies/single/trials/4");
  ASSERT_EQ(running_one["attempts"].size(), 1u);
  EXPECT_EQ(running_one["attempts"][0]["worker_id"], "host:123");
  EXPECT_EQ(running_one["attempts"][0]["outcome"], "running");
  EXPECT_TRUE(running_one["attempts"][0]["end_us"].is_null());

  // A toy task searches no layer precision: the precision route lists no layers.
  EXPECT_EQ(Body("/api/v1/studies/single/precision")["layers"], Json::array());
  EXPECT_EQ(one["now_us"], clock_.NowMicros());

  const Json series = Body("/api/v1/studies/single/series");
  EXPECT_EQ(series["number"], Json::parse("[0,1,2,3,4]"));
  EXPECT_EQ(series["state"], Json::parse(R"(["COMPLETE","COMPLETE","PRUNED","FAIL","RUNNING"])"));
  EXPECT_EQ(series["values"], Json::parse("[[0.5,0.75,0.375,null,null]]"));
  EXPECT_EQ(series["params"]["layers"].size(), 5u);
  EXPECT_EQ(series["feasible"], Json::parse("[true,true,true,true,true]"));
  EXPECT_EQ(series["datetime_complete_us"][4], nullptr);

  const Json intermediate = Body("/api/v1/studies/single/intermediate");
  EXPECT_EQ(intermediate["trials"],
            Json::parse(
                R"([{"number":2,"state":"PRUNED","steps":[0,1,3],"values":[0.25,"NaN",0.375]}])"));

  // The lease's token appears in no answer.
  for (const std::string target :
       {"/api/v1/studies", "/api/v1/studies/single", "/api/v1/studies/single/trials",
        "/api/v1/studies/single/trials/4", "/api/v1/studies/single/series"}) {
    EXPECT_THAT(Call("GET", target).body, Not(HasSubstr(token))) << target;
  }
}

// The importance route ranks the param that decides the objective first (PED-ANOVA,
// analysis/param_importance.h) and names a bad objective index.
TEST_F(DashboardRoutesTest, ImportanceRanksTheDecidingParamFirst) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("imp", 1)).ok());
  for (int i = 0; i < 40; ++i) {
    absl::StatusOr<LeasedTrial> asked = manager_->Ask("imp", "client");
    ASSERT_TRUE(asked.ok()) << asked.status();
    FinishRequest request;
    request.values = {std::get<double>(*asked->trial.ExternalParam("x"))};
    ASSERT_TRUE(manager_->FinishTrial("imp", asked->trial.number, request).ok());
  }
  const Json importance = Body("/api/v1/studies/imp/importance");
  EXPECT_EQ(importance["method"], "ped-anova");
  EXPECT_EQ(importance["objective"], 0);
  EXPECT_EQ(importance["n_trials"], 40);
  ASSERT_EQ(importance["importances"].size(), 3u);
  EXPECT_EQ(importance["importances"][0]["param"], "x");
  EXPECT_GT(importance["importances"][0]["importance"].get<double>(),
            importance["importances"][1]["importance"].get<double>());
  EXPECT_THAT(Body("/api/v1/studies/imp/importance?objective=1", 400).dump(),
              HasSubstr("objective"));
  EXPECT_THAT(Body("/api/v1/studies/imp/importance?objective=x", 400).dump(),
              HasSubstr("objective: 'x'"));
}

TEST_F(DashboardRoutesTest, MultiObjectiveStudyHasAFrontAndItsHypervolume) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("multi", 2)).ok());
  Complete("multi", {0.9, 8.0});  // front
  Complete("multi", {0.8, 4.0});  // front
  Complete("multi", {0.7, 9.0});  // dominated by 0
  const Json detail = Body("/api/v1/studies/multi");
  EXPECT_EQ(detail["study"]["objectives"],
            Json::parse(R"([{"name":"values_0","direction":"maximize"},
                            {"name":"values_1","direction":"minimize"}])"));
  EXPECT_EQ(detail["study"]["n_best"], 2);
  EXPECT_EQ(detail["study"]["best"], Json::parse(R"({"number":0,"values":[0.9,8.0]})"));
  ASSERT_EQ(detail["best_trials"].size(), 2u);
  // Losses (-0.9, 8), (-0.8, 4); derived reference (max(1.1w, 0.9w)): (-0.72, 8.8).
  // Hypervolume = 0.18 * 0.8 + 0.08 * 4.8 - 0.08 * 0.8 (the boxes overlap) = 0.464.
  ASSERT_TRUE(detail["hypervolume"].is_number()) << detail["hypervolume"];
  EXPECT_NEAR(detail["hypervolume"].get<double>(), 0.464, 1e-9);
  const Json series = Body("/api/v1/studies/multi/series");
  EXPECT_EQ(series["values"], Json::parse("[[0.9,0.8,0.7],[8.0,4.0,9.0]]"));
  const Json page =
      Body("/api/v1/studies/multi/trials?sort=values.1&filter=values.0%20%3E%3D%200.75");
  EXPECT_EQ(page["total"], 2);
  EXPECT_EQ(page["trials"][0]["number"], 1);
}

TEST_F(DashboardRoutesTest, RevisionGrowsWithEveryChange) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", 1)).ok());
  const auto revision = [&] {
    return Body("/api/v1/studies")["studies"][0]["revision"].get<int64_t>();
  };
  int64_t last = revision();
  EXPECT_EQ(revision(), last);  // reads change nothing
  absl::StatusOr<LeasedTrial> asked = manager_->Ask("s", "client");
  ASSERT_TRUE(asked.ok());
  EXPECT_GT(revision(), last);
  last = revision();
  const LeaseKey key{asked->trial.lease->epoch, asked->trial.lease->token};
  ASSERT_TRUE(manager_->ReportIntermediate("s", 0, key, 0, 0.5, {}).ok());
  EXPECT_GT(revision(), last);
  last = revision();
  FinishRequest finish;
  finish.values = {1.0};
  ASSERT_TRUE(manager_->FinishTrial("s", 0, finish).ok());
  EXPECT_GT(revision(), last);
  last = revision();
  Body("/api/v1/studies/s:stop", 200, "POST");
  EXPECT_GT(revision(), last);
  last = revision();
  Body("/api/v1/studies/s:resume", 200, "POST");
  EXPECT_GT(revision(), last);
}

TEST_F(DashboardRoutesTest, ActionsStopResumeAndDelete) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("a.b-c", 1)).ok());
  // Names in paths are percent-encoded.
  EXPECT_EQ(Body("/api/v1/studies/%61.b-c:stop", 200, "POST")["study"]["state"], "STOPPED");
  const Json again = Body("/api/v1/studies/a.b-c:stop", 409, "POST");
  EXPECT_EQ(again["error"]["code"], 409);
  EXPECT_THAT(again["error"]["message"].get<std::string>(), HasSubstr("STOPPED, not RUNNING"));
  EXPECT_EQ(Body("/api/v1/studies/a.b-c:resume", 200, "POST")["study"]["state"], "RUNNING");
  EXPECT_EQ(Body("/api/v1/studies/a.b-c", 200, "DELETE"), Json::object());
  EXPECT_THAT(Body("/api/v1/studies/a.b-c", 404)["error"]["message"].get<std::string>(),
              HasSubstr("study 'a.b-c' not found"));
  EXPECT_EQ(Body("/api/v1/studies")["studies"], Json::array());
}

TEST_F(DashboardRoutesTest, ErrorsAreJsonNamingTheProblem) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("s", 1)).ok());
  const struct {
    std::string method, target;
    int status;
    const char* message;
  } cases[] = {
      {"GET", "/api/v1/studies/nope", 404, "study 'nope' not found"},
      {"GET", "/api/v1/studies/nope/trials", 404, "study 'nope' not found"},
      {"GET", "/api/v1/studies/s/trials/7", 404, "study 's' has no trial 7"},
      {"GET", "/api/v1/studies/s/trials/x", 400, "number: 'x' is not a trial number"},
      {"GET", "/api/v1/studies/s/trials?sort=params.dpth", 400,
       "sort: unknown column params.dpth (columns: number, state,"},
      {"GET", "/api/v1/studies/s/trials?limit=0", 400, "limit: must be between 1 and 1000"},
      {"GET", "/api/v1/studies/s/trials?filter=value%20%3E%3E%201", 400, "unknown operator '>>'"},
      {"GET", "/api/v1/studies/s/trials?limit=1&limit=2", 400, "limit: given more than once"},
      {"GET", "/api/v1/studies/s/trials?limit=%zz", 400, "not valid percent-encoding"},
      {"GET", "/api/v1/studies/%zz", 400, "name: '%zz' is not valid percent-encoding"},
      {"GET", "/api/v1/workers", 404, "no route GET /api/v1/workers"},
      {"GET", "/api/v1/studies/s/importance?objective=-1", 400, "objective: '-1' is not"},
      {"POST", "/api/v1/studies/s", 405, "method not allowed (allowed: GET, DELETE)"},
      {"GET", "/nope", 404, "no route GET /nope"},
  };
  for (const auto& c : cases) {
    const Json body = Body(c.target, c.status, c.method);
    EXPECT_EQ(body["error"]["code"], c.status) << c.target;
    EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr(c.message)) << c.target;
  }
  EXPECT_THAT(Call("POST", "/api/v1/studies/s").headers,
              testing::Contains(std::pair<std::string, std::string>("Allow", "GET, DELETE")));
}

TEST(DashboardFiles, ServeTheTableWithTheirHeadersAndIndexAtTheRoot) {
  static constexpr DashboardAsset kAssets[] = {
      {"/index.html", "text/html; charset=utf-8", "<html>dash</html>"},
      {"/app.js", "text/javascript; charset=utf-8", "main()"},
  };
  HttpRouter router;
  AddDashboardFiles(router, kAssets);
  for (const std::string target : {"/", "/index.html"}) {
    const HttpResponse index = router.Handle(HttpRequest{"GET", target, "", ""});
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(index.body, "<html>dash</html>");
    EXPECT_THAT(index.headers,
                testing::Contains(std::pair<std::string, std::string>(
                    "Content-Security-Policy",
                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")));
    EXPECT_THAT(index.headers, testing::Contains(std::pair<std::string, std::string>(
                                   "X-Content-Type-Options", "nosniff")));
  }
  const HttpResponse js = router.Handle(HttpRequest{"GET", "/app.js?v=1", "", ""});
  EXPECT_EQ(js.body, "main()");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(router.Handle(HttpRequest{"GET", "/other.js", "", ""}).status, 404);
}

TEST(DashboardFiles, WithoutTheDashboardTheRootIsA404SayingSo) {
  HttpRouter router;
  AddDashboardFiles(router, {});
  const HttpResponse root = router.Handle(HttpRequest{"GET", "/", "", ""});
  EXPECT_EQ(root.status, 404);
  EXPECT_THAT(root.body, HasSubstr("built without the dashboard"));
}

// A 10,000-trial study's trials page, sorted by a param and filtered: prints the time per
// request (docs/dashboard.md asks for well under 50 ms). No timing assertion.
TEST_F(DashboardRoutesTest, TenThousandTrialPageTime) {
  ASSERT_TRUE(manager_->CreateStudy(MakeSpec("big", 1)).ok());
  constexpr int kTrials = 10'000;
  for (int i = 0; i < kTrials; ++i) {
    AddedTrial added;
    added.params = {{"x", (i % 997) / 997.0},
                    {"layers", int64_t{1 + i % 4}},
                    {"kind", std::string(i % 2 ? "integer" : "minifloat")}};
    added.values = {std::fmod(i * 0.6180339887, 1.0)};  // distinct values: 10,000 fronts
    added.intermediate_values = {{0, 0.1}, {1, 0.2}};
    added.user_attrs = {{"note", "\"trial\""}};
    ASSERT_TRUE(manager_->AddTrial("big", std::move(added)).ok());
  }
  const std::string target =
      "/api/v1/studies/big/trials?limit=100&sort=params.x&order=desc&"
      "filter=params.layers%20%3E%3D%202%20and%20value%20%3E%200.3";
  constexpr int kRounds = 20;
  HttpResponse response;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) response = Call("GET", target);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
      kRounds;
  ASSERT_EQ(response.status, 200) << response.body;
  const Json page = Json::parse(response.body);
  EXPECT_EQ(page["trials"].size(), 100u);
  std::printf(
      "trials page of a %d-trial study (limit 100, sorted by params.x, 2 filter clauses, "
      "%lld match): %.2f ms per request (mean of %d)\n",
      kTrials, static_cast<long long>(page["total"].get<int64_t>()), ms, kRounds);
  for (const std::string route : {"/api/v1/studies", "/api/v1/studies/big"}) {
    const auto route_start = std::chrono::steady_clock::now();
    ASSERT_EQ(Call("GET", route).status, 200);
    std::printf(
        "%s with the %d-trial study: %.2f ms\n", route.c_str(), kTrials,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - route_start)
            .count());
  }
  const auto series_start = std::chrono::steady_clock::now();
  const HttpResponse series = Call("GET", "/api/v1/studies/big/series");
  std::printf(
      "series of the %d-trial study: %.2f ms, %zu bytes\n", kTrials,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - series_start)
          .count(),
      series.body.size());
}

}  // namespace
}  // namespace nasq
