// End-to-end tests of the dashboard's HTTP API on an in-process NasqServer over loopback with
// token auth, with raw HTTP requests: who may call which route, and the checks before any
// route (401, 403, 405, 415).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/auth_token_file.h"
#include "server/nasq_server.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sends one request and returns the whole response (status line, headers, body).
std::string Send(int port, const std::string& method, const std::string& target,
                 const std::string& headers = "", const std::string& body = "") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  const std::string request = method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + headers +
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  boost::asio::write(socket, boost::asio::buffer(request));
  std::string response;
  boost::system::error_code error;
  boost::asio::read(socket, boost::asio::dynamic_buffer(response), error);
  return response;
}

std::string Bearer(const std::string& token) { return "Authorization: Bearer " + token + "\r\n"; }
constexpr char kJson[] = "Content-Type: application/json\r\n";

class DashboardHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = testing_scratch::ScratchDir("dashboard_http_test");
    const std::string tokens = (dir / "tokens.txt").string();
    std::ofstream(tokens) << "r reader " << Sha256Hex("tr") << "\n"
                          << "a admin " << Sha256Hex("ta") << "\n";
    ServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.http_address = "127.0.0.1:0";
    options.security.auth_tokens_file = tokens;
    auto server = NasqServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    StudySpec spec;
    spec.name = "s";
    spec.directions = {StudyDirection::kMinimize};
    spec.space =
        *SearchSpace::Create({{"x", FloatDistribution{0.0, 1.0, false, std::nullopt}, {}}});
    spec.sampler.kind = SamplerKind::kRandom;
    ASSERT_TRUE(server_->manager().CreateStudy(spec).ok());
    port_ = server_->http_port();
  }

  std::unique_ptr<NasqServer> server_;
  int port_ = 0;
};

TEST_F(DashboardHttpTest, ReaderReadsEveryGetRouteButMayNotAct) {
  for (const std::string target :
       {"/api/v1/studies", "/api/v1/studies/s", "/api/v1/studies/s/trials?sort=value",
        "/api/v1/studies/s/series", "/api/v1/studies/s/intermediate", "/api/v1/studies/s/precision",
        "/api/v1/workers", "/metrics"}) {
    EXPECT_THAT(Send(port_, "GET", target, Bearer("tr")), StartsWith("HTTP/1.1 200")) << target;
  }
  const std::string list = Send(port_, "GET", "/api/v1/studies", Bearer("tr"));
  EXPECT_THAT(list, HasSubstr("Content-Type: application/json; charset=utf-8"));
  EXPECT_THAT(list, HasSubstr("Cache-Control: no-store"));
  EXPECT_THAT(list, HasSubstr(R"("name":"s")"));
  const std::string stop = Send(port_, "POST", "/api/v1/studies/s:stop", Bearer("tr") + kJson);
  EXPECT_THAT(stop, StartsWith("HTTP/1.1 403"));
  EXPECT_THAT(stop, HasSubstr(R"({"error":{"code":403,"message":)"));
  EXPECT_THAT(Send(port_, "DELETE", "/api/v1/studies/s", Bearer("tr") + kJson),
              StartsWith("HTTP/1.1 403"));
  EXPECT_TRUE(server_->manager().GetStudy("s").ok());
  EXPECT_EQ(server_->manager().GetStudy("s")->study.state, StudyState::kRunning);
}

TEST_F(DashboardHttpTest, WithoutATokenOnlyHealthAndThePageFilesAreOpen) {
  const std::string refused = Send(port_, "GET", "/api/v1/studies");
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(refused, HasSubstr("WWW-Authenticate: Bearer"));
  EXPECT_THAT(refused, HasSubstr(R"("code":401)"));
  EXPECT_THAT(Send(port_, "GET", "/metrics"), StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(Send(port_, "GET", "/healthz"), StartsWith("HTTP/1.1 200"));
  // The page loads before it can ask for a token (this build may have no dashboard: then 404).
  EXPECT_THAT(Send(port_, "GET", "/"), testing::Not(StartsWith("HTTP/1.1 401")));
  EXPECT_THAT(Send(port_, "POST", "/api/v1/studies/s:stop", kJson), StartsWith("HTTP/1.1 401"));
}

TEST_F(DashboardHttpTest, AdminActsWithJsonContentTypeOnly) {
  const std::string plain =
      Send(port_, "POST", "/api/v1/studies/s:stop", Bearer("ta") + "Content-Type: text/plain\r\n");
  EXPECT_THAT(plain, StartsWith("HTTP/1.1 415"));
  EXPECT_THAT(plain, HasSubstr("needs Content-Type: application/json"));
  EXPECT_THAT(Send(port_, "POST", "/api/v1/studies/s:stop", Bearer("ta")),
              StartsWith("HTTP/1.1 415"));
  EXPECT_THAT(Send(port_, "PUT", "/api/v1/studies/s", Bearer("ta") + kJson),
              StartsWith("HTTP/1.1 405"));
  const std::string stopped =
      Send(port_, "POST", "/api/v1/studies/s:stop",
           Bearer("ta") + "Content-Type: application/json; charset=utf-8\r\n", "{}");
  EXPECT_THAT(stopped, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(stopped, HasSubstr(R"("state":"STOPPED")"));
  EXPECT_THAT(Send(port_, "DELETE", "/api/v1/studies/s", Bearer("ta") + kJson),
              StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(Send(port_, "GET", "/api/v1/studies/s", Bearer("ta")), StartsWith("HTTP/1.1 404"));
}

TEST_F(DashboardHttpTest, WorkersRouteListsAWorkerThatLeasedWithWhatItRuns) {
  absl::StatusOr<std::optional<LeasedTrial>> leased = server_->manager().LeaseTrial(
      "gpu-host:7", {}, std::chrono::steady_clock::now(), {{"device", "cuda:0"}});
  ASSERT_TRUE(leased.ok() && leased->has_value()) << leased.status();
  server_->workers().RecordLease("gpu-host:7", {{"device", "cuda:0"}});
  const std::string response = Send(port_, "GET", "/api/v1/workers", Bearer("tr"));
  ASSERT_THAT(response, StartsWith("HTTP/1.1 200"));
  const nlohmann::json workers =
      nlohmann::json::parse(response.substr(response.find("\r\n\r\n") + 4))["workers"];
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0]["id"], "gpu-host:7");
  EXPECT_EQ(workers[0]["labels"]["device"], "cuda:0");
  ASSERT_EQ(workers[0]["running"].size(), 1u);
  EXPECT_EQ(workers[0]["running"][0]["study"], "s");
  EXPECT_EQ(workers[0]["running"][0]["number"], 0);
}

}  // namespace
}  // namespace nasq
