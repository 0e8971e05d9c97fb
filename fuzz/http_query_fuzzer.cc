// fuzz/http_query_fuzzer.cc: libFuzzer target for what a browser sends the dashboard's API: a
// request target (path and query, as sent) routed by HttpRouter (path matching,
// percent-decoding, repeated parameters; server/http_router.h) to a trials route that parses
// its query against a study (ParseTrialQuery: offset, limit, sort, order, state, filter) and
// applies it to a few trials of every state (SelectTrials; server/trial_query.h).
// Every target is answered: 200, or 400/404/405 with a JSON error naming the problem.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "nlohmann/json.hpp"
#include "server/http_json.h"
#include "server/http_router.h"
#include "server/trial_query.h"

namespace {

using nasq::fuzz::Check;

// A study of two objectives over a float, an int and a categorical param, and one trial in each
// state (a PRUNED one with an intermediate value, a RUNNING one under a lease).
struct Fixture {
  Fixture() {
    spec.name = "s";
    spec.directions = {nasq::StudyDirection::kMaximize, nasq::StudyDirection::kMinimize};
    spec.metric_names = {"accuracy", "bits"};
    spec.space = *nasq::SearchSpace::Create({
        {"x", nasq::FloatDistribution{0.0, 1.0, false, std::nullopt}, {}},
        {"layers", nasq::IntDistribution{1, 4, false, 1}, {}},
        {"kind", nasq::CategoricalDistribution{{std::string("int"), std::string("fp")}}, {}},
    });
    const nasq::TrialState states[] = {nasq::TrialState::kComplete, nasq::TrialState::kPruned,
                                       nasq::TrialState::kFail,     nasq::TrialState::kRunning,
                                       nasq::TrialState::kWaiting,  nasq::TrialState::kComplete};
    nasq::TrialDistributions::Map distributions;
    for (const nasq::ParamSpec& p : spec.space.params()) distributions[p.name] = p.distribution;
    for (int i = 0; i < 6; ++i) {
      nasq::Trial t;
      t.distributions = nasq::TrialDistributions(distributions);
      t.number = i;
      t.state = states[i];
      t.params = {{"x", i / 6.0}, {"layers", 1.0 + i % 4}, {"kind", i % 2}};
      if (t.state == nasq::TrialState::kComplete) t.values = {0.5 + i / 20.0, 8.0 + i};
      if (t.state == nasq::TrialState::kPruned) t.intermediate_values = {{0, 0.25}};
      if (t.state == nasq::TrialState::kRunning) t.lease = nasq::Lease{"w", 1, 0, "t"};
      t.user_attrs = {{"note", i % 2 ? "\"a\"" : "3"}};
      t.datetime_start_us = i == 4 ? 0 : 1000 * i;
      t.datetime_complete_us = nasq::IsFinished(t.state) ? 2000 * i : 0;
      trials.push_back(t);
    }
    router.Add("GET", "/api/v1/studies/{name}/trials", [this](const nasq::RouteRequest& request) {
      absl::StatusOr<nasq::TrialQuery> query = nasq::ParseTrialQuery(request.query, spec);
      if (!query.ok()) return nasq::JsonError(query.status());
      const nasq::TrialPage page = nasq::SelectTrials(trials, *query);
      Check(page.total <= static_cast<int64_t>(trials.size()), "more trials than the study's");
      Check(static_cast<int64_t>(page.trials.size()) <= query->limit, "a page over its limit");
      return nasq::JsonResponse({{"total", page.total}, {"name", request.path.at("name")}});
    });
  }

  nasq::StudySpec spec;
  std::vector<nasq::Trial> trials;
  nasq::HttpRouter router;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* const fixture = new Fixture();
  const std::string target(reinterpret_cast<const char*>(data), size);
  const nasq::HttpResponse response = fixture->router.Handle({"GET", target, "", ""});
  Check(response.status == 200 || response.status == 400 || response.status == 404 ||
            response.status == 405,
        "an answer other than 200, 400, 404 or 405");
  const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  Check(!body.is_discarded(), "an answer that is not JSON");
  if (response.status != 200) {
    Check(body.contains("error") && body["error"]["message"].is_string() &&
              !body["error"]["message"].get<std::string>().empty(),
          "an error without a message");
  }
  return 0;
}
