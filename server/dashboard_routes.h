// server/dashboard_routes.h: the dashboard's routes (docs/dashboard.md) on an HttpRouter: the
// JSON API of studies and trials under /api/v1, and the page's built files.
//
// The study routes read through StudyManager::ReadStudy (no copy of the trials) and answer its
// errors as JSON (404 for an unknown study, 409 for an action the study's state refuses).
// GET /api/v1/workers needs the WorkerRegistry: AddWorkerRoutes.
// Thread-safety: the handlers are thread-safe (StudyManager is).
#ifndef NASQ_SERVER_DASHBOARD_ROUTES_H_
#define NASQ_SERVER_DASHBOARD_ROUTES_H_

#include "absl/types/span.h"
#include "core/clock.h"
#include "dashboard/dashboard_assets.h"
#include "server/http_router.h"
#include "server/study_manager.h"
#include "server/worker_registry.h"

namespace nasq {

// Adds GET /api/v1/studies, GET /api/v1/studies/{name} and its /trials, /trials/{number},
// /series, /intermediate, /importance (analysis/param_importance.h) and /precision
// (server/study_precision.h), POST
// /api/v1/studies/{name}:stop and :resume, and DELETE /api/v1/studies/{name}. `manager` and `clock`
// (now_us) must outlive the router.
void AddStudyRoutes(HttpRouter& router, StudyManager* manager, Clock* clock);

// Adds GET /api/v1/workers (WorkersJson). `registry`, `manager` and `clock` must outlive the
// router.
void AddWorkerRoutes(HttpRouter& router, WorkerRegistry* registry, StudyManager* manager,
                     Clock* clock);

// Adds GET <path> for every asset (its content type, Content-Security-Policy and
// X-Content-Type-Options: nosniff), and GET / serving the asset "/index.html". Without that
// asset (a server built without the dashboard: an empty table), GET / answers 404 "built
// without the dashboard". `assets` must outlive the router (DashboardAssets() is static).
void AddDashboardFiles(HttpRouter& router, absl::Span<const DashboardAsset> assets);

}  // namespace nasq

#endif  // NASQ_SERVER_DASHBOARD_ROUTES_H_
