#include "server/dashboard_routes.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "analysis/param_importance.h"
#include "server/dashboard_json.h"
#include "server/http_json.h"
#include "server/study_precision.h"
#include "server/trial_attempts.h"
#include "server/trial_query.h"

namespace nasq {
namespace {

using Json = nlohmann::json;

constexpr char kStudy[] = "/api/v1/studies/{name}";

// Builds an answer from the study `name` with `build(summary, trials)` under the study's lock
// (StudyManager::ReadStudy); the manager's error when the read fails.
template <class Build>
HttpResponse FromStudy(StudyManager* manager, const std::string& name, Build&& build) {
  HttpResponse response;
  const absl::Status read =
      manager->ReadStudy(name, [&](const StudySummary& summary, std::span<const Trial> trials) {
        response = build(summary, trials);
      });
  return read.ok() ? response : JsonError(read);
}

// {"study": StudySummary} of `name` after an action, or the action's error.
HttpResponse AfterAction(StudyManager* manager, const std::string& name,
                         const absl::Status& action) {
  if (!action.ok()) return JsonError(action);
  return FromStudy(manager, name, [](const StudySummary& summary, std::span<const Trial> trials) {
    return JsonResponse({{"study", StudySummaryJson(summary, trials)}});
  });
}

HttpResponse ListStudies(StudyManager* manager, Clock* clock) {
  Json studies = Json::array();
  for (const StudySummary& listed : manager->ListStudies()) {
    const absl::Status read = manager->ReadStudy(
        listed.study.spec.name, [&](const StudySummary& summary, std::span<const Trial> trials) {
          studies.push_back(StudySummaryJson(summary, trials));
        });
    if (!read.ok() && !absl::IsNotFound(read)) return JsonError(read);  // deleted meanwhile: skip
  }
  return JsonResponse({{"studies", std::move(studies)}, {"now_us", clock->NowMicros()}});
}

HttpResponse TrialsPage(StudyManager* manager, const RouteRequest& request) {
  return FromStudy(manager, request.path.at("name"),
                   [&](const StudySummary& summary, std::span<const Trial> trials) {
                     absl::StatusOr<TrialQuery> query =
                         ParseTrialQuery(request.query, summary.study.spec);
                     if (!query.ok()) return JsonError(query.status());
                     const TrialPage page = SelectTrials(trials, *query);
                     Json listed = Json::array();
                     for (const Trial* t : page.trials) listed.push_back(TrialJson(*t, false));
                     return JsonResponse({{"total", page.total},
                                          {"offset", query->offset},
                                          {"limit", query->limit},
                                          {"revision", summary.revision},
                                          {"trials", std::move(listed)}});
                   });
}

HttpResponse OneTrial(StudyManager* manager, Clock* clock, const RouteRequest& request) {
  const std::string& text = request.path.at("number");
  int64_t number = 0;
  if (!absl::SimpleAtoi(text, &number) || number < 0) {
    return JsonError(400, absl::StrCat("number: '", text, "' is not a trial number"));
  }
  const std::string& name = request.path.at("name");
  return FromStudy(manager, name, [&](const StudySummary&, std::span<const Trial> trials) {
    if (number >= static_cast<int64_t>(trials.size())) {
      return JsonError(404, absl::StrCat("study '", name, "' has no trial ", number));
    }
    return JsonResponse({{"trial", TrialJson(trials[number], /*with_intermediate=*/true)},
                         {"attempts", AttemptsToJson(TrialAttempts(trials[number]))},
                         {"now_us", clock->NowMicros()}});
  });
}

// GET .../importance?objective=K: PED-ANOVA importances (analysis/param_importance.h) of the
// study's COMPLETE trials for objective K (default 0).
HttpResponse Importance(StudyManager* manager, const RouteRequest& request) {
  int objective = 0;
  if (auto it = request.query.find("objective"); it != request.query.end()) {
    if (!absl::SimpleAtoi(it->second, &objective) || objective < 0) {
      return JsonError(
          400, absl::StrCat("objective: '", it->second, "' is not an objective index (0, 1, ...)"));
    }
  }
  return FromStudy(
      manager, request.path.at("name"),
      [&](const StudySummary& summary, std::span<const Trial> trials) {
        absl::StatusOr<std::vector<ParamImportance>> importances =
            ComputeParamImportances(summary.study.spec, trials, {.objective = objective});
        if (!importances.ok()) return JsonError(importances.status());
        Json list = Json::array();
        for (const ParamImportance& p : *importances) {
          list.push_back({{"param", p.param}, {"importance", JsonNumber(p.importance)}});
        }
        return JsonResponse({{"method", "ped-anova"},
                             {"objective", objective},
                             {"n_trials", summary.count(TrialState::kComplete)},
                             {"importances", std::move(list)}});
      });
}

}  // namespace

void AddStudyRoutes(HttpRouter& router, StudyManager* manager, Clock* clock) {
  router.Add("GET", "/api/v1/studies",
             [=](const RouteRequest&) { return ListStudies(manager, clock); });
  router.Add("GET", kStudy, [=](const RouteRequest& request) {
    return FromStudy(manager, request.path.at("name"),
                     [&](const StudySummary& summary, std::span<const Trial> trials) {
                       absl::StatusOr<Json> detail = StudyDetailJson(summary, trials);
                       if (!detail.ok()) return JsonError(detail.status());
                       (*detail)["now_us"] = clock->NowMicros();
                       return JsonResponse(*detail);
                     });
  });
  router.Add("GET", absl::StrCat(kStudy, "/trials"),
             [=](const RouteRequest& request) { return TrialsPage(manager, request); });
  router.Add("GET", absl::StrCat(kStudy, "/trials/{number}"),
             [=](const RouteRequest& request) { return OneTrial(manager, clock, request); });
  router.Add("GET", absl::StrCat(kStudy, "/series"), [=](const RouteRequest& request) {
    return FromStudy(manager, request.path.at("name"),
                     [](const StudySummary& summary, std::span<const Trial> trials) {
                       return JsonResponse(SeriesJson(summary, trials));
                     });
  });
  router.Add("GET", absl::StrCat(kStudy, "/intermediate"), [=](const RouteRequest& request) {
    return FromStudy(manager, request.path.at("name"),
                     [](const StudySummary& summary, std::span<const Trial> trials) {
                       return JsonResponse(IntermediateJson(summary, trials));
                     });
  });
  router.Add("GET", absl::StrCat(kStudy, "/importance"),
             [=](const RouteRequest& request) { return Importance(manager, request); });
  router.Add("GET", absl::StrCat(kStudy, "/precision"), [=](const RouteRequest& request) {
    return FromStudy(manager, request.path.at("name"),
                     [](const StudySummary& summary, std::span<const Trial> trials) {
                       return JsonResponse(StudyPrecisionJson(summary.study.spec, trials));
                     });
  });
  router.Add("POST", absl::StrCat(kStudy, ":stop"), [=](const RouteRequest& request) {
    const std::string& name = request.path.at("name");
    return AfterAction(manager, name, manager->StopStudy(name).status());
  });
  router.Add("POST", absl::StrCat(kStudy, ":resume"), [=](const RouteRequest& request) {
    const std::string& name = request.path.at("name");
    return AfterAction(manager, name, manager->ResumeStudy(name, std::nullopt).status());
  });
  router.Add("DELETE", kStudy, [=](const RouteRequest& request) {
    const absl::Status deleted = manager->DeleteStudy(request.path.at("name"));
    return deleted.ok() ? JsonResponse(Json::object()) : JsonError(deleted);
  });
}

void AddWorkerRoutes(HttpRouter& router, WorkerRegistry* registry, StudyManager* manager,
                     Clock* clock) {
  router.Add("GET", "/api/v1/workers", [=](const RouteRequest&) {
    return JsonResponse(WorkersJson(*registry, *manager, clock->NowMicros()));
  });
}

void AddDashboardFiles(HttpRouter& router, absl::Span<const DashboardAsset> assets) {
  const auto serve = [](const DashboardAsset& asset) {
    HttpResponse response;
    response.content_type = std::string(asset.content_type);
    response.body = std::string(asset.body);
    response.headers = {{"Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self' "
                         "'unsafe-inline'"},
                        {"X-Content-Type-Options", "nosniff"}};
    return response;
  };
  const DashboardAsset* index = nullptr;
  for (const DashboardAsset& asset : assets) {
    if (asset.path == "/index.html") index = &asset;
    router.Add("GET", std::string(asset.path),
               [&asset, serve](const RouteRequest&) { return serve(asset); });
  }
  router.Add("GET", "/", [index, serve](const RouteRequest&) {
    return index != nullptr ? serve(*index)
                            : JsonError(404, "this nasq-server was built without the dashboard");
  });
}

}  // namespace nasq
