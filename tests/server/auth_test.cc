// Unit tests of token authentication (server/auth_*.h) and of the security checks of
// server/server_security.h: the token file format, the role table, the Authorizer (roles,
// expiry, rotation without restart, fail-closed on a broken file) and the safe defaults.
#include <google/protobuf/descriptor.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nasq/v1/study_service.grpc.pb.h"
#include "nasq/v1/worker_service.grpc.pb.h"
#include "server/auth_authorizer.h"
#include "server/auth_role.h"
#include "server/auth_token_file.h"
#include "server/server_security.h"
#include "testing/scratch_dir.h"

namespace nasq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCreate[] = "/nasq.v1.StudyService/CreateStudy";
constexpr char kGet[] = "/nasq.v1.StudyService/GetStudy";
constexpr char kLease[] = "/nasq.v1.WorkerService/LeaseTrial";

TEST(Sha256Hex, MatchesTheStandardTestVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ParseTokenFile, ReadsEntriesSkippingCommentsAndBlankLines) {
  const std::string hash = Sha256Hex("t");
  auto entries = ParseTokenFile("# tokens\n\n  alice admin " + hash + "\nbob\treader " + hash +
                                " 2027-01-31T00:00:00Z\n");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "alice");
  EXPECT_EQ((*entries)[0].role, Role::kAdmin);
  EXPECT_FALSE((*entries)[0].expires.has_value());
  EXPECT_EQ((*entries)[1].role, Role::kReader);
  ASSERT_TRUE((*entries)[1].expires.has_value());
  EXPECT_EQ(absl::ToUnixSeconds(*(*entries)[1].expires), 1801353600);
}

TEST(ParseTokenFile, RefusesMalformedLinesNamingTheLineWithoutQuotingTheHash) {
  const std::string hash = Sha256Hex("t");
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"alice admin", "line 1: expected NAME ROLE SHA256-HEX"},
      {"# c\nalice root " + hash, "line 2: role: 'root' is not a role"},
      {"alice admin " + hash.substr(1), "line 1: sha256: not 64 lowercase hex digits"},
      {"alice admin " + absl::AsciiStrToUpper(hash), "line 1: sha256"},
      {"alice admin " + hash + " tomorrow", "line 1: expires: 'tomorrow' is not an RFC 3339"},
      {"alice admin " + hash + " 2027-01-01T00:00:00Z extra", "line 1: expected NAME ROLE"},
  };
  for (const auto& c : cases) {
    auto entries = ParseTokenFile(c.text);
    ASSERT_FALSE(entries.ok()) << c.text;
    EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(entries.status().message(), HasSubstr(c.message));
    EXPECT_THAT(entries.status().message(), Not(HasSubstr(hash.substr(1, 20))));
  }
}

// Every RPC of the API has an explicit entry: a new RPC must be given a role on purpose.
TEST(RoleTable, ListsEveryRpcOfTheApi) {
  const google::protobuf::ServiceDescriptor* services[] = {
      v1::CreateStudyRequest::descriptor()->file()->FindServiceByName("StudyService"),
      v1::LeaseTrialRequest::descriptor()->file()->FindServiceByName("WorkerService")};
  for (const google::protobuf::ServiceDescriptor* service : services) {
    ASSERT_NE(service, nullptr);
    ASSERT_GT(service->method_count(), 0) << service->full_name();
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string path = "/" + service->full_name() + "/" + service->method(i)->name();
      EXPECT_TRUE(IsListedResource(path)) << path;
    }
  }
}

TEST(RoleTable, UnlistedRpcsNeedAdminAndHealthzIsOpen) {
  EXPECT_EQ(RequirementOf("/nasq.v1.StudyService/NewRpc").role, Role::kAdmin);
  EXPECT_FALSE(RequirementOf("/nasq.v1.StudyService/NewRpc").open);
  EXPECT_TRUE(RequirementOf("GET /healthz").open);
  EXPECT_EQ(RequirementOf("GET /metrics").role, Role::kReader);
  EXPECT_EQ(RequirementOf("GET /new-route").role, Role::kReader);
}

// The dashboard's routes (docs/dashboard.md): GET reads need reader, every other method admin
// (unknown ones too: fail closed), and the page's built files are open.
TEST(RoleTable, HttpRoutesNeedReaderToReadAndAdminForAnythingElse) {
  for (const char* route :
       {"GET /api/v1/studies", "GET /api/v1/studies/x", "GET /api/v1/studies/x/trials",
        "GET /api/v1/studies/x/trials/3", "GET /api/v1/studies/x/series", "GET /api/v1/workers",
        "GET /api/v1/studies/x.y/series", "GET /api/v1/app.js"}) {
    EXPECT_FALSE(RequirementOf(route).open) << route;
    EXPECT_EQ(RequirementOf(route).role, Role::kReader) << route;
  }
  for (const char* route :
       {"POST /api/v1/studies/x:stop", "POST /api/v1/studies/x:resume", "DELETE /api/v1/studies/x",
        "PUT /api/v1/studies/x", "POST /", "PATCH /metrics", "DELETE /index.html"}) {
    EXPECT_FALSE(RequirementOf(route).open) << route;
    EXPECT_EQ(RequirementOf(route).role, Role::kAdmin) << route;
  }
  for (const char* route : {"GET /", "GET /index.html", "GET /app.js", "GET /healthz"}) {
    EXPECT_TRUE(RequirementOf(route).open) << route;
  }
}

TEST(Roles, AreOrderedReaderWorkerAdmin) {
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Role::kWorker));
  EXPECT_TRUE(RoleAllows(Role::kAdmin, Role::kReader));
  EXPECT_TRUE(RoleAllows(Role::kWorker, Role::kReader));
  EXPECT_FALSE(RoleAllows(Role::kWorker, Role::kAdmin));
  EXPECT_FALSE(RoleAllows(Role::kReader, Role::kWorker));
  for (Role role : {Role::kReader, Role::kWorker, Role::kAdmin}) {
    EXPECT_EQ(*ParseRole(RoleName(role), "role"), role);
  }
}

class AuthorizerTest : public ::testing::Test {
 protected:
  // Replaces the token file atomically (as docs/security.md asks operators to).
  void WriteTokens(const std::string& text) {
    const std::string tmp = path_ + ".tmp";
    std::ofstream(tmp) << text;
    std::filesystem::rename(tmp, path_);
  }
  std::unique_ptr<Authorizer> Open() {
    auto auth = Authorizer::Open(path_, &clock_);
    EXPECT_TRUE(auth.ok()) << auth.status();
    return auth.ok() ? *std::move(auth) : nullptr;
  }
  static std::string Line(const std::string& name, const std::string& role,
                          const std::string& token, const std::string& expires = "") {
    return name + " " + role + " " + Sha256Hex(token) + (expires.empty() ? "" : " " + expires) +
           "\n";
  }

  const std::string path_ = (testing_scratch::ScratchDir(
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name()) /
                             "tokens.txt")
                                .string();
  FakeClock clock_{1'800'000'000'000'000};  // 2027-01-15T08:00:00Z
};

TEST_F(AuthorizerTest, ChecksEachRoleAgainstTheTable) {
  WriteTokens(Line("r", "reader", "tr") + Line("w", "worker", "tw") + Line("a", "admin", "ta"));
  auto auth = Open();
  const struct {
    std::string authorization;
    const char* resource;
    absl::StatusCode code;
  } cases[] = {
      {"Bearer tr", kGet, absl::StatusCode::kOk},
      {"Bearer tr", kLease, absl::StatusCode::kPermissionDenied},
      {"Bearer tr", kCreate, absl::StatusCode::kPermissionDenied},
      {"Bearer tw", kGet, absl::StatusCode::kOk},
      {"Bearer tw", kLease, absl::StatusCode::kOk},
      {"Bearer tw", kCreate, absl::StatusCode::kPermissionDenied},
      {"Bearer ta", kCreate, absl::StatusCode::kOk},
      {"Bearer ta", "GET /metrics", absl::StatusCode::kOk},
      {"Bearer tr", "GET /api/v1/studies/x/trials", absl::StatusCode::kOk},
      {"Bearer tr", "POST /api/v1/studies/x:stop", absl::StatusCode::kPermissionDenied},
      {"Bearer tw", "DELETE /api/v1/studies/x", absl::StatusCode::kPermissionDenied},
      {"Bearer ta", "POST /api/v1/studies/x:stop", absl::StatusCode::kOk},
      {"", "GET /index.html", absl::StatusCode::kOk},
      {"", "GET /api/v1/studies", absl::StatusCode::kUnauthenticated},
      {"", kGet, absl::StatusCode::kUnauthenticated},
      {"", "GET /healthz", absl::StatusCode::kOk},
      {"Bearer wrong", kGet, absl::StatusCode::kUnauthenticated},
      {"Bearer ", kGet, absl::StatusCode::kUnauthenticated},
      {"tr", kGet, absl::StatusCode::kUnauthenticated},
      {"Basic tr", kGet, absl::StatusCode::kUnauthenticated},
  };
  for (const auto& c : cases) {
    const absl::Status status = auth->Check(c.authorization, c.resource);
    EXPECT_EQ(status.code(), c.code) << c.authorization << " " << c.resource;
    EXPECT_THAT(status.message(), Not(HasSubstr("tr")));
  }
  EXPECT_TRUE(auth->HasRole("Bearer ta", Role::kAdmin));
  EXPECT_FALSE(auth->HasRole("Bearer tw", Role::kAdmin));
}

TEST_F(AuthorizerTest, RefusesATokenFromItsExpiryOn) {
  WriteTokens(Line("w", "worker", "tw", "2027-01-15T08:00:01Z"));
  auto auth = Open();
  EXPECT_TRUE(auth->Check("Bearer tw", kLease).ok());
  clock_.AdvanceMicros(1'000'000);
  EXPECT_EQ(auth->Check("Bearer tw", kLease).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthorizerTest, RereadsTheFileWhenItChanges) {
  WriteTokens(Line("r", "reader", "tr") + Line("w", "worker", "tw"));
  auto auth = Open();
  ASSERT_TRUE(auth->Check("Bearer tw", kLease).ok());
  WriteTokens(Line("r", "reader", "tr") + Line("w2", "worker", "tw2"));
  EXPECT_EQ(auth->Check("Bearer tw", kLease).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth->Check("Bearer tw2", kLease).ok());
  EXPECT_TRUE(auth->Check("Bearer tr", kGet).ok());
}

TEST_F(AuthorizerTest, RefusesEveryTokenWhileTheFileIsBrokenOrMissing) {
  WriteTokens(Line("a", "admin", "ta"));
  auto auth = Open();
  WriteTokens(Line("a", "admin", "ta") + "b superuser " + Sha256Hex("tb") + "\n");
  EXPECT_EQ(auth->Check("Bearer ta", kGet).code(), absl::StatusCode::kUnauthenticated);
  WriteTokens(Line("a", "admin", "ta"));
  EXPECT_TRUE(auth->Check("Bearer ta", kGet).ok());
  std::filesystem::remove(path_);
  EXPECT_EQ(auth->Check("Bearer ta", kGet).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthorizerTest, OpenRefusesAMissingOrMalformedFile) {
  EXPECT_EQ(Authorizer::Open(path_, &clock_).status().code(), absl::StatusCode::kNotFound);
  WriteTokens("a admin nothex\n");
  auto auth = Authorizer::Open(path_, &clock_);
  EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(auth.status().message(), HasSubstr("line 1"));
}

// The safe defaults: refusals happen before any file is read, so the paths need not exist.
TEST(SetUpSecurity, RefusesExposedOrIncompleteOptions) {
  FakeClock clock;
  const struct {
    SecurityOptions options;
    std::string listen;
    std::string http;
    std::string message;
  } cases[] = {
      {{}, "0.0.0.0:50051", "", "--listen: '0.0.0.0:50051' is not a loopback address and nothing"},
      {{}, "127.0.0.1:50051", "0.0.0.0:8080", "--http: '0.0.0.0:8080' is not a loopback"},
      {{.auth_tokens_file = "t"}, "[::]:50051", "", "tokens would cross the network in clear"},
      {{.auth_tokens_file = "t", .insecure = true}, "[::]:50051", "", "in clear text"},
      {{.tls_cert_file = "c"}, "127.0.0.1:1", "", "--tls-cert: needs --tls-key"},
      {{.tls_key_file = "k"}, "127.0.0.1:1", "", "--tls-key: needs --tls-cert"},
      {{.tls_client_ca_file = "ca"}, "127.0.0.1:1", "", "--tls-client-ca: needs --tls-cert"},
  };
  for (const auto& c : cases) {
    auto security = SetUpSecurity(c.options, c.listen, c.http, &clock);
    ASSERT_FALSE(security.ok()) << c.message;
    EXPECT_EQ(security.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(security.status().message(), HasSubstr(c.message));
  }
}

TEST(SetUpSecurity, AllowsLoopbackOrAnExplicitInsecure) {
  FakeClock clock;
  EXPECT_TRUE(SetUpSecurity({}, "127.0.0.1:50051", "localhost:8080", &clock).ok());
  EXPECT_TRUE(SetUpSecurity({.insecure = true}, "0.0.0.0:50051", "0.0.0.0:8080", &clock).ok());
}

}  // namespace
}  // namespace nasq
