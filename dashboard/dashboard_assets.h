// dashboard/dashboard_assets.h: the web dashboard's built files (docs/dashboard.md), embedded
// into the binary at build time so that nasq-server serves them without any file on disk.
//
// The files are what the front end's build (dashboard/web, TypeScript bundled with esbuild)
// writes: "/index.html", "/app.js", "/app.css", ... Thread-safety: immutable static data.
#ifndef NASQ_DASHBOARD_DASHBOARD_ASSETS_H_
#define NASQ_DASHBOARD_DASHBOARD_ASSETS_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace nasq {

struct DashboardAsset {
  absl::string_view path;          // "/index.html": the URL path it is served under
  absl::string_view content_type;  // "text/html; charset=utf-8"
  absl::string_view body;          // the file's bytes
};

// Every built file of the dashboard; empty when the server was built with
// NASQ_BUILD_DASHBOARD=OFF.
absl::Span<const DashboardAsset> DashboardAssets();

}  // namespace nasq

#endif  // NASQ_DASHBOARD_DASHBOARD_ASSETS_H_
