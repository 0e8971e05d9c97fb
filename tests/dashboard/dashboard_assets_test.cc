// Tests of dashboard/dashboard_assets.h: the built dashboard embedded into the binary.
#include "dashboard/dashboard_assets.h"

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;

std::map<std::string, DashboardAsset> AssetsByPath() {
  std::map<std::string, DashboardAsset> out;
  for (const DashboardAsset& a : DashboardAssets()) out.emplace(std::string(a.path), a);
  return out;
}

TEST(DashboardAssetsTest, ServesThePageItsScriptAndItsStyles) {
  const auto assets = AssetsByPath();
  ASSERT_EQ(assets.size(), 3u);
  ASSERT_TRUE(assets.count("/index.html"));
  ASSERT_TRUE(assets.count("/app.js"));
  ASSERT_TRUE(assets.count("/app.css"));
  EXPECT_EQ(assets.at("/index.html").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(assets.at("/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(assets.at("/app.css").content_type, "text/css; charset=utf-8");
}

TEST(DashboardAssetsTest, BodiesAreTheBuiltFilesWhole) {
  const auto assets = AssetsByPath();
  const absl::string_view html = assets.at("/index.html").body;
  EXPECT_THAT(std::string(html), HasSubstr("<!doctype html>"));
  EXPECT_THAT(std::string(html), HasSubstr("src=\"app.js\""));
  EXPECT_THAT(std::string(html), HasSubstr("href=\"app.css\""));
  EXPECT_TRUE(absl::EndsWith(html, "</html>\n")) << "the .incbin'd file must end where it ends";
  // The bundle holds the app (its test hooks) and ECharts, and nothing from another host.
  const std::string js(assets.at("/app.js").body);
  EXPECT_GT(js.size(), 100'000u);
  EXPECT_THAT(js, HasSubstr("live-indicator"));
  EXPECT_THAT(js, HasSubstr("/api/v1/studies"));
  EXPECT_THAT(js, ::testing::Not(HasSubstr("https://cdn")));
  EXPECT_THAT(std::string(assets.at("/app.css").body), HasSubstr(".error-banner"));
}

}  // namespace
}  // namespace nasq
