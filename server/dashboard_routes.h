// server/dashboard_routes.h: the dashboard's routes (docs/dashboard.md) on an HttpRouter: the
// JSON API of studies and trials under /api/v1, and the page's built files.
//
// The study routes read through StudyManager::ReadStudy (no copy of the trials) and answer its
// errors as JSON (404 for an unknown study, 409 for an action the study's state refuses).
// Routes not added here (GET /api/v1/workers, .../importance, .../precision, a trial's
// attempts) are added by their owners with HttpRouter::Add.
// Thread-safety: the handlers are thread-safe (StudyManager is).
#ifndef NASQ_SERVER_DASHBOARD_ROUTES_H_
#define NASQ_SERVER_DASHBOARD_ROUTES_H_

#include "absl/types/span.h"
#include "core/clock.h"
#include "dashboard/dashboard_assets.h"
#include "server/http_router.h"
#include "server/study_manager.h"

namespace nasq {

// Adds GET /api/v1/studies, GET /api/v1/studies/{name} and its /trials, /trials/{number},
// /series and /intermediate, POST /api/v1/studies/{name}:stop and :resume, and DELETE
// /api/v1/studies/{name}. `manager` and `clock` (now_us) must outlive the router.
void AddStudyRoutes(HttpRouter& router, StudyManager* manager, Clock* clock);

// Adds GET <path> for every asset (its content type, Content-Security-Policy and
// X-Content-Type-Options: nosniff), and GET / serving the asset "/index.html". Without that
// asset (a server built without the dashboard: an empty table), GET / answers 404 "built
// without the dashboard". `assets` must outlive the router (DashboardAssets() is static).
void AddDashboardFiles(HttpRouter& router, absl::Span<const DashboardAsset> assets);

}  // namespace nasq

#endif  // NASQ_SERVER_DASHBOARD_ROUTES_H_
