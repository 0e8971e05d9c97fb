// dashboard/dashboard_assets.cc: DashboardAssets() over the files that dashboard/CMakeLists.txt
// embeds with .incbin (dashboard_assets_data.S): each file lies between the symbols
// nasq_dashboard_asset_<i> and nasq_dashboard_asset_<i>_end, listed by the generated
// dashboard_assets_table.inc as NASQ_DASHBOARD_ASSET("/<name>", <symbol>) rows.
#include "dashboard/dashboard_assets.h"

#include "absl/strings/match.h"

#define NASQ_DASHBOARD_ASSET(path, symbol) extern "C" const char symbol[], symbol##_end[];
#include "dashboard_assets_table.inc"
#undef NASQ_DASHBOARD_ASSET

namespace nasq {
namespace {

// The Content-Type of a built file, by its extension.
absl::string_view ContentTypeFor(absl::string_view path) {
  if (absl::EndsWith(path, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(path, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(path, ".svg")) return "image/svg+xml";
  if (absl::EndsWith(path, ".png")) return "image/png";
  if (absl::EndsWith(path, ".json")) return "application/json; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

absl::Span<const DashboardAsset> DashboardAssets() {
  static const DashboardAsset kAssets[] = {
#define NASQ_DASHBOARD_ASSET(path, symbol) \
  {path, ContentTypeFor(path), absl::string_view(symbol, symbol##_end - symbol)},
#include "dashboard_assets_table.inc"
#undef NASQ_DASHBOARD_ASSET
  };
  return kAssets;
}

}  // namespace nasq
